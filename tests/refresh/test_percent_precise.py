"""Claude Code 2.1.337's ``limits[].percent_precise``: drawn where a percent is drawn, never the
basis of a level ("a blocked account can read just under 100 there"). Through a real refresh
against a loopback server, then the status line and ``status --json``."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from helpers.cli import Home, statusline_stdin
from pytest_httpserver import HTTPServer

from statusline.refresh.usage_payload import parse_usage

TOKEN = "sk-ant-oat01-PRECISE-token-0123456789"


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def payload(percent: float, precise: Any, *, flat: bool = True) -> dict[str, Any]:
    reset = iso(time.time() + 7200)
    body: dict[str, Any] = {
        "limits": [
            {"kind": "session", "group": "session", "percent": percent, "percent_precise": precise,
             "severity": "normal", "resets_at": reset, "is_active": True, "scope": None},
            {"kind": "weekly_all", "group": "weekly", "percent": 40, "percent_precise": 40.4,
             "severity": "normal", "resets_at": iso(time.time() + 86400), "is_active": False, "scope": None},
        ]
    }  # fmt: skip
    if flat:
        body["five_hour"] = {"utilization": percent, "resets_at": reset}
    return body


def test_percent_100_with_precise_99_9_is_at_the_limit_and_draws_99_9(home: Home, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/oauth/usage").respond_with_json(payload(100, 99.9))
    home.env.update(QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"), CLAUDE_CODE_OAUTH_TOKEN=TOKEN, NO_COLOR="1")
    assert home.run("refresh").code == 0
    five = home.snapshot()["windows"]["five_hour"]
    assert five["used_pct"] == 100 and five["shown_pct"] == 99.9
    stdin = statusline_stdin(five=None, seven=None)
    line = home.run("statusline", stdin=json.dumps(stdin)).out
    assert "5h 99.9%" in line and "7d 40.4%" in line
    status = json.loads(home.run("status", "--json").out)
    window = next(w for w in status["windows"] if w["id"] == "five_hour")
    assert window["used_pct"] == 100 and window["level"] == "full"
    hook = home.run("hook", stdin=json.dumps({"session_id": "sess-1", "hook_event_name": "UserPromptSubmit"})).out
    assert "used up" in hook


def test_precise_is_never_the_basis_and_nonsense_is_not_drawn() -> None:
    for precise, shown in [(99.94, 99.94), (None, None), (50, None), (-1, None), ("99.9", None), (True, None)]:
        reading = parse_usage(payload(100, precise, flat=False), source="oauth", observed_at=time.time())
        five = reading.windows["five_hour"]
        assert five["used_pct"] == 100 and five.get("shown_pct") == shown, precise
