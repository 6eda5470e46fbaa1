"""The snapshot's promises on Windows (msvcrt locks, replace under Windows' sharing rules, liveness
through OpenProcess): many hooks at once warn each session once; a writer killed mid-write leaves
a readable snapshot and its temp file is swept at the next write."""

from __future__ import annotations

import json
import subprocess
import time

from helpers.cli import snapshot_with, statusline_stdin, window

from . import winpy
from .winpy import PROFILE_PRELUDE, PYTHON, WINE, WinHome, win

win_source = winpy.win_source  # the fixtures
winhome = winpy.winhome


def busy(home: WinHome) -> None:
    """A snapshot after weeks of use, so every write takes its real time."""
    now = time.time()
    snap = snapshot_with(window("five_hour", 93), window("seven_day", 85, resets_in=273600))
    snap["sessions"] = {f"old-{i}": {"model_id": "claude-opus-5-5", "last_seen": now - i} for i in range(300)}
    snap["history"] = {"five_hour": [[now - 60 * i, 50.0, now + 3600] for i in range(2000)]}
    home.state.mkdir(parents=True, exist_ok=True)
    (home.state / "snapshot-default.json").write_text(json.dumps(snap))


def start(home: WinHome, code: str, stdin: bytes = b"") -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(WINE), str(PYTHON), "-I", "-S", "-c", PROFILE_PRELUDE + code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=home.env(),
        cwd=home.linux,
    )
    assert proc.stdin is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    proc.stdin = None  # written and closed, as Claude Code does: communicate() has nothing to send
    return proc


def hooks_at_once(home: WinHome, sessions: list[str]) -> dict[str, int]:
    """One hook per session, all started together (Claude Code runs one per prompt of a session)."""
    code = (
        f"import sys; sys.path.insert(0, {win(home.source)!r}); from statusline.cli import main; "
        "sys.exit(main(['hook', 'user-prompt-submit']))"
    )
    procs = [
        start(home, code, json.dumps({"session_id": sid, "hook_event_name": "UserPromptSubmit"}).encode())
        for sid in sessions
    ]
    said = dict.fromkeys(sessions, 0)
    for proc, sid in zip(procs, sessions, strict=True):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and b"Traceback" not in err, err
        if out.strip():
            assert json.loads(out)["systemMessage"].startswith("5-hour window at 93%")
            said[sid] += 1
    return said


def test_twenty_hooks_at_once_warn_each_session_once(winhome: WinHome) -> None:
    """The lock (msvcrt) is busy for most of them: their "already warned" is parked, never lost."""
    busy(winhome)
    sessions = [f"s-{i}" for i in range(20)]
    assert hooks_at_once(winhome, sessions) == dict.fromkeys(sessions, 1)
    assert hooks_at_once(winhome, sessions) == dict.fromkeys(sessions, 0)


def test_a_killed_writer_leaves_a_whole_snapshot_and_its_temp_file_is_swept(winhome: WinHome) -> None:
    busy(winhome)
    code = (
        f"import sys, time; sys.path.insert(0, {win(winhome.source)!r})\n"
        "from statusline.core.store import paths, snapshot\n"
        "p = paths.snapshot_path(); n = 0\n"
        "def touch(s):\n"
        "    s['sessions'][f'k{n % 40}'] = {'model_id': 'claude-opus-5-5', 'last_seen': time.time()}\n"
        "    return True\n"
        "while True:\n"
        "    n += 1\n"
        "    snapshot.update(p, touch)\n"
        "    if n == 3: print('writing', flush=True)\n"
    )
    for _ in range(3):
        writer = start(winhome, code)
        time.sleep(3)  # started (under Wine, about a second) and writing
        writer.kill()  # the Windows process dies at once, mid-write or not (as TerminateProcess)
        out, err = writer.communicate(timeout=60)
        assert out.strip() == b"writing", err
        json.loads((winhome.state / "snapshot-default.json").read_text())  # whole, never torn
    result = winhome.quotaline("statusline", stdin=json.dumps(statusline_stdin(95, 17)).encode(), env={"NO_COLOR": "1"})
    assert result.code == 0 and result.text.startswith("5h 95%"), result.text + result.err
    assert json.loads((winhome.state / "snapshot-default.json").read_text())["windows"]["five_hour"]["used_pct"] == 95
    assert not list(winhome.state.glob("*.tmp")), "the dead writer's temp file was swept at the next write"
