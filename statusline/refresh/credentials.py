"""Claude Code's own OAuth token, read at use and never stored.

Order: ``CLAUDE_CODE_OAUTH_TOKEN``, ``<config dir>/.credentials.json``, the macOS Keychain.
quotaline never refreshes the token (refresh tokens rotate; a refresh by another program can log
Claude Code out) and never writes it anywhere. ``paths.credentials_stamp()`` (in core: the status
line calls it) notices new credentials after a 401 without reading them.
"""

from __future__ import annotations

import os

from statusline.core import paths, system

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


def keychain_service() -> str:
    if os.environ.get("CLAUDE_CONFIG_DIR", "").strip():
        import hashlib

        digest = hashlib.sha256(paths.claude_config_dir().encode()).hexdigest()[:8]
        return f"{KEYCHAIN_SERVICE}-{digest}"
    return KEYCHAIN_SERVICE


def load() -> tuple[Credential | None, str]:
    """The credential, or None and why not (a message safe to show)."""
    token = os.environ.get("CLAUDE_CODE_OAUTH_TOKEN", "").strip()
    if token:
        return Credential(token, "CLAUDE_CODE_OAUTH_TOKEN"), ""
    path = paths.credentials_file()
    found, why = _from_file(path)
    if found is not None or os.path.exists(path):
        return found, why
    if system.IS_MACOS:
        return _from_keychain()
    return None, f"no Claude Code credentials ({path} missing): run claude and log in"


def file_plan() -> str | None:
    """The plan (``subscriptionType``: pro, max, team, enterprise) from the credentials file only:
    for a source that needs no token (Claude Code's cached payload), without a Keychain prompt."""
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


def _from_keychain() -> tuple[Credential | None, str]:
    import json
    import subprocess

    service = keychain_service()
    try:
        proc = subprocess.run(
            ["security", "find-generic-password", "-s", service, "-w"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None, "cannot run `security` to read the macOS Keychain"
    if proc.returncode != 0:
        return None, f"no Keychain item {service!r}: run claude and log in"
    try:
        return _from_blob(json.loads(proc.stdout), f"Keychain {service!r}")
    except ValueError:
        return None, f"Keychain item {service!r} is not JSON"
