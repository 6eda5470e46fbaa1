"""Claude Code's own OAuth token, read at use and never stored.

Read the way Claude Code stores it: ``CLAUDE_CODE_OAUTH_TOKEN``; on macOS the Keychain first and
``<config dir>/.credentials.json`` only when the Keychain holds nothing (Claude Code's
"keychain-with-plaintext-fallback": a stale file beside a Keychain login is never read); on Windows
the same with the Credential Manager, when Claude Code uses it ("windows-credman-with-plaintext-
fallback", switched on by ``CLAUDE_CODE_FORCE_WINDOWS_CREDMAN=1`` or its cached feature flag);
elsewhere the file. quotaline never refreshes the token (refresh tokens rotate; a refresh by another program
can log Claude Code out) and never writes it anywhere. ``paths.credentials_stamp()`` (in core: the
status line calls it) notices new credentials after a 401 without reading them.
"""

from __future__ import annotations

import os
import time

from statusline.core import system
from statusline.core.store import paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

KEYCHAIN_SERVICE = "Claude Code-credentials"


class Credential:
    __slots__ = ("expires_at", "scopes", "source", "subscription", "token")

    def __init__(
        self,
        token: str,
        source: str,
        expires_at: float | None = None,
        scopes: list[str] | None = None,
        subscription: str | None = None,
    ) -> None:
        self.token = token
        self.source = source
        self.expires_at = expires_at  # epoch seconds
        self.scopes = scopes or []
        self.subscription = subscription

    def __repr__(self) -> str:  # never the token
        return f"Credential(source={self.source!r}, expires_at={self.expires_at!r})"


def store() -> str:
    """Claude Code's name for where this platform keeps the login (doctor shows it)."""
    if system.IS_MACOS:
        return "keychain-with-plaintext-fallback"
    if system.IS_WINDOWS and credman_switch():
        return "windows-credman-with-plaintext-fallback"
    return "plaintext"


def keychain_service() -> str:
    """The Keychain item's service, named as Claude Code names it: a suffix of the first 8 hex of
    the sha256 of the NFC-normalised config dir, as spelled in ``CLAUDE_CONFIG_DIR`` (not resolved),
    when that is set; ``CLAUDE_SECURESTORAGE_CONFIG_DIR`` replaces it (set but empty: no suffix)."""
    override = _env("CLAUDE_SECURESTORAGE_CONFIG_DIR")
    basis = override if override is not None else (_env("CLAUDE_CONFIG_DIR") or "")
    if not basis:
        return KEYCHAIN_SERVICE
    import hashlib
    import unicodedata

    digest = hashlib.sha256(unicodedata.normalize("NFC", basis).encode("utf-8")).hexdigest()[:8]
    return f"{KEYCHAIN_SERVICE}-{digest}"


def keychain_account() -> str:
    """``$USER`` (else the login name), or ``claude-code-user`` when it is not ``[A-Za-z0-9._-]+``."""
    user = _env("USER")
    if not user:
        try:
            import pwd

            user = pwd.getpwuid(os.getuid()).pw_name
        except (ImportError, KeyError, OSError):
            user = ""
    if user and all(c.isascii() and (c.isalnum() or c in "._-") for c in user):
        return user
    return "claude-code-user"


def _env(name: str) -> str | None:
    """An environment variable as Node reads it (undecodable bytes become U+FFFD)."""
    value = os.environb.get(name.encode()) if os.supports_bytes_environ else None
    if value is not None:
        return value.decode("utf-8", "replace")
    return os.environ.get(name)


def load() -> tuple[Credential | None, str]:
    """The credential, or None and why not (a message safe to show)."""
    token = os.environ.get("CLAUDE_CODE_OAUTH_TOKEN", "").strip()
    if token:
        return Credential(token, "CLAUDE_CODE_OAUTH_TOKEN"), ""
    path = paths.credentials_file()
    keychain_why = ""
    if system.IS_MACOS or (system.IS_WINDOWS and credman_switch()):
        answered, found, keychain_why = _from_keychain() if system.IS_MACOS else from_credman()
        if answered:  # the Keychain holds the login (or an item without one): the file is not read
            return found, keychain_why
    found, why = _from_file(path)
    if found is not None or os.path.exists(path):
        return found, why
    if keychain_why:
        return None, f"no Claude Code credentials ({keychain_why}; {path} missing): run claude and log in"
    return None, f"no Claude Code credentials ({path} missing): run claude and log in"


def file_plan() -> str | None:
    """The plan (``subscriptionType``: pro, max, team, enterprise) from the credentials file only:
    for a source that needs no token (Claude Code's cached payload), without a Keychain prompt."""
    if system.IS_WINDOWS and credman_switch():  # the Credential Manager asks nothing of the user
        answered, found, _ = from_credman()
        if answered:
            return found.subscription if found is not None else None
    found, _ = _from_file(paths.credentials_file())
    return found.subscription if found is not None else None


def _from_file(path: str) -> tuple[Credential | None, str]:
    import json

    try:
        data = json.loads(paths.read_file(path))  # a FIFO there would hang the refresh
    except FileNotFoundError:
        return None, f"{path} missing"
    except (OSError, ValueError):
        return None, f"{path} is unreadable or not JSON"
    return _from_blob(data, f"file {path}")


def _from_blob(data: Any, source: str) -> tuple[Credential | None, str]:
    oauth = data.get("claudeAiOauth") if isinstance(data, dict) else None
    if not isinstance(oauth, dict):
        return None, f"no claudeAiOauth in {source}: run claude and log in"
    token = oauth.get("accessToken")
    if not isinstance(token, str) or not token:
        return None, f"no claudeAiOauth.accessToken in {source}: run claude and log in"
    expires = oauth.get("expiresAt")
    scopes = oauth.get("scopes")
    return (
        Credential(
            token,
            source,
            float(expires) / 1000 if isinstance(expires, (int, float)) and not isinstance(expires, bool) else None,
            [s for s in scopes if isinstance(s, str)] if isinstance(scopes, list) else None,
            oauth.get("subscriptionType") if isinstance(oauth.get("subscriptionType"), str) else None,
        ),
        "",
    )


KEYCHAIN_TIMEOUT_S = 2.0  # Claude Code's own budget for the item and its overflow together
NOT_FOUND = 44  # security's exit status for "no such item"
LOCKED = 36


def _security(account: str, service: str, timeout: float) -> tuple[int | None, str]:
    """``security find-generic-password``'s exit status and output; (None, why) when it did not answer."""
    import subprocess

    try:
        proc = subprocess.run(
            ["security", "find-generic-password", "-a", account, "-w", "-s", service],
            capture_output=True,
            timeout=max(timeout, 0.05),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, f"did not answer within {KEYCHAIN_TIMEOUT_S:g} s"
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not be read (`security`: {type(exc).__name__})"
    return proc.returncode, proc.stdout.decode("utf-8", "replace").strip()


def _parse_item(text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        pass
    # `security -w` prints data it cannot show as text in hex.
    try:
        return json.loads(bytes.fromhex(text).decode("utf-8"))
    except ValueError:
        return None


def _from_keychain() -> tuple[bool, Credential | None, str]:
    """``(answered, credential, why)``: answered is True when the Keychain holds a readable item,
    whose word is then final, as for Claude Code; False sends the reader on to the file."""
    service, account = keychain_service(), keychain_account()
    started = time.monotonic()
    code, out = _security(account, service, KEYCHAIN_TIMEOUT_S)
    named = f"Keychain item {service!r} (account {account!r})"
    if code is None:
        return False, None, f"{named} {out}"
    if code == NOT_FOUND:
        return False, None, f"no {named}"
    if code == LOCKED:
        return False, None, f"the Keychain holding {named} is locked"
    if code != 0:
        return False, None, f"`security` exited {code} reading {named}"
    item = _parse_item(out) if out else None
    if not isinstance(item, dict):
        return False, None, f"{named} is empty or not JSON"
    source = f"Keychain {service!r}"
    pointer = item.get("keychainOverflow")
    if "claudeAiOauth" not in item and isinstance(pointer, dict):
        left = KEYCHAIN_TIMEOUT_S - (time.monotonic() - started)
        sections, why = _overflow(account, service, pointer, left)
        if sections is None:
            return False, None, why  # the overflow did not answer: Claude Code reads the file then
        if why:
            return True, None, why
        login = (sections or {}).get("claudeAiOauth")
        if login is not None and _login_belongs(item, pointer):
            item = {**item, "claudeAiOauth": login}
            source = f"Keychain {service!r} and its overflow item"
    found, why = _from_blob(item, source)
    return True, found, why


_MISSING = object()


def _login_belongs(item: dict[str, Any], pointer: dict[str, Any]) -> bool:
    # Claude Code restores a moved login only when the pointer names the item's organisation.
    return "login" in pointer and pointer.get("organizationUuid", _MISSING) == item.get("organizationUuid", _MISSING)


def _overflow(account: str, service: str, pointer: dict[str, Any], left: float) -> tuple[dict[str, Any] | None, str]:
    """The sections Claude Code moved to ``<service>-overflow-<slot>`` (AES-256-GCM: 12-byte IV,
    ciphertext, 16-byte tag, base64; key in the pointer). ``(None, why)`` when that item did not
    answer; ``({}, "")`` when it is gone or does not open (the sections are absent, as for Claude
    Code); ``({}, why)`` when quotaline cannot open it (no ``cryptography``)."""
    slot, key = pointer.get("slot"), pointer.get("key")
    if slot not in ("a", "b") or not isinstance(key, str):
        return {}, ""
    name = f"{service}-overflow-{slot}"
    code, out = _security(account, name, left)
    if code not in (0, NOT_FOUND):
        return None, f"Keychain item {name!r} did not answer"
    if code != 0:
        return {}, ""
    import base64
    import binascii
    import json

    try:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        return {}, (
            f"the login sits in Keychain item {name!r}, encrypted: reading it needs the cryptography "
            "package (pip install 'quotaline[keychain]')"
        )
    try:
        sealed, secret = base64.b64decode(out), base64.b64decode(key)
        plain = AESGCM(secret).decrypt(sealed[:12], sealed[12:], None)
        sections = json.loads(plain.decode("utf-8"))
    except (binascii.Error, ValueError, InvalidTag):
        return {}, ""
    return (sections if isinstance(sections, dict) else {}), ""


# Claude Code's Windows store, through Bun's ``Bun.secrets``: Bun names the generic credential
# (CRED_TYPE_GENERIC) "<service>/<name>" and keeps the value's UTF-8 bytes as its blob. The service
# is the Keychain's; the name is this constant (Claude Code's Windows build names no user). A value
# over CREDMAN_CHUNK bytes goes base64-encoded into "<name>#0".."<name>#<n-1>", CREDMAN_CHUNK
# characters each, named by a manifest "<name>#m" holding {"n": chunks, "l": base64 length}.
CREDMAN_NAME = "claude-code-user"
CREDMAN_CHUNK = 2400
CREDMAN_MAX_CHUNKS = 256
CREDMAN_FORCE = "CLAUDE_CODE_FORCE_WINDOWS_CREDMAN"
CREDMAN_FLAG = "tengu_windows_credman"


def credman_target(name: str = CREDMAN_NAME) -> str:
    """The Credential Manager's target name of Claude Code's item ``name`` (Bun's "service/name")."""
    return f"{keychain_service()}/{name}"


def credman_switch() -> str:
    """Why Claude Code (on Windows) keeps the login in the Credential Manager, or "" when it keeps
    it in the file: ``CLAUDE_CODE_FORCE_WINDOWS_CREDMAN=1``, else the feature flag it cached, read as
    Claude Code reads it: ``<config dir>/.config.json`` (missing or empty: ``.claude.json``), its
    ``cachedGrowthBookFeatures`` (absent: ``cachedFeatureFlags``), the flag exactly ``true``; a
    file that cannot be read or parsed turns it off."""
    if os.environ.get(CREDMAN_FORCE) == "1":
        return f"{CREDMAN_FORCE}=1"
    import json

    from statusline.refresh.sources.claude_json import claude_json_path

    try:
        path = os.path.join(paths.claude_config_dir(), ".config.json")
        text = paths.read_file(path)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, paths.NotAFileError):
        text = b""
    except OSError:
        return ""
    try:
        if not text:
            path = claude_json_path()
            text = paths.read_file(path)
        data = json.loads(text)
    except (OSError, ValueError, RecursionError):
        return ""
    if not isinstance(data, dict):
        return ""
    features = data.get("cachedGrowthBookFeatures")
    if features is None:
        features = data.get("cachedFeatureFlags")
    if isinstance(features, dict) and features.get(CREDMAN_FLAG) is True:
        return f"the feature flag {CREDMAN_FLAG} cached in {path}"
    return ""


def _credman_get(name: str) -> str | None:
    """Item ``name``'s value as ``Bun.secrets.get`` gives it: None when absent or empty."""
    blob = system.read_credential(credman_target(name))
    return blob.decode("utf-8") if blob else None


def _credman_manifest(text: str | None) -> tuple[int, int] | None:
    import json

    try:
        manifest = json.loads(text) if text else None
    except (ValueError, RecursionError):
        return None
    if not isinstance(manifest, dict):
        return None
    count, length = _js_integer(manifest.get("n")), _js_integer(manifest.get("l"))
    if count is None or length is None or not 0 < count <= CREDMAN_MAX_CHUNKS:
        return None
    return (count, length) if 0 < length <= count * CREDMAN_CHUNK else None


def _js_integer(value: Any) -> int | None:
    """``value`` when JavaScript's ``Number.isInteger`` takes it (3.0 too, never a boolean)."""
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    return None


def from_credman() -> tuple[bool, Credential | None, str]:
    """``(answered, credential, why)`` as for the Keychain: answered when the Credential Manager
    holds a readable item (the manifest first, as Claude Code reads it, else the plain item);
    otherwise Claude Code reads the file, and so does this."""
    import base64
    import json

    named = f"Credential Manager item {credman_target()!r}"
    try:
        manifest = _credman_manifest(_credman_get(f"{CREDMAN_NAME}#m"))
        if manifest is None:
            text = _credman_get(CREDMAN_NAME)
            source = f"Credential Manager {credman_target()!r}"
        else:
            count, length = manifest
            chunks = [_credman_get(f"{CREDMAN_NAME}#{i}") for i in range(count)]
            joined = "".join(c for c in chunks if c is not None)
            if None in chunks or len(joined) != length:
                return False, None, f"{named} is split into chunks that do not add up (#0..#{count - 1})"
            text = base64.b64decode(joined).decode("utf-8")
            source = f"Credential Manager {credman_target()!r} in {count} chunks"
    except OSError as exc:
        return False, None, f"{named} could not be read ({exc})"
    except ImportError:  # a Python built without ctypes: Claude Code would have read the item
        return False, None, f"{named} could not be read (this Python has no ctypes)"
    except UnicodeDecodeError:
        return False, None, f"{named} is not UTF-8 text"
    except ValueError:  # binascii.Error, and b64decode's own on non-ASCII text
        return False, None, f"{named} is split into chunks that are not base64"
    if text is None:
        return False, None, f"no {named}"
    try:
        item = json.loads(text)
    except (ValueError, RecursionError):
        return False, None, f"{named} is not JSON"
    if item is None:
        return False, None, f"{named} holds null"
    found, why = _from_blob(item, source)
    return True, found, why
