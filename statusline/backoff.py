"""How long to leave an endpoint alone after a failure. The state lives in the snapshot, so every
process and every restart honours it."""

from __future__ import annotations

MINUTE = 60.0
# 429: the longer of Retry-After and this growing floor.
RATE_LIMIT_FLOOR = (5 * MINUTE, 10 * MINUTE, 20 * MINUTE, 40 * MINUTE, 60 * MINUTE)
AUTH_RETRY = 15 * MINUTE
# 5xx, timeouts, network errors, bad JSON.
TRANSIENT = (1 * MINUTE, 2 * MINUTE, 4 * MINUTE, 8 * MINUTE, 16 * MINUTE, 30 * MINUTE)
# 403 and Cloudflare challenges: waiting a minute will not change the answer.
FORBIDDEN = (15 * MINUTE, 30 * MINUTE, 60 * MINUTE)


def _step(table: tuple[float, ...], failures: int) -> float:
    return table[min(max(failures, 1), len(table)) - 1]


def wait_for(kind: str, failures: int, retry_after: float | None = None) -> float:
    """Seconds to wait after the ``failures``-th consecutive failure of ``kind``."""
    if kind == "rate_limited":
        return max(retry_after or 0.0, _step(RATE_LIMIT_FLOOR, failures))
    if kind == "auth_expired":
        return AUTH_RETRY
    if kind in ("forbidden", "cloudflare"):
        return _step(FORBIDDEN, failures)
    return _step(TRANSIENT, failures)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        import time

        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
