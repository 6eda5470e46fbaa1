"""Metrics pushed after each refresh, for machines nobody scrapes (laptops: asleep, roaming, NAT).

Two opt-in ways, both fed by ``series`` (the textfile's series): a Prometheus Pushgateway (the
text format, PUT to ``<gateway>/metrics/job/quotaline/instance/<account>``, here) and OTLP (``otlp``,
which sends through the helpers here).
Each push runs after the snapshot is written, within its own deadline (``DEADLINE_S``, a bounded
retry inside it), in a daemon thread this one stops waiting for: a dead or dripping endpoint costs
the refresher that long, never the snapshot. Outcomes are sentences without secrets (no header,
no URL credentials), stored by the refresher in the snapshot for ``doctor``.
"""

from __future__ import annotations

import base64
import re
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

import httpx

from statusline import __version__
from statusline.core.run.context import Context
from statusline.refresh import prometheus, series

DEADLINE_S = 4.0
RETRY_PAUSE_S = 0.5
JOB = "quotaline"
# Answers worth a second try within the deadline: the gateway or a proxy in front of it was busy.
RETRY_STATUSES = (429, 502, 503, 504)
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")


class PushError(Exception):
    """Why a push failed, as a sentence safe to store and show (no secret in it)."""


def pushgateway_url(ctx: Context) -> str:
    return str(ctx.settings.get("export", "pushgateway_url")).strip()


def to_gateway(ctx: Context, account: str | None, text: str | None = None) -> dict[str, Any] | None:
    """The Pushgateway push when configured, within its deadline: its outcome, else None."""
    gateway = pushgateway_url(ctx)
    if not gateway:
        return None
    body = text if text is not None else prometheus.render(ctx, account)
    url = group_url(gateway, series.account_labels(ctx, account)["account"])
    return attempt(public_url(url), lambda: put_text(url, body, DEADLINE_S))


def outcome(to: str, error: str) -> dict[str, Any]:
    return {"at": time.time(), "ok": not error, "to": to, "error": error}


def attempt(to: str, push: Callable[[], None]) -> dict[str, Any]:
    try:
        within(DEADLINE_S, push)
    except PushError as exc:
        return outcome(to, str(exc))
    except Exception as exc:  # a bug: its type only (a message could carry a header)
        return outcome(to, f"internal error ({type(exc).__name__})")
    return outcome(to, "")


def within(deadline: float, work: Callable[[], None]) -> None:
    """``work()`` in a daemon thread, waited for at most ``deadline`` seconds: a timeout inside a
    client bounds each read, not a server that answers a byte at a time."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name="quotaline-push", daemon=True)
    thread.start()
    thread.join(deadline)
    if thread.is_alive():
        raise PushError(f"no answer within {deadline:g} s")
    if failure:
        raise failure[0]


def group_url(gateway: str, instance: str) -> str:
    """The Pushgateway group of this account: job ``quotaline``, instance the account label (base64
    when it holds what a path segment cannot, as the Pushgateway's ``@base64`` suffix allows)."""
    base = gateway.rstrip("/")
    if _PLAIN_SEGMENT.fullmatch(instance):
        return f"{base}/metrics/job/{JOB}/instance/{instance}"
    encoded = base64.urlsafe_b64encode(instance.encode()).decode().rstrip("=") or "="
    return f"{base}/metrics/job/{JOB}/instance@base64/{encoded}"


def public_url(url: str) -> str:
    """``url`` as it may be shown: no user, password, query or fragment."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an invalid URL)"
    host = f"[{host}]" if ":" in host else host
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without its ``user:password@`` and those as basic auth."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, None
    netloc = parts.netloc.rsplit("@", 1)[1]
    bare = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))


def parse_headers(text: str) -> dict[str, str]:
    """OTLP's header list (``OTEL_EXPORTER_OTLP_HEADERS``): ``key=value,key2=value2``, values
    percent-encoded; malformed entries are skipped, as the OpenTelemetry SDKs do."""
    headers: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key, value = urllib.parse.unquote(key).strip(), urllib.parse.unquote(value).strip()
        if sep and key and re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", key):
            headers[key] = value
    return headers


def post_or_put(method: str, url: str, body: bytes, headers: dict[str, str], deadline: float) -> None:
    """One request and, when the first fails in a way worth it, one more, all within ``deadline``.
    Raises PushError with the status or the error's kind (never the URL or a header)."""
    bare, auth = split_credentials(url)
    end = time.monotonic() + deadline
    headers = {"User-Agent": f"quotaline/{__version__}", **headers}
    for attempt_no in (1, 2):
        left = end - time.monotonic()
        timeout = httpx.Timeout(max(left, 0.1), connect=min(max(left, 0.1), 2.0))
        try:
            reply = httpx.request(
                method, bare, content=body, headers=headers, auth=auth, timeout=timeout, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: no answer from the server"
            if isinstance(exc, httpx.ConnectError):
                error = "connection refused or host unreachable"
            retry = isinstance(exc, (httpx.ConnectError, httpx.RemoteProtocolError))
        else:
            if reply.status_code < 300:
                return
            error = f"HTTP {reply.status_code}"
            retry = reply.status_code in RETRY_STATUSES
        if attempt_no == 2 or not retry or end - time.monotonic() < RETRY_PAUSE_S * 2:
            raise PushError(error)
        time.sleep(RETRY_PAUSE_S)


def put_text(url: str, text: str, deadline: float) -> None:
    """PUT replaces the whole group: a window gone from the snapshot is gone from the gateway."""
    headers = {"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
    post_or_put("PUT", url, text.encode(), headers, deadline - RETRY_PAUSE_S)
