"""The platform seam (statusline/core/system): one place asks which platform this is, and its
answers agree with platformdirs. The Windows half runs on the Windows CPython: tests/windows."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest
from helpers.cli import REPO
from hypothesis import given
from hypothesis import strategies as st

SEAM = ("statusline/core/system/", "statusline/core/system/fastos.py")
KINDS = ("state", "config", "data", "cache")


def _platform_questions(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in (("sys", "platform"), ("os", "name"), ("platform", "system")):
                lines.append(node.lineno)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.module in ("sys", "os", "platform")
            and any(alias.name in ("platform", "name", "system") for alias in node.names)
        ):
            lines.append(node.lineno)
    return lines


def test_only_the_seam_asks_which_platform() -> None:
    found = []
    for path in sorted((REPO / "statusline").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith(SEAM):
            continue
        found += [f"{rel}:{line}" for line in _platform_questions(ast.parse(path.read_text(encoding="utf-8")))]
    assert not found, "ask statusline.core.system instead: " + ", ".join(found)


def _quotaline_dirs(env: dict[str, str]) -> dict[str, str]:
    """The seam's answers in a fresh interpreter: the platform is chosen once, at import."""
    code = "import json; from statusline.core import system; print(json.dumps({k: system.user_dir(k) for k in %r}))"
    out = subprocess.run(
        [sys.executable, "-c", code % (KINDS,)],
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(json.loads(out))


def _platformdirs(cls: type, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for var in ("HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    dirs = cls("quotaline")
    return {kind: getattr(dirs, f"user_{kind}_dir") for kind in KINDS}


XDG_CASES = {
    "no XDG": {},
    "all XDG": {k: f"/x/{k.lower()}" for k in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")},
    "state only": {"XDG_STATE_HOME": "/x/state"},
    "relative XDG ignored": {"XDG_STATE_HOME": "rel/state", "XDG_CACHE_HOME": "cache"},
}


@pytest.mark.parametrize("case", XDG_CASES)
def test_linux_dirs_are_platformdirs(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs.unix import Unix

    env = {"HOME": str(tmp_path), **XDG_CASES[case]}
    assert _quotaline_dirs(env) == _platformdirs(Unix, env, monkeypatch)


@pytest.mark.parametrize("case", XDG_CASES)
def test_macos_dirs_are_platformdirs_xdg_included(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """platformdirs honours XDG_* on macOS (since 4.6); so does quotaline (it did not: issue 21)."""
    from platformdirs.macos import MacOS

    env = {"HOME": str(tmp_path), **XDG_CASES[case]}
    assert _quotaline_dirs({**env, "QUOTALINE_SIMULATE_PLATFORM": "darwin"}) == _platformdirs(MacOS, env, monkeypatch)


def test_this_platforms_dirs_are_platformdirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "s")}
    expected = _platformdirs(platformdirs.PlatformDirs, env, monkeypatch)
    assert _quotaline_dirs(env) == expected


def test_liveness_of_processes() -> None:
    from statusline.core import system

    assert system.alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not system.alive(child.pid)


def _ps_unquote(literal: str) -> str:
    """PowerShell's reading of a single-quoted string (any of its quote characters, doubled
    inside); fails if a quote ends it before its last character."""
    quotes = "'\u2018\u2019\u201a\u201b"
    assert literal[0] in quotes and literal[-1] in quotes
    out, i, body = [], 0, literal[1:-1]
    while i < len(body):
        if body[i] in quotes:
            assert i + 1 < len(body) and body[i + 1] in quotes, "the literal ends early: the rest would be code"
            i += 1
        out.append(body[i])
        i += 1
    return "".join(out)


@given(st.text())
def test_toast_text_is_a_powershell_literal(text: str) -> None:
    """The Windows toast's text reaches PowerShell only inside single-quoted literals."""
    from statusline.refresh import notify

    assert _ps_unquote(notify.ps_literal(text)) == text
