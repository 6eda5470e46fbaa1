"""The snapshot file: one JSON document per Claude config dir, the only state quotaline shares.

Writers take an exclusive ``flock`` on ``<snapshot>.lock`` (the lock ``filelock.FileLock`` takes,
so the refresher's FileLock and the status line exclude each other), re-read, change, and
replace the file atomically. Readers never lock: ``fastos.replace`` means they see the old or the new
document, never a torn one. Anything unreadable counts as empty and is rewritten by the next writer.
"""

from __future__ import annotations

import time

from statusline.core import fastjson, fastos, paths
from statusline.core.config_defaults import MAX_REFRESH_INTERVAL_S
from statusline.core.windows import EPOCH_FLOOR, FUTURE_SKEW_S, MAX_ID_LEN, is_number, money_problem, problem

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up; annotations are strings anyway
    from collections.abc import Callable
    from typing import Any

    Snapshot = dict[str, Any]
else:
    Snapshot = dict

SCHEMA = 1
# Far above what the bounded sections can reach (64 windows of 300 history points, 64 sessions):
# anything bigger was not written by quotaline and is not worth reading on every status line.
MAX_BYTES = 4 << 20
# Bounds that keep the snapshot (and the status line's time) flat after months of use: the writers
# (``observe``) keep to them, and a file that holds more is cut to them when read.
MAX_WINDOWS = 64
MAX_SESSIONS = 64
MAX_ERRORS = 10
MAX_SOURCES = 16
# No wait quotaline sets is longer (the refresh interval, a backoff): a later time in the file was
# not written by it (or the clock jumped back), and would stop refreshes for good.
MAX_DUE_S = MAX_REFRESH_INTERVAL_S + 3600.0
# The refresher caps every backoff at an hour.
MAX_BACKOFF_S = 2 * 3600.0
_unreadable: set[str] = set()

_SECTIONS: dict[str, type] = {
    "windows": dict,
    "sessions": dict,
    "history": dict,
    "refresh": dict,
    "errors": list,
    "warned": dict,
    "account": dict,
}


def _fcntl() -> Any:
    """``fcntl`` (None on Windows: no status-line writes, reads still work), loaded only to lock:
    a shared library, and most runs write nothing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover
        return None
    return fcntl


def empty() -> Snapshot:
    snap: Snapshot = {"schema": SCHEMA, "extra_usage": None}
    for key, kind in _SECTIONS.items():
        snap[key] = kind()
    return snap


def normalise(data: Any, now: float | None = None) -> Snapshot:
    """A well-formed snapshot from whatever was on disk.

    Wrong types become empty sections; a stored window or extra usage that fails the plausibility
    rule (``windows.problem``: an older version may have stored it) is dropped, with its history.
    """
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return empty()
    now = time.time() if now is None else now
    snap = empty()
    for key, kind in _SECTIONS.items():  # a key of no section is dropped: nobody reads it
        value = data.get(key)
        if isinstance(value, kind):
            snap[key] = value
    snap["extra_usage"] = data.get("extra_usage")
    windows = {k: w for k, w in snap["windows"].items() if problem(w, now) is None and w["id"] == k}
    snap["windows"] = newest(windows, MAX_WINDOWS, lambda w: (w["id"] in _KEPT_FIRST, w["observed_at"]))
    history = snap["history"]
    if any(k not in snap["windows"] for k in history):
        snap["history"] = {k: v for k, v in history.items() if k in snap["windows"]}
    if snap.get("extra_usage") is not None and money_problem(snap["extra_usage"], now) is not None:
        snap["extra_usage"] = None
    snap["refresh"] = _sane_times(snap["refresh"], now)
    if "sources" in snap["refresh"]:
        sources = snap["refresh"]["sources"]
        sources = sources if isinstance(sources, dict) else {}
        sources = {k: _sane_times(v, now) for k, v in sources.items() if isinstance(v, dict)}
        snap["refresh"]["sources"] = dict(list(sources.items())[:MAX_SOURCES])
    sessions = {k: v for k, v in snap["sessions"].items() if _sane_entry(k, v, "last_seen", now)}
    snap["sessions"] = newest(sessions, MAX_SESSIONS, lambda v: v["last_seen"])
    warned = {k: v for k, v in snap["warned"].items() if _sane_warned(k, v, now)}
    snap["warned"] = newest(warned, MAX_SESSIONS, lambda v: v["at"])
    snap["errors"] = [e for e in snap["errors"] if _sane_error(e, now)][-MAX_ERRORS:]
    return snap


_KEPT_FIRST = ("five_hour", "seven_day")


def newest(table: dict[str, Any], limit: int, rank: Callable[[Any], Any]) -> dict[str, Any]:
    """``table`` when within ``limit``, else its ``limit`` highest-ranked entries (one rule for
    every bounded section, whether it is being read or written)."""
    if len(table) <= limit:
        return table
    return dict(sorted(table.items(), key=lambda item: rank(item[1]), reverse=True)[:limit])


def _sane_time(value: Any, now: float, ahead: float) -> bool:
    return is_number(value) and EPOCH_FLOOR <= value <= now + ahead


def _sane_times(section: dict[str, Any], now: float) -> dict[str, Any]:
    """The refresh state without values that fail ``_sane_value``: the code that reads each has a default."""
    return {key: value for key, value in section.items() if _sane_value(key, value, now)}


def _sane_value(key: str, value: Any, now: float) -> bool:
    """Times in the future within the longest wait quotaline sets (``*_due``: the refresh interval,
    ``*_until``: a backoff), past ones (``last_*``) up to now, a failure counter a small int, a
    credentials stamp a string."""
    if key.endswith("_due"):
        return _sane_time(value, now, MAX_DUE_S)
    if key.endswith("_until"):
        return _sane_time(value, now, MAX_BACKOFF_S)
    if key.startswith("last_") and key != "last_status":
        return value is None or _sane_time(value, now, FUTURE_SKEW_S)
    if key == "failures":
        return type(value) is int and 0 <= value < 1_000_000
    return key != "auth_stamp" or isinstance(value, str)


def _sane_entry(key: Any, entry: Any, stamp: str, now: float) -> bool:
    """A session or dedupe entry: a short id, a dict with a sane time, string fields short."""
    if not isinstance(key, str) or len(key) > MAX_ID_LEN or not isinstance(entry, dict):
        return False
    if not _sane_time(entry.get(stamp), now, FUTURE_SKEW_S):
        return False
    return all(len(v) <= 4096 for v in entry.values() if isinstance(v, str))


def _sane_warned(key: Any, entry: Any, now: float) -> bool:
    if not _sane_entry(key, entry, "at", now) or not isinstance(entry.get("windows"), dict):
        return False
    return all(isinstance(v, dict) and is_number(v.get("level")) for v in entry["windows"].values())


def _sane_error(error: Any, now: float) -> bool:
    if not isinstance(error, dict) or not _sane_time(error.get("at"), now, FUTURE_SKEW_S):
        return False
    return all(isinstance(error.get(k), str) and len(error[k]) <= 1000 for k in ("kind", "message", "source"))


def read(path: str) -> Snapshot:
    """The snapshot at ``path``; empty when missing, unreadable, oversized or corrupt. Never raises.

    An unreadable file is remembered, so the next write in this process keeps a copy of it
    (``<path>.corrupt``, for doctor) before replacing it.
    """
    try:
        raw = _read_bytes(path)
    except Exception:  # missing, or not a plain file of ours: nothing worth a copy
        return empty()
    try:
        snap = normalise(_parse(raw))
    except Exception:  # any failure to parse means "unreadable": the next writer replaces it
        _unreadable.add(path)
        return empty()
    _unreadable.discard(path)
    return snap


def unreadable_reason(path: str) -> str | None:
    """Why ``read`` finds the file at ``path`` unreadable, or None (for doctor; never raises)."""
    try:
        _parse(_read_bytes(path))
    except FileNotFoundError:
        return None
    except Exception as exc:
        return str(exc)[:160] if isinstance(exc, (ValueError, paths.DirError)) else type(exc).__name__
    return None


def _read_bytes(path: str) -> bytes:
    # Not through a link, not a FIFO (it would hang), not a file another user planted.
    fd = paths.open_private(path, fastos.O_RDONLY)
    try:
        raw = b""
        while len(raw) <= MAX_BYTES:
            more = fastos.read(fd, MAX_BYTES + 1 - len(raw))
            if not more:
                break
            raw += more
        return raw
    finally:
        fastos.close(fd)


def _parse(raw: bytes) -> Any:
    if len(raw) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES} bytes")
    return fastjson.loads(raw)


def corrupt_copy_path(path: str) -> str:
    return path + ".corrupt"


def _keep_unreadable_copy(path: str) -> None:
    if path not in _unreadable:
        return
    _unreadable.discard(path)
    copy = corrupt_copy_path(path)
    try:
        if fastos.lexists(copy):
            fastos.unlink(copy)
        fastos.link(path, copy, follow_symlinks=False)
    except OSError:
        pass


def points(snap: Snapshot, window_id: str) -> list[Any]:
    """A window's history points (``[[observed_at, used_pct, resets_at], ...]``, see ``pace``).

    On disk each window's history is one JSON text (a string): a run parses only the histories it
    uses (the status line: those of the windows it draws), 15 times faster than nested arrays.
    Parsed here on first use and kept parsed in ``snap``; a history that does not parse is empty.
    """
    history = snap.get("history")
    if not isinstance(history, dict):
        return []
    raw = history.get(window_id)
    if isinstance(raw, str):
        try:
            raw = fastjson.loads(raw)
        except ValueError:
            raw = []
        history[window_id] = raw
    return raw if isinstance(raw, list) else []


def _encoded(snap: Snapshot) -> Snapshot:
    """``snap`` as stored: parsed (or new) histories back to JSON text; the rest as it is."""
    history = snap.get("history")
    if not isinstance(history, dict) or all(isinstance(v, str) for v in history.values()):
        return snap
    text = {k: v if isinstance(v, str) else fastjson.dumps(v) for k, v in history.items()}
    return {**snap, "history": text}


def write_atomic(path: str, snap: Snapshot) -> None:
    """Replace ``path`` with ``snap`` (0600) via a temp file in the same directory.

    The temp file is created with ``O_EXCL`` and no symlink followed (a link planted under the
    next pid's name is removed, not written through); ``fastos.replace`` onto a symlink replaces the
    link itself."""
    directory = fastos.dirname(path)
    paths.ensure_private_dir(directory)
    data = fastjson.dumps(_encoded(snap)).encode("utf-8")
    tmp = f"{path}.{fastos.getpid()}.tmp"
    fd = paths.open_private(tmp, fastos.O_WRONLY | fastos.O_CREAT | fastos.O_EXCL)
    try:
        view = memoryview(data)
        while view:
            view = view[fastos.write(fd, view) :]
    finally:
        fastos.close(fd)
    _keep_unreadable_copy(path)
    try:
        paths.clear_way(path)
        fastos.replace(tmp, path)
    except OSError:
        try:
            fastos.unlink(tmp)
        finally:
            raise


def lock_path(path: str) -> str:
    return path + ".lock"


def try_lock(path: str) -> int | None:
    """A held exclusive lock's fd, or None when another process holds it (never waits)."""
    fcntl = _fcntl()
    if fcntl is None:  # pragma: no cover
        return None
    paths.ensure_private_dir(fastos.dirname(path))
    fd = paths.open_private(path, fastos.O_RDWR | fastos.O_CREAT)  # a planted link or foreign file is replaced
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fastos.close(fd)
        return None
    return fd


def unlock(fd: int) -> None:
    try:
        fcntl = _fcntl()
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        fastos.close(fd)


def is_locked(path: str) -> bool:
    """True when another process holds the lock at ``path`` right now."""
    fd = try_lock(path)
    if fd is None:
        return fastos.exists(path)
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
