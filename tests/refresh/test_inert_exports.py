"""Invariant 1 (docs/ARCHITECTURE.md, "Inert text") for what the refresher hands on: desktop
notifications (a recording ``notify-send`` / ``osascript`` on PATH) and the Prometheus textfile
(read by the real node_exporter). Server text full of each one's specials comes through a real
usage reply from a loopback server and a real ``quotaline refresh``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.cli import Home
from helpers.usage_server import hostile_usage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

pytestmark = pytest.mark.slow  # real node_exporter and notifiers, each example a round of processes
TOKEN = "sk-ant-oat01-SECRET-TOKEN-do-not-leak-0123456789"
USAGE = "/api/oauth/usage"
SEP, END = "\x1f", "\x1e"
REAL = settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# A label that reads as an option, markup, quotes: what a notifier or a scraper might interpret.
OPTIONISH = st.lists(
    st.sampled_from(["-", "--", "-u", "--help", "--urgency=low", "-t 0", "<b>", "&", '"', "\\", "\n", "a", " ", "="]),
    min_size=1,
    max_size=5,
).map(lambda parts: "-" + "".join(parts))


def refresh_with(home: Home, server: HTTPServer, text: str, **env: str) -> None:
    server.clear()
    server.expect_request(USAGE).respond_with_json(hostile_usage(text))
    shutil.rmtree(home.state, ignore_errors=True)
    result = home.run("refresh", env={
        "QUOTALINE_API_BASE": server.url_for("/").rstrip("/"), "CLAUDE_CODE_OAUTH_TOKEN": TOKEN,
        "QUOTALINE_CLAUDE_JSON": "0", **env,
    })  # fmt: skip
    assert result.code == 0, result.err


@pytest.mark.parametrize("notifier", ["notify-send", "osascript"])
@REAL
@given(text=OPTIONISH)
def test_notifications_take_server_text_as_text(
    home: Home, httpserver: HTTPServer, tmp_path: Path, notifier: str, text: str
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as where:
        scratch = Path(where)
        log = scratch / "calls"
        stub = scratch / notifier  # records its arguments (the script has lines): \x1f after each, \x1e after a call
        stub.write_text(f"#!/bin/sh\nfor a; do printf '%s{SEP}' \"$a\"; done >> '{log}'\nprintf '{END}' >> '{log}'\n")
        stub.chmod(0o755)
        refresh_with(home, httpserver, text, PATH=f"{scratch}:/usr/bin:/bin", QUOTALINE_NOTIFY="1")
        calls = [call.split(SEP)[:-1] for call in log.read_text().split(END)[:-1]]
        assert calls and all(call[-1].startswith("-") for call in calls), calls  # the label, as the text
        for call in calls:
            if notifier == "osascript":  # the script, then its argv: the title ends the options
                assert call[:1] == ["-e"] and call[2] == "quotaline" and len(call) == 4, call
            else:  # every text after "--": none read as an option
                assert call[:4] == [call[0], "--app-name=quotaline", "--", "quotaline"] and len(call) == 5, call
                assert call[0] in ("--urgency=normal", "--urgency=critical"), call


# ---- Prometheus: the textfile through the real node_exporter -----------------------------------

NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
PROM = st.text(alphabet='"\\\n{}=,# ab', min_size=1, max_size=6)
# Characters the export's cleaning drops (controls, bidi): ids apart on the server, one text once cleaned.
DROPPED = st.text(alphabet="\x00\x07\x1b\x7f\u202e\u2066", min_size=1, max_size=3)


@pytest.fixture
def node_exporter(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    if NODE_EXPORTER is None:
        if os.environ.get("CI"):
            raise AssertionError("prometheus-node-exporter is missing in CI (.ci/run installs it)")
        pytest.skip("prometheus-node-exporter missing (.ci/run installs Debian's package)")
    from test_prometheus import free_port, wait_http

    textfiles, port = tmp_path / "textfile", free_port()
    textfiles.mkdir()
    log = (tmp_path / "node.log").open("wb")
    proc = subprocess.Popen(
        [NODE_EXPORTER, "--collector.disable-defaults", "--collector.textfile",
         f"--collector.textfile.directory={textfiles}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/metrics")
        yield textfiles, f"http://127.0.0.1:{port}/metrics"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@REAL
@given(text=PROM, noise=DROPPED)
def test_node_exporter_reads_every_window_once(
    home: Home, httpserver: HTTPServer, node_exporter: tuple[Path, str], text: str, noise: str
) -> None:
    textfiles, metrics = node_exporter
    data = hostile_usage(text)
    data[text[:1] + noise + text[1:]] = {"utilization": 12.0, "resets_at": data["seven_day"]["resets_at"]}
    httpserver.clear()
    httpserver.expect_request(USAGE).respond_with_json(data)
    shutil.rmtree(home.state, ignore_errors=True)
    result = home.run("refresh", env={
        "QUOTALINE_API_BASE": httpserver.url_for("/").rstrip("/"), "CLAUDE_CODE_OAUTH_TOKEN": TOKEN,
        "QUOTALINE_CLAUDE_JSON": "0", "QUOTALINE_PROMETHEUS_TEXTFILE_DIR": str(textfiles),
    })  # fmt: skip
    assert result.code == 0, result.err
    scraped = httpx.get(metrics, timeout=10)
    assert scraped.status_code == 200, scraped.text[-2000:]
    lines = scraped.text.splitlines()
    assert "node_textfile_scrape_error 0" in lines, [x for x in lines if "textfile" in x]
    used = [line for line in lines if line.startswith("quotaline_window_used_ratio{")]
    assert len(used) == len(home.snapshot()["windows"]), used  # each window once, none lost
