"""The server's truth beyond its windows, as the snapshot keeps it (the ``server`` section):
dollar credit pools (their rules: ``rules.pool_*``), limit-reset grants, the server's split of
the week (``seven_day_breakdown``) and an organisation's "request more usage" link.

The one home of what each looks like when stored and how a newer reading replaces it: the parser
builds them, ``merge.apply_server`` merges them, ``snapshot.normalise`` checks them on every read.
Standard library only (the hot path reads them).
"""

from __future__ import annotations

from statusline.core.window.rules import (
    EPOCH_FLOOR,
    FUTURE_SKEW_S,
    MAX_TEXT_LEN,
    UNKNOWN_LENGTH_HORIZON_S,
    is_number,
    pool_problem,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

PARTS = ("pools", "grants", "breakdown", "more_usage_url")
MAX_POOLS = 16
MAX_GRANTS = 16
MAX_ROWS = 16
MAX_URL_LEN = 1024
# Claude Code's command that spends a limit-reset grant (``s3="limit-reset"`` in 2.1.330's binary:
# "/limit-reset to reset your 5-hour limit now · uses weekly limit · 1/week").
GRANT_COMMAND = "/limit-reset"
# The windows a grant can clear, as the server names them (``clears``), and quotaline's ids.
CLEARS = {"five_hour": "five_hour", "seven_day": "seven_day", "session": "five_hour", "weekly": "seven_day"}
# Hosts a "request more usage" link may not point at (Claude Code's rule for ``kind_fountain_url``).
OWN_DOMAINS = ("claude.ai", "claude.com", "anthropic.com")
_URL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/?#[]@!$&'()*+,;=%")


def request_url(value: Any) -> str | None:
    """``kind_fountain_url`` as quotaline shows it, or None: an https URL of printable ASCII (no
    space, no control, no quote), at most 1024 characters, whose host is not Claude's or
    Anthropic's, and with no user part (``https://claude.ai@evil`` reads as Claude's)."""
    if not isinstance(value, str) or not 8 < len(value) <= MAX_URL_LEN or not value.startswith("https://"):
        return None
    if not all(ch in _URL_CHARS for ch in value):
        return None
    rest = value[8:]
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    authority = rest[:end]
    if "@" in authority or not authority:
        return None
    host = authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority
    host = host.lower().rstrip(".")
    if not host or "." not in host or any(host == d or host.endswith("." + d) for d in OWN_DOMAINS):
        return None
    return value


def _time(value: Any, now: float, ahead: float) -> bool:
    return is_number(value) and EPOCH_FLOOR <= value <= now + ahead


def _text(value: Any, limit: int = MAX_TEXT_LEN) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _stamp_ok(part: Any, now: float) -> bool:
    return isinstance(part, dict) and _time(part.get("observed_at"), now, FUTURE_SKEW_S) and (
        part.get("source") is None or _text(part.get("source"), 16)
    )


def grant_problem(grant: Any, now: float) -> str | None:
    if not isinstance(grant, dict):
        return "not an object"
    if not _text(grant.get("key"), 128) or not _text(grant.get("label")):
        return "no key or label"
    for key in ("left", "total"):
        value = grant.get(key)
        if value is not None and not (type(value) is int and 0 <= value <= 1000):
            return f"{key} is not a small count"
    for key in ("starts_at", "ends_at"):
        value = grant.get(key)
        if value is not None and not _time(value, now, UNKNOWN_LENGTH_HORIZON_S * 4):
            return f"{key} is not a time"
    clears = grant.get("clears")
    if not isinstance(clears, list) or not all(c in CLEARS.values() for c in clears) or len(clears) > 4:
        return "clears is not a list of windows"
    for key in ("usable_now", "paused"):
        if grant.get(key) not in (True, False, None):
            return f"{key} is not a boolean"
    return None


def breakdown_problem(breakdown: Any, now: float) -> str | None:
    if not isinstance(breakdown, dict):
        return "not an object"
    for key in ("as_of", "window_started_at"):
        value = breakdown.get(key)
        if value is not None and not _time(value, now, FUTURE_SKEW_S):
            return f"{key} is not a time up to now"
    rows = breakdown.get("rows")
    if not isinstance(rows, list) or not 0 < len(rows) <= MAX_ROWS:
        return "no rows"
    for row in rows:
        if not isinstance(row, dict) or not _text(row.get("label")) or not _text(row.get("key"), 64):
            return "a row without a label"
        pct = row.get("percent")
        if not (is_number(pct) and 0 <= pct <= 100):
            return "a row's percent is not in 0-100"
    return None


def sane(section: Any, now: float) -> dict[str, Any]:
    """The ``server`` section without anything that fails its rule (each part on its own)."""
    if not isinstance(section, dict):
        return {}
    out: dict[str, Any] = {}
    pools = section.get("pools")
    if isinstance(pools, dict):
        kept = {k: p for k, p in list(pools.items())[:MAX_POOLS] if _text(k, 128) and pool_problem(p, now) is None}
        if kept:
            out["pools"] = kept
    grants = section.get("grants")
    if isinstance(grants, dict) and _stamp_ok(grants, now) and isinstance(grants.get("items"), list):
        items = [g for g in grants["items"][:MAX_GRANTS] if grant_problem(g, now) is None]
        out["grants"] = {**grants, "items": items}
    breakdown = section.get("breakdown")
    if _stamp_ok(breakdown, now) and breakdown_problem(breakdown, now) is None:
        out["breakdown"] = breakdown
    link = section.get("more_usage_url")
    if isinstance(link, dict) and _stamp_ok(link, now) and request_url(link.get("url")) is not None:
        out["more_usage_url"] = link
    return out


def merge(old: Any, new: Any, part: str) -> Any:
    """The part to keep after a reading: a newer one replaces; a reading that sent none (None)
    clears only what the same source sent before (another source's read may not ask for it:
    Claude Code's cached copy is fetched without ``?cedar_ember=1``)."""
    if not isinstance(old, dict):
        return new
    if float(new.get("observed_at") or 0) < float(old.get("observed_at") or 0):
        return old
    if new.get("empty") and old.get("source") != new.get("source"):
        return old
    return new


def usable_grants(section: Any, now: float) -> list[dict[str, Any]]:
    """Grants that exist now (started, not ended, some left), as stored."""
    grants = section.get("grants") if isinstance(section, dict) else None
    items = grants.get("items") if isinstance(grants, dict) else None
    found = []
    for grant in items if isinstance(items, list) else []:
        if not isinstance(grant, dict):
            continue
        ends, starts = grant.get("ends_at"), grant.get("starts_at")
        if (is_number(ends) and ends <= now) or grant.get("left") == 0:
            continue
        found.append(dict(grant, started=not (is_number(starts) and starts > now)))
    return found
