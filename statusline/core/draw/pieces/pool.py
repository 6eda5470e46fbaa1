"""A dollar credit pool (``rules.pool_*``): money to spend, named by its human label, with what is
left and when it resets. Not a window: no percent level, never blocks; its level is WARN when it
is nearly used up and FULL when it is used up, for the colour and the hook's one sentence."""

from __future__ import annotations

from statusline.core.draw import formats
from statusline.core.draw.pieces import Piece
from statusline.core.run.context import Context
from statusline.core.window import levels
from statusline.core.window.levels import FULL, NORMAL, WARN
from statusline.core.window.rules import is_number, pool_left, pool_state

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

VARIABLES = frozenset({"label", "left", "used", "limit", "state", "reset", "resets_at", "age"})
# The status line shows a pool only when it is nearly used up (its own template, not a window's).
TEMPLATE = "$label $left left( \\($state\\))"
STATE_LEVELS = {"": NORMAL, "low": WARN, "used up": FULL}


def pools(ctx: Context) -> list[dict[str, Any]]:
    """The stored pools, largest limit first (a stable order on every surface)."""
    server = ctx.snap.get("server")
    found = server.get("pools") if isinstance(server, dict) else None
    kept = [p for p in found.values() if isinstance(p, dict)] if isinstance(found, dict) else []
    return sorted(kept, key=lambda p: (-(float(p["limit"]) if is_number(p.get("limit")) else 0.0), str(p.get("label"))))


def piece(ctx: Context, pool: dict[str, Any]) -> Piece:
    currency = str(pool.get("currency") or "USD")
    left, used, limit = pool_left(pool), pool.get("used"), pool.get("limit")
    reset = pool.get("resets_at")
    past = is_number(reset) and reset <= ctx.now
    state = "" if past else pool_state(pool)
    age = levels.age_s(pool, ctx.now)
    variables = {
        "label": str(pool.get("label") or "Credit"),
        "left": "" if left is None else formats.format_money(left, currency),
        "used": formats.format_money(float(used), currency) if is_number(used) else "",
        "limit": formats.format_money(float(limit), currency) if is_number(limit) else "",
        "state": {"low": "nearly used up", "used up": "used up"}.get(state, ""),
        "reset": "" if not is_number(reset) or past else formats.format_duration(float(reset) - ctx.now),
        "resets_at": "" if not is_number(reset) else when(float(reset), ctx.now),
        "age": formats.format_duration(age) if age != float("inf") else "?",
    }
    return Piece(variables, STATE_LEVELS[state], bool(past), dict(pool, left=left, state=state))


def when(epoch: float, now: float) -> str:
    """A pool resets weeks ahead: a date then (``Nov 05``), the clock within the week."""
    if epoch - now < 6 * 86400:
        return formats.format_clock(epoch, now)
    import time

    return time.strftime("%b %d", time.localtime(epoch))
