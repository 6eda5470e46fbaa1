"""Extra usage: the money billed beyond the plan this month, against its limit."""

from __future__ import annotations

from statusline.core.draw import formats
from statusline.core.draw.pieces import Piece
from statusline.core.run.context import Context
from statusline.core.window import forecast, levels
from statusline.core.window.levels import FULL, NORMAL
from statusline.core.window.rules import MEMBER, ORG, display_order, is_number, label_for

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

# A pace below a cent an hour is not billing worth a word; a limit below a cent is none (a 1e-300
# limit would make any spend a percent in the googols).
MIN_RATE = 0.01
VARIABLES = frozenset({"used", "limit", "pct", "currency", "state", "rose", "plan", "rate", "to_limit", "limit_at",
                       "scope", "whose"})
# Whose money it is (``rules.money_scope``), short and in words; nothing when not known.
SCOPE_WORDS = {ORG: ("org", "organisation's total"), MEMBER: ("yours", "yours")}


def piece(ctx: Context) -> Piece | None:
    """None unless extra usage is enabled on the account."""
    extra = ctx.snap.get("extra_usage")
    if not isinstance(extra, dict) or not extra.get("enabled"):
        return None
    used, limit = extra.get("used"), extra.get("limit")
    amount = float(used) if is_number(used) else 0.0
    currency = str(extra.get("currency") or "USD")
    cap = float(limit) if is_number(limit) and limit >= MIN_RATE else None  # below a cent: no limit to speak of
    server_pct = extra.get("utilization")  # the server's own percent, when it gives one
    pct = None if cap is None else float(server_pct) if is_number(server_pct) else 100.0 * amount / cap
    level = NORMAL if pct is None else levels.level(pct, ctx.warn_at, ctx.critical_at)
    out = bool(extra.get("out_of_credits"))
    at_cap = extra.get("disabled_reason") == "spend_limit_reached"  # the server stopped it at its cap
    scope = extra.get("scope")
    if out or at_cap:
        level = FULL
    rate = forecast.money_rate(extra.get("track"), now=ctx.now)
    # No pace worth a word, no time to the limit: a crawl toward a large limit is past any clock.
    to_limit = forecast.seconds_to_limit(rate, amount, cap) if rate is not None and rate >= MIN_RATE else None
    variables = {
        "used": formats.format_money(amount, currency),
        "limit": "" if cap is None else formats.format_money(cap, currency),
        "pct": "" if pct is None else formats.format_pct(pct),
        "currency": currency.upper(),
        "state": "out of credits" if out else "at its spend limit" if at_cap else "",
        "rate": "" if rate is None or rate < MIN_RATE else formats.format_money(rate, currency) + "/h",
        "to_limit": "" if to_limit is None else formats.format_duration(to_limit),
        "limit_at": "" if to_limit is None else formats.format_clock(ctx.now + to_limit, ctx.now),
        "scope": SCOPE_WORDS[scope][0] if scope in SCOPE_WORDS else "",
        "whose": SCOPE_WORDS[scope][1] if scope in SCOPE_WORDS else "",
        **_moved(extra.get("moved"), currency),
    }
    return Piece(variables, level, False, dict(extra, rate_per_hour=rate, seconds_to_limit=to_limit))


def _moved(moved: Any, currency: str) -> dict[str, str]:
    """``rose`` (``$12.40``) and ``plan`` (``5h 13% · 7d 20%``) of the last rise billed while no
    window was full (``rules.money_moved``); empty without one."""
    if not isinstance(moved, dict):
        return {"rose": "", "plan": ""}
    shown: dict[str, float] = moved["windows"] if isinstance(moved.get("windows"), dict) else {}
    plan = " · ".join(f"{label_for(w)} {formats.format_pct(float(shown[w]))}" for w in sorted(shown, key=display_order))
    return {"rose": formats.format_money(float(moved["to"]) - float(moved["from"]), currency), "plan": plan}
