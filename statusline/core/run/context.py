"""One run's view, built once and read by every piece: time, settings, snapshot, forecasts, model.

Forecasts are worked out on first use per window: a surface asks only for the windows it draws,
and a forecast parses up to 300 history points.

Like Starship's ``Context``: a piece gets everything it may draw from here and knows no other piece.
"""

from __future__ import annotations

from statusline.core.store import snapshot
from statusline.core.window.forecast import forecast, forecast_from_memo, memo_applies
from statusline.core.window.history_rules import LOOKBACK_S
from statusline.core.window.rules import length_s

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

    from statusline.core.settings.defaults import Settings
    from statusline.core.store.snapshot import Snapshot
    from statusline.core.window.forecast import Forecast


class Context:
    __slots__ = (
        "critical_at", "family", "forecasts", "local", "now", "session", "settings", "snap", "stale_after_s", "warn_at",
    )  # fmt: skip

    def __init__(
        self,
        snap: Snapshot,
        settings: Settings,
        now: float,
        *,
        family: str | None = None,
        local: dict[str, Any] | None = None,
        session: str | None = None,
    ) -> None:
        self.snap = snap
        self.settings = settings
        self.now = now
        self.family = family  # model family of the session (or of the latest one): its weekly window gates it
        self.session = session  # the session drawn for, when one asks: the walls it recorded are its own
        self.local = local  # this machine's column per window id (``ledger.side.local_column``), when built
        self.forecasts = Forecasts(snap, now)  # computed on first use, per window
        self.warn_at = float(settings.get("levels", "warn"))
        self.critical_at = float(settings.get("levels", "critical"))
        self.stale_after_s = float(settings.get("stale_after_minutes")) * 60

    def forecast(self, wid: str) -> Forecast | None:
        return self.forecasts.get(wid)


class Forecasts:
    """``window id -> Forecast`` through ``get`` (None for a window without one)."""

    __slots__ = ("_done", "_now", "_snap")

    def __init__(self, snap: Snapshot, now: float) -> None:
        self._snap = snap
        self._now = now
        self._done: dict[str, Forecast | None] = {}

    def get(self, wid: str, default: Forecast | None = None) -> Forecast | None:
        if wid not in self._done:
            self._done[wid] = _forecast(self._snap, wid, self._now)
        found = self._done[wid]
        return default if found is None else found


def _forecast(snap: Snapshot, wid: str, now: float) -> Forecast | None:
    window = snap["windows"].get(wid)
    if not isinstance(window, dict):
        return None
    resets_at, seconds = window.get("resets_at"), length_s(wid) or 0.0
    try:
        memo = snapshot.rate_memo(snap, wid)  # the writer's rate: no point to parse, while it holds
        if memo is not None and memo_applies(memo, now=now, resets_at=resets_at, window_seconds=seconds):
            return forecast_from_memo(memo, now=now, current_pct=float(window["used_pct"]))
        points = snapshot.points(snap, wid, since=now - LOOKBACK_S)  # all a forecast reads
        if len(points) < 2:
            return None
        return forecast(
            points, now=now, resets_at=resets_at, current_pct=float(window["used_pct"]), window_seconds=seconds
        )
    except (TypeError, ValueError, ZeroDivisionError):
        return None  # a malformed history must not cost the line
