"""Desktop notifications from the refresher: once per level and period, through a stub
``notify-send`` on PATH that records its arguments, after a refresh against a loopback server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import Home
from helpers.usage_server import live_fixture
from pytest_httpserver import HTTPServer

TOKEN = "sk-ant-oat01-SECRET-TOKEN-do-not-leak-0123456789"
USAGE = "/api/oauth/usage"
SEP = "\x1f"


@pytest.fixture
def notified(home: Home, httpserver: HTTPServer, tmp_path: Path) -> Path:
    """A stub notify-send first on PATH, writing one line per call: its arguments, \\x1f apart."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "notify-send.log"
    stub = bin_dir / "notify-send"
    stub.write_text(f"#!/bin/sh\nfor a; do printf '%s{SEP}' \"$a\"; done >> '{log}'\necho >> '{log}'\n")
    stub.chmod(0o755)
    home.env.update(
        PATH=f"{bin_dir}:{home.env['PATH']}",
        QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"),
        CLAUDE_CODE_OAUTH_TOKEN=TOKEN,
        QUOTALINE_NOTIFY="1",
        QUOTALINE_CLAUDE_JSON="0",
    )
    return log


def serve(server: HTTPServer, five: float, seven: float = 35.0, *, first_reset_in: float = 3600) -> dict[str, Any]:
    data, _ = live_fixture("oauth_2025-11_legacy_minimal.json", first_reset_in=first_reset_in)
    data["five_hour"]["utilization"] = five
    data["seven_day"]["utilization"] = seven
    server.clear()
    server.expect_request(USAGE).respond_with_json(data)
    return data


def calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [line.split(SEP)[:-1] for line in log.read_text().splitlines()]


def refresh(home: Home) -> None:
    result = home.run("refresh")
    assert result.code == 0, result.err


@pytest.mark.slow
def test_once_per_level_and_period(home: Home, httpserver: HTTPServer, notified: Path) -> None:
    serve(httpserver, 50)
    refresh(home)
    assert calls(notified) == []  # nothing worth a word
    serve(httpserver, 85)
    refresh(home)
    first = calls(notified)
    assert len(first) == 1
    assert first[0][:4] == ["--urgency=normal", "--app-name=quotaline", "--", "quotaline"]
    assert first[0][4].startswith("5-hour window at 85%, resets ")
    for pct in (85, 86, 90):  # the same level in the same period: said already
        serve(httpserver, pct)
        refresh(home)
    assert len(calls(notified)) == 1
    serve(httpserver, 96)
    refresh(home)
    assert len(calls(notified)) == 2
    second = calls(notified)[1]
    assert second[0] == "--urgency=critical" and second[4].startswith("5-hour window at 96%")
    serve(httpserver, 100)
    refresh(home)
    full = calls(notified)[2]
    assert full[4].startswith("5-hour window is used up (100%)")
    serve(httpserver, 100)
    refresh(home)
    assert len(calls(notified)) == 3
    # The hook's own state is untouched: a session is still told, once.
    hook = home.run("hook", "user-prompt-submit", stdin='{"session_id": "s1"}')
    assert "used up" in json.loads(hook.out)["systemMessage"]


def test_a_new_period_is_news_again(home: Home, httpserver: HTTPServer, notified: Path) -> None:
    serve(httpserver, 85)
    refresh(home)
    serve(httpserver, 85, first_reset_in=3600 + 5 * 3600)  # the next 5-hour period
    refresh(home)
    assert [c[4].split(",")[0] for c in calls(notified)] == ["5-hour window at 85%"] * 2


def test_off_unless_asked(home: Home, httpserver: HTTPServer, notified: Path) -> None:
    home.env["QUOTALINE_NOTIFY"] = "0"
    serve(httpserver, 99)
    refresh(home)
    assert calls(notified) == []
    assert "desktop-notifications" not in home.snapshot()["warned"]


def test_a_failing_notifier_costs_nothing(home: Home, httpserver: HTTPServer, notified: Path, tmp_path: Path) -> None:
    (tmp_path / "bin" / "notify-send").write_text("#!/bin/sh\nexit 3\n")
    serve(httpserver, 99)
    refresh(home)
    assert home.snapshot()["windows"]["five_hour"]["used_pct"] == 99
    assert "notify-send exited 3" in (home.state / "error.log").read_text()


def test_doctor_says_when_there_is_no_notifier(home: Home, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    out = home.run("doctor", "--no-timing", env={"PATH": str(empty), "QUOTALINE_NOTIFY": "1"}).out
    assert "[warn] notify      neither notify-send (Debian/Ubuntu: libnotify-bin) nor osascript found" in out
    quiet = home.run("doctor", "--no-timing", env={"PATH": str(empty)}).out
    assert "[  ok] notify      off; neither notify-send" in quiet


def test_doctor_names_the_notifier(home: Home, notified: Path) -> None:
    out = home.run("doctor", "--no-timing").out
    assert "[  ok] notify      on; sent through " + str(notified.parent / "bin" / "notify-send") in out
