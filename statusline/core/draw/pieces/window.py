"""One usage window: its percent as the server gave it, countdown, forecast, source and age."""

from __future__ import annotations

from statusline.core.draw import formats
from statusline.core.draw.pieces import Piece
from statusline.core.run.context import Context
from statusline.core.window import levels
from statusline.core.window.levels import NORMAL, WARN
from statusline.core.window.rules import Window, human_name, is_number, label_for

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

# What a window template may use; config checks templates against this.
VARIABLES = frozenset(
    {
        "id", "label", "name", "pct", "percent", "reset", "resets_at", "eta", "to_full", "rate",
        "at_reset", "source", "age", "as_of", "level", "stale", "money",
    }
)  # fmt: skip
LEVEL_NAMES = ("normal", "warn", "critical", "full")


class Facts:
    """What every surface decides about a window at this moment, decided once."""

    __slots__ = ("forecast", "past", "pct", "pct_level", "shown", "stale", "window")

    def __init__(self, window: Window, ctx: Context) -> None:
        self.window = window
        self.pct = float(window["used_pct"])
        # The server's finer percent (limits[].percent_precise), drawn only: levels use pct.
        shown = window.get("shown_pct")
        self.shown = float(shown) if is_number(shown) and abs(float(shown) - self.pct) <= 1 else self.pct
        self.past = levels.is_past_reset(window, ctx.now)  # the number is of a period that ended
        self.stale = self.past or levels.is_stale(window, ctx.now, ctx.stale_after_s)
        self.pct_level = levels.level(self.pct, ctx.warn_at, ctx.critical_at)  # the percent's own level
        self.forecast = ctx.forecast(str(window["id"]))

    @property
    def seconds_to_full(self) -> float | None:
        """Seconds until 100% when the current pace fills the window before it resets."""
        fc = self.forecast
        if self.past or fc is None or not fc.hits_full_before_reset or fc.seconds_to_full is None:
            return None
        return float(fc.seconds_to_full)


def piece(ctx: Context, window: Window) -> Piece:
    facts = Facts(window, ctx)
    # Past its reset the number is of a finished period: no colour for it; a forecast that fills
    # the window before it resets is worth a look even below the warning level.
    level = NORMAL if facts.past else facts.pct_level
    if facts.seconds_to_full is not None and level < WARN:
        level = WARN
    return Piece(variables(facts, ctx.now), level, facts.stale, facts)


def variables(facts: Facts, now: float) -> dict[str, str]:
    window, fc, past = facts.window, facts.forecast, facts.past
    reset = window.get("resets_at")
    age = levels.age_s(window, now)
    to_full = facts.seconds_to_full
    shown_age = formats.format_duration(age) if age != float("inf") else "?"
    return {
        "id": str(window["id"]),
        "label": str(window.get("label") or label_for(str(window["id"]))),
        "name": human_name(window),
        "pct": "reset" if past else ("≥" if facts.stale else "") + formats.format_pct(facts.shown),
        "percent": formats.format_pct(facts.shown),
        "reset": "" if past or reset is None else formats.format_duration(float(reset) - now),
        "resets_at": "" if reset is None else formats.format_clock(float(reset), now),
        "eta": "" if to_full is None else f"→100% in {formats.format_duration(to_full)}",
        "to_full": "" if to_full is None else formats.format_duration(to_full),
        "rate": "" if fc is None else f"{float(fc.rate_per_hour):.1f}%/h",
        "at_reset": "" if fc is None or fc.projected_at_reset is None else _projected(fc.projected_at_reset),
        "source": str(window.get("source", "")),
        "age": shown_age,
        "as_of": f"as of {shown_age} ago" if facts.stale and not past else "",
        "level": LEVEL_NAMES[NORMAL if past else facts.pct_level],
        "stale": "stale" if facts.stale else "",
        "money": money_text(window.get("money")),
    }


def money_text(money: Any) -> str:
    """A window's own money (a gateway budget, an Enterprise seat's dollars): ``$56.25 of $50.00``,
    ``$56.25``, ``of $50.00``; "" without any."""
    if not isinstance(money, dict):
        return ""
    currency = str(money.get("currency") or "USD")
    used, limit = money.get("used"), money.get("limit")
    parts = [formats.format_money(float(used), currency)] if is_number(used) else []
    if is_number(limit):
        parts.append("of " + formats.format_money(float(limit), currency))
    return " ".join(parts)


def _projected(pct: float) -> str:
    return formats.format_pct(round(float(pct), 1))
