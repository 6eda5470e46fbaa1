"""Which desktop notifications are due: the hook's rule (``before_prompt.alerts``) over ``[notify]``'s
windows, said once per level and period, whoever is at the keyboard.

Decided by the refresher after it merged a reading (``refresh/notify.py`` sends them). The
dedupe state lives in the snapshot's ``warned`` table under its own key, beside the sessions'.
"""

from __future__ import annotations

from statusline.core.draw.pieces import extra
from statusline.core.run.context import Context
from statusline.core.warn import before_prompt

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md)
    from typing import Any

    from statusline.core.store.snapshot import Snapshot

KEY = "desktop-notifications"  # never a session id (those are uuids)


def due(ctx: Context) -> tuple[list[before_prompt.Alert], dict[str, Any]]:
    """The alerts not yet said, and the dedupe state to store with them."""
    settings = ctx.settings
    horizon = float(settings.get("notify", "forecast_minutes")) * 60
    previous = before_prompt.said_before(ctx.snap, KEY)
    found = before_prompt.alerts(ctx, list(settings.get("notify", "windows")), horizon, previous, extra.piece(ctx))
    # What was said stays said for the rest of its period, even while the window is quiet in
    # between (a forecast that comes and goes with the pace is not news twice).
    windows = ctx.snap["windows"]
    state = {
        wid: old
        for wid, old in previous.items()
        if wid in windows and before_prompt.already_said(old, {"level": 0, "period": windows[wid].get("resets_at")})
    }
    for alert in found:
        if alert.new:
            state[alert.window_id] = alert.state
    return [a for a in found if a.new], state


def remember(snap: Snapshot, state: dict[str, Any], now: float) -> None:
    """Store the state (touched every refresh: the table forgets entries idle for days)."""
    if state:
        snap["warned"][KEY] = {"at": now, "windows": state}
    else:
        snap["warned"].pop(KEY, None)
