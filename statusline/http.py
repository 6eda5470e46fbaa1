"""HTTP for the refresher: injected transports (tests use a real server on loopback), strict
base URLs, a hard total deadline, and failures classified into the kinds the backoff knows."""

from __future__ import annotations

import ipaddress
import json
import os
import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from statusline import __version__

CONNECT_TIMEOUT_S = 5.0
TOTAL_TIMEOUT_S = 10.0
MAX_BODY = 2 << 20
TRUSTED_HOSTS = ("anthropic.com", "claude.ai")


class FetchError(Exception):
    """A failed fetch: ``kind`` drives the backoff, ``message`` is safe to show and store."""

    def __init__(self, kind: str, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def base_url(env_var: str, default: str) -> str:
    """The base URL, from ``env_var`` when set. Credentials go only to Anthropic over HTTPS, or to
    a loopback server (tests); anything else is refused."""
    value = os.environ.get(env_var, "").strip().rstrip("/") or default
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    if is_loopback(host) and parts.scheme in ("http", "https"):
        return value
    if parts.scheme != "https":
        raise FetchError("config", f"{env_var}: plain http is refused except to loopback addresses")
    if not any(host == h or host.endswith("." + h) for h in TRUSTED_HOSTS):
        raise FetchError("config", f"{env_var}: credentials are only sent to anthropic.com or claude.ai")
    return value


def user_agent(configured: str, claude_version: str | None) -> str:
    if configured:
        return configured
    cc = f" claude-code/{claude_version}" if claude_version else ""
    return f"quotaline/{__version__}{cc}"


def make_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    timeout = httpx.Timeout(TOTAL_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)


def scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def get_json(client: httpx.Client, url: str, headers: dict[str, str], secrets: list[str]) -> Any:
    """GET ``url`` and return its JSON, or raise FetchError. Never lets a secret into a message."""
    deadline = time.monotonic() + TOTAL_TIMEOUT_S
    try:
        with client.stream("GET", url, headers=headers) as response:
            body = _read_body(response, deadline)
    except httpx.TimeoutException:
        raise FetchError("timeout", f"no answer from {_host(url)} within {TOTAL_TIMEOUT_S:.0f} s") from None
    except httpx.TransportError as exc:
        raise FetchError("network", scrub(f"cannot reach {_host(url)}: {type(exc).__name__}", secrets)) from None
    return _interpret(response, body, url, secrets)


def _read_body(response: httpx.Response, deadline: float) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_BODY:
            raise FetchError("bad_payload", "answer too large", status=response.status_code)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise httpx.ReadTimeout("total deadline")
    return b"".join(chunks)


def _host(url: str) -> str:
    return urlsplit(url).netloc


def is_cloudflare(response: httpx.Response, body: bytes) -> bool:
    if response.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    if "html" not in response.headers.get("content-type", "").lower() and not body.lstrip().startswith(b"<"):
        return False
    head = body[:4096].lower()
    return b"just a moment" in head or b"challenge-platform" in head or b"cloudflare" in head


def _error_message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message)[:160] if message else ""


def _interpret(response: httpx.Response, body: bytes, url: str, secrets: list[str]) -> Any:
    status = response.status_code
    host = _host(url)
    if status == 429:
        from statusline.backoff import parse_retry_after

        retry = parse_retry_after(response.headers.get("retry-after"))
        raise FetchError("rate_limited", f"rate limited by {host} (429)", status=status, retry_after=retry)
    if status == 401:
        raise FetchError("auth_expired", "token expired: run claude to refresh it", status=status)
    if is_cloudflare(response, body):
        raise FetchError("cloudflare", f"{host} answered with a Cloudflare challenge page ({status})", status=status)
    if status == 403:
        detail = scrub(_error_message(body), secrets)
        raise FetchError("forbidden", f"{host} refused access (403){': ' + detail if detail else ''}", status=status)
    if status >= 500:
        raise FetchError("server_error", f"{host} failed ({status})", status=status)
    if status >= 300:
        raise FetchError("http_error", f"unexpected answer from {host} ({status})", status=status)
    try:
        return json.loads(body)
    except ValueError:
        raise FetchError("bad_payload", f"{host} sent something that is not JSON", status=status) from None
