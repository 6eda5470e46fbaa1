"""Where pushes go, in-process: Claude Code's settings' order, the Pushgateway group's URL for any
account name, and URLs shown without their credentials."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statusline.core.settings.defaults import DEFAULTS, Settings, clone
from statusline.refresh import otlp, push


def settings(**export: object) -> Settings:
    data = clone(DEFAULTS)
    data["export"].update(export)
    return Settings(data, [])


@pytest.fixture
def claude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    user, managed = tmp_path / "claude", tmp_path / "managed"
    user.mkdir()
    (managed / "managed-settings.d").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(user))
    monkeypatch.setattr(otlp, "managed_dir", lambda: str(managed))
    return user, managed


def env_file(path: Path, env: dict[str, str]) -> None:
    path.write_text(json.dumps({"env": env}))


def test_managed_settings_win_then_user_settings_then_the_process(claude: tuple[Path, Path]) -> None:
    user, managed = claude
    process = {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", "OTEL_METRICS_EXPORTER": "otlp"}
    process["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://p"
    own = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://user", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}
    env_file(user / "settings.json", own)
    assert otlp.claude_code_env(process)["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://user"
    env_file(managed / "managed-settings.json", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://managed"})
    env_file(managed / "managed-settings.d" / "20-team.json", {"OTEL_EXPORTER_OTLP_HEADERS": "a=1"})
    env_file(managed / "managed-settings.d" / "10-org.json", {"OTEL_EXPORTER_OTLP_HEADERS": "a=0"})
    found = otlp.target(settings(otlp=True), process)
    assert found is not None and not found.problem
    assert (found.endpoint, found.protocol, found.headers) == ("http://managed/v1/metrics", "http/json", {"a": "1"})
    assert found.origin == "Claude Code's telemetry settings"
    assert "a=1" not in repr(found)  # headers never in a repr (a log line, a traceback)


def test_off_and_misconfigured(claude: tuple[Path, Path]) -> None:
    assert otlp.target(settings(), {"CLAUDE_CODE_ENABLE_TELEMETRY": "1", "OTEL_METRICS_EXPORTER": "otlp"}) is None
    off = otlp.target(settings(otlp=True), {"OTEL_METRICS_EXPORTER": "otlp"})
    assert off is not None and "telemetry is not on" in off.problem
    own = otlp.target(settings(otlp=True, otlp_endpoint="https://c.example:4318/", otlp_protocol="grpc"), {})
    assert own is not None and own.endpoint == "https://c.example:4318/v1/metrics" and "gRPC" in own.problem
    given_path = otlp.target(settings(otlp=True, otlp_endpoint="https://c.example/otlp/v1/metrics"), {})
    assert given_path is not None and given_path.endpoint == "https://c.example/otlp/v1/metrics"
    assert given_path.protocol == "http/protobuf" and not given_path.problem


@given(st.text(max_size=60))
def test_every_account_name_is_one_pushgateway_group(name: str) -> None:
    url = push.group_url("http://gw:9091/", name)
    prefix = "http://gw:9091/metrics/job/quotaline/instance"
    assert url.startswith(prefix)
    rest = url[len(prefix) :]
    if rest.startswith("@base64/"):
        encoded = rest[len("@base64/") :]
        decoded = b"" if encoded == "=" else base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        assert decoded.decode() == name
    else:
        assert rest == "/" + name and "/" not in name and name


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30))
def test_shown_urls_carry_no_credentials(secret: str) -> None:
    quoted = urllib.parse.quote(secret, safe="")
    url = f"https://user:{quoted}@gw.example:9091/push?token={quoted}#{quoted}"
    shown = push.public_url(url)
    assert shown == "https://gw.example:9091/push"
    bare, auth = push.split_credentials(url)
    assert auth == ("user", secret) and bare.startswith("https://gw.example:9091/push?")


@given(st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True), st.text(max_size=30), max_size=5))
def test_otlp_header_lists_round_trip(headers: dict[str, str]) -> None:
    text = ",".join(f"{k}={urllib.parse.quote(v, safe='')}" for k, v in headers.items())
    assert push.parse_headers(text) == {k: v.strip() for k, v in headers.items()}
