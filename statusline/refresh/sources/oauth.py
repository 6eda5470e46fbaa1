"""``GET https://api.anthropic.com/api/oauth/usage`` with Claude Code's own token (read-only)."""

from __future__ import annotations

import time

import httpx

from statusline.refresh import credentials
from statusline.refresh.http import FetchError, base_url, get_json, header_secret
from statusline.refresh.usage_payload import PayloadError, UsageReading, parse_usage

DEFAULT_BASE = "https://api.anthropic.com"
PATH = "/api/oauth/usage"


def fetch(client: httpx.Client, user_agent: str, single_seat: bool | None = None) -> UsageReading:
    cred, why = credentials.load()
    if cred is None:
        raise FetchError("no_credentials", why)
    if cred.expires_at is not None and cred.expires_at < time.time():
        raise FetchError("auth_expired", "token expired: run claude to refresh it")
    token = header_secret(cred.token, f"the access token ({cred.source})")
    url = base_url("QUOTALINE_API_BASE", DEFAULT_BASE) + PATH
    headers = {
        "Authorization": f"Bearer {token}",
        "anthropic-beta": "oauth-2025-04-20",
        "Accept": "application/json",
        "User-Agent": user_agent,
    }
    data = get_json(client, url, headers, [token, cred.token])
    try:
        return parse_usage(
            data, source="oauth", observed_at=time.time(), plan=cred.subscription, single_seat=single_seat
        )
    except PayloadError as exc:
        raise FetchError("bad_payload", f"usage answer is not an object: {exc}") from None
