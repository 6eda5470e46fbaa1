"""quotaline on the official Windows CPython (under Wine), as processes: what a Windows user runs.

Each test starts ``python.exe`` under Wine with a Windows profile of its own (``USERPROFILE``,
``LOCALAPPDATA``; no ``HOME``), the way Claude Code starts the status line and hooks there.
"""

from __future__ import annotations

import json
import subprocess
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from helpers.cli import FIXTURES, REPO, snapshot_with, statusline_stdin, window

from . import winpy
from .winpy import PYTHON, WINE, WinHome, win

win_source = winpy.win_source  # the fixtures
winhome = winpy.winhome

HOOK_STDIN = (FIXTURES / "hooks" / "userpromptsubmit_stdin.json").read_bytes()
TOKEN = "sk-ant-oat01-windows-test-token"


def stdin_of(five: float | None, seven: float | None) -> bytes:
    return json.dumps(statusline_stdin(five, seven)).encode()


def write_snapshot(home: WinHome, snap: dict[str, Any]) -> None:
    home.state.mkdir(parents=True, exist_ok=True)
    (home.state / "snapshot-default.json").write_text(json.dumps(snap))


def read_snapshot(home: WinHome) -> dict[str, Any]:
    return dict(json.loads((home.state / "snapshot-default.json").read_text()))


def test_the_console_is_cp1252_there(winhome: WinHome) -> None:
    """The premise of the UTF-8 tests: a piped Windows interpreter writes cp1252 unless told."""
    out = winhome.python("import sys; print(sys.stdout.encoding, sys.platform)")
    assert out.text.split() == ["cp1252", "win32"]


def test_the_status_line_shows_claude_codes_numbers_in_utf8(winhome: WinHome) -> None:
    result = winhome.quotaline("statusline", stdin=stdin_of(42, 17), env={"NO_COLOR": "1"})
    assert result.code == 0, result.err
    assert result.text.startswith("5h 42% ") and "7d 17%" in result.text, result.text
    assert "\u00b7" in result.text  # the separator, as UTF-8 bytes (cp1252 would write b"\xb7")
    assert b"\r" not in result.out


def test_the_status_line_keeps_them_in_the_snapshot(winhome: WinHome) -> None:
    assert winhome.quotaline("statusline", stdin=stdin_of(42, 17)).code == 0
    snap = read_snapshot(winhome)  # %LOCALAPPDATA%\quotaline\quotaline, as platformdirs says
    assert snap["windows"]["five_hour"]["used_pct"] == 42
    later = winhome.quotaline("statusline", stdin=stdin_of(None, None), env={"NO_COLOR": "1"})
    assert later.text.startswith("5h 42% "), later.text + later.err


def test_a_stale_reading_draws_its_sign_in_utf8(winhome: WinHome) -> None:
    """ "≥" has no cp1252 byte: written through a cp1252 stdout it raised, and the line said "unavailable"."""
    write_snapshot(winhome, snapshot_with(window("five_hour", 42, age=3600)))
    result = winhome.quotaline("statusline", env={"NO_COLOR": "1"})
    assert "\u226542%" in result.text, result.text + result.err


def test_the_dirs_are_platformdirs_answers(winhome: WinHome) -> None:
    code = (
        f"import sys, json; sys.path.insert(0, {win(winhome.source)!r}); import platformdirs; "
        "from statusline.core.store import paths; from statusline.core import system; "
        "print(json.dumps([[system.user_dir(k), getattr(platformdirs, f'user_{k}_dir')('quotaline')] "
        "for k in ('state', 'config', 'data', 'cache')] + [[paths.claude_config_dir(), "
        "__import__('os').path.expanduser('~/.claude').replace('/', chr(92))]]))"
    )
    # platformdirs asks Windows for the known folders (SHGetKnownFolderPath), not the environment:
    # compared in the profile Wine made, where the two agree as on Windows.
    result = winhome.python(code, flags=("-I",), own_profile=False)
    assert result.code == 0, result.err
    pairs = json.loads(result.text)
    assert pairs[0][0].endswith("\\AppData\\Local\\quotaline\\quotaline"), pairs
    for ours, theirs in pairs:
        assert ours == theirs


def test_the_hook_warns_once(winhome: WinHome) -> None:
    """A warning and its dedupe entry, written under the lock (msvcrt) and replaced atomically."""
    write_snapshot(winhome, snapshot_with(window("five_hour", 93, resets_in=2280)))
    first = winhome.quotaline("hook", "user-prompt-submit", stdin=HOOK_STDIN)
    assert first.code == 0, first.err
    assert json.loads(first.text)["systemMessage"].startswith("5-hour window at 93%")
    again = winhome.quotaline("hook", "user-prompt-submit", stdin=HOOK_STDIN)
    assert again.code == 0 and again.out == b"", again.text


def test_segment_status_and_doctor(winhome: WinHome) -> None:
    write_snapshot(winhome, snapshot_with(window("five_hour", 42), window("seven_day", 17)))
    segment = winhome.quotaline("segment", env={"NO_COLOR": "1"})
    assert segment.code == 0 and segment.text.startswith("5h 42%"), segment.text + segment.err
    status = winhome.quotaline("status")
    assert status.code == 0 and "42%" in status.text and "Traceback" not in status.err, status.text + status.err
    doctor = winhome.quotaline("doctor")
    assert "Traceback" not in doctor.text + doctor.err, doctor.err
    assert win(winhome.state) in doctor.text, doctor.text


def test_the_hot_path_comes_from_its_bundle_from_the_second_run(winhome: WinHome, tmp_path: Path) -> None:
    """The import bundle (statusline/cli.py) on Windows: written once, then read, not written again.
    It was POSIX-only (and the embeddable build's ._pth file defeats -S), so every Windows run
    imported some thirty modules one by one."""
    home = WinHome(winhome.linux, winpy.copy_source(REPO, tmp_path / "src"), {})
    assert home.quotaline("statusline", stdin=stdin_of(42, 17)).code == 0
    (bundle,) = (home.source / "statusline" / "__pycache__").glob("hot.*.bundle")
    written = bundle.stat().st_mtime_ns
    probe = (
        f"import sys; sys.path.insert(0, {win(home.source)!r}); from statusline import cli; "
        "code = cli.main(['statusline']); "
        "print(sum(getattr(m.__spec__, 'loader', None) is cli._Finder for m in list(sys.modules.values())), "
        "file=sys.stderr); sys.exit(code)"
    )
    result = home.python(probe, stdin=stdin_of(42, 17), env={"NO_COLOR": "1"})
    assert result.code == 0 and result.text.startswith("5h 42% "), (result.text, result.err)
    assert int(result.err.split()[-1]) >= 20, result.err  # served from the bundle, not found one by one
    assert bundle.stat().st_mtime_ns == written  # its stamp held: not written again


def test_stdin_held_open_never_hangs(winhome: WinHome) -> None:
    """A writer that keeps the pipe open: reading stops at the complete object (no select on a pipe
    there), or at the budget when the object never completes."""
    code = (
        f"import sys; sys.path.insert(0, {win(winhome.source)!r}); from statusline.cli import main; "
        "sys.exit(main(['statusline']))"
    )
    for data, expect in ((stdin_of(42, 17), "5h 42%"), (stdin_of(42, 17)[:-5], "")):
        proc = subprocess.Popen(
            [str(WINE), str(PYTHON), "-I", "-S", "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=winhome.env({"NO_COLOR": "1"}),
        )
        assert proc.stdin is not None
        proc.stdin.write(data)
        proc.stdin.flush()
        assert proc.stdout is not None
        try:
            out = proc.stdout.read()  # EOF once the process exits: its stdin is still open
        finally:
            proc.stdin.close()
            proc.wait(timeout=60)
        assert expect in out.decode("utf-8"), out
        assert proc.returncode == 0


def test_refresh_reads_the_credentials_file_and_the_loopback_server(
    winhome: WinHome, usage: ThreadingHTTPServer
) -> None:
    """%USERPROFILE%\\.claude\\.credentials.json, httpx and pydantic's Windows wheels, 127.0.0.1."""
    winhome.claude.mkdir()
    creds = {
        "claudeAiOauth": {
            "accessToken": TOKEN,
            "expiresAt": int((time.time() + 3600) * 1000),
            "subscriptionType": "max",
            "scopes": ["user:inference", "user:profile"],
        }
    }
    (winhome.claude / ".credentials.json").write_text(json.dumps(creds))
    result = winhome.quotaline("refresh", "--force", env=winpy.refresh_env(usage))
    assert result.code == 0, result.text + result.err
    assert usage.seen == [f"Bearer {TOKEN}"]  # type: ignore[attr-defined]
    windows = read_snapshot(winhome)["windows"]
    assert windows and all(w["source"] == "oauth" for w in windows.values()), windows


def test_the_status_line_starts_the_refresher_detached(winhome: WinHome, usage: ThreadingHTTPServer) -> None:
    """No QUOTALINE_NO_SPAWN: the status line returns at once and the refresher it started (no
    console, its own process group) fills the snapshot from the server."""
    env = {**winpy.refresh_env(usage), "QUOTALINE_NO_SPAWN": "", "CLAUDE_CODE_OAUTH_TOKEN": TOKEN}
    result = winhome.quotaline("statusline", stdin=stdin_of(42, 17), env=env)
    assert result.code == 0 and "5h 42%" in result.text, result.err
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if usage.seen and any(w.get("source") == "oauth" for w in read_snapshot(winhome)["windows"].values()):  # type: ignore[attr-defined]
            break
        time.sleep(0.5)
    assert usage.seen == [f"Bearer {TOKEN}"], read_snapshot(winhome)  # type: ignore[attr-defined]


def test_overrides_take_windows_paths(winhome: WinHome) -> None:
    """``~`` is %USERPROFILE%, a relative path is the cwd's, a drive letter is absolute (ntpath's rules)."""
    code = (
        f"import sys, json; sys.path.insert(0, {win(winhome.source)!r}); from statusline.core.store import paths; "
        "print(json.dumps([paths.user_state_dir(), paths.claude_config_dir(), paths.user_config_dir()]))"
    )
    env = {"QUOTALINE_STATE_DIR": "~\\qstate", "CLAUDE_CONFIG_DIR": "sub\\.claude", "QUOTALINE_CONFIG_DIR": "Z:\\cfg"}
    result = winhome.python(code, env=env)
    assert json.loads(result.text) == [
        winhome.profile + "\\qstate",
        winhome.profile + "\\sub\\.claude",
        "Z:\\cfg",
    ], result.err
