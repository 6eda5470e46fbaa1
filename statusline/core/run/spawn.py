"""Start the background refresher when a refresh is due, without waiting for anything.

Called by every hot-path command. Cheap checks first (the snapshot's ``next_due``, a spawn marker
touched at each start, a non-blocking probe of the refresher's lock); the refresher itself
re-checks the cadence under its lock, so a race here costs at most a process that exits at once.
"""

from __future__ import annotations

import sys

from statusline.core import system
from statusline.core.settings.loader import Settings
from statusline.core.store import paths, snapshot
from statusline.core.store.snapshot import Snapshot
from statusline.core.system import fastos

SPAWN_GRACE_S = 30.0


def refresh_lock_path(snapshot_file: str) -> str:
    return snapshot_file + ".refresh.lock"


def spawn_marker_path(snapshot_file: str) -> str:
    return snapshot_file + ".spawned"


def sources_enabled(settings: Settings) -> bool:
    return any(bool(settings.get("refresh", key)) for key in ("claude_json", "oauth", "claude_ai"))


def is_due(snap: Snapshot, now: float) -> bool:
    refresh = snap.get("refresh") or {}
    due = refresh.get("next_due")
    if not isinstance(due, (int, float)) or now >= due:
        return True
    stamp = refresh.get("auth_stamp")
    if stamp:  # after a 401: new credentials (Claude Code refreshed its token) are worth a try now
        return bool(paths.credentials_stamp() != stamp)
    return False


def maybe_start(snap: Snapshot, settings: Settings, snapshot_file: str, now: float) -> bool:
    """True when a refresher was started."""
    if fastos.getenv("QUOTALINE_NO_SPAWN") or not sources_enabled(settings) or not is_due(snap, now):
        return False
    marker = spawn_marker_path(snapshot_file)
    try:
        if 0 <= now - fastos.lstat(marker).st_mtime < SPAWN_GRACE_S:  # one in the future: a clock jump
            return False
    except OSError:
        pass
    try:
        if snapshot.is_locked(refresh_lock_path(snapshot_file)):
            return False
        fd = paths.open_private(marker, fastos.O_WRONLY | fastos.O_CREAT)  # a planted link is replaced, never touched
        try:
            fastos.utime(fd, (now, now))
        finally:
            fastos.close(fd)
    except OSError:
        return False
    return start_detached(refresher_argv())


ARGS = ["refresh", "--background"]


def refresher_argv() -> list[str]:
    """The background refresher, importing exactly what this process imports.

    Not ``python -m statusline``: that puts the working directory (Claude Code runs the status line
    in the user's project) first on the path, and a project with a ``statusline`` package of its
    own would run instead. The child gets this process's absolute path entries, this package's
    first, and skips ``site`` (-S), as the launcher does.
    """
    package = sys.modules["statusline"].__file__ or ""  # statusline/__init__.py, wherever this module sits
    here = fastos.dirname(fastos.dirname(fastos.abspath(package)))  # holds statusline/
    path = [here] + [p for p in sys.path if p and fastos.isabs(p) and p != here]
    code = f"import sys; sys.path[:] = {path!r}; from statusline.cli import main; sys.exit(main({ARGS!r}))"
    return [sys.executable, "-I", "-S", "-c", code]


def start_detached(argv: list[str]) -> bool:
    """Start ``argv`` detached (its own session, no inherited stdio; no console on Windows); never
    waits for it, never raises."""
    try:
        return system.start_detached(argv)
    except Exception:  # a spawn that fails for any reason costs one refresh, never the status line
        return False
