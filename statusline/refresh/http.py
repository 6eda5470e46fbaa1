"""HTTP for the refresher: injected transports (tests use a real server on loopback), strict
base URLs, a hard total deadline, and failures classified into the kinds the backoff knows."""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import json
import math
import os
import re
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from statusline import __version__

CONNECT_TIMEOUT_S = 5.0
TOTAL_TIMEOUT_S = 10.0
# One refresh run's network reads, all sources and requests together (claude.ai takes up to three):
# the refresh lock is never held much longer, and `quotaline refresh` waits 20 s for it.
RUN_TIMEOUT_S = 15.0
MAX_BODY = 2 << 20
# The encodings a request asks for, and the zlib window bits that read them (47: gzip or zlib).
ACCEPT_ENCODING = "gzip, deflate"
_ZLIB_WBITS = {"gzip": 31, "x-gzip": 31, "deflate": 47}
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


# Claude Code 2.1.330, measured (docs/sources.md, "User-Agent"): ``claude-code/<version>`` on its OAuth API
# calls (``/api/oauth/profile``; its gateway usage read), ``claude-cli/<version> (external, cli)``
# on ``/v1/messages``. The usage endpoint throttles clients without a Claude Code product token
# harder, so quotaline leads with that of the Claude Code it serves and names itself in the comment.
_VERSION = re.compile(r"[0-9A-Za-z.+_-]{1,32}")


def user_agent(configured: str, claude_version: str | None) -> str:
    """``claude-code/2.1.330 (quotaline/0.1.0)``: Claude Code's product token (its version as its
    status line last said, none when no session was seen), quotaline named in the comment;
    ``configured`` (``refresh.user_agent``, ``QUOTALINE_USER_AGENT``) replaces it whole."""
    if configured.strip():
        return " ".join(configured.split())  # one header line, whatever the config file holds
    version = claude_version.split()[0] if claude_version and claude_version.split() else ""
    product = f"claude-code/{version}" if _VERSION.fullmatch(version) else "claude-code"
    return f"{product} (quotaline/{__version__})"


def make_client(transport: httpx.BaseTransport | None = None) -> httpx.Client:
    timeout = httpx.Timeout(TOTAL_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    return httpx.Client(transport=transport, timeout=timeout, follow_redirects=False, trust_env=False)


# Anthropic's credentials (OAuth tokens sk-ant-oat..., session keys sk-ant-sid..., API keys).
_CREDENTIAL = re.compile(r"sk-ant-[A-Za-z0-9_\-]+")


_HEADER_TOKEN = re.compile(r"[!-~]+")  # visible ASCII: what an HTTP header value can carry as a token


def header_secret(value: str, what: str) -> str:
    """A credential as it goes into a header: trimmed, as Claude Code trims it (a file edited by hand
    ends with a newline), and refused with a sentence when it holds what no token holds (non-ASCII
    text, inner spaces or control characters), which httpx would otherwise fail on with an error
    that names neither the token nor the fix. The message never quotes the value."""
    token = value.strip()
    if not _HEADER_TOKEN.fullmatch(token):
        raise FetchError(
            "no_credentials",
            f"{what} holds characters no token has (spaces, control or non-ASCII characters): "
            "log in again (run claude, then /login)",
        )
    return token


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` without the secrets, and without anything shaped like an Anthropic credential:
    a server may echo a token back, and a message cut short could hold part of one."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _CREDENTIAL.sub("***", text)


def get_json(client: httpx.Client, url: str, headers: dict[str, str], secrets: list[str]) -> Any:
    """GET ``url`` and return its JSON, or raise FetchError. Never lets a secret into a message.

    The whole exchange (DNS, connect, headers, body) ends within TOTAL_TIMEOUT_S: httpx's timeouts
    are per read, so a server dripping a byte a second would otherwise hold the refresh lock for
    minutes. The exchange runs in a daemon thread and this one stops waiting at the deadline,
    whatever the transport; the thread's own reads are bounded by the time left, so it ends soon
    after (or with the process)."""
    run_end = _run_deadline.get()
    deadline = min(time.monotonic() + TOTAL_TIMEOUT_S, run_end if run_end is not None else math.inf)
    exchange = _Exchange(client, url, headers, deadline)
    worker = threading.Thread(target=exchange.run, name="quotaline-fetch", daemon=True)
    worker.start()
    if not exchange.done.wait(max(0.0, deadline - time.monotonic())):
        exchange.abandon()
        raise _timeout(url)
    if isinstance(exchange.error, httpx.TimeoutException):
        raise _timeout(url)
    if isinstance(exchange.error, httpx.TransportError):
        raise FetchError("network", scrub(f"cannot reach {_host(url)}: {type(exchange.error).__name__}", secrets))
    if isinstance(exchange.error, httpx.DecodingError):  # e.g. Content-Encoding: gzip over plain bytes
        raise FetchError("bad_payload", f"{_host(url)} sent a body that does not decode")
    if exchange.error is not None:
        raise exchange.error
    assert exchange.response is not None
    return _interpret(exchange.response, exchange.body, url, secrets)


_run_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("quotaline_run_deadline", default=None)


@contextlib.contextmanager
def run_budget(seconds: float = RUN_TIMEOUT_S) -> Iterator[None]:
    """Every get_json inside ends by ``seconds`` from now, on top of its own deadline."""
    token = _run_deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _run_deadline.reset(token)


def _timeout(url: str) -> FetchError:
    return FetchError("timeout", f"no answer from {_host(url)} within {TOTAL_TIMEOUT_S:.0f} s")


class _Exchange:
    """One request and its body, read in a worker thread against a monotonic deadline."""

    def __init__(self, client: httpx.Client, url: str, headers: dict[str, str], deadline: float):
        self.client, self.url, self.headers, self.deadline = client, url, headers, deadline
        self.done = threading.Event()
        self.response: httpx.Response | None = None
        self.body = b""
        self.error: BaseException | None = None
        self._abandoned = False

    def run(self) -> None:
        try:
            left = max(0.01, self.deadline - time.monotonic())
            timeout = httpx.Timeout(left, connect=min(CONNECT_TIMEOUT_S, left))
            headers = {**self.headers, "Accept-Encoding": ACCEPT_ENCODING}  # what _read_body decodes
            with self.client.stream("GET", self.url, headers=headers, timeout=timeout) as response:
                self.response = response
                self.body = self._read_body(response)
        except BaseException as exc:  # handed to the waiting thread; nothing may print from here
            self.error = exc
        finally:
            self.done.set()

    def abandon(self) -> None:
        """The waiter gave up: stop reading at the next chunk and drop the connection."""
        self._abandoned = True
        response = self.response
        if response is not None:
            with contextlib.suppress(Exception):
                response.close()

    def _read_body(self, response: httpx.Response) -> bytes:
        # Decoded here, not by httpx: its decoder expands a whole network chunk at once, and a few
        # KB of gzip can be gigabytes of zeros. Ours stops one byte past MAX_BODY.
        encoding = response.headers.get("content-encoding", "").strip().lower()
        if encoding not in ("", "identity", *_ZLIB_WBITS):
            raise httpx.DecodingError(f"unrequested content encoding {encoding[:20]!r}")
        inflate = zlib.decompressobj(_ZLIB_WBITS[encoding]) if encoding in _ZLIB_WBITS else None
        chunks: list[bytes] = []
        size = 0
        for raw in response.iter_raw():
            try:
                chunk = raw if inflate is None else inflate.decompress(raw, MAX_BODY + 1 - size)
            except zlib.error as exc:
                raise httpx.DecodingError(str(exc)) from None
            size += len(chunk)
            if size > MAX_BODY or (inflate is not None and inflate.unconsumed_tail):
                raise FetchError("bad_payload", "answer too large", status=response.status_code)
            chunks.append(chunk)
            if self._abandoned or time.monotonic() > self.deadline:
                raise httpx.ReadTimeout("total deadline")
        if inflate is not None and not inflate.eof and size == 0:
            raise httpx.DecodingError("truncated compressed body")
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


MAX_SERVER_MESSAGE = 120


def loads(body: bytes) -> Any:
    """``json.loads`` that fails with ValueError only: a deeply nested body raises RecursionError."""
    try:
        return json.loads(body)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def _error_message(body: bytes, secrets: list[str]) -> str:
    """The server's own error message, one line, secrets out first and then cut short."""
    try:
        data = loads(body)
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(message, str):
        return ""
    text = scrub(" ".join(message.split()), secrets)  # one line; control characters go at output
    return text if len(text) <= MAX_SERVER_MESSAGE else text[: MAX_SERVER_MESSAGE - 1] + "…"


def _interpret(response: httpx.Response, body: bytes, url: str, secrets: list[str]) -> Any:
    status = response.status_code
    host = _host(url)
    if status == 429:
        from statusline.refresh.backoff import parse_retry_after

        retry = parse_retry_after(response.headers.get("retry-after"))
        raise FetchError("rate_limited", f"rate limited by {host} (429)", status=status, retry_after=retry)
    if status == 401:
        raise FetchError("auth_expired", "token expired: run claude to refresh it", status=status)
    if is_cloudflare(response, body):
        raise FetchError("cloudflare", f"{host} answered with a Cloudflare challenge page ({status})", status=status)
    if status == 403:
        detail = _error_message(body, secrets)
        raise FetchError("forbidden", f"{host} refused access (403){': ' + detail if detail else ''}", status=status)
    if status >= 500:
        raise FetchError("server_error", f"{host} failed ({status})", status=status)
    if status >= 300:
        raise FetchError("http_error", f"unexpected answer from {host} ({status})", status=status)
    try:
        return loads(body)
    except ValueError as exc:
        why = "JSON nested too deeply" if "nested too deeply" in str(exc) else "something that is not JSON"
        raise FetchError("bad_payload", f"{host} sent {why}", status=status) from None
