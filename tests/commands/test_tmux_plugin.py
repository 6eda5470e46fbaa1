"""The tpm entry point (``quotaline.tmux``) loaded into a real tmux server, read with ``display -p``.

``#()`` jobs belong to the client that asks: a one-shot ``tmux display`` never sees its job's
output, so the status line is read through a control-mode client (``tmux -C``), which stays.
"""

from __future__ import annotations

import re
import secrets
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import REPO, Home, snapshot_with, window

PLUGIN = REPO / "quotaline.tmux"
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


class Tmux:
    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"test-{secrets.token_hex(6)}"
        self.env = env
        self.client: subprocess.Popen[bytes] | None = None

    def __call__(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, env=self.env, timeout=20)
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout.decode().rstrip("\n")

    def display(self, fmt: str) -> str:
        """``display -p fmt`` in the control client: one reply between ``%begin`` and ``%end``."""
        if self.client is None:
            self.client = subprocess.Popen(
                ["tmux", "-L", self.socket, "-C", "attach"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=self.env,
                bufsize=0,  # unbuffered: select() must see every line still unread
            )
        assert self.client.stdin is not None and self.client.stdout is not None
        self.client.stdin.write(f"display -p '{fmt}'\n".encode())
        self.client.stdin.flush()
        reply: list[str] | None = None
        while True:
            ready, _, _ = select.select([self.client.stdout], [], [], 10)
            assert ready, "tmux control client did not answer"
            line = self.client.stdout.readline().decode().rstrip("\n")
            if line.startswith("%begin"):
                reply = []
            elif line.startswith("%end") and reply is not None:
                if reply:  # the attach itself answers with an empty block first
                    return "\n".join(reply)
                reply = None
            elif reply is not None:
                reply.append(line)

    def shown(self, option: str, wanted: str, timeout: float = 15) -> str:
        """``#{E:option}`` as tmux draws it; a ``#()`` job answers on a later redraw, so ask again."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.display(f"#{{E:{option}}}")
            if wanted in text or time.monotonic() > deadline:
                return text
            time.sleep(0.2)


@pytest.fixture
def tmux(home: Home, tmp_path: Path) -> Iterator[Tmux]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "quotaline"  # what install.sh puts on PATH: here, this checkout
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m statusline "$@"\n')
    shim.chmod(0o755)
    server = Tmux({**home.env, "PATH": f"{bin_dir}:{home.env['PATH']}", "TERM": "xterm-256color"})
    server("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "200", "-y", "20")
    try:
        yield server
    finally:
        if server.client is not None:
            server.client.kill()
            server.client.wait()
        subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True, timeout=20)


def test_plugin_interpolates_quotaline_in_status_right(home: Home, tmux: Tmux) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 42), window("seven_day", 96.5, resets_in=86400)))
    tmux("set", "-g", "status-right", "#{quotaline} | %Y")
    tmux("set", "-g", "status-left", "[#S]")
    tmux("run-shell", str(PLUGIN))
    raw = tmux("show", "-gv", "status-right")
    assert raw.startswith("#(") and raw.endswith(" segment --format tmux) | %Y") and "#{quotaline}" not in raw
    assert tmux("show", "-gv", "status-left") == "[#S]"  # no placeholder: left alone
    drawn = tmux.shown("status-right", "5h 42%")
    expected = r"#\[fg=green\]5h 42% 2h1\dm#\[default\] · #\[fg=red\]7d 96.5% \S+#\[default\] \| 2\d{3}"
    assert re.fullmatch(expected, drawn), drawn
    assert tmux("display", "-p", "#{E:status-left}") == "[main]"


def test_plugin_passes_its_arguments(home: Home, tmux: Tmux) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 42), window("seven_day", 17, resets_in=86400)))
    tmux("set", "-g", "@quotaline-args", "--windows seven_day")
    tmux("set", "-g", "status-left", "#{quotaline} ")
    tmux("run-shell", str(PLUGIN))
    drawn = tmux.shown("status-left", "7d 17%")
    assert re.fullmatch(r"#\[fg=green\]7d 17% \S+#\[default\] ", drawn), drawn
