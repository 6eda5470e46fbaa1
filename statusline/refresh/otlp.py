"""OTLP metrics: ``series``' samples as OpenTelemetry gauges, sent where Claude Code's telemetry goes.

Opt-in (``[export] otlp = true``). The endpoint is ``[export] otlp_endpoint`` when set (with the
headers of ``otlp_headers`` / ``QUOTALINE_OTLP_HEADERS``), else Claude Code's own: its telemetry on
(``CLAUDE_CODE_ENABLE_TELEMETRY``, ``OTEL_METRICS_EXPORTER`` naming ``otlp``) and the standard
``OTEL_EXPORTER_OTLP_*`` variables (the ``_METRICS_`` ones first), read from this process's
environment, then Claude Code's user settings' ``env``, then its managed settings' ``env``: later
wins, as in Claude Code, which sets them for the processes it starts. Claude Code's headers go only
to Claude Code's endpoint, never to one quotaline's config names.

Built with the OpenTelemetry SDK (the ``quotaline[otlp]`` extra): observable gauges collected once
by an in-memory reader; ``http/protobuf`` goes through the SDK's OTLP/HTTP exporter (its retry is
bounded by the timeout given), ``http/json`` (which the Python exporter lacks) is the exporter's
own encoding as OTLP/JSON. ``grpc`` is not supported: no gRPC exporter is packaged for every Python
quotaline runs on; doctor says so and how to use OTLP/HTTP instead.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from statusline import __version__
from statusline.core import system
from statusline.core.draw.textsafe import clean
from statusline.core.run.context import Context
from statusline.core.settings.loader import Settings
from statusline.core.store import paths
from statusline.refresh import push, series
from statusline.refresh.series import METRICS, Sample

PROTOCOLS = ("http/protobuf", "http/json")
DEFAULT_ENDPOINT = "http://localhost:4318"
HEADERS_ENV = "QUOTALINE_OTLP_HEADERS"
EXTRA_HINT = "pip install 'quotaline[otlp]' into quotaline's environment (install.sh: QUOTALINE_EXTRAS=otlp)"


@dataclass
class Target:
    endpoint: str
    protocol: str
    origin: str  # where the endpoint comes from, for doctor
    headers: dict[str, str] = field(default_factory=dict, repr=False)  # secrets: never shown
    resource: dict[str, str] = field(default_factory=dict)
    problem: str = ""  # why nothing is sent there


def to_collector(ctx: Context, account: str | None) -> dict[str, Any] | None:
    """The OTLP push when on, within its deadline: its outcome (a configuration that cannot be sent
    to is a failed one, saying why), else None."""
    found = target(ctx.settings)
    if found is None:
        return None
    if found.problem:
        return push.outcome(push.public_url(found.endpoint), found.problem)
    samples = list(series.samples(ctx, series.account_labels(ctx, account)))
    deadline = push.DEADLINE_S - push.RETRY_PAUSE_S  # the exporter's own retry ends before the wait does
    return push.attempt(push.public_url(found.endpoint), lambda: send(found, samples, deadline))


def managed_dir() -> str:
    return "/Library/Application Support/ClaudeCode" if system.IS_MACOS else "/etc/claude-code"


def managed_settings_files() -> list[str]:
    """Claude Code's managed settings, lowest precedence first: ``managed-settings.json`` then the
    ``managed-settings.d`` drop-ins in name order (the paths Claude Code's binary reads)."""
    base = managed_dir()
    drop_ins = os.path.join(base, "managed-settings.d")
    try:
        extra = sorted(n for n in os.listdir(drop_ins) if n.endswith(".json") and not n.startswith("."))
    except OSError:
        extra = []
    return [os.path.join(base, "managed-settings.json"), *(os.path.join(drop_ins, n) for n in extra)]


def _settings_env(path: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    env = data.get("env") if isinstance(data, dict) else None
    if not isinstance(env, dict):
        return {}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in env.items() if v is not None}


def claude_code_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment Claude Code's telemetry sees: this process's, then the user's settings.json
    ``env``, then the managed settings' ``env``."""
    env = dict(os.environ if environ is None else environ)
    env.update(_settings_env(os.path.join(paths.claude_config_dir(), "settings.json")))
    for path in managed_settings_files():
        env.update(_settings_env(path))
    return env


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _metrics_url(endpoint: str) -> str:
    """A base endpoint gets OTLP/HTTP's metrics path, as ``OTEL_EXPORTER_OTLP_ENDPOINT`` does."""
    return endpoint.rstrip("/") + "/v1/metrics"


def _as_given(endpoint: str) -> str:
    """A URL with a path is used as it is (``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``); a bare host
    gets the metrics path."""
    path = urllib.parse.urlsplit(endpoint).path
    return _metrics_url(endpoint) if path in ("", "/") else endpoint


def parse_resource(text: str) -> dict[str, str]:
    return push.parse_headers(text)  # the same list format, percent-encoded values


def target(settings: Settings, environ: Mapping[str, str] | None = None) -> Target | None:
    """Where OTLP metrics go, or None when OTLP is off. A target with a ``problem`` is configured
    but cannot be sent to (doctor and the push outcome say why)."""
    if not settings.get("export", "otlp"):
        return None
    env = claude_code_env(environ)
    resource = {**parse_resource(env.get("OTEL_RESOURCE_ATTRIBUTES", "")), "service.name": "quotaline"}
    resource["service.version"] = __version__
    configured = str(settings.get("export", "otlp_endpoint")).strip()
    chosen = str(settings.get("export", "otlp_protocol")).strip()
    env_protocol = env.get("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or ""
    env_protocol = env_protocol.strip()
    if configured:
        protocol = chosen or env_protocol or "http/protobuf"
        found = Target(_as_given(configured), protocol, "quotaline's config", _own_headers(), resource)
    else:
        exporters = [e.strip() for e in env.get("OTEL_METRICS_EXPORTER", "").split(",")]
        specific = env.get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "").strip()
        general = env.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip()
        endpoint = specific or _metrics_url(general or DEFAULT_ENDPOINT)
        raw = env.get("OTEL_EXPORTER_OTLP_METRICS_HEADERS") or env.get("OTEL_EXPORTER_OTLP_HEADERS") or ""
        protocol = chosen or env_protocol or "http/protobuf"
        found = Target(endpoint, protocol, "Claude Code's telemetry settings", push.parse_headers(raw), resource)
        if not (_truthy(env.get("CLAUDE_CODE_ENABLE_TELEMETRY")) and "otlp" in exporters):
            found.problem = (
                "not sent: Claude Code's telemetry is not on (CLAUDE_CODE_ENABLE_TELEMETRY=1 and "
                "OTEL_METRICS_EXPORTER=otlp) and [export] otlp_endpoint is empty"
            )
            return found
    if found.protocol == "grpc":
        found.problem = (
            'not sent: OTLP over gRPC is not supported; set [export] otlp_protocol = "http/protobuf" '
            "(and otlp_endpoint to the collector's OTLP/HTTP port, 4318 by default)"
        )
    elif found.protocol not in PROTOCOLS:
        found.problem = f"not sent: unknown OTLP protocol {found.protocol[:40]!r} (http/protobuf or http/json)"
    elif not sdk_available():
        found.problem = f"not sent: the OpenTelemetry SDK is not installed ({EXTRA_HINT})"
    return found


def _own_headers() -> dict[str, str]:
    """``[export] otlp_headers`` (a secret: read from the file here, never cached) or its variable."""
    from statusline.core.settings import toml_file

    text = os.environ.get(HEADERS_ENV, "").strip()
    if not text and os.path.exists(paths.config_file()):
        data, _ = toml_file.parse_file(paths.config_file())
        value = data.get("export", {}).get("otlp_headers", "")
        text = value if isinstance(value, str) else ""
    return push.parse_headers(text)


def sdk_available() -> bool:
    import importlib.util

    try:
        return all(
            importlib.util.find_spec(m) is not None
            for m in ("opentelemetry.sdk.metrics", "opentelemetry.exporter.otlp.proto.http.metric_exporter")
        )
    except (ImportError, ValueError):
        return False


def metrics_data(samples: list[Sample], resource: dict[str, str]) -> Any:
    """The samples as the SDK's MetricsData: one observable gauge per metric, collected once."""
    from opentelemetry.metrics import CallbackOptions, Observation
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.resources import Resource

    reader = InMemoryMetricReader()
    # Resource(...), not Resource.create: the attributes come from Claude Code's settings as well
    # as this process's environment, resolved above.
    provider = MeterProvider(metric_readers=[reader], resource=Resource(resource), shutdown_on_exit=False)
    meter = provider.get_meter("quotaline", __version__)
    grouped: dict[str, list[Sample]] = {}
    for sample in samples:
        grouped.setdefault(sample.name, []).append(sample)
    for name, rows in grouped.items():

        def observe(options: CallbackOptions, rows: list[Sample] = rows) -> list[Observation]:
            # Cleaned as the textfile cleans its label values: a server's label reaches dashboards.
            return [Observation(s.value, {k: clean(v) for k, v in s.labels.items()}) for s in rows]

        metric = METRICS[name]
        meter.create_observable_gauge(metric.otel_name, callbacks=[observe], unit=metric.unit, description=metric.help)
    try:
        return reader.get_metrics_data()
    finally:
        provider.shutdown()


def send(target: Target, samples: list[Sample], deadline: float) -> None:
    """Collect and send once; raises ``push.PushError`` with a sentence when it did not arrive."""
    quiet = logging.getLogger("opentelemetry")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False  # the SDK's own log lines (stderr by default) say nothing doctor does not
    data = metrics_data(samples, target.resource)
    if target.protocol == "http/json":
        from google.protobuf import json_format  # type: ignore[import-untyped]
        from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics

        # OTLP/JSON: lowerCamelCase keys and enums as integers (the protobuf JSON mapping's default
        # names enums by name, which OTLP receivers may refuse).
        body = json_format.MessageToJson(encode_metrics(data), use_integers_for_enums=True, indent=None)
        headers = {**target.headers, "Content-Type": "application/json"}
        push.post_or_put("POST", target.endpoint, body.encode(), headers, deadline)
        return
    _send_protobuf(target, data, deadline)


def _send_protobuf(target: Target, data: Any, deadline: float) -> None:
    import requests
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics.export import MetricExportResult

    class Watched(requests.Session):
        """Remembers the last answer's status or error kind: the exporter only says FAILURE."""

        seen = ""

        def request(self, *args: Any, **kwargs: Any) -> Any:
            try:
                reply = super().request(*args, **kwargs)
            except requests.RequestException as exc:
                self.seen = "connection refused or host unreachable" if isinstance(
                    exc, requests.ConnectionError
                ) else f"{type(exc).__name__}: no answer from the server"
                raise
            self.seen = f"HTTP {reply.status_code}"
            return reply

    session = Watched()
    exporter = OTLPMetricExporter(endpoint=target.endpoint, headers=target.headers, timeout=deadline, session=session)
    try:
        result = exporter.export(data, timeout_millis=deadline * 1000)
    finally:
        exporter.shutdown()
    if result is not MetricExportResult.SUCCESS:
        raise push.PushError(session.seen or "not accepted")
