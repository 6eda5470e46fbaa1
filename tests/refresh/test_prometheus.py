"""The Prometheus textfile export: written by a refresh against a loopback usage server, checked by
promtool, then scraped by a real node_exporter into a real Prometheus and read back over its API."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.cli import FIXTURES, Home
from helpers.usage_server import live_fixture
from pytest_httpserver import HTTPServer

pytestmark = pytest.mark.slow  # real node_exporter and Prometheus processes, scraped round trips
TOKEN = "sk-ant-oat01-SECRET-TOKEN-do-not-leak-0123456789"
USAGE = "/api/oauth/usage"
NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
USAGE_FIXTURES = [p.name for p in sorted((FIXTURES / "usage").glob("oauth_*.json"))]
IN_CI = bool(os.environ.get("CI"))  # .ci/run installs them: missing there is a failure, not a skip
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None and not IN_CI, reason="promtool missing (.ci/run installs Debian's prometheus)"
)


@pytest.fixture
def exporting(home: Home, httpserver: HTTPServer, tmp_path: Path) -> Path:
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    home.env.update(
        QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"),
        CLAUDE_CODE_OAUTH_TOKEN=TOKEN,
        QUOTALINE_PROMETHEUS_TEXTFILE_DIR=str(textfiles),
    )
    return textfiles


def refresh_with(home: Home, server: HTTPServer, fixture: str) -> None:
    data, _ = live_fixture(fixture)
    server.clear()
    server.expect_request(USAGE).respond_with_json(data)
    result = home.run("refresh")
    assert result.code == 0, result.err


@needs_promtool
@pytest.mark.parametrize("fixture", USAGE_FIXTURES)
def test_every_fixture_exports_valid_metrics(home: Home, httpserver: HTTPServer, exporting: Path, fixture: str) -> None:
    refresh_with(home, httpserver, fixture)
    path = exporting / "quotaline.prom"
    text = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # node_exporter runs as its own user
    assert sorted(os.listdir(exporting)) == ["quotaline.prom"]  # no temp file left behind
    check = subprocess.run([PROMTOOL or "", "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()
    snap = home.snapshot()
    for wid, w in snap["windows"].items():
        assert f'quotaline_window_used_ratio{{account="unknown",window="{wid}"}} {w["used_pct"] / 100!r}' in text
    assert TOKEN not in text and "@" not in text
    if (snap.get("extra_usage") or {}).get("enabled"):
        assert 'quotaline_extra_usage_used{account="unknown",currency="USD"} 408.43' in text
    assert 'quotaline_refresh_source_failures{account="unknown",source="oauth"} 0.0' in text


def test_account_label_and_email_only_when_asked(home: Home, httpserver: HTTPServer, exporting: Path) -> None:
    home.claude.mkdir()
    (home.root / ".claude.json").write_text(
        '{"oauthAccount": {"accountUuid": "acc-1234", "emailAddress": "dev@example.com"}}'
    )
    refresh_with(home, httpserver, "oauth_2025-11_legacy_minimal.json")
    text = (exporting / "quotaline.prom").read_text()
    assert 'quotaline_account_info{account="acc-1234"} 1.0' in text and "example.com" not in text
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text('[export]\naccount = "alice \\"laptop\\""\ninclude_email = true\n')
    refresh_with(home, httpserver, "oauth_2025-11_legacy_minimal.json")
    text = (exporting / "quotaline.prom").read_text()
    assert 'quotaline_account_info{account="alice \\"laptop\\"",email="dev@example.com"} 1.0' in text
    assert 'quotaline_window_used_ratio{account="alice \\"laptop\\"",window="five_hour"} 0.06' in text


def test_backoff_is_in_the_health_metrics(home: Home, httpserver: HTTPServer, exporting: Path) -> None:
    httpserver.expect_request(USAGE).respond_with_json({"error": {}}, status=429, headers={"Retry-After": "600"})
    assert home.run("refresh").code == 1
    text = (exporting / "quotaline.prom").read_text()
    assert 'quotaline_refresh_backing_off{account="unknown"} 1.0' in text
    assert 'quotaline_refresh_source_failures{account="unknown",source="oauth"} 1.0' in text
    until = next(line for line in text.splitlines() if line.startswith("quotaline_refresh_source_backoff_until"))
    assert float(until.split()[-1]) > time.time() + 500


def test_no_export_unless_configured(home: Home, httpserver: HTTPServer, exporting: Path) -> None:
    home.env["QUOTALINE_PROMETHEUS_TEXTFILE_DIR"] = "relative/dir"  # ignored, like every relative *_DIR
    refresh_with(home, httpserver, "oauth_2025-11_legacy_minimal.json")
    assert os.listdir(exporting) == [] and not (home.root / "relative").exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture
def scraping(exporting: Path, tmp_path: Path) -> Iterator[str]:
    """node_exporter reading the textfile dir, Prometheus scraping it every second; both on loopback."""
    if (NODE_EXPORTER is None or PROMETHEUS is None) and not IN_CI:
        pytest.skip("prometheus / prometheus-node-exporter missing (.ci/run installs Debian's packages)")
    node_port, prom_port = free_port(), free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:{node_port}']\n"
    )
    logs = (tmp_path / "node.log").open("wb"), (tmp_path / "prometheus.log").open("wb")
    assert NODE_EXPORTER and PROMETHEUS, "prometheus and prometheus-node-exporter are missing in CI"
    procs = [
        subprocess.Popen(
            [NODE_EXPORTER, "--collector.disable-defaults", "--collector.textfile",
             f"--collector.textfile.directory={exporting}", f"--web.listen-address=127.0.0.1:{node_port}"],
            stdout=logs[0], stderr=subprocess.STDOUT,
        ),
        subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=logs[1], stderr=subprocess.STDOUT, cwd=tmp_path,
        ),
    ]  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{node_port}/metrics")
        wait_http(f"http://127.0.0.1:{prom_port}/-/ready", timeout=60)
        yield f"http://127.0.0.1:{prom_port}"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


def query(prometheus: str, expr: str, wanted: int, timeout: float = 45) -> list[dict[str, object]]:
    """``expr``'s series once Prometheus has scraped at least ``wanted`` of them."""
    deadline = time.monotonic() + timeout
    found: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        reply = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5).json()
        assert reply["status"] == "success", reply
        found = reply["data"]["result"]
        if len(found) >= wanted:
            return found
        time.sleep(0.5)
    raise AssertionError(f"{expr}: {found}")


def test_prometheus_scrapes_the_export(home: Home, httpserver: HTTPServer, exporting: Path, scraping: str) -> None:
    refresh_with(home, httpserver, "oauth_2026-07_usd_extra_compact.json")
    windows = home.snapshot()["windows"]
    used = query(scraping, "quotaline_window_used_ratio", len(windows))
    got = {str(r["metric"]["window"]): float(r["value"][1]) for r in used}  # type: ignore[index]
    assert got == {wid: w["used_pct"] / 100 for wid, w in windows.items()}
    assert {r["metric"]["account"] for r in used} == {"unknown"}  # type: ignore[index]
    money = query(scraping, "quotaline_extra_usage_used", 1)
    assert money[0]["metric"]["currency"] == "USD" and float(money[0]["value"][1]) == 408.43  # type: ignore[index]
    success = query(scraping, "quotaline_refresh_last_success_timestamp_seconds", 1)
    assert abs(float(success[0]["value"][1]) - time.time()) < 120  # type: ignore[index]
    errors = query(scraping, "node_textfile_scrape_error", 1)
    assert float(errors[0]["value"][1]) == 0  # type: ignore[index]  # node_exporter read the file whole


DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-quotaline.json"


def dashboard_queries() -> list[str]:
    data = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in data["panels"] for t in p["targets"]]
    return [e.replace("$account", ".*").replace("$window", ".*") for e in exprs]


def test_dashboard_names_only_exported_metrics() -> None:
    from statusline.refresh.prometheus import METRICS

    used = {m for e in dashboard_queries() for m in re.findall(r"\bquotaline_\w+", e)}
    assert used and used <= set(METRICS), used - set(METRICS)


def test_dashboard_queries_answer(home: Home, httpserver: HTTPServer, exporting: Path, scraping: str) -> None:
    refresh_with(home, httpserver, "oauth_2026-07_usd_extra_compact.json")
    query(scraping, "quotaline_export_timestamp_seconds", 1)  # scraped once: every series is there
    empty = []
    for expr in dashboard_queries():
        reply = httpx.get(f"{scraping}/api/v1/query", params={"query": expr}, timeout=5).json()
        assert reply["status"] == "success", (expr, reply)
        if not reply["data"]["result"]:
            empty.append(expr)
    # No forecast from one reading; this account's extra usage has no monthly limit.
    assert empty == [e for e in dashboard_queries() if "seconds_to_full" in e or "extra_usage_limit" in e]
