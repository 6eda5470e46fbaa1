"""The ``status --json`` object (schema 1): every window, extra usage and errors, ISO-8601 times.

Standard library only: ``segment --format json`` serves it on the hot path.
"""

from __future__ import annotations

import time

from statusline import levels
from statusline.config_fast import Settings
from statusline.snapshot import Snapshot

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up
    from typing import Any

    from statusline.forecast import Forecasts


def iso(epoch: Any) -> str | None:
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch)))


def _forecast(result: Any) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "rate_per_hour": round(float(result.rate_per_hour), 3),
        "projected_at_reset": result.projected_at_reset,
        "seconds_to_full": result.seconds_to_full,
        "hits_full_before_reset": bool(result.hits_full_before_reset),
    }


def build(snap: Snapshot, settings: Settings, now: float, forecasts: Forecasts | None = None) -> dict[str, Any]:
    stale_after = float(settings.get("stale_after_minutes")) * 60
    warn, critical = float(settings.get("levels", "warn")), float(settings.get("levels", "critical"))
    windows = []
    for wid in sorted(snap["windows"], key=_order):
        w = snap["windows"][wid]
        past = levels.is_past_reset(w, now)
        windows.append(
            {
                "id": wid,
                "label": w.get("label") or wid,
                "used_pct": float(w["used_pct"]),
                "resets_at": iso(w.get("resets_at")),
                "source": w.get("source"),
                "observed_at": iso(w.get("observed_at")),
                "stale": past or levels.is_stale(w, now, stale_after),
                "past_reset": past,
                "age_seconds": round(levels.age_s(w, now), 1) if w.get("observed_at") is not None else None,
                "level": ("normal", "warn", "critical", "full")[levels.level(float(w["used_pct"]), warn, critical)],
                "severity": w.get("severity"),
                "is_active": w.get("is_active"),
                "forecast": _forecast((forecasts or {}).get(wid)),
            }
        )
    extra = snap.get("extra_usage")
    if isinstance(extra, dict):
        extra = {k: v for k, v in extra.items() if k != "observed_at"} | {"observed_at": iso(extra.get("observed_at"))}
    refresh = snap.get("refresh") or {}
    return {
        "schema": 1,
        "generated_at": iso(now),
        "windows": windows,
        "extra_usage": extra,
        "errors": [
            {
                "kind": e.get("kind"),
                "message": e.get("message"),
                "source": e.get("source"),
                "at": iso(e.get("at")),
            }
            for e in snap.get("errors", [])
            if isinstance(e, dict)
        ],
        "refresh": {
            "last_success": iso(refresh.get("last_success")),
            "next_due": iso(refresh.get("next_due")),
            "backoff_until": iso(refresh.get("backoff_until")),
        },
    }


def _order(wid: str) -> tuple[int, str]:
    rank = {"five_hour": 0, "seven_day": 1}
    return rank.get(wid, 2 if wid.startswith("seven_day:") else 3), wid
