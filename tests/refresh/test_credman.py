"""Claude Code's Windows Credential Manager store, the rules alone (tests/windows proves them on
the Windows CPython against Wine's Credential Manager): which item holds the login, how a chunked
one is put together, and when Claude Code uses that store at all. The Credential Manager here is a
dict behind ``system.read_credential``, the seam's one call."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusline.core import system
from statusline.refresh import credentials

SERVICE = "Claude Code-credentials"
NAME = "claude-code-user"
CHUNK = 2400


def bun_write(store: dict[str, bytes], value: str, service: str = SERVICE) -> None:
    """What Claude Code 2.1.337's writer leaves: the value itself up to one chunk's UTF-8 bytes,
    else base64 chunks and a manifest (the plain item deleted); Bun stores "<service>/<name>"."""
    if len(value.encode("utf-8")) <= CHUNK:
        store[f"{service}/{NAME}"] = value.encode("utf-8")
        return
    text = base64.b64encode(value.encode("utf-8")).decode("ascii")
    count = math.ceil(len(text) / CHUNK)
    for i in range(count):
        store[f"{service}/{NAME}#{i}"] = text[i * CHUNK : (i + 1) * CHUNK].encode("ascii")
    store[f"{service}/{NAME}#m"] = json.dumps({"n": count, "l": len(text)}).encode()
    store.pop(f"{service}/{NAME}", None)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, bytes]:
    items: dict[str, bytes] = {}
    monkeypatch.setattr(system, "read_credential", items.get)
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", raising=False)
    monkeypatch.delenv("CLAUDE_CODE_FORCE_WINDOWS_CREDMAN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return items


def login(token: str, extra: Any = None) -> str:
    return json.dumps({"claudeAiOauth": {"accessToken": token, "subscriptionType": "max"}, "mcpOAuth": extra})


@given(
    token=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40),
    extra=st.text(max_size=9000),
)
def test_any_login_reads_back_as_written(token: str, extra: str) -> None:
    """Any size (one item, or up to a few chunks), any text: the token Claude Code wrote."""
    items: dict[str, bytes] = {}
    bun_write(items, login(token, extra))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(system, "read_credential", items.get)
        mp.delenv("CLAUDE_CONFIG_DIR", raising=False)
        mp.delenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", raising=False)
        answered, found, why = credentials.from_credman()
    assert answered and found is not None, why
    assert found.token == token and found.subscription == "max"
    assert ("chunks" in found.source) == (len(login(token, extra).encode()) > CHUNK)


@pytest.mark.parametrize(
    "manifest",
    [
        '{"n":0,"l":1}',
        '{"n":257,"l":10}',
        '{"n":1,"l":2401}',
        '{"n":true,"l":4}',
        '{"n":"1","l":4}',
        '{"n":1.5,"l":4}',
        "[1,4]",
        "not json",
        "",
    ],
)
def test_a_manifest_claude_code_rejects_leaves_the_plain_item(store: dict[str, bytes], manifest: str) -> None:
    store[f"{SERVICE}/{NAME}"] = login("plain").encode()
    store[f"{SERVICE}/{NAME}#m"] = manifest.encode()
    store[f"{SERVICE}/{NAME}#0"] = base64.b64encode(login("chunk").encode())
    answered, found, _ = credentials.from_credman()
    assert answered and found is not None and found.token == "plain"


def test_a_manifest_is_read_before_the_plain_item(store: dict[str, bytes]) -> None:
    """Claude Code reads "#m" first; a plain item left beside chunks is stale. 1.0 is an integer to it."""
    text = base64.b64encode(login("chunked").encode()).decode()
    store[f"{SERVICE}/{NAME}"] = login("stale").encode()
    store[f"{SERVICE}/{NAME}#0"] = text.encode()
    store[f"{SERVICE}/{NAME}#m"] = json.dumps({"n": 1.0, "l": len(text)}).encode()
    answered, found, _ = credentials.from_credman()
    assert answered and found is not None and found.token == "chunked"


@pytest.mark.parametrize(
    ("blob", "why"),
    [
        (None, "no Credential Manager item"),
        (b"", "no Credential Manager item"),
        (b"{", "is not JSON"),
        (b"null", "holds null"),
        (b"\xff", "is not UTF-8"),
    ],
)
def test_what_sends_claude_code_to_the_file(store: dict[str, bytes], blob: bytes | None, why: str) -> None:
    if blob is not None:
        store[f"{SERVICE}/{NAME}"] = blob
    answered, found, said = credentials.from_credman()
    assert not answered and found is None
    assert said.startswith(why) or why in said, said
    assert f"'{SERVICE}/{NAME}'" in said


def test_an_unreadable_store_says_why(monkeypatch: pytest.MonkeyPatch, store: dict[str, bytes]) -> None:
    def refuse(target: str) -> bytes | None:
        raise PermissionError(5, "Access is denied")

    monkeypatch.setattr(system, "read_credential", refuse)
    answered, _, why = credentials.from_credman()
    assert not answered and "could not be read" in why and "Access is denied" in why


def test_the_target_follows_the_config_dir(monkeypatch: pytest.MonkeyPatch, store: dict[str, bytes]) -> None:
    """The Keychain's service (sha256 of the NFC config dir), then "/claude-code-user"."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", "C:\\Users\\me\\.claude-work")
    assert credentials.credman_target() == f"{credentials.keychain_service()}/{NAME}"
    assert credentials.credman_target().startswith(f"{SERVICE}-")


@pytest.mark.parametrize(
    ("files", "env", "on"),
    [
        ({}, {"CLAUDE_CODE_FORCE_WINDOWS_CREDMAN": "1"}, True),
        ({}, {"CLAUDE_CODE_FORCE_WINDOWS_CREDMAN": "true"}, False),
        ({".claude.json": {"cachedGrowthBookFeatures": {"tengu_windows_credman": True}}}, {}, True),
        (
            {".claude.json": {"cachedGrowthBookFeatures": None, "cachedFeatureFlags": {"tengu_windows_credman": True}}},
            {},
            True,
        ),
        (
            {".claude.json": {"cachedGrowthBookFeatures": {}, "cachedFeatureFlags": {"tengu_windows_credman": True}}},
            {},
            False,
        ),
        ({".claude.json": {"cachedGrowthBookFeatures": {"tengu_windows_credman": 1}}}, {}, False),
        (
            {".claude/.config.json": "", ".claude.json": {"cachedGrowthBookFeatures": {"tengu_windows_credman": True}}},
            {},
            True,
        ),
        ({".claude/.config.json": {"cachedGrowthBookFeatures": {"tengu_windows_credman": True}}}, {}, True),
        (
            {
                ".claude/.config.json": "{",
                ".claude.json": {"cachedGrowthBookFeatures": {"tengu_windows_credman": True}},
            },
            {},
            False,
        ),
        ({".claude.json": None}, {}, False),
    ],
)
def test_when_claude_code_uses_the_credential_manager(
    store: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, Any],
    env: dict[str, str],
    on: bool,
) -> None:
    for relative, content in files.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert bool(credentials.credman_switch()) is on


@pytest.fixture
def windows(store: dict[str, bytes], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The Windows branches of ``credentials`` (their platform calls are the stand-in above), with
    Claude Code's switch on and a config dir of this test's."""
    monkeypatch.setattr(system, "IS_WINDOWS", True)
    monkeypatch.setattr(system, "IS_MACOS", False)
    monkeypatch.setenv("CLAUDE_CODE_FORCE_WINDOWS_CREDMAN", "1")
    monkeypatch.delenv("CLAUDE_CODE_OAUTH_TOKEN", raising=False)
    config = tmp_path / ".claude"
    config.mkdir()
    return config


def test_an_item_without_a_login_is_final(windows: Path, store: dict[str, bytes]) -> None:
    """Claude Code takes any item the Credential Manager holds: a file login beside it is not read."""
    store[f"{SERVICE}/{NAME}"] = json.dumps({"mcpOAuth": {}}).encode()
    (windows / ".credentials.json").write_text(login("file"))
    found, why = credentials.load()
    assert found is None and f"no claudeAiOauth in Credential Manager '{SERVICE}/{NAME}'" in why, why
    assert credentials.store() == "windows-credman-with-plaintext-fallback"


def test_the_plan_comes_from_the_credential_manager(windows: Path, store: dict[str, bytes]) -> None:
    """The plan for the sources that need no token: no file left (Claude Code removes it once the
    Credential Manager holds the login)."""
    bun_write(store, login("credman"))
    assert credentials.file_plan() == "max"
    found, _ = credentials.load()
    assert found is not None and found.token == "credman"


def test_a_python_without_ctypes_says_so(monkeypatch: pytest.MonkeyPatch, store: dict[str, bytes]) -> None:
    def no_ctypes(target: str) -> bytes | None:
        raise ImportError("No module named '_ctypes'")

    monkeypatch.setattr(system, "read_credential", no_ctypes)
    answered, _, why = credentials.from_credman()
    assert not answered and why.endswith("could not be read (this Python has no ctypes)"), why


@given(chunk=st.text(max_size=60), nested=st.integers(min_value=0, max_value=100_000))
def test_any_chunk_or_manifest_is_an_answer_never_an_exception(chunk: str, nested: int) -> None:
    """Whatever the chunks hold (non-ASCII text made b64decode raise a bare ValueError) and however
    deep the manifest nests (RecursionError): a sentence, and the file after it."""
    items = {
        f"{SERVICE}/{NAME}#m": json.dumps({"n": 1, "l": len(chunk)}).encode(),
        f"{SERVICE}/{NAME}#0": chunk.encode("utf-8"),
    }
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(system, "read_credential", items.get)
        mp.delenv("CLAUDE_CONFIG_DIR", raising=False)
        mp.delenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", raising=False)
        answered, found, said = credentials.from_credman()
        assert answered == (found is not None) and (found is not None or said)
        items[f"{SERVICE}/{NAME}#m"] = b"[" * nested + b"]" * nested
        items[f"{SERVICE}/{NAME}"] = login("plain").encode()
        answered, found, _ = credentials.from_credman()
        assert answered and found is not None and found.token == "plain"  # a manifest it cannot read: the item
