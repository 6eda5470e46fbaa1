"""The snapshot file: one JSON document per Claude config dir, the only state quotaline shares.

Writers take an exclusive ``flock`` on ``<snapshot>.lock`` (the lock ``filelock.FileLock`` takes,
so the refresher's FileLock and the status line exclude each other), re-read, change, and
replace the file atomically. Readers never lock: ``os.replace`` means they see the old or the new
document, never a torn one. Anything unreadable counts as empty and is rewritten by the next writer.
"""

from __future__ import annotations

import os

from statusline import fastjson, paths

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up; annotations are strings anyway
    from collections.abc import Callable
    from typing import Any

    Snapshot = dict[str, Any]
else:
    Snapshot = dict

SCHEMA = 1

_SECTIONS: dict[str, type] = {
    "windows": dict,
    "sessions": dict,
    "history": dict,
    "refresh": dict,
    "errors": list,
    "warned": dict,
    "account": dict,
}

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no status-line writes, reads still work
    fcntl = None  # type: ignore[assignment]


def empty() -> Snapshot:
    snap: Snapshot = {"schema": SCHEMA, "extra_usage": None}
    for key, kind in _SECTIONS.items():
        snap[key] = kind()
    return snap


def normalise(data: Any) -> Snapshot:
    """A well-formed snapshot from whatever was on disk (wrong types become empty sections)."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return empty()
    snap = empty()
    for key, value in data.items():
        kind = _SECTIONS.get(key)
        if kind is None or isinstance(value, kind):
            snap[key] = value
    snap["schema"] = SCHEMA
    snap["windows"] = {k: w for k, w in snap["windows"].items() if _plausible_window(w)}
    if not isinstance(snap.get("extra_usage"), (dict, type(None))):
        snap["extra_usage"] = None
    return snap


def _plausible_window(window: Any) -> bool:
    if not isinstance(window, dict):
        return False
    pct = window.get("used_pct")
    reset = window.get("resets_at")
    return (
        isinstance(pct, (int, float))
        and not isinstance(pct, bool)
        and pct == pct
        and (reset is None or (isinstance(reset, (int, float)) and not isinstance(reset, bool)))
    )


def read(path: str) -> Snapshot:
    """The snapshot at ``path``; empty when missing, unreadable or corrupt. Never raises."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError:
        return empty()
    try:
        return normalise(fastjson.loads(raw))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return empty()


def write_atomic(path: str, snap: Snapshot) -> None:
    """Replace ``path`` with ``snap`` (0600) via a temp file in the same directory.

    The temp file is created with ``O_EXCL`` and no symlink followed (a link planted under the
    next pid's name is removed, not written through); ``os.replace`` onto a symlink replaces the
    link itself."""
    directory = os.path.dirname(path)
    paths.ensure_private_dir(directory)
    data = fastjson.dumps(snap).encode("utf-8")
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = paths.open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        finally:
            raise


def lock_path(path: str) -> str:
    return path + ".lock"


def try_lock(path: str) -> int | None:
    """A held exclusive lock's fd, or None when another process holds it (never waits)."""
    if fcntl is None:  # pragma: no cover
        return None
    paths.ensure_private_dir(os.path.dirname(path))
    fd = paths.open_private(path, os.O_RDWR | os.O_CREAT)  # a planted link or foreign file is replaced
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def unlock(fd: int) -> None:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_locked(path: str) -> bool:
    """True when another process holds the lock at ``path`` right now."""
    fd = try_lock(path)
    if fd is None:
        return os.path.exists(path)
    unlock(fd)
    return False


def update(path: str, mutate: Callable[[Snapshot], bool]) -> bool:
    """Lock without waiting, re-read, apply ``mutate``, write if it changed anything.

    Returns False when the lock was busy or the write failed: a later run records it.
    """
    try:
        fd = try_lock(lock_path(path))
    except OSError:
        return False
    if fd is None:
        return False
    try:
        snap = read(path)
        if not mutate(snap):
            return True
        write_atomic(path, snap)
        return True
    except OSError:
        return False
    finally:
        unlock(fd)
