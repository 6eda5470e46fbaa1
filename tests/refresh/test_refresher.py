"""The refresher against a real HTTP server on loopback: every fixture, every failure, backoff,
concurrency, kills mid-write, and no secret anywhere."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import FIXTURES, REPO, Home, statusline_stdin
from helpers.usage_server import live_fixture
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from statusline.refresh.http import FetchError, base_url

TOKEN = "sk-ant-oat01-SECRET-TOKEN-do-not-leak-0123456789"
SESSION_KEY = "sk-ant-sid01-SECRET-SESSION-do-not-leak-98765"
USAGE = "/api/oauth/usage"


@pytest.fixture
def server_home(home: Home, httpserver: HTTPServer) -> Home:
    home.env.update(
        QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"),
        QUOTALINE_CLAUDE_AI_BASE=httpserver.url_for("/").rstrip("/"),
        CLAUDE_CODE_OAUTH_TOKEN=TOKEN,
        NO_COLOR="1",
    )
    return home


def usage_requests(server: HTTPServer) -> list[Request]:
    return [r for r, _ in server.log if r.path == USAGE]


def refresh_state(home: Home) -> dict[str, Any]:
    return home.snapshot()["refresh"]["sources"]["oauth"]


def serve_json(server: HTTPServer, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
    server.expect_request(USAGE).respond_with_json(data, status=status, headers=headers)


@pytest.mark.parametrize(
    "fixture", [p.name for p in sorted((FIXTURES / "usage").glob("*.json")) if "error" not in p.name]
)
def test_every_usage_fixture(server_home: Home, httpserver: HTTPServer, fixture: str) -> None:
    data, _ = live_fixture(fixture)
    serve_json(httpserver, data)
    result = server_home.run("refresh")
    assert result.code == 0, result.err
    request = usage_requests(httpserver)[0]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["anthropic-beta"] == "oauth-2025-04-20"
    assert request.headers["User-Agent"] == "claude-code (quotaline/0.1.0)"  # no session seen: no version
    windows = server_home.snapshot()["windows"]
    assert windows["five_hour"]["used_pct"] == data["five_hour"]["utilization"]
    assert windows["five_hour"]["source"] == "oauth"
    assert windows["seven_day"]["used_pct"] == data["seven_day"]["utilization"]
    status = json.loads(server_home.run("status", "--json").out)
    assert {w["id"] for w in status["windows"]} == set(windows)
    line = server_home.run("statusline", stdin=b"").out
    assert f"5h {data['five_hour']['utilization']:g}%" in line


def test_fable_window_and_money_reach_the_status_line(server_home: Home, httpserver: HTTPServer) -> None:
    data, _ = live_fixture("oauth_2026-07_usd_extra_compact.json")
    serve_json(httpserver, data)
    assert server_home.run("refresh").code == 0
    line = server_home.run("statusline", stdin=b"").out.strip()
    assert line.startswith("5h 15% ")
    assert "Fable 81%" in line  # at/over the warning level
    assert line.endswith("+$408.43")
    status = json.loads(server_home.run("status", "--json").out)
    assert status["extra_usage"]["used"] == 408.43 and status["extra_usage"]["currency"] == "USD"


def test_user_agent_is_claude_codes_token_naming_quotaline(server_home: Home, httpserver: HTTPServer) -> None:
    serve_json(httpserver, live_fixture("oauth_2025-11_legacy_minimal.json")[0])
    server_home.run("statusline", stdin=json.dumps(statusline_stdin(10, 10)))
    assert server_home.run("refresh").code == 0
    assert usage_requests(httpserver)[0].headers["User-Agent"] == "claude-code/2.1.330 (quotaline/0.1.0)"


def test_configured_user_agent_is_sent_as_it_is(server_home: Home, httpserver: HTTPServer) -> None:
    serve_json(httpserver, live_fixture("oauth_2025-11_legacy_minimal.json")[0])
    server_home.run("statusline", stdin=json.dumps(statusline_stdin(10, 10)))
    result = server_home.run("refresh", env={"QUOTALINE_USER_AGENT": "my-proxy-friendly-agent/1.0\n"})
    assert result.code == 0, result.err
    assert usage_requests(httpserver)[0].headers["User-Agent"] == "my-proxy-friendly-agent/1.0"


@pytest.mark.slow
@pytest.mark.parametrize(("retry_after", "expected_wait"), [("0", 300), ("3600", 3600), (None, 300)])
def test_429_backs_off(
    server_home: Home, httpserver: HTTPServer, retry_after: str | None, expected_wait: float
) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = json.loads((FIXTURES / "usage" / "error_429_rate_limit.json").read_text())
    serve_json(httpserver, body, status=429, headers=headers)
    t0 = time.time()
    result = server_home.run("refresh")
    assert result.code == 1 and "rate limited" in result.err
    state = refresh_state(server_home)
    assert t0 + expected_wait - 5 <= state["backoff_until"] <= time.time() + expected_wait + 5
    again = server_home.run("refresh")  # honours the backoff: no request
    assert again.code == 1 and "backing off" in again.err
    assert len(usage_requests(httpserver)) == 1
    forced = server_home.run("refresh", "--force")
    assert forced.code == 1 and len(usage_requests(httpserver)) == 2
    if retry_after != "3600":
        assert refresh_state(server_home)["backoff_until"] >= time.time() + 600 - 10  # the floor grows: 10 min


@pytest.mark.slow
def test_401_says_token_expired_and_waits_for_new_credentials(server_home: Home, httpserver: HTTPServer) -> None:
    httpserver.expect_request(USAGE).respond_with_json({"error": {"type": "authentication_error"}}, status=401)
    result = server_home.run("refresh")
    assert result.code == 1 and "token expired: run claude to refresh it" in result.err
    assert refresh_state(server_home)["backoff_until"] >= time.time() + 14 * 60
    assert "token expired: run claude to refresh it" in server_home.run("statusline", stdin=b"").out
    assert server_home.run("refresh").code == 1 and len(usage_requests(httpserver)) == 1
    # Claude Code refreshed its token: the next refresh tries at once.
    new_env = {"CLAUDE_CODE_OAUTH_TOKEN": TOKEN + "-new"}
    server_home.run("refresh", env=new_env)
    assert len(usage_requests(httpserver)) == 2


@pytest.mark.parametrize(
    ("status", "body", "headers", "kind", "text"),
    [
        (
            403,
            json.dumps({"error": {"type": "permission_error", "message": "We are unable to serve your request"}}),
            {"content-type": "application/json"},
            "forbidden",
            "refused access (403): We are unable",
        ),
        (
            403,
            "<!DOCTYPE html><title>Just a moment...</title>",
            {"content-type": "text/html", "cf-mitigated": "challenge"},
            "cloudflare",
            "Cloudflare challenge",
        ),
        (
            200,
            "<html><head><title>Just a moment...</title></head></html>",
            {"content-type": "text/html"},
            "cloudflare",
            "Cloudflare challenge",
        ),
        (500, "oops", {}, "server_error", "failed (500)"),
        (502, "bad gateway", {}, "server_error", "failed (502)"),
        (503, "", {}, "server_error", "failed (503)"),
        (200, '{"five_hour": {"utilization": 4', {"content-type": "application/json"}, "bad_payload", "not JSON"),
    ],
    ids=["403-json", "403-cloudflare", "200-cloudflare", "500", "502", "503", "truncated-json"],
)
def test_failures_keep_last_good_data(
    server_home: Home, httpserver: HTTPServer, status: int, body: str, headers: dict[str, str], kind: str, text: str
) -> None:
    good, _ = live_fixture("oauth_2026-02_legacy_opus_sonnet.json")
    httpserver.expect_ordered_request(USAGE).respond_with_json(good)
    httpserver.expect_ordered_request(USAGE).respond_with_response(Response(body, status=status, headers=headers))
    assert server_home.run("refresh").code == 0
    result = server_home.run("refresh", "--force")
    assert result.code == 1 and text in result.err
    snap = server_home.snapshot()
    assert snap["windows"]["five_hour"]["used_pct"] == 37.0  # last good data kept
    assert snap["errors"][-1]["kind"] == kind and text in snap["errors"][-1]["message"]
    assert refresh_state(server_home)["backoff_until"] > time.time() + 50
    assert "5h 37% " in server_home.run("statusline", stdin=b"").out
    status = json.loads(server_home.run("status", "--json").out)
    assert status["errors"][-1]["kind"] == kind


def test_transient_backoff_grows(server_home: Home, httpserver: HTTPServer) -> None:
    httpserver.expect_request(USAGE).respond_with_data("down", status=503)
    waits = []
    for _ in range(3):
        t0 = time.time()
        server_home.run("refresh", "--force")
        waits.append(refresh_state(server_home)["backoff_until"] - t0)
    assert waits[0] < waits[1] < waits[2]


def test_schema_drift_keeps_what_parses(server_home: Home, httpserver: HTTPServer) -> None:
    drift = {
        "five_hour": {"utilization": "high", "resets_at": "tomorrow"},
        "seven_day": {
            "utilization": 55,
            "resets_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 86400)),
        },
        "limits": "not a list",
        "brand_new_thing": {"x": 1},
        "extra_usage": [1, 2],
    }
    serve_json(httpserver, drift)
    assert server_home.run("refresh").code == 0
    windows = server_home.snapshot()["windows"]
    assert windows["seven_day"]["used_pct"] == 55 and "five_hour" not in windows


@pytest.mark.slow
def test_hang_times_out_within_budget(server_home: Home, httpserver: HTTPServer) -> None:
    def slow(_: Request) -> Response:
        time.sleep(12)
        return Response("{}", content_type="application/json")

    httpserver.expect_request(USAGE).respond_with_handler(slow)
    result = server_home.run("refresh")
    assert result.code == 1 and "no answer" in result.err
    assert result.seconds < 12
    assert server_home.snapshot()["errors"][-1]["kind"] == "timeout"


def test_refuses_plain_http_to_non_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUOTALINE_API_BASE", "http://example.com")
    with pytest.raises(FetchError, match="plain http"):
        base_url("QUOTALINE_API_BASE", "https://api.anthropic.com")
    monkeypatch.setenv("QUOTALINE_API_BASE", "https://evil.example.com")
    with pytest.raises(FetchError, match="only sent to"):
        base_url("QUOTALINE_API_BASE", "https://api.anthropic.com")
    for ok in ("http://127.0.0.1:8080", "http://[::1]:9", "http://localhost:1", "https://api.anthropic.com"):
        monkeypatch.setenv("QUOTALINE_API_BASE", ok)
        assert base_url("QUOTALINE_API_BASE", "x") == ok


def test_credentials_file_and_claude_json_source(server_home: Home, httpserver: HTTPServer) -> None:
    env = {"CLAUDE_CODE_OAUTH_TOKEN": ""}
    shape = json.loads((FIXTURES / "credentials" / "credentials_json_shape.redacted.json").read_text())
    shape["claudeAiOauth"]["accessToken"] = TOKEN
    shape["claudeAiOauth"]["expiresAt"] = int((time.time() + 3600) * 1000)
    server_home.claude.mkdir()
    (server_home.claude / ".credentials.json").write_text(json.dumps(shape))
    serve_json(httpserver, live_fixture("oauth_2025-11_legacy_minimal.json")[0])
    assert server_home.run("refresh", env=env).code == 0
    assert usage_requests(httpserver)[0].headers["Authorization"] == f"Bearer {TOKEN}"
    # Claude Code's own cached copy, newer and higher: merged by the same rule.
    payload, _ = live_fixture("oauth_2025-11_legacy_minimal.json")
    payload["five_hour"]["utilization"] = 9.0
    (server_home.root / ".claude.json").write_text(
        json.dumps(
            {
                "oauthAccount": {"accountUuid": "acc-1"},
                "cachedUsageUtilization": {
                    "fetchedAtMs": int(time.time() * 1000),
                    "accountUuid": "acc-1",
                    "utilization": payload,
                },
            }
        )
    )
    assert server_home.run("refresh", "--force", env=env | {"QUOTALINE_OAUTH": "0"}).code == 0
    five = server_home.snapshot()["windows"]["five_hour"]
    assert five["used_pct"] == 9.0 and five["source"] == "claude_json"


def test_logging_in_after_install_is_noticed_at_once(server_home: Home, httpserver: HTTPServer) -> None:
    """No credentials yet (quotaline installed before the first login): the wait ends the moment
    the file appears, for the refresher and for the status line that starts it."""
    from statusline.core.run import spawn

    env = {"CLAUDE_CODE_OAUTH_TOKEN": ""}
    serve_json(httpserver, live_fixture("oauth_2025-11_legacy_minimal.json")[0])
    assert server_home.run("refresh", env=env).code == 1
    state = refresh_state(server_home)
    assert state["kind"] == "no_credentials" and state["auth_stamp"] == "none"
    assert server_home.run("refresh", env=env).code == 1  # still no file: still waiting, no request
    snap = server_home.snapshot()
    assert snap["refresh"]["next_due"] > time.time() and usage_requests(httpserver) == []
    shape = json.loads((FIXTURES / "credentials" / "credentials_json_shape.redacted.json").read_text())
    shape["claudeAiOauth"]["accessToken"] = TOKEN
    shape["claudeAiOauth"]["expiresAt"] = int((time.time() + 3600) * 1000)
    server_home.claude.mkdir(exist_ok=True)
    (server_home.claude / ".credentials.json").write_text(json.dumps(shape))  # `claude` logged in
    saved = dict(os.environ)
    try:
        os.environ.update(server_home.env, CLAUDE_CODE_OAUTH_TOKEN="")
        assert spawn.is_due(snap, time.time())  # the status line starts a refresher now
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert server_home.run("refresh", env=env).code == 0
    assert len(usage_requests(httpserver)) == 1


def test_expired_credentials_file_is_not_sent(server_home: Home, httpserver: HTTPServer) -> None:
    shape = json.loads((FIXTURES / "credentials" / "credentials_json_shape.redacted.json").read_text())
    server_home.claude.mkdir()
    (server_home.claude / ".credentials.json").write_text(json.dumps(shape))  # expiresAt in 2025
    result = server_home.run("refresh", env={"CLAUDE_CODE_OAUTH_TOKEN": ""})
    assert result.code == 1 and "token expired" in result.err
    assert usage_requests(httpserver) == []


def test_account_switch_forgets_the_other_accounts_numbers(server_home: Home, httpserver: HTTPServer) -> None:
    serve_json(httpserver, live_fixture("oauth_2026-02_legacy_opus_sonnet.json")[0])
    claude_json = server_home.root / ".claude.json"
    claude_json.write_text(json.dumps({"oauthAccount": {"accountUuid": "acc-1"}}))
    assert server_home.run("refresh").code == 0
    assert "seven_day:sonnet" in server_home.snapshot()["windows"]
    httpserver.clear()
    serve_json(httpserver, live_fixture("oauth_2025-11_legacy_minimal.json")[0])
    claude_json.write_text(json.dumps({"oauthAccount": {"accountUuid": "acc-2"}}))
    assert server_home.run("refresh", "--force").code == 0
    snap = server_home.snapshot()
    assert "seven_day:sonnet" not in snap["windows"] and snap["account"]["uuid"] == "acc-2"
    assert snap["windows"]["five_hour"]["used_pct"] == 6.0


def test_claude_ai_source(server_home: Home, httpserver: HTTPServer) -> None:
    data, _ = live_fixture("claude_ai_2026-07_eur_extra_usage.json")
    httpserver.expect_request("/api/organizations").respond_with_json([{"uuid": "org-123", "name": "me"}])
    httpserver.expect_request("/api/organizations/org-123/usage").respond_with_json(data)
    env = {"QUOTALINE_OAUTH": "0", "QUOTALINE_CLAUDE_AI": "1", "QUOTALINE_CLAUDE_AI_SESSION_KEY": SESSION_KEY}
    result = server_home.run("refresh", env=env)
    assert result.code == 0, result.err
    cookie = next(r for r, _ in httpserver.log if r.path.endswith("/usage")).headers["Cookie"]
    assert cookie == f"sessionKey={SESSION_KEY}"
    line = server_home.run("statusline", stdin=b"", env=env).out.strip()
    assert line.startswith("5h 24% ") and line.endswith("+€0.35")
    snap = json.dumps(server_home.snapshot())
    assert SESSION_KEY not in snap


def team_credentials(home: Home, plan: str = "team") -> dict[str, str]:
    """A Team member's credentials file (the plan says the usage payload's money is the org's)."""
    shape = json.loads((FIXTURES / "credentials" / "credentials_json_shape.redacted.json").read_text())
    shape["claudeAiOauth"].update(accessToken=TOKEN, expiresAt=int((time.time() + 3600) * 1000), subscriptionType=plan)
    home.claude.mkdir(exist_ok=True)
    (home.claude / ".credentials.json").write_text(json.dumps(shape))
    return {"CLAUDE_CODE_OAUTH_TOKEN": ""}


def test_team_extra_usage_is_said_to_be_the_organisations_total(server_home: Home, httpserver: HTTPServer) -> None:
    env = team_credentials(server_home)
    serve_json(httpserver, live_fixture("oauth_2026-07_usd_extra_compact.json")[0])
    assert server_home.run("refresh", env=env).code == 0
    assert server_home.snapshot()["extra_usage"]["scope"] == "organization"
    assert "extra usage  $408.43 this month (organisation's total)" in server_home.run("status", env=env).out
    assert json.loads(server_home.run("status", "--json", env=env).out)["extra_usage"]["scope"] == "organization"


def test_an_individual_plans_money_says_nothing_of_whose(server_home: Home, httpserver: HTTPServer) -> None:
    env = team_credentials(server_home, plan="max")
    serve_json(httpserver, live_fixture("oauth_2026-07_usd_extra_compact.json")[0])
    assert server_home.run("refresh", env=env).code == 0
    assert server_home.snapshot()["extra_usage"]["scope"] is None
    out = server_home.run("status", env=env).out
    assert "extra usage  $408.43 this month\n" in out and "organisation" not in out and "yours" not in out


def claude_ai_team(server: HTTPServer, spend: Any = None, status: int = 200) -> dict[str, str]:
    data, _ = live_fixture("oauth_2026-07_usd_extra_compact.json")
    data["member_dashboard_available"] = True
    server.expect_request("/api/organizations").respond_with_json([{"uuid": "org-9", "name": "team"}])
    server.expect_request("/api/organizations/org-9/usage").respond_with_json(data)
    server.expect_request("/api/organizations/org-9/usage/spend").respond_with_json(spend, status=status)
    return {"QUOTALINE_OAUTH": "0", "QUOTALINE_CLAUDE_AI": "1", "QUOTALINE_CLAUDE_AI_SESSION_KEY": SESSION_KEY}


def test_claude_ai_fetches_the_members_own_spend(server_home: Home, httpserver: HTTPServer) -> None:
    env = claude_ai_team(httpserver, {"spend": {"used": {"amount_minor": 1250, "currency": "USD", "exponent": 2}}})
    assert server_home.run("refresh", env=env).code == 0
    spend = next(r for r, _ in httpserver.log if r.path.endswith("/usage/spend"))
    assert spend.headers["Cookie"] == f"sessionKey={SESSION_KEY}"
    assert spend.headers["User-Agent"] == "claude-code (quotaline/0.1.0)"
    extra = server_home.snapshot()["extra_usage"]
    assert (extra["used"], extra["scope"], extra["enabled"]) == (12.5, "member", True)  # the org's switch stays
    assert "extra usage  $12.50 this month (yours)" in server_home.run("status", env=env).out


def test_claude_ai_member_spend_missing_or_drifted_keeps_the_total(server_home: Home, httpserver: HTTPServer) -> None:
    env = claude_ai_team(httpserver, {"error": {"type": "not_found_error"}}, status=404)
    result = server_home.run("refresh", env=env)
    assert result.code == 0 and "claude_ai: ok" in result.out + result.err
    extra = server_home.snapshot()["extra_usage"]
    assert extra["used"] == 408.43 and extra["scope"] is None  # the total, and nothing said of whose
    httpserver.clear()
    env = claude_ai_team(httpserver, {"spent": "a lot", "cents": [1]})
    assert server_home.run("refresh", "--force", env=env).code == 0
    assert server_home.snapshot()["extra_usage"]["used"] == 408.43


def test_claude_ai_cloudflare_is_not_an_auth_error(server_home: Home, httpserver: HTTPServer) -> None:
    page = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge-platform</body></html>"
    httpserver.expect_request("/api/organizations/org-1/usage").respond_with_data(
        page, status=403, headers={"cf-mitigated": "challenge"}, content_type="text/html"
    )
    env = {
        "QUOTALINE_OAUTH": "0",
        "QUOTALINE_CLAUDE_AI": "1",
        "QUOTALINE_CLAUDE_AI_SESSION_KEY": SESSION_KEY,
        "QUOTALINE_CLAUDE_AI_ORG": "org-1",
    }
    result = server_home.run("refresh", env=env)
    assert result.code == 1 and "Cloudflare challenge" in result.err and "expired" not in result.err


@pytest.mark.slow
def log_tail(home: Home) -> str:
    logs = sorted(home.root.rglob("*.log"))
    return "\n".join(f"{log}:\n{log.read_text(errors='replace')[-3000:]}" for log in logs)


def test_fifty_status_lines_make_one_request(server_home: Home, httpserver: HTTPServer) -> None:
    serve_json(httpserver, live_fixture("oauth_2025-11_legacy_minimal.json")[0])
    env = {k: v for k, v in server_home.env.items() if k != "QUOTALINE_NO_SPAWN"}
    data = json.dumps(statusline_stdin(42, 17)).encode()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "statusline", "statusline"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=server_home.root,
        )
        for _ in range(50)
    ]
    for proc in procs:
        out, _ = proc.communicate(data, timeout=60)
        assert proc.returncode == 0 and out.strip()
    deadline = time.time() + 30
    while time.time() < deadline and not server_home.snapshot()["refresh"].get("last_success"):
        time.sleep(0.2)
    time.sleep(3)  # let any straggling refresher finish (it must not fetch)
    # Seen once in a full run under load (two requests): say what the refreshers recorded.
    assert len(usage_requests(httpserver)) == 1, (server_home.snapshot()["refresh"], log_tail(server_home))
    assert server_home.snapshot()["windows"]["seven_day:opus"]["source"] == "oauth"
    again = subprocess.run(
        [sys.executable, "-m", "statusline", "statusline"],
        input=data,
        env=env,
        capture_output=True,
        cwd=server_home.root,
    )
    assert again.returncode == 0
    time.sleep(2)
    assert len(usage_requests(httpserver)) == 1  # not due again for 5 minutes


KILL_LOOP = """
import sys, time
sys.path.insert(0, {repo!r})
from statusline.refresh import refresher
while True:
    refresher.refresh(force=True)
"""


@pytest.mark.slow
def test_sigkill_mid_write_never_leaves_a_broken_snapshot(server_home: Home, httpserver: HTTPServer) -> None:
    payload, _ = live_fixture("oauth_2026-10_max_codename_bucket.json")
    payload["padding"] = ["x" * 200] * 500  # a larger document: more time inside the write
    serve_json(httpserver, payload)
    assert server_home.run("refresh").code == 0
    rng = random.Random(7)
    for _ in range(100):
        proc = subprocess.Popen(
            [sys.executable, "-c", KILL_LOOP.format(repo=str(REPO))],
            env=server_home.env,
            cwd=server_home.root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.25, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        snap = json.loads(server_home.snapshot_file().read_text())  # always parses
        assert snap["windows"]["seven_day"]["used_pct"] == 74.0
    assert server_home.run("statusline", stdin=b"").out.startswith("5h 6% ")


@pytest.mark.slow
def test_token_never_written_or_printed(server_home: Home, httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(USAGE).respond_with_json(live_fixture("oauth_2025-11_legacy_minimal.json")[0])
    httpserver.expect_ordered_request(USAGE).respond_with_json(
        {"error": {"type": "permission_error", "message": f"bad token {TOKEN}"}}, status=403
    )
    httpserver.expect_ordered_request(USAGE).respond_with_data(
        f"<html>Just a moment {TOKEN}</html>", status=403, content_type="text/html"
    )
    httpserver.expect_ordered_request(USAGE).respond_with_json({"error": {}}, status=401)
    outputs = []
    for args in (
        ("refresh",),
        ("refresh", "--force"),
        ("refresh", "--force"),
        ("refresh", "--force"),
        ("status",),
        ("status", "--json"),
        ("doctor",),
    ):
        result = server_home.run(*args)
        outputs.append(result.out + result.err)
    outputs.append(server_home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17))).out)
    for text in outputs:
        assert TOKEN not in text
        assert TOKEN[-20:] not in text
    for path in Path(server_home.root).rglob("*"):
        if path.is_file() and ".claude" not in path.parts:
            assert TOKEN.encode()[-20:] not in path.read_bytes(), path


def test_background_ledger_update_runs_at_low_priority() -> None:
    # The first scan takes both CPUs for seconds: it must yield to Claude Code and the status line.
    code = (
        "import os, statusline.ledger as ledger\n"
        "from statusline.refresh import refresher\n"
        "before = os.nice(0)\n"
        "ledger.update_ledger = lambda **kw: print(os.nice(0) - before)\n"
        "refresher._update_ledger()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "10"


def test_background_ledger_update_runs_after_the_refresh_lock_is_released(
    server_home: Home, httpserver: HTTPServer
) -> None:
    # A first scan can take a while: the next refresh (or `quotaline refresh`) must not wait for it.
    data, _ = live_fixture("oauth_2026-07_usd_extra_compact.json")
    serve_json(httpserver, data)
    code = (
        "import filelock, statusline.ledger as ledger\n"
        "from statusline.core.store import paths; from statusline.core.run import spawn\n"
        "from statusline.refresh import refresher\n"
        "def probe(**kw):\n"
        "    lock = filelock.FileLock(spawn.refresh_lock_path(paths.snapshot_path()), timeout=0)\n"
        "    with lock:\n"
        "        print('refresh lock free during the ledger update')\n"
        "ledger.update_ledger = probe\n"
        "print(refresher.refresh(background=True).fetched)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         env={**server_home.env, "QUOTALINE_NO_SPAWN": "1"}, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["refresh lock free during the ledger update", "['oauth']"]


@pytest.mark.parametrize("echo", ["token", "its cut", "another credential"])
def test_a_server_that_echoes_a_credential_never_gets_it_into_a_file_or_a_message(
    server_home: Home, httpserver: HTTPServer, echo: str
) -> None:
    # The message is longer than quotaline keeps: a cut before scrubbing left 107 of 108 characters.
    secret = {"token": TOKEN, "its cut": TOKEN[:-3], "another credential": "sk-ant-api03-" + "x" * 90}[echo]
    message = "Token " + secret + " is not allowed " + "." * 200
    serve_json(httpserver, {"error": {"type": "permission_error", "message": message}}, status=403)
    refresh = server_home.run("refresh")
    status = server_home.run("status")
    status_json = server_home.run("status", "--json")
    written = server_home.snapshot_file().read_text()
    for text in (refresh.out, refresh.err, status.out, status_json.out, written):
        assert TOKEN[:16] not in text and "sk-ant-" not in text, text
    assert "refused access (403): Token *** is not allowed" in refresh.err


def test_a_fifo_at_claude_json_does_not_hang_the_refresher(server_home: Home, httpserver: HTTPServer) -> None:
    data, _ = live_fixture("oauth_2026-07_usd_extra_compact.json")
    serve_json(httpserver, data)
    os.mkfifo(server_home.root / ".claude.json")
    result = server_home.run("refresh", timeout=30)
    assert result.code == 0 and result.seconds < 10, result.err
    assert server_home.snapshot()["windows"]["five_hour"]["used_pct"] == 15.0


def test_extra_usage_pace_from_two_readings_of_the_server_reaches_the_hook(
    server_home: Home, httpserver: HTTPServer
) -> None:
    data, _ = live_fixture("oauth_2026-07_usd_extra_compact.json")
    data["five_hour"]["utilization"] = 100.0  # the plan window is full: extra usage bills
    data["limits"][0]["percent"] = 100
    data["extra_usage"]["monthly_limit"] = 50000.0  # $500.00 in minor units; $408.43 used
    data["spend"]["limit"] = {"amount_minor": 50000, "currency": "USD", "exponent": 2}
    serve_json(httpserver, data)
    now = time.time()
    earlier = {"enabled": True, "used": 406.43, "limit": 500.0, "currency": "USD", "observed_at": now - 600,
               "track": [[now - 1200, 404.43], [now - 600, 406.43]]}  # $2 every 10 minutes: $12 an hour
    server_home.write_snapshot({"schema": 1, "extra_usage": earlier})
    assert server_home.run("refresh").code == 0
    track = server_home.snapshot()["extra_usage"]["track"]
    assert [p[1] for p in track] == [404.43, 406.43, 408.43]
    prompt = (FIXTURES / "hooks" / "userpromptsubmit_stdin.json").read_text()
    hook = server_home.run("hook", "user-prompt-submit", stdin=prompt)
    assert hook.code == 0, hook.err
    said = json.loads(hook.out)["systemMessage"]
    pace = r"At this pace extra usage bills about \$1[12]\.\d\d/h and reaches its \$500\.00 limit in about 7h3\dm"
    assert re.search(pace, said), said
    status = json.loads(server_home.run("status", "--json").out)
    assert 11.5 < status["extra_usage"]["pace"]["per_hour"] < 12.01 and "track" not in status["extra_usage"]


@pytest.mark.parametrize("around", ["\n", "\r\n", "  ", "\t"])
def test_a_token_with_whitespace_around_it_is_trimmed_as_claude_code_trims_it(
    server_home: Home, httpserver: HTTPServer, around: str
) -> None:
    data, _ = live_fixture("oauth_2026-07_usd_extra_compact.json")
    serve_json(httpserver, data)
    server_home.claude.mkdir(parents=True, exist_ok=True)
    (server_home.claude / ".credentials.json").write_text(
        json.dumps({"claudeAiOauth": {"accessToken": around + TOKEN + around, "expiresAt": 4102444800000}})
    )
    del server_home.env["CLAUDE_CODE_OAUTH_TOKEN"]
    result = server_home.run("refresh")
    assert result.code == 0, result.out + result.err
    assert usage_requests(httpserver)[0].headers["Authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("token", ["sk-ant-oat01-café", "sk-ant-oat01 two-words", "sk-ant-oat01-\x07bell", "☃"])
def test_a_token_no_header_can_carry_is_a_sentence_not_an_internal_error(
    server_home: Home, httpserver: HTTPServer, token: str
) -> None:
    serve_json(httpserver, {})
    result = server_home.run("refresh", env={"CLAUDE_CODE_OAUTH_TOKEN": token})
    said = result.out + result.err
    assert "holds characters no token has" in said and "log in again" in said, said
    assert "Error" not in said and "Traceback" not in said and token.strip() not in said
    assert usage_requests(httpserver) == []  # nothing was sent
    status = server_home.run("status").out
    assert "holds characters no token has" in status and "internal" not in status


@pytest.mark.slow
@pytest.mark.parametrize("gone", ["left out", "null", "utilization null"])
def test_a_window_the_server_stops_sending_is_gone_after_its_next_reply(
    server_home: Home, httpserver: HTTPServer, gone: str
) -> None:
    """Invariant 2 (issue 19): a source's complete reply is its whole word. A window at 100% (a
    flat ``seven_day_omelette``, reset 6 days ahead; a code-named bucket is no window since issue 22)
    that the next reply no longer names leaves the line, its history and the hook's block_at; the
    windows the reply still names stay. A reply with a part it could not
    read is not the whole word: that part may be the window it no longer seems to name."""
    data, _ = live_fixture("oauth_2026-02_legacy_opus_sonnet.json")
    reset = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 6 * 86400))
    full = {**data, "seven_day_omelette": {"utilization": 100.0, "resets_at": reset}}
    later = {k: v for k, v in data.items()}
    if gone == "null":
        later["seven_day_omelette"] = None
    elif gone == "utilization null":
        later["seven_day_omelette"] = {"utilization": None, "resets_at": reset}
    httpserver.expect_ordered_request(USAGE).respond_with_json(full)
    httpserver.expect_ordered_request(USAGE).respond_with_json({**later, "limits": "not a list"})
    httpserver.expect_ordered_request(USAGE).respond_with_json(later)
    cfg = server_home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text('[hook]\nblock_at = 95.0\nwindows = ["alerts"]\n')
    prompt = (FIXTURES / "hooks" / "userpromptsubmit_stdin.json").read_text()
    assert server_home.run("refresh").code == 0
    assert "seven_day:omelette" in server_home.snapshot()["windows"]
    assert json.loads(server_home.run("hook", stdin=prompt).out)["decision"] == "block"
    assert server_home.run("refresh", "--force").code == 0
    assert server_home.snapshot()["windows"]["seven_day:omelette"]["used_pct"] == 100.0
    assert server_home.run("refresh", "--force").code == 0
    snap = server_home.snapshot()
    assert "seven_day:omelette" not in snap["windows"] and "seven_day:omelette" not in snap.get("recent", {})
    assert {"five_hour", "seven_day"} <= set(snap["windows"])
    assert "Omelette" not in server_home.run("statusline", stdin=b"").out
    hook = server_home.run("hook", stdin=prompt)
    assert hook.code == 0 and "block" not in hook.out


def test_a_fifo_at_the_credentials_file_is_never_waited_on(server_home: Home, httpserver: HTTPServer) -> None:
    """Opening a FIFO for reading waits for a writer: the refresh (and doctor) would hang for good."""
    import os

    server_home.claude.mkdir()
    os.mkfifo(server_home.claude / ".credentials.json")
    env = {"CLAUDE_CODE_OAUTH_TOKEN": ""}
    done = server_home.run("refresh", env=env, timeout=20)
    assert done.code == 1 and ".credentials.json" in done.err, done
    doctor = server_home.run("doctor", "--no-timing", env=env, timeout=20)
    assert "credentials" in doctor.out and "unreadable" in doctor.out, doctor.out
    assert not usage_requests(httpserver)
