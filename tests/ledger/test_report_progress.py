"""``quotaline report``'s first-scan progress, in a real process: on a terminal (a pty) it shows the
bytes read of the total, the rate and the time left; on a pipe it says nothing."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import REPO
from helpers.ledger import asst, prompt, write

T0 = 1_780_000_000.0


def _tree(root: Path) -> None:
    lines: list[str | bytes] = []
    for i in range(400):
        lines.append(prompt(f"task {i}", ts=T0 + i * 60, uuid=f"u{i}"))
        lines.append(asst(f"msg_{i}", f"req_{i}", ts=T0 + i * 60 + 5, out=i + 1,
                          content=[{"type": "text", "text": "x" * 2000}]))
    write(root / "projects" / "-work-a" / "s1.jsonl", lines)


def _report(tmp_path: Path, stderr: int) -> subprocess.Popen[bytes]:
    _tree(tmp_path / "claude")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path / "home"),
        "CLAUDE_CONFIG_DIR": str(tmp_path / "claude"), "QUOTALINE_STATE_DIR": str(tmp_path / "state"),
        "QUOTALINE_PROGRESS_AFTER": "0",  # a small tree reads in well under the second
        "PYTHONPATH": str(REPO),
    }
    return subprocess.Popen([sys.executable, "-m", "statusline", "report", "--since", "30000d"],
                            stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, env=env, cwd=tmp_path)


@pytest.mark.skipif(sys.platform == "win32", reason="no pty on Windows")
def test_progress_shows_on_a_terminal(tmp_path: Path) -> None:
    import pty

    master, slave = pty.openpty()
    proc = _report(tmp_path, slave)
    os.close(slave)
    said = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        assert ready, "no end of output"
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        said += chunk
    out = proc.stdout.read() if proc.stdout else b""
    assert proc.wait(timeout=30) == 0
    os.close(master)
    text = said.decode()
    assert "reading transcripts: " in text, text
    last = text.rstrip().rsplit("\r", 1)[-1]
    assert " of " in last and " MB, " in last and "MB/s" in last and last.endswith("done\x1b[K"), last
    assert b"TOTAL" in out


def test_progress_says_nothing_on_a_pipe(tmp_path: Path) -> None:
    proc = _report(tmp_path, subprocess.PIPE)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert err == b"", err
    assert b"TOTAL" in out
