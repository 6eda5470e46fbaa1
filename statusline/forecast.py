"""Forecasts for every window in a snapshot, from its recorded history (see ``pace``)."""

from __future__ import annotations

from statusline import pace
from statusline.snapshot import Snapshot
from statusline.windows import length_s

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up; annotations are strings anyway
    from typing import Any


def all_forecasts(snap: Snapshot, now: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for wid, window in snap["windows"].items():
        points = snap["history"].get(wid)
        if not isinstance(points, list) or len(points) < 2:
            continue
        try:
            result = pace.forecast(
                points,
                now=now,
                resets_at=window.get("resets_at"),
                current_pct=float(window["used_pct"]),
                window_seconds=length_s(wid) or 0.0,
            )
        except (TypeError, ValueError, ZeroDivisionError):
            continue  # a malformed history must not cost the line
        if result is not None:
            out[wid] = result
    return out
