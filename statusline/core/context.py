"""One run's view, built once and read by every piece: time, settings, snapshot, forecasts, model.

Like Starship's ``Context``: a piece gets everything it may draw from here and knows no other piece.
"""

from __future__ import annotations

from statusline.core.forecast import Forecasts

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

    from statusline.core.config_defaults import Settings
    from statusline.core.pace import Forecast
    from statusline.core.snapshot import Snapshot


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
