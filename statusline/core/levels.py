"""Levels, staleness and the small formatters every surface shares."""

from __future__ import annotations

import time

from statusline.core.pace import format_duration
from statusline.core.windows import Window

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

__all__ = ["format_duration"]  # re-exported: every surface formats countdowns alike

NORMAL, WARN, CRITICAL, FULL = 0, 1, 2, 3
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def level(pct: float, warn: float, critical: float) -> int:
    if pct >= 100:
        return FULL
    if pct >= critical:
        return CRITICAL
    if pct >= warn:
        return WARN
    return NORMAL


def is_past_reset(window: Window, now: float) -> bool:
    reset = window.get("resets_at")
    return isinstance(reset, (int, float)) and reset <= now


def age_s(window: Window | dict[str, Any], now: float) -> float:
    observed = window.get("observed_at")
    return max(0.0, now - float(observed)) if isinstance(observed, (int, float)) else float("inf")


def is_stale(window: Window | dict[str, Any], now: float, stale_after_s: float) -> bool:
    return age_s(window, now) > stale_after_s


def format_pct(pct: float) -> str:
    """The server's percent as given: ``42%``, ``23.5%``, ``0.25%`` (no rounding to whole numbers).

    Cut, not rounded, at two decimals: 99.995 is ``99.99%``, never a ``100%`` the level disagrees
    with (a percent is never shown above what the server said).
    """
    # Ten decimals clear a computed percent's float noise (0.29 * 100) without rounding a real
    # 99.9999999 up to 100 (+ 0.0: no "-0").
    text = f"{pct + 0.0:.10f}"
    whole, _, decimals = text.partition(".")
    text = (whole + "." + decimals[:2]).rstrip("0").rstrip(".")
    return f"{text}%"


def format_clock(epoch: float, now: float) -> str:
    """Local reset time: ``14:05`` today or tomorrow, ``Tue 14:05`` further away."""
    fmt = "%H:%M" if epoch - now < 20 * 3600 else "%a %H:%M"
    return time.strftime(fmt, time.localtime(epoch))


def format_money(amount: float, currency: str) -> str:
    symbol = CURRENCY_SYMBOLS.get(currency.upper())
    if symbol:
        return f"{symbol}{amount:,.2f}"
    return f"{amount:,.2f} {currency.upper()}"
