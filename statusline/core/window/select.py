"""Window selectors, one meaning on every surface (see ``defaults``): ids, ``model``,
``alerts``, ``!id``; ``extra`` is the money piece's, not a window's."""

from __future__ import annotations

from statusline.core.store.snapshot import Snapshot
from statusline.core.window import levels
from statusline.core.window.rules import Window, model_family, weekly_id

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any


def latest_family(snap: Snapshot) -> str | None:
    """The model family of the most recently seen session: what ``model`` selects when no session
    is asking (segments, the refresher's notifications)."""
    best = latest_session(snap)
    return model_family(best.get("model_id"), best.get("model_name")) if best else None


def latest_session(snap: Snapshot, *, having: str | None = None) -> dict[str, Any] | None:
    """The most recently seen session (that has a string ``having`` field, when given). Here, not
    in ``merge`` (which changes sessions): segments read it on every run and change nothing."""
    best: dict[str, Any] | None = None
    best_seen = -1.0
    for session in snap["sessions"].values():
        if not isinstance(session, dict) or (having and not isinstance(session.get(having), str)):
            continue
        seen = seen_at(session, "last_seen")
        if seen > best_seen:
            best, best_seen = session, seen
    return best


def seen_at(entry: Any, key: str) -> float:
    """An entry's time stamp ``key`` (0 when it has none): what ranks sessions and dedupe entries."""
    stamp = entry.get(key) if isinstance(entry, dict) else None
    return float(stamp) if isinstance(stamp, (int, float)) else 0.0


def families_seen(snap: Snapshot) -> set[str]:
    """The model families of the sessions in the snapshot."""
    sessions = snap.get("sessions")
    found: set[str] = set()
    for session in sessions.values() if isinstance(sessions, dict) else ():
        if isinstance(session, dict):
            family = model_family(session.get("model_id"), session.get("model_name"))
            if family:
                found.add(family)
    return found


def windows(snap: Snapshot, selectors: list[str], family: str | None, warn: float, now: float) -> list[Window]:
    """The windows a surface shows, in selector order, each once; ``!id`` leaves a window out."""
    known: dict[str, Window] = snap["windows"]
    chosen: list[Window] = []
    seen: set[str] = {s[1:] for s in selectors if s[:1] == "!"}

    def take(wid: str) -> None:
        if wid in known and wid not in seen:
            seen.add(wid)
            chosen.append(known[wid])

    for selector in selectors:
        if selector == "model":
            if family:
                take(weekly_id(family))
        elif selector == "alerts":
            for wid in sorted(known):
                window = known[wid]
                if float(window["used_pct"]) >= warn and not levels.is_past_reset(window, now):
                    take(wid)
        elif selector != "extra" and selector[:1] != "!":
            take(selector)
    return chosen
