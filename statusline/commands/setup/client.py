"""Which Claude Code the install is for, as far as it matters to the entries written: whether its
hooks take the exec form (``args``: no shell), which Claude Code 2.1.332 added.

Used on Windows only, where a hook without a shell needs no Git Bash (and no PowerShell fallback,
which would not parse the POSIX-quoted command). Elsewhere the shell form serves every version.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from statusline.core import system
from statusline.core.store import paths, snapshot
from statusline.core.window.select import latest_session

EXEC_FORM_SINCE = (2, 1, 332)


@functools.cache  # install plans twice (before its lock, then under it): one `claude --version`
def takes_exec_form() -> bool:
    """True when the Claude Code at hand takes ``args`` in a hook entry: its version as the status
    line last recorded it, else as ``claude --version`` says. Unknown: False (the shell form)."""
    if not system.IS_WINDOWS:
        return False
    found = recorded_version() or installed_version()
    return found is not None and found >= EXEC_FORM_SINCE


def parse(text: object) -> tuple[int, ...] | None:
    """``(2, 1, 337)`` from ``2.1.337`` or ``2.1.337 (Claude Code)``."""
    match = re.match(r"\s*(\d+)\.(\d+)\.(\d+)", text) if isinstance(text, str) else None
    return tuple(int(part) for part in match.groups()) if match else None


def recorded_version() -> tuple[int, ...] | None:
    """The version Claude Code gave the status line in its latest session (the snapshot keeps it)."""
    try:
        snap = snapshot.read(paths.snapshot_path())
    except (OSError, paths.DirError):
        return None
    session = latest_session(snap, having="version")
    return parse(session["version"]) if session else None


def installed_version() -> tuple[int, ...] | None:
    """What ``claude --version`` says, when ``claude`` is on PATH."""
    claude = shutil.which("claude")
    if claude is None:
        return None
    try:
        done = subprocess.run([claude, "--version"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return parse(done.stdout)
