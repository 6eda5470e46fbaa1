"""claude.ai's own usage endpoints with the browser's ``sessionKey`` cookie (opt-in only)."""

from __future__ import annotations

import os
import time

import httpx

from statusline.core.window.rules import ORG_PLANS
from statusline.refresh.http import FetchError, base_url, get_json, header_secret
from statusline.refresh.usage_payload import (
    PayloadError,
    UsageReading,
    member_dashboard,
    parse_member_spend,
    parse_overage_spend_limit,
    parse_usage,
)

DEFAULT_BASE = "https://claude.ai"
SESSION_KEY_ENV = "QUOTALINE_CLAUDE_AI_SESSION_KEY"


def session_key(configured: str) -> str:
    return os.environ.get(SESSION_KEY_ENV, "").strip() or configured.strip()


def fetch(
    client: httpx.Client, user_agent: str, key: str, org: str, plan: str | None = None, single_seat: bool | None = None
) -> UsageReading:
    if not key:
        raise FetchError("no_credentials", f"claude.ai source enabled but no sessionKey ({SESSION_KEY_ENV})")
    key = header_secret(key, "the claude.ai sessionKey")
    base = base_url("QUOTALINE_CLAUDE_AI_BASE", DEFAULT_BASE)
    headers = {"Cookie": f"sessionKey={key}", "Accept": "application/json", "User-Agent": user_agent}
    secrets = [key]
    org = org or _first_org(client, base, headers, secrets)
    now = time.time()
    data = get_json(client, f"{base}/api/organizations/{org}/usage", headers, secrets)
    try:
        reading = parse_usage(data, source="claude_ai", observed_at=now, plan=plan, single_seat=single_seat)
    except PayloadError as exc:
        raise FetchError("bad_payload", f"usage answer is not an object: {exc}") from None
    if reading.extra_usage is not None and (member_dashboard(data) or (plan or "").lower() in ORG_PLANS):
        return _with_member_spend(client, f"{base}/api/organizations/{org}/usage/spend", headers, secrets, reading)
    if reading.extra_usage is None:
        try:
            spend = get_json(client, f"{base}/api/organizations/{org}/overage_spend_limit", headers, secrets)
        except FetchError:
            return reading  # the money is a bonus; the windows stand
        extra = parse_overage_spend_limit(spend, source="claude_ai", observed_at=now)
        if extra is not None:
            return UsageReading(reading.windows, extra, reading.problems, reading.observed_at)
    return reading


def _with_member_spend(
    client: httpx.Client, url: str, headers: dict[str, str], secrets: list[str], reading: UsageReading
) -> UsageReading:
    """On an organisation's plan the payload's money is the organisation's total: the member's own
    month (``/usage/spend``) replaces it when the server gives one quotaline can read; otherwise
    (404, an error, another shape) the total stays, said as whatever ``parse_usage`` knew."""
    try:
        mine = parse_member_spend(get_json(client, url, headers, secrets))
    except FetchError:
        mine = None
    if mine is None or reading.extra_usage is None:
        return reading
    return UsageReading(reading.windows, {**reading.extra_usage, **mine}, reading.problems, reading.observed_at)


def _first_org(client: httpx.Client, base: str, headers: dict[str, str], secrets: list[str]) -> str:
    orgs = get_json(client, f"{base}/api/organizations", headers, secrets)
    if isinstance(orgs, list):
        for org in orgs:
            uuid = org.get("uuid") if isinstance(org, dict) else None
            if isinstance(uuid, str) and uuid:
                return uuid
    raise FetchError("bad_payload", "claude.ai listed no organization; set refresh.claude_ai_org")
