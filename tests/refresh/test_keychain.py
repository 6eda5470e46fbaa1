"""Claude Code's login on macOS, read as Claude Code stores it: the Keychain item first (its
service, account and overflow named as the 2.1.337 binary names them), the credentials file only
when the Keychain holds nothing. The darwin branches run on Linux (QUOTALINE_SIMULATE_PLATFORM)
against stand-ins of ``security`` and ``osascript`` (tests/helpers/macos_standins.py); the token read is
proved by what a real server on loopback receives."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import string
import subprocess
import time
import unicodedata
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from helpers import macos_standins
from helpers.cli import FIXTURES, Home
from helpers.usage_server import live_fixture
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from statusline.refresh import credentials, notify

USAGE = "/api/oauth/usage"
SERVICE = "Claude Code-credentials"
TOKEN = "sk-ant-oat01-KEYCHAIN-token-0123456789"
STALE = "sk-ant-oat01-STALE-file-token-0123456789"
DECOY = "sk-ant-oat01-DECOY-other-item-0123456789"


def login(token: str, expires_in: float = 3600) -> dict[str, Any]:
    shape: dict[str, Any] = json.loads((FIXTURES / "credentials" / "credentials_json_shape.redacted.json").read_text())
    shape["claudeAiOauth"]["accessToken"] = token
    shape["claudeAiOauth"]["expiresAt"] = int((time.time() + expires_in) * 1000)
    return shape


def item(account: str, service: str, blob: Any, **extra: Any) -> dict[str, Any]:
    return {"account": account, "service": service, "password": json.dumps(blob), **extra}


def suffixed(basis: str) -> str:
    return f"{SERVICE}-{hashlib.sha256(unicodedata.normalize('NFC', basis).encode()).hexdigest()[:8]}"


@pytest.fixture
def mac(home: Home, httpserver: HTTPServer, tmp_path: Path) -> Home:
    home.env.update(
        macos_standins.install(tmp_path / "bin", tmp_path / "keychain.json"),
        PATH=f"{tmp_path / 'bin'}:{home.env['PATH']}",
        USER="alice",
        QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"),
        QUOTALINE_CLAUDE_JSON="0",
        NO_COLOR="1",
    )
    httpserver.expect_request(USAGE).respond_with_json(live_fixture("oauth_2025-11_legacy_minimal.json")[0])
    return home


def keychain(home: Home, *items: dict[str, Any], locked: bool = False) -> Path:
    path = Path(home.env["QUOTALINE_FAKE_KEYCHAIN"])
    macos_standins.write_keychain(path, list(items), locked)
    return path


def sent(home: Home, server: HTTPServer, env: dict[str, str] | None = None) -> str | None:
    """The bearer token a refresh sent to the usage endpoint (None: it sent nothing)."""
    result = home.run("refresh", "--force", env=env)
    got = [r.headers["Authorization"] for r, _ in server.log if r.path == USAGE]
    server.log.clear()
    assert (result.code == 0) == bool(got), result.err
    return got[-1].removeprefix("Bearer ") if got else None


def test_default_item_read_for_this_user_only(mac: Home, httpserver: HTTPServer) -> None:
    path = keychain(mac, item("bob", SERVICE, login(DECOY)), item("alice", SERVICE, login(TOKEN)))
    assert sent(mac, httpserver) == TOKEN
    assert macos_standins.calls(path) == [["find-generic-password", "-a", "alice", "-w", "-s", SERVICE]]
    assert sent(mac, httpserver, env={"QUOTALINE_SIMULATE_PLATFORM": "linux"}) is None  # no Keychain there
    assert len(macos_standins.calls(path)) == 1


def test_a_user_name_with_a_space_reads_claude_code_user(mac: Home, httpserver: HTTPServer) -> None:
    keychain(mac, item("Jane Doe", SERVICE, login(DECOY)), item("claude-code-user", SERVICE, login(TOKEN)))
    assert sent(mac, httpserver, env={"USER": "Jane Doe"}) == TOKEN


def test_an_nfd_config_dir_hashes_as_nfc(mac: Home, httpserver: HTTPServer) -> None:
    nfd = str(mac.root / unicodedata.normalize("NFD", "Café claude"))
    assert nfd != unicodedata.normalize("NFC", nfd)
    keychain(
        mac,
        item("alice", SERVICE, login(DECOY)),
        item("alice", f"{SERVICE}-{hashlib.sha256(nfd.encode()).hexdigest()[:8]}", login(DECOY)),
        item("alice", suffixed(nfd), login(TOKEN)),
    )
    assert sent(mac, httpserver, env={"CLAUDE_CONFIG_DIR": nfd}) == TOKEN


def test_the_config_dir_is_hashed_as_spelled(mac: Home, httpserver: HTTPServer) -> None:
    spelled = "~/work claude/"  # Claude Code hashes the variable's text: not expanded, not resolved
    keychain(mac, item("alice", suffixed(spelled), login(TOKEN)))
    assert sent(mac, httpserver, env={"CLAUDE_CONFIG_DIR": spelled}) == TOKEN


def test_securestorage_config_dir_replaces_the_config_dir(mac: Home, httpserver: HTTPServer) -> None:
    other = str(mac.root / "secure")
    keychain(
        mac,
        item("alice", suffixed("/somewhere/else"), login(DECOY)),
        item("alice", suffixed(other), login(TOKEN)),
        item("alice", SERVICE, login(STALE)),
    )
    env = {"CLAUDE_CONFIG_DIR": "/somewhere/else", "CLAUDE_SECURESTORAGE_CONFIG_DIR": other}
    assert sent(mac, httpserver, env=env) == TOKEN
    # Set but empty: no suffix at all, whatever CLAUDE_CONFIG_DIR says.
    keychain(mac, item("alice", suffixed("/somewhere/else"), login(DECOY)), item("alice", SERVICE, login(TOKEN)))
    env["CLAUDE_SECURESTORAGE_CONFIG_DIR"] = ""
    assert sent(mac, httpserver, env=env) == TOKEN


def test_securestorage_config_dir_also_moves_the_credentials_file(mac: Home, httpserver: HTTPServer) -> None:
    secure = mac.root / "secure"
    secure.mkdir()
    (secure / ".credentials.json").write_text(json.dumps(login(TOKEN)))
    keychain(mac)  # nothing in the Keychain: the file fallback, in Claude Code's place for it
    env = {"CLAUDE_SECURESTORAGE_CONFIG_DIR": str(secure), "QUOTALINE_SIMULATE_PLATFORM": "linux"}
    assert sent(mac, httpserver, env=env) == TOKEN
    assert sent(mac, httpserver, env={**env, "QUOTALINE_SIMULATE_PLATFORM": "darwin"}) == TOKEN


def test_a_stale_file_beside_a_keychain_login_is_not_read(mac: Home, httpserver: HTTPServer) -> None:
    mac.claude.mkdir()
    (mac.claude / ".credentials.json").write_text(json.dumps(login(STALE, expires_in=-86400)))
    keychain(mac, item("alice", SERVICE, login(TOKEN)))
    assert sent(mac, httpserver) == TOKEN
    doctor = mac.run("doctor", "--no-timing").out
    assert f"found in Keychain '{SERVICE}'" in doctor and "expired" not in doctor


def test_the_file_when_the_keychain_holds_nothing(mac: Home, httpserver: HTTPServer) -> None:
    mac.claude.mkdir()
    (mac.claude / ".credentials.json").write_text(json.dumps(login(TOKEN)))
    path = keychain(mac, item("bob", SERVICE, login(DECOY)))  # another account's item is not ours
    assert sent(mac, httpserver) == TOKEN
    keychain(mac, item("alice", SERVICE, login(DECOY)), locked=True)
    assert sent(mac, httpserver) == TOKEN
    assert len(macos_standins.calls(path)) == 2  # asked first, each time


def test_neither_says_both_places(mac: Home, httpserver: HTTPServer) -> None:
    keychain(mac)
    result = mac.run("refresh")
    assert result.code == 1
    assert f"no Keychain item '{SERVICE}' (account 'alice')" in result.err and ".credentials.json missing" in result.err


@pytest.mark.slow
def test_a_keychain_that_does_not_answer_costs_two_seconds(mac: Home, httpserver: HTTPServer) -> None:
    mac.claude.mkdir()
    (mac.claude / ".credentials.json").write_text(json.dumps(login(TOKEN)))
    path = keychain(mac, item("alice", SERVICE, login(DECOY), delay=8))
    started = time.monotonic()
    assert sent(mac, httpserver) == TOKEN  # Claude Code too reads the file when the Keychain fails
    assert time.monotonic() - started < 7 and len(macos_standins.calls(path)) == 1


def seal(sections: dict[str, Any], key: bytes) -> str:
    aead = pytest.importorskip("cryptography.hazmat.primitives.ciphers.aead", reason="the keychain extra")
    iv = os.urandom(12)
    return base64.b64encode(iv + aead.AESGCM(key).encrypt(iv, json.dumps(sections).encode(), None)).decode()


def overflowed(token: str, org: str = "org-1", slot: str = "a") -> tuple[dict[str, Any], dict[str, Any]]:
    """A main item whose login Claude Code moved out (an enterprise gateway's section made the item
    grow past 4032 bytes: the login moves with the organisation's sections) and its overflow item."""
    key = os.urandom(32)
    main = {
        "organizationUuid": org,
        "mcpOAuth": {},
        "keychainOverflow": {
            "slot": slot,
            "key": base64.b64encode(key).decode(),
            "login": "0123456789abcdef",
            "organizationUuid": org,
            "member": "fedcba9876543210",
        },
    }
    sealed = seal({"claudeAiOauth": login(token)["claudeAiOauth"], "enterpriseGateway": {"x": 1}}, key)
    return main, {"account": "alice", "service": f"{SERVICE}-overflow-{slot}", "password": sealed}


def test_a_login_moved_to_the_overflow_item_is_read(mac: Home, httpserver: HTTPServer) -> None:
    main, extra = overflowed(TOKEN, slot="b")
    mac.claude.mkdir()
    (mac.claude / ".credentials.json").write_text(json.dumps(login(STALE)))
    keychain(mac, item("alice", SERVICE, main), extra)
    assert sent(mac, httpserver) == TOKEN


def test_an_overflow_of_another_organisation_or_gone_is_no_login(mac: Home, httpserver: HTTPServer) -> None:
    main, extra = overflowed(TOKEN)
    main["keychainOverflow"]["organizationUuid"] = "org-2"
    keychain(mac, item("alice", SERVICE, main), extra)
    assert sent(mac, httpserver) is None
    main, _ = overflowed(TOKEN)
    keychain(mac, item("alice", SERVICE, main))  # the overflow item is gone: the login is absent
    result = mac.run("refresh", "--force")
    assert result.code == 1 and "no claudeAiOauth in Keychain" in result.err


def test_a_non_printable_item_printed_in_hex_is_read(mac: Home, httpserver: HTTPServer) -> None:
    blob = login(TOKEN)
    blob["claudeAiOauth"]["subscriptionType"] = "max\u00e9"  # security -w prints such data in hex
    keychain(mac, {"account": "alice", "service": SERVICE, "password": json.dumps(blob, ensure_ascii=False)})
    assert sent(mac, httpserver) == TOKEN


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), min_size=1, max_size=12))
def test_the_account_is_user_only_when_claude_code_would_use_it(user: str) -> None:
    saved = os.environ.get("USER")
    try:
        os.environ["USER"] = user
        plain = all(c in string.ascii_letters + string.digits + "._-" for c in user)
        assert credentials.keychain_account() == (user if plain else "claude-code-user")
    finally:
        if saved is None:
            os.environ.pop("USER", None)
        else:
            os.environ["USER"] = saved


def test_osascript_notifications_are_built_from_argv(mac: Home, httpserver: HTTPServer, tmp_path: Path) -> None:
    """A label with quotes, backslashes and AppleScript of its own arrives as text, through the
    one constant script; notify-send on PATH too is not chosen on a Mac."""
    send = tmp_path / "bin" / "notify-send"
    send.write_text("#!/bin/sh\necho called >> \"$0.log\"\n")
    send.chmod(0o755)
    data, _ = live_fixture("oauth_2025-11_legacy_minimal.json")
    data["five_hour"]["utilization"] = 97
    httpserver.clear()
    httpserver.expect_request(USAGE).respond_with_json(data)
    keychain(mac, item("alice", SERVICE, login(TOKEN)))
    assert mac.run("refresh", env={"QUOTALINE_NOTIFY": "1"}).code == 0
    shown = [json.loads(line) for line in Path(mac.env["QUOTALINE_FAKE_OSASCRIPT_LOG"]).read_text().splitlines()]
    assert [s["title"] for s in shown] == ["quotaline"] and "97%" in shown[0]["text"]
    assert not Path(f"{send}.log").exists()
    nasty = 'at 96%" & (do shell script "touch /tmp/pwned") & "\\ \u2014 end'
    alert = SimpleNamespace(level=2, text=nasty)
    argv = notify.argv(alert, ("osascript", str(tmp_path / "bin" / "osascript")))  # type: ignore[arg-type]
    subprocess.run(argv, env=mac.env, check=True)
    shown = [json.loads(line) for line in Path(mac.env["QUOTALINE_FAKE_OSASCRIPT_LOG"]).read_text().splitlines()]
    assert shown[-1]["title"] == "quotaline" and shown[-1]["text"] == nasty and argv[2] == notify.APPLESCRIPT


def test_doctor_names_the_platform_python_and_credential_store(mac: Home) -> None:
    import platform

    doc = mac.run("doctor", "--no-timing").out
    assert f"macOS (simulated on linux: QUOTALINE_SIMULATE_PLATFORM); CPython {platform.python_version()}" in doc
    assert f"credential store keychain-with-plaintext-fallback: Keychain item '{SERVICE}' (account 'alice')" in doc
    linux = mac.run("doctor", "--no-timing", env={"QUOTALINE_SIMULATE_PLATFORM": "linux"}).out
    assert f"credential store plaintext: {mac.claude / '.credentials.json'}" in linux
