"""The Pushgateway push: a refresh against the loopback usage server PUTs the textfile's series to a
real Prometheus Pushgateway (Debian's prometheus-pushgateway), which a real Prometheus scrapes;
both are started here on loopback ports and read back over Prometheus's HTTP API."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.cli import Home
from pytest_httpserver import HTTPServer
from test_prometheus import (
    DASHBOARD,
    IN_CI,
    PROMETHEUS,
    TOKEN,
    dashboard_queries,
    free_port,
    query,
    refresh_with,
    wait_http,
)

pytestmark = pytest.mark.slow  # a real Pushgateway and Prometheus, pushed and scraped round trips
PUSHGATEWAY = shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the Pushgateway's URL, Prometheus's URL): Prometheus scrapes the gateway every second, with
    ``honor_labels`` so the pushed job and instance stay the group's."""
    if (PUSHGATEWAY is None or PROMETHEUS is None) and not IN_CI:
        pytest.skip("prometheus-pushgateway / prometheus missing (.ci/run installs Debian's packages)")
    assert PUSHGATEWAY and PROMETHEUS, "prometheus-pushgateway and prometheus are missing in CI"
    gw_port, prom_port = free_port(), free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: pushgateway\n    honor_labels: true\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{gw_port}']\n"
    )
    logs = (tmp_path / "pushgateway.log").open("wb"), (tmp_path / "prometheus.log").open("wb")
    procs = [
        subprocess.Popen(
            # Debian's default persists every group to /var/lib/prometheus: kept in memory here.
            [PUSHGATEWAY, f"--web.listen-address=127.0.0.1:{gw_port}", "--persistence.file="],
            stdout=logs[0], stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=logs[1], stderr=subprocess.STDOUT, cwd=tmp_path,
        ),
    ]  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{gw_port}/-/ready")
        wait_http(f"http://127.0.0.1:{prom_port}/-/ready", timeout=60)
        yield f"http://127.0.0.1:{gw_port}", f"http://127.0.0.1:{prom_port}"
    finally:
        stop(procs)
        for log in logs:
            log.close()


@pytest.fixture
def pushing(home: Home, httpserver: HTTPServer, gateway: tuple[str, str]) -> tuple[str, str]:
    home.env.update(
        QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"),
        CLAUDE_CODE_OAUTH_TOKEN=TOKEN,
        QUOTALINE_PUSHGATEWAY_URL=gateway[0],
    )
    home.claude.mkdir()
    (home.root / ".claude.json").write_text('{"oauthAccount": {"accountUuid": "acc-1234", "emailAddress": "d@e.com"}}')
    return gateway


def test_prometheus_scrapes_the_pushed_series(home: Home, httpserver: HTTPServer, pushing: tuple[str, str]) -> None:
    gw, prometheus = pushing
    refresh_with(home, httpserver, "oauth_2026-07_usd_extra_compact.json")
    snap = home.snapshot()
    windows = snap["windows"]
    used = query(prometheus, 'quotaline_window_used_ratio{job="quotaline"}', len(windows))
    got = {str(r["metric"]["window"]): float(r["value"][1]) for r in used}  # type: ignore[index]
    assert got == {wid: w["used_pct"] / 100 for wid, w in windows.items()}
    assert {(r["metric"]["instance"], r["metric"]["account"]) for r in used} == {("acc-1234", "acc-1234")}  # type: ignore[index]
    money = query(prometheus, "quotaline_extra_usage_used", 1)
    assert money[0]["metric"]["currency"] == "USD" and float(money[0]["value"][1]) == 408.43  # type: ignore[index]
    health = query(prometheus, 'quotaline_refresh_source_failures{source="oauth"}', 1)
    assert float(health[0]["value"][1]) == 0  # type: ignore[index]
    # The gateway's own per-group time: what finds a machine that stopped pushing.
    pushed = query(prometheus, 'push_time_seconds{job="quotaline",instance="acc-1234"}', 1)
    assert abs(float(pushed[0]["value"][1]) - time.time()) < 120  # type: ignore[index]
    text = httpx.get(f"{gw}/metrics", timeout=5).text
    assert TOKEN not in text and "d@e.com" not in text
    outcome = snap["refresh"]["push"]["pushgateway"]
    assert outcome["ok"] is True and outcome["to"] == f"{gw}/metrics/job/quotaline/instance/acc-1234"
    # The stale-machine cleanup the README shows: DELETE of the group.
    assert httpx.delete(f"{gw}/metrics/job/quotaline/instance/acc-1234", timeout=5).status_code == 202
    assert "quotaline_window_used_ratio" not in httpx.get(f"{gw}/metrics", timeout=5).text


def test_any_account_name_is_one_group(home: Home, httpserver: HTTPServer, pushing: tuple[str, str]) -> None:
    """A name a URL path cannot carry as it is (a slash, spaces, quotes) goes base64-encoded; the
    gateway decodes it back into the instance label, and a second push replaces the group."""
    _, prometheus = pushing
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text('[export]\naccount = "alice \\"laptop\\"/2"\n')
    refresh_with(home, httpserver, "oauth_2025-11_legacy_minimal.json")
    refresh_with(home, httpserver, "oauth_2025-11_legacy_minimal.json")
    found = query(prometheus, 'quotaline_account_info{job="quotaline"}', 1)
    assert [r["metric"]["instance"] for r in found] == ['alice "laptop"/2']  # type: ignore[index]
    assert home.snapshot()["refresh"]["push"]["pushgateway"]["ok"] is True


def test_a_dead_gateway_is_recorded_and_costs_the_refresh_little(home: Home, httpserver: HTTPServer) -> None:
    home.env.update(
        QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"),
        CLAUDE_CODE_OAUTH_TOKEN=TOKEN,
        QUOTALINE_PUSHGATEWAY_URL=f"http://user:hunter2-secret@127.0.0.1:{free_port()}/",
    )
    t0 = time.monotonic()
    refresh_with(home, httpserver, "oauth_2025-11_legacy_minimal.json")
    assert time.monotonic() - t0 < 15
    snap = home.snapshot()
    assert snap["windows"]["five_hour"]["used_pct"] == 6.0  # the refresh itself was stored
    outcome = snap["refresh"]["push"]["pushgateway"]
    assert outcome["ok"] is False and "refused" in outcome["error"]
    assert "hunter2" not in home.snapshot_file().read_text()
    doctor = home.run("doctor", "--no-timing")
    assert "pushgateway" in doctor.out and "refused" in doctor.out and "hunter2" not in doctor.out


def test_the_dashboard_works_on_the_gateways_prometheus(
    home: Home, httpserver: HTTPServer, pushing: tuple[str, str]
) -> None:
    """One dashboard for both setups: its data source is a variable, and every query answers from
    the Prometheus that scrapes the gateway as it does from the textfile's."""
    data = json.loads(DASHBOARD.read_text())
    [variable] = [v for v in data["templating"]["list"] if v["type"] == "datasource"]
    assert variable["query"] == "prometheus"
    sources = [p["datasource"] for p in data["panels"]] + [t["datasource"] for t in data["templating"]["list"][1:]]
    assert {s["uid"] for s in sources} == {"${" + variable["name"] + "}"}
    _, prometheus = pushing
    refresh_with(home, httpserver, "oauth_2026-07_usd_extra_compact.json")
    query(prometheus, "quotaline_export_timestamp_seconds", 1)
    empty = []
    for expr in dashboard_queries():
        reply = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5).json()
        assert reply["status"] == "success", (expr, reply)
        if not reply["data"]["result"]:
            empty.append(expr)
    # No forecast from one reading; this account's extra usage has no monthly limit.
    assert empty == [e for e in dashboard_queries() if "seconds_to_full" in e or "extra_usage_limit" in e]
