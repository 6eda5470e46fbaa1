"""The ``status --json`` object (schema 1): every window, extra usage and errors, ISO-8601 times.

Standard library only: ``segment --format json`` serves it on the hot path.
"""

from __future__ import annotations

import time

from statusline.core.draw.pieces import extra as extra_piece
from statusline.core.draw.pieces import pool, window
from statusline.core.run.context import Context
from statusline.core.settings.loader import Settings
from statusline.core.window import levels, truth, walls
from statusline.core.window.rules import display_order, is_number, label_for

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md)
    from typing import Any


def iso(epoch: Any) -> str | None:
    if not isinstance(epoch, (int, float)) or isinstance(epoch, bool):
        return None
    try:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(float(epoch)))
    except (OverflowError, OSError, ValueError):  # beyond what the platform's time can say
        return None


def _forecast(result: Any) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "rate_per_hour": round(float(result.rate_per_hour), 3),
        "projected_at_reset": result.projected_at_reset,
        "seconds_to_full": result.seconds_to_full,
        "hits_full_before_reset": bool(result.hits_full_before_reset),
    }


def build(ctx: Context) -> dict[str, Any]:
    windows = []
    for wid in sorted(ctx.snap["windows"], key=display_order):
        w = ctx.snap["windows"][wid]
        facts = window.Facts(w, ctx)
        windows.append(
            {
                "id": wid,
                "label": w.get("label") or label_for(wid),
                "used_pct": facts.pct,
                "resets_at": iso(w.get("resets_at")),
                "source": w.get("source"),
                "observed_at": iso(w.get("observed_at")),
                "stale": facts.stale,
                "past_reset": facts.past,
                "age_seconds": round(levels.age_s(w, ctx.now), 1) if w.get("observed_at") is not None else None,
                "level": window.LEVEL_NAMES[facts.pct_level],
                "severity": w.get("severity"),
                "is_active": w.get("is_active"),
                "forecast": _forecast(facts.forecast),
                "server_name": w.get("server_name"),  # the server's display name of its scope
                "money": w.get("money"),  # its own money (a spend limit, an Enterprise seat's dollars)
            }
        )
    extra = ctx.snap.get("extra_usage")
    if isinstance(extra, dict):
        extra = {k: v for k, v in extra.items() if k != "observed_at"} | {"observed_at": iso(extra.get("observed_at"))}
        if isinstance(extra.get("moved"), dict):  # billed while no window was full (rules.money_moved)
            extra["moved"] = dict(extra["moved"], at=iso(extra["moved"].get("at")))
        money = extra_piece.piece(ctx)
        extra.pop("track", None)  # its pace, in the units a reader wants:
        if money is not None and money.variables["rate"]:
            to_limit = money.facts["seconds_to_limit"]
            extra["pace"] = {
                "per_hour": money.facts["rate_per_hour"],
                "seconds_to_limit": to_limit,
                "limit_at": None if to_limit is None else iso(ctx.now + to_limit),
            }
    refresh = ctx.snap.get("refresh") or {}
    return {
        "schema": 1,
        "generated_at": iso(ctx.now),
        "windows": windows,
        "extra_usage": extra,
        "errors": [
            {
                "kind": e.get("kind"),
                "message": e.get("message"),
                "source": e.get("source"),
                "at": iso(e.get("at")),
            }
            for e in ctx.snap.get("errors", [])
            if isinstance(e, dict)
        ],
        "refresh": _refresh_block(refresh, ctx.settings, ctx.now),
        "walls": walls.json_list(ctx.snap, ctx.now, iso),
        **server_truth(ctx),
    }


def server_truth(ctx: Context) -> dict[str, Any]:
    """Credit pools (money, by their human label: never a code name, never a percent), limit-reset
    grants, the server's split of the week and the organisation's request link."""
    pools = []
    for found in pool.pools(ctx):
        credit = pool.piece(ctx, found)
        pools.append(
            {
                "label": credit.variables["label"],
                "currency": found.get("currency") or "USD",
                "used": found.get("used"),
                "limit": found.get("limit"),
                "remaining": credit.facts["left"],
                "resets_at": iso(found.get("resets_at")),
                "state": credit.facts["state"] or None,  # "low", "used up"
                "source": found.get("source"),
                "observed_at": iso(found.get("observed_at")),
            }
        )
    grants = [
        {
            "label": g.get("label"),
            "resets_left": g.get("left"),
            "resets_total": g.get("total"),
            "starts_at": iso(g.get("starts_at")),
            "ends_at": iso(g.get("ends_at")),
            "clears": g.get("clears"),
            "usable_now": g.get("usable_now"),
            "paused": g.get("paused"),
            "command": truth.GRANT_COMMAND,
        }
        for g in truth.usable_grants(ctx.snap.get("server"), ctx.now)
    ]
    server = ctx.snap.get("server")
    split = server.get("breakdown") if isinstance(server, dict) else None
    breakdown = None
    if isinstance(split, dict):
        breakdown = {
            "what": "the server's split of the 7-day window's use by surface",
            "as_of": iso(split.get("as_of")),
            "window_started_at": iso(split.get("window_started_at")),
            "rows": [{"key": r["key"], "label": r["label"], "percent": r["percent"]} for r in split["rows"]],
            "source": split.get("source"),
        }
    return {
        "pools": pools,
        "grants": grants,
        "seven_day_breakdown": breakdown,
        "more_usage_url": walls.more_usage_url(ctx.snap),
    }


NETWORK_SOURCES = ("oauth", "claude_ai")
MAX_BACKOFF_S = 3600.0 + 60  # backoff.MAX_WAIT (not imported: hot path); a longer one is ignored


def backoff_until(state: Any, now: float) -> float | None:
    """When ``state`` (one ``refresh.sources`` entry) lets its source be read again, if later than now."""
    until = state.get("backoff_until") if isinstance(state, dict) else None
    if not isinstance(until, (int, float)) or isinstance(until, bool) or not now < until <= now + MAX_BACKOFF_S:
        return None
    return float(until)


def earliest_read(refresh: dict[str, Any], settings: Settings, now: float) -> float | None:
    """Backing off: the first moment any enabled network source may be read; None when one may now."""
    states = refresh.get("sources")
    states = states if isinstance(states, dict) else {}
    times = [backoff_until(states.get(s), now) for s in NETWORK_SOURCES if settings.get("refresh", s)]
    if not times or None in times:
        return None
    return min(t for t in times if t is not None)


def _iso(epoch: Any) -> str | None:
    """``iso`` that survives what an old or damaged snapshot holds (1e300, NaN)."""
    try:
        return iso(epoch)
    except (OverflowError, ValueError, OSError):
        return None


def _refresh_block(refresh: dict[str, Any], settings: Settings, now: float) -> dict[str, Any]:
    states = refresh.get("sources")
    sources = {}
    for name, state in sorted(states.items() if isinstance(states, dict) else []):
        if not isinstance(state, dict):
            continue
        failures = state.get("failures")
        sources[str(name)] = {
            "kind": state.get("kind") if isinstance(state.get("kind"), str) else None,
            "failures": failures if isinstance(failures, int) and not isinstance(failures, bool) else 0,
            "last_status": state.get("last_status") if isinstance(state.get("last_status"), int) else None,
            "last_ok": _iso(state.get("last_ok")),
            "backoff_until": _iso(backoff_until(state, now)),
        }
    due, held = refresh.get("next_due"), earliest_read(refresh, settings, now)
    if is_number(due) and held is not None:
        due = max(float(due), held)  # every source backing off: the interval's end is not the next read
    return {
        "last_success": _iso(refresh.get("last_success")),
        "next_due": _iso(due),
        # Schema 1 had this key from the start, always null: now the real one.
        "backoff_until": _iso(earliest_read(refresh, settings, now)),
        "sources": sources,
    }
