"""Every change to a snapshot's data: readings merged per window (``rules.merge_window``), extra
usage, the session table, bounded history, errors, an account switch and pruning.

Shared by the status line (stdin readings) and the refresher (server readings), so every source
obeys the same rules and no other module edits these sections.
"""

from __future__ import annotations

from statusline.core.store import snapshot
from statusline.core.store.snapshot import MAX_ERRORS, MAX_SESSIONS, MAX_WINDOWS, Snapshot
from statusline.core.window.rules import (
    MEMBER,
    Window,
    gates,
    merge_window,
    money_moved,
    money_problem,
    money_track,
    problem,
    same_period,
    unsaid,
)
from statusline.core.window.select import families_seen, seen_at

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

SESSION_TTL_S = 3 * 86400.0
SESSION_TOUCH_S = 60.0
# A window other than five_hour / seven_day this long past its reset is gone (a bucket retired).
PRUNE_AFTER_RESET_S = 86400.0
# The hook and a transcript line telling of one wall are seconds apart (both are written when the
# 429 ends the turn); a later stop by the same window in the same period is the same wall.
SAME_WALL_S = 120.0
# A member's own money (claude.ai's /usage/spend) is what they asked about: an organisation total
# from another source does not replace it until it is this old.
MEMBER_MONEY_KEPT_S = 3600.0


def apply_windows(snap: Snapshot, readings: list[Window], *, now: float, problems: list[str] | None = None) -> bool:
    """Merge each plausible reading into its window; True when anything changed.

    A reading that fails ``rules.problem`` is dropped, never stored, and said in ``problems``.
    """
    changed = False
    for reading in readings:
        why = problem(reading, now)
        if why is None and reading["id"] not in snap["windows"] and len(snap["windows"]) >= MAX_WINDOWS:
            _make_room(snap)  # a new reading is never turned away by old ones
        if why is not None:
            if problems is not None:
                wid = reading.get("id") if isinstance(reading, dict) else None
                problems.append(f"{str(wid)[:64] if wid else 'a window'} dropped: {why}")
            continue
        wid = reading["id"]
        kept = merge_window(snap["windows"].get(wid), reading)
        if kept is None:
            continue
        snap["windows"][wid] = kept
        _add_history(snap, kept, now=now)
        changed = True
    return changed


def forget_unsaid(snap: Snapshot, replies: dict[str, tuple[Any, float]]) -> bool:
    """Drop, with its history, each window that a server source's complete reply no longer names
    (``rules.unsaid``), unless another reply of the same run names it (its equal word left the
    stored one as it was); True when anything was dropped. ``replies``: the sources read whole
    in one run (no part unreadable), each as (the window ids it names, when it was observed)."""
    named: set[str] = set()
    for ids, _ in replies.values():
        named.update(ids)
    gone = [
        wid
        for wid, window in snap["windows"].items()
        if wid not in named and any(unsaid(window, src, ids, at) for src, (ids, at) in replies.items())
    ]
    for wid in gone:
        del snap["windows"][wid]
        snap["history"].pop(wid, None)
    return bool(gone)


def apply_extra(snap: Snapshot, extra: dict[str, Any] | None, *, now: float, problems: list[str] | None = None) -> bool:
    """Keep the newer of two extra-usage readings, if plausible (``rules.money_problem``)."""
    if extra is None:
        return False
    why = money_problem(extra, now)
    if why is not None:
        if problems is not None:
            problems.append(f"extra usage dropped: {why}")
        return False
    old = snap.get("extra_usage")
    if isinstance(old, dict) and float(extra.get("observed_at") or 0) < float(old.get("observed_at") or 0):
        return False
    if _member_money_stands(old, extra):
        return False
    moved = money_moved(old, extra, snap["windows"], now)
    if moved is None and isinstance(old, dict) and "moved" in old and extra.get("enabled"):
        moved = old["moved"]  # kept until a newer movement: the hook says each once
    kept = {k: v for k, v in extra.items() if k not in ("moved", "track")}
    track = money_track(old, kept)
    if track is not None:
        kept["track"] = track  # its pace: forecast.money_rate
    if moved is not None:
        kept["moved"] = moved
    snap["extra_usage"] = kept
    return True


def apply_server(
    snap: Snapshot, parts: dict[str, Any], *, source: str, now: float, problems: list[str] | None = None
) -> bool:
    """Merge the rest of a reading's truth (``truth.PARTS``: pools by their key, grants, the
    week's split, the request link); True when anything changed. What fails ``truth.sane`` is
    dropped and said in ``problems``."""
    from statusline.core.window import truth  # the refresher's work: the status line never merges a reading of these

    if not parts:
        return False
    server = snap.get("server")
    server = dict(server) if isinstance(server, dict) else {}
    before = dict(server)
    pools = dict(server.get("pools") or {})
    for key, pool in (parts.get("pools") or {}).items():
        old = pools.get(key)
        if pool is None:
            if isinstance(old, dict) and old.get("source") == source:  # another source may not have asked
                pools.pop(key)
            continue
        if not isinstance(old, dict) or float(pool.get("observed_at") or 0) >= float(old.get("observed_at") or 0):
            pools[key] = pool
    server["pools"] = pools
    for part in ("grants", "breakdown", "more_usage_url"):
        new = parts.get(part)
        if isinstance(new, dict):
            kept = truth.merge(server.get(part), new, part)
            if kept.get("empty"):
                server.pop(part, None)
            else:
                server[part] = kept
    sane = truth.sane(server, now)
    if problems is not None:
        for part in ("grants", "breakdown", "more_usage_url"):
            if part in server and part not in sane:
                problems.append(f"{part.replace('_', ' ')} dropped: not plausible")
        for key, pool in server["pools"].items():
            if key not in sane.get("pools", {}):
                problems.append(f"{pool.get('label') or 'a credit pool'} dropped: not plausible")
    if sane == before:
        return False
    snap["server"] = sane
    return True


def _member_money_stands(old: Any, new: dict[str, Any]) -> bool:
    """A member's own money stays over an organisation total read within ``MEMBER_MONEY_KEPT_S``
    (a total of unknown scope too: a source that cannot tell, Claude Code's cache on a Mac)."""
    if not (isinstance(old, dict) and old.get("scope") == MEMBER and new.get("scope") != MEMBER):
        return False
    return float(new.get("observed_at") or 0) - float(old.get("observed_at") or 0) < MEMBER_MONEY_KEPT_S


def _make_room(snap: Snapshot) -> None:
    """Drop the window observed longest ago (never five_hour or seven_day), with its history."""
    others = [w for wid, w in snap["windows"].items() if wid not in ("five_hour", "seven_day")]
    if others:
        stalest = min(others, key=lambda w: float(w.get("observed_at", 0)))["id"]
        del snap["windows"][stalest]
        snap["history"].pop(stalest, None)


def _add_history(snap: Snapshot, window: Window, *, now: float) -> None:
    observed, pct = float(window["observed_at"]), float(window["used_pct"])
    snapshot.add_point(snap, window["id"], observed, pct, window.get("resets_at"), now=now)


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
    sessions = snap["sessions"]
    for sid in _expired(sessions, "last_seen", now):
        del sessions[sid]
        snap["warned"].pop(sid, None)


def _expired(table: dict[str, Any], key: str, now: float) -> list[str]:
    """Entries older than the TTL, and beyond MAX_SESSIONS the least recent ones."""
    recent = {s: v for s, v in table.items() if _recent_at(v, key, now)}
    kept = snapshot.newest(recent, MAX_SESSIONS, lambda v: seen_at(v, key))
    return [s for s in table if s not in kept]


def forget_old_warnings(snap: Snapshot, *, now: float) -> None:
    """Hook-only users never record sessions: bound the dedupe table by age and count instead."""
    for sid in _expired(snap["warned"], "at", now):
        del snap["warned"][sid]


def _recent_at(entry: Any, key: str, now: float) -> bool:
    stamp = entry.get(key) if isinstance(entry, dict) else None
    return isinstance(stamp, (int, float)) and now - float(stamp) < SESSION_TTL_S


def add_error(snap: Snapshot, kind: str, message: str, *, source: str, now: float, quiet: bool = False) -> bool:
    """Record ``source``'s latest error (one per source); True when the snapshot changed.

    ``quiet``: the same error already recorded is left as it is (its first time stands), so that a
    status line that sees the same bad stdin every run does not rewrite the snapshot every run.
    """
    for e in snap["errors"] if quiet else ():
        if isinstance(e, dict) and e.get("source") == source and (e.get("kind"), e.get("message")) == (kind, message):
            return False
    errors = [e for e in snap["errors"] if isinstance(e, dict) and e.get("source") != source]
    errors.append({"kind": kind, "message": message, "at": now, "source": source})
    snap["errors"] = errors[-MAX_ERRORS:]
    return True


def note_problems(snap: Snapshot, problems: list[str], *, source: str, now: float) -> bool:
    """Say what ``source`` sent that could not be used (kind ``schema_drift``), or clear that once it
    sends readings that all pass; True when the snapshot changed. Repeats of the same are no change."""
    if problems:
        message = "; ".join(problems)[:300]
        return add_error(snap, "schema_drift", message, source=source, now=now, quiet=True)
    before = len(snap["errors"])
    clear_errors(snap, source)
    return len(snap["errors"]) != before


def clear_errors(snap: Snapshot, source: str) -> None:
    snap["errors"] = [e for e in snap["errors"] if isinstance(e, dict) and e.get("source") != source]


def switch_account(snap: Snapshot, account: str | None, *, config_dir: str) -> None:
    """Another account logged in under the same config dir: its numbers are not ours."""
    previous = snap["account"].get("uuid")
    if account and previous and account != previous:
        fresh = snapshot.empty()
        fresh["sessions"] = snap["sessions"]
        snap.clear()
        snap.update(fresh)
    snap["account"] = {"config_dir": config_dir, "uuid": account or previous}


def prune(snap: Snapshot, *, now: float) -> None:
    server = snap.get("server")
    pools: dict[str, Any] = server.get("pools") or {} if isinstance(server, dict) else {}
    for key in list(pools) if isinstance(pools, dict) else []:  # a pool a day past its reset is over
        reset = pools[key].get("resets_at") if isinstance(pools[key], dict) else None
        if isinstance(reset, (int, float)) and now - reset > PRUNE_AFTER_RESET_S:
            del pools[key]
    for wid in list(snap["windows"]):
        reset = snap["windows"][wid].get("resets_at")
        old = isinstance(reset, (int, float)) and now - reset > PRUNE_AFTER_RESET_S
        if old and wid not in ("five_hour", "seven_day"):
            del snap["windows"][wid]
            snap["history"].pop(wid, None)


def record_wall(snap: Snapshot, wall: dict[str, Any], *, now: float) -> bool:
    """Add a wall (``walls``: a turn stopped by a limit), unless the snapshot already tells of it;
    True when the snapshot changed.

    The same wall: seconds apart in the same session or window (the hook and the transcript telling
    of one stop), or the same window in the same period (stopped again before it reset). What the
    stored one lacks (its window, its reset time) the new one fills in.
    """
    new = snapshot.sane_walls([wall], now)
    if not new:
        return False
    wall = new[0]
    walls = snap["walls"]
    for i, old in enumerate(walls):
        if _same_wall(old, wall):
            merged = dict(old)
            if old.get("window") == "unknown" and wall["window"] != "unknown":
                merged.update(window=wall["window"], how=wall.get("how"))
            if old.get("resets_at") is None and wall.get("resets_at") is not None:
                merged["resets_at"] = wall["resets_at"]
            if merged == old:
                return False
            walls[i] = merged
            return True
    snap["walls"] = snapshot.sane_walls([*walls, wall], now)
    return True


def turn_succeeded(snap: Snapshot, session: str | None, family: str | None, *, at: float) -> bool:
    """A turn of ``session`` (model ``family``) went through at ``at`` (the Stop hook, a transcript's
    answer): every earlier wall it could have met is over: its own, whatever the window, and
    another session's whose window gates ``family`` (``rules.gates``). True when one ended."""
    seen = families_seen(snap)
    changed = False
    for wall in snap["walls"]:
        if not isinstance(wall, dict) or wall.get("ended") is not None or not float(wall["at"]) < at:
            continue
        own = session is not None and wall.get("session") == session
        if own or gates(str(wall.get("window")), family, seen):
            wall["ended"] = float(at)
            changed = True
    return changed


def _same_wall(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.get("ended") is not None and float(b["at"]) > float(a["ended"]):
        return False  # stopped again after a turn went through: a new wall
    close = abs(float(a["at"]) - float(b["at"])) <= SAME_WALL_S
    if close and (a.get("session") == b.get("session") or "unknown" in (a.get("window"), b.get("window"))):
        return True
    if a.get("window") != b.get("window") or a.get("window") == "unknown":
        return False
    ra, rb = a.get("resets_at"), b.get("resets_at")
    return close or (ra is not None and rb is not None and same_period(ra, rb))
