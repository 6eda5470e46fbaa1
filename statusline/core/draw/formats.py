"""The small formatters every surface shares: a percent, a countdown, a clock time, money.

Durations
---------
``format_duration`` truncates (never rounds up) to the largest two units: ``45s`` under a minute,
``38m`` under an hour, ``2h13m`` under a day (``1h`` when the minutes are 0), ``3d4h`` beyond
(``3d`` when the hours are 0). Anything under one second, negative or NaN gives ``0m``;
``+inf`` gives ``∞``.
"""

from __future__ import annotations

import time

MINUTE = 60.0
_INF = float("inf")
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def format_duration(seconds: float) -> str:
    """Compact countdown such as ``45s``, ``38m``, ``2h13m``, ``1h``, ``3d4h``, ``3d``; ``0m`` if < 1 s."""
    if seconds != seconds or seconds < 1:  # NaN
        return "0m"
    if seconds == _INF:
        return "∞"
    total = int(seconds)
    if total < MINUTE:
        return f"{total}s"
    minutes = total // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h" if hours else f"{days}d"


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
