"""How readings enter a snapshot: the merge per window, the session table, bounded history.

Shared by the status line (stdin readings) and the refresher (server readings), so every source
obeys the same merge rule.
"""

from __future__ import annotations

from statusline.snapshot import Snapshot
from statusline.windows import Window, merge_window

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up; annotations are strings anyway
    from typing import Any

SESSION_TTL_S = 3 * 86400.0
SESSION_TOUCH_S = 60.0
MAX_ERRORS = 10


def apply_windows(snap: Snapshot, readings: list[Window], *, now: float, problems: list[str] | None = None) -> bool:
    """Merge each reading into its window; True when anything changed. ``problems`` receives one
    message per reading dropped as implausible (none yet: the plausibility rule replaces this)."""
    changed = False
    for reading in readings:
        wid = reading["id"]
        kept = merge_window(snap["windows"].get(wid), reading)
        if kept is None:
            continue
        snap["windows"][wid] = kept
        _add_history(snap, kept, now=now)
        changed = True
    return changed


def _add_history(snap: Snapshot, window: Window, *, now: float) -> None:
    try:
        from statusline import pace
    except ImportError:  # pace arrives with the forecast; history is optional until then
        return
    points = snap["history"].get(window["id"])
    if not isinstance(points, list):
        points = []
    snap["history"][window["id"]] = pace.add_point(
        points, float(window["observed_at"]), float(window["used_pct"]), window.get("resets_at"), now=now
    )


def touch_session(snap: Snapshot, session_id: str, info: dict[str, Any], *, now: float) -> bool:
    """Record what a session told us (model, version, cwd); True when the snapshot changed."""
    sessions = snap["sessions"]
    old = sessions.get(session_id)
    fresh = {k: v for k, v in info.items() if v is not None}
    if isinstance(old, dict):
        merged = {**old, **fresh}
        stale_touch = now - float(old.get("last_seen", 0) or 0) >= SESSION_TOUCH_S
        if merged == old and not stale_touch:
            return False
        fresh = merged
    fresh["last_seen"] = now
    sessions[session_id] = fresh
    _forget_old_sessions(snap, now=now)
    return True


def _forget_old_sessions(snap: Snapshot, *, now: float) -> None:
    for sid in [s for s, v in snap["sessions"].items() if not _recent(v, now)]:
        del snap["sessions"][sid]
        snap["warned"].pop(sid, None)


def latest_session(snap: Snapshot, *, having: str | None = None) -> dict[str, Any] | None:
    """The most recently seen session (that has a string ``having`` field, when given)."""
    best: dict[str, Any] | None = None
    best_seen = -1.0
    for session in snap["sessions"].values():
        if not isinstance(session, dict) or (having and not isinstance(session.get(having), str)):
            continue
        seen = float(session.get("last_seen", 0) or 0)
        if seen > best_seen:
            best, best_seen = session, seen
    return best


def forget_old_warnings(snap: Snapshot, *, now: float) -> None:
    """Hook-only users never record sessions: bound the dedupe table by age instead."""
    for sid in [s for s, v in snap["warned"].items() if not _recent_at(v, "at", now)]:
        del snap["warned"][sid]


def _recent_at(entry: Any, key: str, now: float) -> bool:
    stamp = entry.get(key) if isinstance(entry, dict) else None
    return isinstance(stamp, (int, float)) and now - float(stamp) < SESSION_TTL_S


def _recent(session: Any, now: float) -> bool:
    return _recent_at(session, "last_seen", now)


def add_error(snap: Snapshot, kind: str, message: str, *, source: str, now: float) -> None:
    errors = [e for e in snap["errors"] if isinstance(e, dict) and e.get("source") != source]
    errors.append({"kind": kind, "message": message, "at": now, "source": source})
    snap["errors"] = errors[-MAX_ERRORS:]


def clear_errors(snap: Snapshot, source: str) -> None:
    snap["errors"] = [e for e in snap["errors"] if isinstance(e, dict) and e.get("source") != source]
