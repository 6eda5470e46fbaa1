"""OTLP metrics: a refresh against the loopback usage server sends every textfile series as an
OpenTelemetry gauge to a loopback OTLP/HTTP receiver, which decodes the requests with the official
``opentelemetry-proto`` messages (no OTLP backend is installable here: Debian's Prometheus has no
OTLP receiver, no Collector build is on PyPI or npm)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import Home
from helpers.usage_server import live_fixture
from pytest_httpserver import HTTPServer
from test_prometheus import IN_CI, TOKEN, USAGE

if not IN_CI:  # .ci/run installs the dev extra: missing there is a failure, not a skip
    pytest.importorskip("opentelemetry.proto", reason="the dev extra installs opentelemetry-proto")
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)

pytestmark = pytest.mark.slow  # a real OTLP receiver, and pushes held to their deadline
SECRET_HEADER = "Bearer otlp-secret-0123456789"
# The contract: each textfile metric's OpenTelemetry name and UCUM unit.
OTEL: dict[str, tuple[str, str]] = {
    "quotaline_window_used_ratio": ("quotaline.window.used", "1"),
    "quotaline_window_resets_at_timestamp_seconds": ("quotaline.window.resets_at", "s"),
    "quotaline_window_observed_at_timestamp_seconds": ("quotaline.window.observed_at", "s"),
    "quotaline_window_age_seconds": ("quotaline.window.age", "s"),
    "quotaline_window_stale": ("quotaline.window.stale", "1"),
    "quotaline_window_level": ("quotaline.window.level", "{level}"),
    "quotaline_window_rate_per_hour_ratio": ("quotaline.window.rate", "1/h"),
    "quotaline_window_projected_at_reset_ratio": ("quotaline.window.projected_at_reset", "1"),
    "quotaline_window_seconds_to_full": ("quotaline.window.time_to_full", "s"),
    "quotaline_window_info": ("quotaline.window.info", "1"),
    "quotaline_extra_usage_enabled": ("quotaline.extra_usage.enabled", "1"),
    "quotaline_extra_usage_used": ("quotaline.extra_usage.used", "{currency}"),
    "quotaline_extra_usage_limit": ("quotaline.extra_usage.limit", "{currency}"),
    "quotaline_extra_usage_out_of_credits": ("quotaline.extra_usage.out_of_credits", "1"),
    "quotaline_account_info": ("quotaline.account.info", "1"),
    "quotaline_refresh_last_attempt_timestamp_seconds": ("quotaline.refresh.last_attempt", "s"),
    "quotaline_refresh_last_success_timestamp_seconds": ("quotaline.refresh.last_success", "s"),
    "quotaline_refresh_next_due_timestamp_seconds": ("quotaline.refresh.next_due", "s"),
    "quotaline_refresh_backing_off": ("quotaline.refresh.backing_off", "1"),
    "quotaline_refresh_source_failures": ("quotaline.refresh.source.failures", "{failure}"),
    "quotaline_refresh_source_backoff_until_timestamp_seconds": ("quotaline.refresh.source.backoff_until", "s"),
    "quotaline_refresh_source_last_ok_timestamp_seconds": ("quotaline.refresh.source.last_ok", "s"),
    "quotaline_export_timestamp_seconds": ("quotaline.export.time", "s"),
}
PROM_OF = {otel: prom for prom, (otel, _) in OTEL.items()}
Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Receiver:
    """An OTLP/HTTP metrics receiver on loopback: keeps each request as it came."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                is_json = self.headers.get("Content-Type", "").startswith("application/json")
                reply = b"{}" if is_json else ExportMetricsServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/json" if is_json else "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def decoded(self, index: int = -1) -> ExportMetricsServiceRequest:
        _, headers, body = self.requests[index]
        if headers["content-type"].startswith("application/json"):
            return json_format.Parse(body, ExportMetricsServiceRequest())
        assert headers["content-type"] == "application/x-protobuf"
        return ExportMetricsServiceRequest.FromString(body)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


@pytest.fixture
def otlp_home(home: Home, httpserver: HTTPServer, tmp_path: Path) -> Home:
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    home.env.update(
        QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"),
        CLAUDE_CODE_OAUTH_TOKEN=TOKEN,
        QUOTALINE_PROMETHEUS_TEXTFILE_DIR=str(textfiles),  # the same refresh's textfile, to compare
        QUOTALINE_OTLP="1",
    )
    home.claude.mkdir()
    (home.root / ".claude.json").write_text('{"oauthAccount": {"accountUuid": "acc-1234"}}')
    return home


def claude_settings_env(home: Home, env: dict[str, str]) -> None:
    (home.claude / "settings.json").write_text(json.dumps({"env": env}))


def refresh(home: Home, server: HTTPServer, fixture: str = "oauth_2026-07_usd_extra_compact.json") -> float:
    data, _ = live_fixture(fixture)
    server.clear()
    server.expect_request(USAGE).respond_with_json(data)
    t0 = time.monotonic()
    result = home.run("refresh")
    assert result.code == 0, result.err
    assert "otlp-secret" not in result.out + result.err
    return time.monotonic() - t0


LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def textfile_series(home: Home, tmp_path: Path) -> Series:
    found: Series = {}
    for line in (tmp_path / "textfile" / "quotaline.prom").read_text().splitlines():
        if line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        name, _, labels = head.partition("{")
        found[name, frozenset(LABEL.findall(labels))] = float(value)
    return found


def otlp_series(request: ExportMetricsServiceRequest) -> tuple[Series, dict[str, str]]:
    found: Series = {}
    [resource_metrics] = request.resource_metrics
    resource = {a.key: a.value.string_value for a in resource_metrics.resource.attributes}
    for scope in resource_metrics.scope_metrics:
        assert scope.scope.name == "quotaline"
        for metric in scope.metrics:
            prom = PROM_OF[metric.name]
            assert metric.unit == OTEL[prom][1], metric.name
            assert metric.WhichOneof("data") == "gauge" and metric.description
            for point in metric.gauge.data_points:
                attrs = frozenset((a.key, a.value.string_value) for a in point.attributes)
                assert (prom, attrs) not in found
                found[prom, attrs] = point.as_double
                assert abs(point.time_unix_nano / 1e9 - time.time()) < 120
    return found, resource


@pytest.mark.parametrize("protocol", ["http/protobuf", "http/json"])
def test_every_series_arrives_where_claude_codes_telemetry_goes(
    otlp_home: Home, httpserver: HTTPServer, receiver: Receiver, tmp_path: Path, protocol: str
) -> None:
    """Claude Code's telemetry settings, from its settings.json ``env``: the same endpoint, protocol,
    headers and resource attributes; every textfile series with its attributes, unit and value."""
    claude_settings_env(
        otlp_home,
        {
            "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
            "OTEL_METRICS_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
            "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
            "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=" + SECRET_HEADER.replace(" ", "%20"),
            "OTEL_RESOURCE_ATTRIBUTES": "department=platform,team.id=quota%20team",
        },
    )
    refresh(otlp_home, httpserver)
    assert len(receiver.requests) == 1
    path, headers, body = receiver.requests[0]
    assert path == "/v1/metrics" and headers["authorization"] == SECRET_HEADER
    if protocol == "http/json":
        assert json.loads(body)["resourceMetrics"]  # OTLP/JSON's lowerCamelCase names
    got, resource = otlp_series(receiver.decoded())
    expected = textfile_series(otlp_home, tmp_path)
    assert got == expected
    names = {name for name, _ in got}
    assert {"quotaline_window_used_ratio", "quotaline_extra_usage_used", "quotaline_refresh_source_failures"} <= names
    assert ("quotaline_extra_usage_used", frozenset({("account", "acc-1234"), ("currency", "USD")})) in got
    assert resource["service.name"] == "quotaline" and resource["department"] == "platform"
    assert resource["team.id"] == "quota team"
    snap_text = otlp_home.snapshot_file().read_text()
    assert "otlp-secret" not in snap_text
    outcome = otlp_home.snapshot()["refresh"]["push"]["otlp"]
    assert outcome == {"at": outcome["at"], "ok": True, "to": f"{receiver.url}/v1/metrics", "error": ""}
    doctor = otlp_home.run("doctor", "--no-timing")
    assert f"OTLP {protocol} to {receiver.url}/v1/metrics (Claude Code's telemetry settings)" in doctor.out
    assert "worked" in doctor.out and "otlp-secret" not in doctor.out


def test_metrics_variables_and_managed_order(
    otlp_home: Home, httpserver: HTTPServer, receiver: Receiver, tmp_path: Path
) -> None:
    """The ``_METRICS_`` variants win over the general ones (the endpoint is then used as it is);
    Claude Code's settings.json ``env`` wins over this process's environment, as in Claude Code."""
    otlp_home.env.update(
        CLAUDE_CODE_ENABLE_TELEMETRY="1",
        OTEL_METRICS_EXPORTER="console,otlp",
        OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="http/json",
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1",
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=receiver.url + "/wrong/v1/metrics",
        OTEL_EXPORTER_OTLP_HEADERS="x-general=no",
        OTEL_EXPORTER_OTLP_METRICS_HEADERS="x-metrics=yes",
    )
    claude_settings_env(otlp_home, {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": receiver.url + "/collector/v1/metrics"})
    refresh(otlp_home, httpserver)
    path, headers, _ = receiver.requests[-1]
    assert path == "/collector/v1/metrics" and headers["content-type"] == "application/json"
    assert headers.get("x-metrics") == "yes" and "x-general" not in headers
    assert otlp_series(receiver.decoded())[0] == textfile_series(otlp_home, tmp_path)


def test_quotalines_own_endpoint_gets_its_own_headers_only(
    otlp_home: Home, httpserver: HTTPServer, receiver: Receiver
) -> None:
    """Claude Code's auth headers are for Claude Code's collector: never sent to another one."""
    claude_settings_env(
        otlp_home,
        {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_HEADERS": "x-cc=1"},
    )
    cfg = otlp_home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text(f'[export]\notlp_endpoint = "{receiver.url}"\notlp_headers = "x-own=2"\n')
    refresh(otlp_home, httpserver)
    path, headers, _ = receiver.requests[-1]
    assert path == "/v1/metrics" and headers.get("x-own") == "2" and "x-cc" not in headers
    assert "x-own" not in (otlp_home.state / "config-cache.json").read_text()  # a secret: never cached


def blackhole() -> socket.socket:
    """A port that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock


@pytest.mark.parametrize("protocol", ["http/protobuf", "http/json"])
@pytest.mark.parametrize("dead", ["silent", "refused"])
def test_an_unreachable_endpoint_costs_only_the_push_deadline(
    otlp_home: Home, httpserver: HTTPServer, protocol: str, dead: str
) -> None:
    from statusline.refresh.push import DEADLINE_S

    hole = blackhole()
    port = hole.getsockname()[1]
    if dead == "refused":
        hole.close()
    try:
        claude_settings_env(
            otlp_home,
            {
                "CLAUDE_CODE_ENABLE_TELEMETRY": "true",
                "OTEL_METRICS_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
                "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}",
                "OTEL_EXPORTER_OTLP_HEADERS": "authorization=" + SECRET_HEADER.replace(" ", "%20"),
            },
        )
        baseline = otlp_home.run("version").seconds
        took = refresh(otlp_home, httpserver)
    finally:
        hole.close()
    assert took < baseline + DEADLINE_S + 3, took
    snap = otlp_home.snapshot()
    assert abs(snap["refresh"]["last_success"] - time.time()) < 60  # the refresh itself was stored
    outcome = snap["refresh"]["push"]["otlp"]
    assert outcome["ok"] is False
    assert ("no answer" if dead == "silent" else "refused") in outcome["error"], outcome
    doctor = otlp_home.run("doctor", "--no-timing")
    assert "[warn] otlp" in doctor.out and "failed" in doctor.out and "otlp-secret" not in doctor.out
    log = otlp_home.state / "error.log"
    assert not log.exists() or "otlp-secret" not in log.read_text()


def test_off_unless_asked_then_grpc_and_telemetry_off_are_said_not_sent(
    otlp_home: Home, httpserver: HTTPServer, receiver: Receiver
) -> None:
    """Claude Code's telemetry alone sends nothing (quotaline's push is opt-in); asked, a setup it
    cannot send to is a failed push that says why."""
    otlp_home.env.update(
        QUOTALINE_OTLP="0",
        CLAUDE_CODE_ENABLE_TELEMETRY="1",
        OTEL_METRICS_EXPORTER="otlp",
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url,
    )
    refresh(otlp_home, httpserver)
    assert receiver.requests == [] and "push" not in otlp_home.snapshot()["refresh"]
    otlp_home.env.update(QUOTALINE_OTLP="1", CLAUDE_CODE_ENABLE_TELEMETRY="0")
    refresh(otlp_home, httpserver)
    outcome = otlp_home.snapshot()["refresh"]["push"]["otlp"]
    assert outcome["ok"] is False and "telemetry is not on" in outcome["error"]
    claude_settings_env(
        otlp_home,
        {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", "OTEL_METRICS_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
    )
    refresh(otlp_home, httpserver)
    outcome = otlp_home.snapshot()["refresh"]["push"]["otlp"]
    assert outcome["ok"] is False and "gRPC is not supported" in outcome["error"]
    assert receiver.requests == []
    doctor = otlp_home.run("doctor", "--no-timing")
    assert "[warn] otlp" in doctor.out and 'otlp_protocol = "http/protobuf"' in doctor.out
