"""The refresher's fault matrix against a raw socket server on loopback: every hostile reply ends
within the total deadline (timed from outside, as a process), becomes one error with a kind and a
capped backoff in the snapshot, shows in `status --json`, holds the next refresh back, and the next
good reply repairs everything."""

from __future__ import annotations

import gzip
import json
import socket
import struct
import threading
import time
import tracemalloc
from calendar import timegm
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers.cli import Home
from helpers.usage_server import live_fixture
from hypothesis import given
from hypothesis import strategies as st

from statusline.refresh import backoff, http

pytestmark = pytest.mark.slow  # each fault is a refresh process against a misbehaving server, some held to the deadline
TOKEN = "sk-ant-oat01-SECRET-TOKEN-fault-matrix-0123456789"
DEADLINE = http.TOTAL_TIMEOUT_S
SLACK = 4.0  # process start and a loaded 2-core machine
Behaviour = Callable[[socket.socket, "RawServer"], None]


class RawServer:
    """HTTP/1.1 by hand: each connection reads one request head, counts it, then ``behaviour``
    writes whatever it likes (dripped, truncated, reset). Ends its handlers when stopped."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.heads: list[bytes] = []  # whole request heads, for the headers sent
        self.behaviour: Behaviour = good
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            head = b""
            while b"\r\n\r\n" not in head:
                data = conn.recv(65536)
                if not data:
                    return
                head += data
            with self._lock:
                self.requests.append(head.split(b"\r\n", 1)[0])
                self.heads.append(head)
            conn.settimeout(30)
            self.behaviour(conn, self)
        except OSError:
            pass  # the client hung up: what a deadline does
        finally:
            conn.close()

    def sleep(self, seconds: float) -> None:
        if self.stopped.wait(seconds):
            raise OSError("server stopped")

    def stop(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture
def server() -> Iterator[RawServer]:
    srv = RawServer()
    yield srv
    srv.stop()


@pytest.fixture
def fault_home(home: Home, server: RawServer) -> Home:
    home.env.update(QUOTALINE_API_BASE=server.url, CLAUDE_CODE_OAUTH_TOKEN=TOKEN, NO_COLOR="1")
    return home


def response(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    reason = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 429: "Too Many Requests", 500: "Error"}
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'X')}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {"Content-Type": "application/json"}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def good_payload() -> bytes:
    return json.dumps(live_fixture("oauth_2026-02_legacy_opus_sonnet.json")[0]).encode()


def good(conn: socket.socket, _: RawServer) -> None:
    conn.sendall(response(200, good_payload()))


def replying(status: int, body: bytes | str, headers: dict[str, str] | None = None) -> Behaviour:
    data = response(status, body.encode() if isinstance(body, str) else body, headers)
    return lambda conn, _: conn.sendall(data)


def drip_headers(conn: socket.socket, srv: RawServer) -> None:
    for byte in response(200, good_payload()):
        conn.sendall(bytes([byte]))
        srv.sleep(1)


def drip_body(conn: socket.socket, srv: RawServer) -> None:
    body = good_payload()
    conn.sendall(response(200, body)[: -len(body)])
    for byte in body:
        conn.sendall(bytes([byte]))
        srv.sleep(1)


def endless_body(conn: socket.socket, srv: RawServer) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    conn.sendall(b"1\r\n[\r\n")
    while True:  # small chunks, fast enough that no single read ever times out
        conn.sendall(b"400\r\n" + b" " * 0x400 + b"\r\n")
        srv.sleep(0.05)


def reset_mid_body(conn: socket.socket, _: RawServer) -> None:
    conn.sendall(response(200, good_payload())[:-200])
    time.sleep(0.2)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST


def http_date(epoch: float) -> str:
    return formatdate(epoch, usegmt=True)


CLOUDFLARE = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge-platform</body></html>"
RATE = json.dumps({"error": {"type": "rate_limit_error", "message": "Rate limited"}})


@dataclass
class Case:
    behaviour: Behaviour
    kind: str
    wait: float  # the backoff, seconds
    text: str  # in the stored message
    slow: bool = False  # stopped by the total deadline
    requests: int = 1


CASES: dict[str, Case] = {
    "headers dripped a byte a second": Case(drip_headers, "timeout", 60, "no answer", slow=True),
    "body dripped a byte a second": Case(drip_body, "timeout", 60, "no answer", slow=True),
    "a body that never ends": Case(endless_body, "timeout", 60, "no answer", slow=True),
    "deeply nested JSON": Case(replying(200, "[" * 100_000), "bad_payload", 60, "nested too deeply"),
    "deeply nested 403 body": Case(
        replying(403, '{"error": ' * 50_000), "forbidden", 900, "refused access (403)"
    ),
    "huge body": Case(replying(200, b" " * (http.MAX_BODY + 10)), "bad_payload", 60, "too large"),
    "not JSON": Case(replying(200, "five hours: 4%"), "bad_payload", 60, "not JSON"),
    "200 with a JSON array": Case(replying(200, "[1, 2]"), "bad_payload", 60, "not an object"),
    "200 with null": Case(replying(200, "null"), "bad_payload", 60, "not an object"),
    "invalid UTF-8": Case(replying(200, b'{"five_hour": "\xff\xfe"}'), "bad_payload", 60, "not JSON"),
    "HTML Cloudflare page": Case(
        replying(403, CLOUDFLARE, {"Content-Type": "text/html"}), "cloudflare", 900, "Cloudflare"
    ),
    "429 Retry-After 0": Case(replying(429, RATE, {"Retry-After": "0"}), "rate_limited", 300, "429"),
    "429 Retry-After 120": Case(replying(429, RATE, {"Retry-After": "120"}), "rate_limited", 300, "429"),
    "429 Retry-After 999999999999": Case(
        replying(429, RATE, {"Retry-After": "999999999999"}), "rate_limited", 3600, "429"
    ),
    "429 Retry-After an HTTP date in the far future": Case(
        replying(429, RATE, {"Retry-After": http_date(timegm((9999, 12, 31, 23, 59, 59, 0, 0, 0)))}),
        "rate_limited",
        3600,
        "429",
    ),
    "429 Retry-After garbage": Case(replying(429, RATE, {"Retry-After": "soon-ish"}), "rate_limited", 300, "429"),
    "429 Retry-After NaN": Case(replying(429, RATE, {"Retry-After": "nan"}), "rate_limited", 300, "429"),
    "429 Retry-After -inf": Case(replying(429, RATE, {"Retry-After": "-inf"}), "rate_limited", 300, "429"),
    "401": Case(replying(401, '{"error": {"type": "authentication_error"}}'), "auth_expired", 900, "expired"),
    "403 with a long message": Case(
        replying(403, json.dumps({"error": {"message": "no\n" + "x" * 5000 + TOKEN}})),
        "forbidden",
        900,
        "refused access (403): no x",
    ),
    "500": Case(replying(500, "oops", {"Content-Type": "text/plain"}), "server_error", 60, "failed (500)"),
    "connection reset mid-body": Case(reset_mid_body, "network", 60, "cannot reach"),
    "not HTTP at all": Case(lambda conn, _: conn.sendall(b"hello there\r\n"), "network", 60, "cannot reach"),
    "gzip that is not gzip": Case(
        replying(200, b"plain", {"Content-Type": "application/json", "Content-Encoding": "gzip"}),
        "bad_payload",
        60,
        "does not decode",
    ),
    # 200 KB on the wire, 200 MB inflated: stopped one byte past the body limit, not read whole.
    "a gzip bomb": Case(
        replying(200, gzip.compress(b"0" * (200 << 20), 9), {"Content-Type": "application/json",
                                                           "Content-Encoding": "gzip"}),
        "bad_payload",
        60,
        "too large",
    ),
    "an encoding it did not ask for": Case(
        replying(200, good_payload(), {"Content-Type": "application/json", "Content-Encoding": "br"}),
        "bad_payload",
        60,
        "does not decode",
    ),
}


def test_a_gzip_answer_is_read_and_the_request_asks_only_for_what_it_decodes(
    fault_home: Home, server: RawServer
) -> None:
    def gzipped(conn: socket.socket, _: RawServer) -> None:
        body = gzip.compress(good_payload())
        conn.sendall(response(200, body, {"Content-Type": "application/json", "Content-Encoding": "gzip"}))

    server.behaviour = gzipped
    result = fault_home.run("refresh")
    assert result.code == 0, result.err
    assert fault_home.snapshot()["windows"]["five_hour"]["source"] == "oauth"
    assert b"\r\naccept-encoding: gzip, deflate\r\n" in server.heads[0].lower()


def status_json(home: Home) -> dict[str, Any]:
    result = home.run("status", "--json")
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def assert_repaired(home: Home, server: RawServer) -> None:
    """The backoff runs out (moved into the past), the server is good again: everything heals."""
    snap = home.snapshot()
    snap["refresh"]["sources"]["oauth"]["backoff_until"] = time.time() - 1
    home.write_snapshot(snap)
    server.behaviour = good
    before = len(server.requests)
    result = home.run("refresh")
    assert result.code == 0 and result.out.strip() == "quotaline: refreshed (oauth: ok)", result.err
    assert len(server.requests) == before + 1
    snap = home.snapshot()
    assert snap["errors"] == [] and snap["windows"]["five_hour"]["used_pct"] == 37.0
    assert snap["refresh"]["sources"]["oauth"]["failures"] == 0
    status = status_json(home)
    assert status["errors"] == [] and status["refresh"]["backoff_until"] is None
    assert status["refresh"]["sources"]["oauth"]["backoff_until"] is None
    assert home.run("refresh").code == 0 and len(server.requests) == before + 2  # no backoff left


@pytest.mark.parametrize("name", list(CASES))
def test_fault_matrix(fault_home: Home, server: RawServer, name: str) -> None:
    case = CASES[name]
    server.behaviour = case.behaviour
    t0 = time.time()
    result = fault_home.run("refresh")
    assert result.code == 1 and "Traceback" not in result.err, result.err
    if case.slow:  # the deadline, not the server, ended it
        assert DEADLINE - 0.5 <= result.seconds <= DEADLINE + SLACK, result.seconds
    else:
        assert result.seconds < SLACK + 2, result.seconds
    assert len(server.requests) == case.requests
    snap = fault_home.snapshot()
    state = snap["refresh"]["sources"]["oauth"]
    assert state["kind"] == case.kind and state["failures"] == 1
    assert t0 + case.wait - 1 <= state["backoff_until"] <= time.time() + case.wait + 1
    [error] = snap["errors"]
    assert error["kind"] == case.kind and error["source"] == "oauth" and case.text in error["message"]
    assert len(error["message"]) <= 200 and "\n" not in error["message"] and TOKEN not in error["message"]
    status = status_json(fault_home)
    assert status["refresh"]["backoff_until"] == iso(state["backoff_until"])
    assert status["refresh"]["sources"]["oauth"]["backoff_until"] == iso(state["backoff_until"])
    assert status["refresh"]["sources"]["oauth"]["kind"] == case.kind
    assert [(e["kind"], e["source"]) for e in status["errors"]] == [(case.kind, "oauth")]
    people = fault_home.run("status").out
    assert f"oauth: backing off after {case.kind}" in people
    if case.wait > 600:  # the next read is the backoff's end, not the 5-minute interval's
        assert status["refresh"]["next_due"] == iso(state["backoff_until"])
        assert "next refresh in 5m" not in people and "next refresh in 4m" not in people, people
    # A second refresh during the backoff asks nothing.
    again = fault_home.run("refresh")
    assert again.code == 1 and "backing off" in again.err and len(server.requests) == case.requests
    assert_repaired(fault_home, server)


def test_connection_refused_backs_off_and_heals(fault_home: Home, server: RawServer) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    t0 = time.time()
    result = fault_home.run("refresh", env={"QUOTALINE_API_BASE": f"http://127.0.0.1:{port}"})
    assert result.code == 1 and "cannot reach" in result.err and result.seconds < SLACK + 2
    state = fault_home.snapshot()["refresh"]["sources"]["oauth"]
    assert state["kind"] == "network" and t0 + 59 <= state["backoff_until"] <= time.time() + 61
    assert status_json(fault_home)["refresh"]["backoff_until"] == iso(state["backoff_until"])
    assert_repaired(fault_home, server)


def test_the_backoff_of_a_repeated_429_stays_within_an_hour(fault_home: Home, server: RawServer) -> None:
    server.behaviour = replying(429, RATE, {"Retry-After": "999999999999"})
    waits = []
    for _ in range(7):
        t0 = time.time()
        fault_home.run("refresh", "--force")
        waits.append(fault_home.snapshot()["refresh"]["sources"]["oauth"]["backoff_until"] - t0)
    assert len(server.requests) == 7
    assert all(3590 <= w <= 3610 for w in waits), waits


def test_an_uncapped_backoff_from_an_older_version_is_ignored(fault_home: Home, server: RawServer) -> None:
    # What the 31,000-year Retry-After left behind must not stop quotaline for ever.
    server.behaviour = good
    assert fault_home.run("refresh").code == 0
    snap = fault_home.snapshot()
    snap["refresh"]["sources"]["oauth"].update(kind="rate_limited", failures=1, backoff_until=time.time() + 1e12)
    fault_home.write_snapshot(snap)
    assert status_json(fault_home)["refresh"]["backoff_until"] is None
    assert fault_home.run("refresh").code == 0 and len(server.requests) == 2


def test_the_deadline_holds_in_process_with_an_injected_transport(
    fault_home: Home, server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fault_home.env.items():
        monkeypatch.setenv(key, value)
    from statusline.refresh import refresher

    server.behaviour = drip_headers
    t0 = time.monotonic()
    outcome = refresher.refresh(transport=httpx.HTTPTransport())
    elapsed = time.monotonic() - t0
    assert DEADLINE - 0.5 <= elapsed <= DEADLINE + 1.5, elapsed
    assert outcome.failed["oauth"].kind == "timeout" and len(server.requests) == 1


class Exploding(httpx.BaseTransport):
    """A transport with a bug: what any unforeseen exception looks like to the refresher."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"bug while sending {request.headers['Authorization']}")


def test_an_unknown_exception_is_recorded_as_internal_with_a_backoff(
    fault_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fault_home.env.items():
        monkeypatch.setenv(key, value)
    from statusline.refresh import refresher

    t0 = time.time()
    outcome = refresher.refresh(transport=Exploding())
    assert outcome.failed["oauth"].kind == "internal"
    snap = fault_home.snapshot()
    state = snap["refresh"]["sources"]["oauth"]
    assert state["kind"] == "internal" and t0 + 59 <= state["backoff_until"] <= time.time() + 61
    [error] = snap["errors"]
    assert error["kind"] == "internal" and error["message"] == "internal error (RuntimeError); details in error.log"
    log = (fault_home.state / "error.log").read_text()
    assert "RuntimeError" in log and "Traceback" in log
    again = refresher.refresh(transport=Exploding())  # held back: no second try
    assert "oauth" in again.skipped and not again.failed


DRIFT = {
    "five_hour": {"utilization": "37", "resets_at": "2026-12-02T05:00:00+00:00"},
    "seven_day": {"utilization": 55},
    "seven_day_opus": "high",
    "limits": {"kind": "session"},
}


def test_schema_drift_is_reported_everywhere_and_a_clean_read_clears_it(fault_home: Home, server: RawServer) -> None:
    server.behaviour = replying(200, json.dumps(DRIFT))
    result = fault_home.run("refresh")
    assert result.code == 0, result.err
    assert result.out.startswith("quotaline: refreshed (oauth: ok, 3 parts unreadable: five_hour skipped: utilization")
    assert "seven_day_opus skipped: value: Input should be a valid dictionary; limits skipped: not a list" in result.out
    snap = fault_home.snapshot()
    assert snap["windows"]["seven_day"]["used_pct"] == 55 and "five_hour" not in snap["windows"]
    [error] = snap["errors"]
    assert error["kind"] == "schema_drift" and error["source"] == "oauth"
    assert error["message"].startswith("3 parts unreadable: five_hour skipped: utilization")
    assert snap["refresh"]["sources"]["oauth"]["failures"] == 0  # a good read: no backoff
    status = status_json(fault_home)
    assert [(e["kind"], e["source"]) for e in status["errors"]] == [("schema_drift", "oauth")]
    assert status["refresh"]["backoff_until"] is None
    assert "3 parts unreadable" in fault_home.run("status").out
    doctor = fault_home.run("doctor", "--no-timing").out
    assert "oauth's answer changed shape: 3 parts unreadable" in doctor
    server.behaviour = good
    assert fault_home.run("refresh").out.strip() == "quotaline: refreshed (oauth: ok)"
    assert fault_home.snapshot()["errors"] == [] and status_json(fault_home)["errors"] == []
    assert "changed shape" not in fault_home.run("doctor", "--no-timing").out


def test_a_long_drift_list_is_summarised_short(fault_home: Home, server: RawServer) -> None:
    payload = {f"seven_day_thing{i}": {"utilization": "x" * 300} for i in range(40)}
    server.behaviour = replying(200, json.dumps(payload))
    result = fault_home.run("refresh")
    assert result.code == 0 and "40 parts unreadable" in result.out and "37 more" in result.out
    [error] = fault_home.snapshot()["errors"]
    assert error["kind"] == "schema_drift" and len(error["message"]) <= 240


def test_a_crash_outside_any_fetch_is_recorded_and_the_cadence_holds(
    fault_home: Home, server: RawServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fault_home.env.items():
        monkeypatch.setenv(key, value)
    from statusline.core.run import spawn
    from statusline.core.store import snapshot
    from statusline.core.window import select
    from statusline.refresh import refresher

    def bug(*_: object, **__: object) -> None:
        raise KeyError("a bug in the refresher")

    real = select.latest_session
    monkeypatch.setattr(select, "latest_session", bug)
    t0 = time.time()
    outcome = refresher.refresh(background=True)
    assert outcome.failed["refresher"].kind == "internal" and len(server.requests) == 0
    snap = fault_home.snapshot()
    assert [(e["kind"], e["source"]) for e in snap["errors"]] == [("internal", "refresher")]
    assert snap["refresh"]["next_due"] >= t0 + 299  # the status line does not respawn it every 30 s
    assert not spawn.is_due(snapshot.read(str(fault_home.snapshot_file())), time.time())
    monkeypatch.setattr(select, "latest_session", real)
    assert refresher.refresh(force=True).ok and len(server.requests) == 1
    assert fault_home.snapshot()["errors"] == [] and "refresher" not in fault_home.snapshot()["refresh"]["sources"]


@given(st.one_of(st.text(max_size=40), st.from_regex(r"\A-?[0-9]{1,30}(\.[0-9]+)?(e-?[0-9]{1,4})?\Z")))
def test_any_retry_after_gives_a_wait_between_five_minutes_and_an_hour(value: str) -> None:
    seconds = backoff.parse_retry_after(value)
    assert seconds is None or 0 <= seconds <= backoff.MAX_WAIT
    for failures in (1, 3, 10**9):
        assert backoff.RATE_LIMIT_FLOOR[0] <= backoff.wait_for("rate_limited", failures, seconds) <= backoff.MAX_WAIT


@given(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["rate_limited", "timeout", "forbidden", "x"]))
def test_every_backoff_is_capped_at_an_hour(retry_after: float, kind: str) -> None:
    assert 0 < backoff.wait_for(kind, 1, retry_after) <= backoff.MAX_WAIT


def test_two_dripping_sources_hold_the_refresh_lock_for_one_run_budget_only(
    fault_home: Home, server: RawServer
) -> None:
    server.behaviour = drip_headers
    env = {
        "QUOTALINE_CLAUDE_AI": "1",
        "QUOTALINE_CLAUDE_AI_BASE": server.url,
        "QUOTALINE_CLAUDE_AI_SESSION_KEY": "sk-ant-sid01-fault-matrix",
        "QUOTALINE_CLAUDE_AI_ORG": "org-1",
    }
    result = fault_home.run("refresh", env=env)
    assert result.code == 1 and http.RUN_TIMEOUT_S - 0.5 <= result.seconds <= http.RUN_TIMEOUT_S + SLACK, result
    assert len(server.requests) == 2
    sources = fault_home.snapshot()["refresh"]["sources"]
    assert sources["oauth"]["kind"] == sources["claude_ai"]["kind"] == "timeout"
    status = status_json(fault_home)
    assert status["refresh"]["backoff_until"] == iso(min(s["backoff_until"] for s in sources.values()))


def test_a_gzip_bomb_is_stopped_before_it_is_inflated_in_memory(server: RawServer) -> None:
    bomb = gzip.compress(b"0" * (200 << 20), 9)
    server.behaviour = replying(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        with pytest.raises(http.FetchError, match="too large"), http.make_client() as client:
            http.get_json(client, server.url + "/api/oauth/usage", {}, [])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * http.MAX_BODY, peak  # httpx's own decoder inflates a whole network chunk: 64 MB here


@pytest.mark.parametrize("target", ["missing", "elsewhere"])
def test_a_symlink_at_the_refresh_lock_is_replaced_and_the_refresh_runs(
    fault_home: Home, server: RawServer, tmp_path: Path, target: str
) -> None:
    """A link there (debris, or planted) is removed like any entry that is not a plain file of
    quotaline's; what it points to is never touched."""
    fault_home.state.mkdir(parents=True, exist_ok=True, mode=0o700)
    pointed = tmp_path / target
    if target == "elsewhere":
        pointed.write_text("someone else's")
    lock = fault_home.state / "snapshot-default.json.refresh.lock"
    lock.symlink_to(pointed)
    result = fault_home.run("refresh")
    assert result.code == 0 and "refreshed" in result.out and "OSError" not in result.err, result
    assert not lock.is_symlink() and len(server.requests) == 1
    assert (pointed.read_text() == "someone else's") if target == "elsewhere" else not pointed.exists()

