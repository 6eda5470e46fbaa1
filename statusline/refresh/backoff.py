"""How long to leave an endpoint alone after a failure. The state lives in the snapshot, so every
process and every restart honours it."""

from __future__ import annotations

import math
import time

MINUTE = 60.0
# 429: the longer of Retry-After and this growing floor.
RATE_LIMIT_FLOOR = (5 * MINUTE, 10 * MINUTE, 20 * MINUTE, 40 * MINUTE, 60 * MINUTE)
AUTH_RETRY = 15 * MINUTE
# 5xx, timeouts, network errors, bad JSON.
TRANSIENT = (1 * MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 16 * MINUTE, 30 * MINUTE)
# 403 and Cloudflare challenges: waiting a minute will not change the answer.
FORBIDDEN = (15 * MINUTE, 30 * MINUTE, 60 * MINUTE)
# No answer keeps quotaline away longer than this (Claude Code: min(Retry-After or 300 s, 3600 s)).
MAX_WAIT = 60 * MINUTE


def _step(table: tuple[float, ...], failures: int) -> float:
    return table[min(max(failures, 1), len(table)) - 1]


def wait_for(kind: str, failures: int, retry_after: float | None = None) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure of ``kind``, at most MAX_WAIT."""
    if kind == "rate_limited":
        asked = retry_after if retry_after is not None and math.isfinite(retry_after) else 0.0
        wait = max(asked, _step(RATE_LIMIT_FLOOR, failures))
    elif kind == "auth_expired":
        wait = AUTH_RETRY
    elif kind in ("forbidden", "cloudflare"):
        wait = _step(FORBIDDEN, failures)
    else:
        wait = _step(TRANSIENT, failures)
    return min(wait, MAX_WAIT)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds in [0, MAX_WAIT] (delta-seconds or an HTTP date); None when absent or
    unreadable (NaN, garbage, a date out of range)."""
    if not value:
        return None
    value = value.strip()
    seconds: float | None
    try:
        seconds = float(value)
    except ValueError:
        seconds = _http_date_in(value)
    if seconds is None or math.isnan(seconds):
        return None
    return min(max(0.0, seconds), MAX_WAIT)


def _http_date_in(value: str) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
