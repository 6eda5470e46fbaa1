"""Forecasts for the windows of a snapshot, from their recorded history (see ``pace``).

Computed on first use per window: a surface asks only for the windows it draws, and a forecast
parses up to 300 history points.
"""

from __future__ import annotations

from statusline.core.store import snapshot
from statusline.core.store.snapshot import Snapshot
from statusline.core.window import history_rules
from statusline.core.window.rules import length_s


class Forecasts:
    """``window id -> history_rules.Forecast`` through ``get`` (None for a window without one)."""

    __slots__ = ("_done", "_now", "_snap")

    def __init__(self, snap: Snapshot, now: float) -> None:
        self._snap = snap
        self._now = now
        self._done: dict[str, history_rules.Forecast | None] = {}

    def get(self, wid: str, default: history_rules.Forecast | None = None) -> history_rules.Forecast | None:
        if wid not in self._done:
            self._done[wid] = _forecast(self._snap, wid, self._now)
        found = self._done[wid]
        return default if found is None else found


def _forecast(snap: Snapshot, wid: str, now: float) -> history_rules.Forecast | None:
    window = snap["windows"].get(wid)
    if not isinstance(window, dict):
        return None
    resets_at, seconds = window.get("resets_at"), length_s(wid) or 0.0
    try:
        memo = snapshot.rate_memo(snap, wid)  # the writer's rate: no point to parse, while it holds
        if memo is not None and history_rules.memo_applies(memo, now=now, resets_at=resets_at, window_seconds=seconds):
            return history_rules.forecast_from_memo(memo, now=now, current_pct=float(window["used_pct"]))
        points = snapshot.points(snap, wid, since=now - history_rules.LOOKBACK_S)  # all a forecast reads
        if len(points) < 2:
            return None
        return history_rules.forecast(
            points, now=now, resets_at=resets_at, current_pct=float(window["used_pct"]), window_seconds=seconds
        )
    except (TypeError, ValueError, ZeroDivisionError):
        return None  # a malformed history must not cost the line
