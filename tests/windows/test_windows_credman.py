"""Claude Code's login in the Windows Credential Manager, read by quotaline on the Windows CPython.

Each test writes the credential as Claude Code 2.1.337 does through Bun's ``Bun.secrets.set``
(Bun's SecretsWindows.cpp: ``CredWriteW`` of a generic credential named "<service>/<name>", the
name as its user, persisted per machine, the value's UTF-8 bytes as its blob; Claude Code splits a
value over 2400 bytes into base64 chunks "<name>#0".. under a manifest "<name>#m"), with the
Windows interpreter's own ctypes, in Wine's implementation of the Credential Manager. Then
``quotaline refresh`` must send that token to a loopback server, or the file's when Claude Code
would read the file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import subprocess
import time
import unicodedata
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from . import winpy
from .winpy import WINE, WinHome, win

win_source = winpy.win_source  # the fixtures
winhome = winpy.winhome

DEFAULT_SERVICE = "Claude Code-credentials"
NAME = "claude-code-user"
CHUNK = 2400

WRITER = r"""
import ctypes, json, sys
from ctypes import wintypes as w

class Credential(ctypes.Structure):
    _fields_ = [("Flags", w.DWORD), ("Type", w.DWORD), ("TargetName", w.LPWSTR), ("Comment", w.LPWSTR),
                ("LastWritten", w.FILETIME), ("CredentialBlobSize", w.DWORD),
                ("CredentialBlob", ctypes.POINTER(ctypes.c_ubyte)), ("Persist", w.DWORD),
                ("AttributeCount", w.DWORD), ("Attributes", ctypes.c_void_p), ("TargetAlias", w.LPWSTR),
                ("UserName", w.LPWSTR)]

advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
advapi32.CredWriteW.argtypes = [ctypes.POINTER(Credential), w.DWORD]
advapi32.CredWriteW.restype = w.BOOL
advapi32.CredDeleteW.argtypes = [w.LPCWSTR, w.DWORD, w.DWORD]
advapi32.CredDeleteW.restype = w.BOOL
service, sets, deletes = json.loads(sys.stdin.read())
for name in deletes:
    advapi32.CredDeleteW(service + "/" + name, 1, 0)
for name, value in sets:
    blob = value.encode("utf-8")  # Bun: the JS string's UTF-8 bytes
    buffer = ctypes.create_string_buffer(blob, len(blob))
    cred = Credential(Type=1, TargetName=service + "/" + name, UserName=name, CredentialBlobSize=len(blob),
                      CredentialBlob=ctypes.cast(buffer, ctypes.POINTER(ctypes.c_ubyte)), Persist=2)
    if not advapi32.CredWriteW(ctypes.byref(cred), 0):
        raise ctypes.WinError(ctypes.get_last_error())
print("ok")
"""


def service_for(config_dir: str) -> str:
    """The service Claude Code names from ``CLAUDE_CONFIG_DIR``, computed here on its own."""
    digest = hashlib.sha256(unicodedata.normalize("NFC", config_dir).encode("utf-8")).hexdigest()[:8]
    return f"{DEFAULT_SERVICE}-{digest}"


def login(token: str, padding: int = 0) -> str:
    oauth = {
        "accessToken": token,
        "refreshToken": "sk-ant-ort01-never-used",
        "expiresAt": int((time.time() + 3600) * 1000),
        "scopes": ["user:inference", "user:profile"],
        "subscriptionType": "max",
    }
    data: dict[str, object] = {"claudeAiOauth": oauth}
    if padding:  # what makes an item grow past a chunk: e.g. many MCP servers' OAuth entries
        data["mcpOAuth"] = {"server-ünïcode": {"accessToken": "x" * padding}}
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def chunked(value: str) -> list[tuple[str, str]]:
    """The items Claude Code's writer leaves for a value over one chunk: chunks, then the manifest."""
    text = base64.b64encode(value.encode("utf-8")).decode("ascii")
    count = math.ceil(len(text) / CHUNK)
    chunks = [(f"{NAME}#{i}", text[i * CHUNK : (i + 1) * CHUNK]) for i in range(count)]
    return [*chunks, (f"{NAME}#m", json.dumps({"n": count, "l": len(text)}, separators=(",", ":")))]


class Credman:
    """Items written into (and removed from) the Wine prefix's Credential Manager, as Bun writes them."""

    def __init__(self, home: WinHome) -> None:
        self.home = home
        self.written: set[tuple[str, str]] = set()

    def write(self, service: str, items: list[tuple[str, str]], deletes: tuple[str, ...] = ()) -> None:
        stdin = json.dumps([service, items, list(deletes)]).encode()
        result = self.home.python(WRITER, stdin=stdin)
        assert result.text.strip() == "ok", result.err
        self.written.update((service, name) for name, _ in items)

    def clear(self) -> None:
        by_service: dict[str, list[str]] = {}
        for service, name in self.written:
            by_service.setdefault(service, []).append(name)
        for service, names in by_service.items():
            self.write(service, [], tuple(names))


@pytest.fixture
def credman(winhome: WinHome) -> Iterator[Credman]:
    store = Credman(winhome)
    yield store
    store.clear()  # the prefix is shared by every test: leave no login behind


def refresh(home: WinHome, server: ThreadingHTTPServer, env: dict[str, str]) -> list[str]:
    """``quotaline refresh --force``; the Authorization headers the server saw."""
    result = home.quotaline("refresh", "--force", env={**winpy.refresh_env(server), **env})
    assert "Traceback" not in result.err, result.err
    return list(server.seen)  # type: ignore[attr-defined]


def own_config(home: WinHome) -> tuple[dict[str, str], str]:
    """``CLAUDE_CONFIG_DIR`` for this test alone (so its service is its own), and that service."""
    home.claude.mkdir(exist_ok=True)
    config_dir = win(home.claude)
    return {"CLAUDE_CONFIG_DIR": config_dir}, service_for(config_dir)


def write_file_login(home: WinHome, token: str) -> None:
    home.claude.mkdir(exist_ok=True)
    (home.claude / ".credentials.json").write_text(login(token))


FORCE = {"CLAUDE_CODE_FORCE_WINDOWS_CREDMAN": "1"}


def test_the_default_item_wins_over_the_file(winhome: WinHome, credman: Credman, usage: ThreadingHTTPServer) -> None:
    """No CLAUDE_CONFIG_DIR: target "Claude Code-credentials/claude-code-user"; a stale file beside
    it is never read, as Claude Code reads it."""
    credman.write(DEFAULT_SERVICE, [(NAME, login("sk-ant-oat01-from-credman"))])
    write_file_login(winhome, "sk-ant-oat01-stale-file")
    assert refresh(winhome, usage, FORCE) == ["Bearer sk-ant-oat01-from-credman"]


def test_a_chunked_item_is_read_by_its_manifest(winhome: WinHome, credman: Credman, usage: ThreadingHTTPServer) -> None:
    """Over 2400 bytes: base64 chunks under "#m", read before the plain item (a stale one here)."""
    env, service = own_config(winhome)
    value = login("sk-ant-oat01-chunked", padding=6000)
    items = chunked(value)
    assert len(items) >= 4  # three chunks at least, and the manifest
    credman.write(service, [(NAME, login("sk-ant-oat01-stale-plain")), *items])
    assert refresh(winhome, usage, {**env, **FORCE}) == ["Bearer sk-ant-oat01-chunked"]


def test_chunks_that_do_not_add_up_send_it_to_the_file(
    winhome: WinHome, credman: Credman, usage: ThreadingHTTPServer
) -> None:
    """Claude Code throws on an inconsistent chunked read and reads the file; doctor says why."""
    env, service = own_config(winhome)
    items = chunked(login("sk-ant-oat01-torn", padding=6000))
    credman.write(service, items[1:])  # chunk #0 is missing
    write_file_login(winhome, "sk-ant-oat01-file")
    assert refresh(winhome, usage, {**env, **FORCE}) == ["Bearer sk-ant-oat01-file"]
    doctor = winhome.quotaline("doctor", env={**env, **FORCE})
    assert f"Credential Manager item '{service}/{NAME}' is split into chunks that do not add up" in doctor.text
    assert "found in file" in doctor.text, doctor.text


def test_switched_off_the_file_is_read(winhome: WinHome, credman: Credman, usage: ThreadingHTTPServer) -> None:
    """Neither the variable (exactly "1") nor the flag: Claude Code's store is the file alone."""
    env, service = own_config(winhome)
    credman.write(service, [(NAME, login("sk-ant-oat01-credman-unused"))])
    write_file_login(winhome, "sk-ant-oat01-file")
    off = {**env, "CLAUDE_CODE_FORCE_WINDOWS_CREDMAN": "true"}
    assert refresh(winhome, usage, off) == ["Bearer sk-ant-oat01-file"]
    assert "Credential Manager store is off" in winhome.quotaline("doctor", env=off).text


@pytest.mark.parametrize(
    ("files", "on"),
    [
        ({".claude/.claude.json": {"cachedGrowthBookFeatures": {"tengu_windows_credman": True}}}, True),
        ({".claude/.claude.json": {"cachedFeatureFlags": {"tengu_windows_credman": True}}}, True),
        ({".claude/.claude.json": {"cachedGrowthBookFeatures": {"tengu_windows_credman": "true"}}}, False),
        # the legacy config in the config dir, when it holds anything, is the one read
        (
            {
                ".claude/.config.json": {"numStartups": 3},
                ".claude/.claude.json": {"cachedGrowthBookFeatures": {"tengu_windows_credman": True}},
            },
            False,
        ),
    ],
    ids=["growthbook", "feature-flags", "not-true", "legacy-config-first"],
)
def test_the_cached_flag_switches_it(
    winhome: WinHome,
    credman: Credman,
    usage: ThreadingHTTPServer,
    files: dict[str, object],
    on: bool,
) -> None:
    env, service = own_config(winhome)
    for relative, content in files.items():
        (winhome.linux / relative).write_text(json.dumps(content))
    credman.write(service, [(NAME, login("sk-ant-oat01-credman"))])
    write_file_login(winhome, "sk-ant-oat01-file")
    expected = "sk-ant-oat01-credman" if on else "sk-ant-oat01-file"
    assert refresh(winhome, usage, env) == [f"Bearer {expected}"]
    doctor = winhome.quotaline("doctor", env=env).text
    store = "windows-credman-with-plaintext-fallback (on: the feature flag" if on else "Credential Manager store is off"
    assert store in doctor, doctor


def test_the_flag_in_the_profiles_claude_json(winhome: WinHome, credman: Credman, usage: ThreadingHTTPServer) -> None:
    """No CLAUDE_CONFIG_DIR: the flag in %USERPROFILE%\\.claude.json, the default target."""
    (winhome.linux / ".claude.json").write_text(
        json.dumps({"cachedGrowthBookFeatures": {"tengu_windows_credman": True}})
    )
    credman.write(DEFAULT_SERVICE, [(NAME, login("sk-ant-oat01-by-flag"))])
    write_file_login(winhome, "sk-ant-oat01-file")
    assert refresh(winhome, usage, {}) == ["Bearer sk-ant-oat01-by-flag"]


def test_doctor_names_the_store_and_the_target(winhome: WinHome, credman: Credman) -> None:
    env, service = own_config(winhome)
    on = winhome.quotaline("doctor", env={**env, **FORCE})
    assert "Traceback" not in on.err, on.err
    assert (
        "credential store windows-credman-with-plaintext-fallback (on: CLAUDE_CODE_FORCE_WINDOWS_CREDMAN=1)" in on.text
    )
    assert f"generic credential '{service}/{NAME}'" in on.text, on.text
    assert f"no Credential Manager item '{service}/{NAME}'" in on.text, on.text
    credman.write(service, [(NAME, login("sk-ant-oat01-doctor"))])
    found = winhome.quotaline("doctor", env={**env, **FORCE})
    assert f"found in Credential Manager '{service}/{NAME}'" in found.text, found.text
    assert "sk-ant-oat01-doctor" not in found.text + found.err
    off = winhome.quotaline("doctor", env=env)
    assert "credential store plaintext" in off.text and "Credential Manager store is off" in off.text, off.text


CLAUDE_WIN32 = Path(
    os.environ.get("QUOTALINE_CLAUDE_WIN32_EXE")
    or Path.home() / ".cache" / "quotaline-e2e" / "cc-win32-2.1.337" / "claude.exe"
)


@pytest.mark.parametrize("split", [False, True], ids=["plain", "chunked"])
def test_claude_codes_windows_build_reads_the_same_login(
    winhome: WinHome, credman: Credman, usage: ThreadingHTTPServer, split: bool
) -> None:
    """The premise, against Claude Code's own Windows build (``@anthropic-ai/claude-code-win32-x64``)
    under Wine: ``claude auth status`` finds the login these tests write, where quotaline finds it."""
    if not CLAUDE_WIN32.exists():
        message = (
            f"no {CLAUDE_WIN32}: `npm pack @anthropic-ai/claude-code-win32-x64@2.1.337` and put its claude.exe "
            "there (or QUOTALINE_CLAUDE_WIN32_EXE); .ci/run does"
        )
        if os.environ.get("QUOTALINE_REQUIRE_WINDOWS") == "1":  # CI: never skipped
            pytest.fail(message)
        pytest.skip(message)
    env, service = own_config(winhome)
    value = login("sk-ant-oat01-both-read-it", padding=6000 if split else 0)
    credman.write(service, chunked(value) if split else [(NAME, value)])
    status = subprocess.run(
        [str(WINE), str(CLAUDE_WIN32), "auth", "status"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=winhome.env({**env, **FORCE}),
        cwd=winhome.linux,
        timeout=120,
        check=False,
    )
    said = json.loads(status.stdout)
    assert said["loggedIn"] is True and said["subscriptionType"] == "max", said
    assert refresh(winhome, usage, {**env, **FORCE}) == ["Bearer sk-ant-oat01-both-read-it"]
