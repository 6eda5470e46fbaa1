"""``segment --format zsh``: a zsh prompt expands ``%`` sequences in what a command printed, so a
plain ``42%`` loses its sign; this format escapes it and colours with ``%F{...}`` (real zsh)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest
from helpers.cli import Home, snapshot_with, window

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def prompt(home: Home, fmt: str, *, colour: bool) -> str:
    """What zsh shows for a prompt made of the segment's output (``print -P``: prompt expansion)."""
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh missing (.ci/run installs Debian's zsh)")
    env = dict(home.env, PY=sys.executable, FMT=fmt, TERM="xterm-256color")
    if not colour:
        env["NO_COLOR"] = "1"
    script = 'out=$("$PY" -m statusline segment --format "$FMT" --windows five_hour,seven_day); print -rnP -- "$out"'
    done = subprocess.run([zsh, "-f", "-c", script], capture_output=True, text=True, env=env, cwd=home.root, timeout=30)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_a_zsh_prompt_shows_the_percent_signs_and_the_colours(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 42), window("seven_day", 100)))
    plain = home.run("segment", "--format", "plain", "--windows", "five_hour,seven_day", env={"NO_COLOR": "1"})
    expected = plain.out.strip()
    assert "42%" in expected and "100%" in expected
    assert prompt(home, "plain", colour=False) != expected  # the trap: zsh ate the % of plain text
    assert prompt(home, "zsh", colour=False) == expected
    coloured = prompt(home, "zsh", colour=True)
    assert ANSI.sub("", coloured) == expected
    assert "\x1b[32m" in coloured and "\x1b[1m" in coloured  # green 5h; the full week red and bold
