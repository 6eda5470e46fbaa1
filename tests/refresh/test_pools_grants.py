"""The rest of the server's truth, parsed by the real parser from the shared captures and from
generated variants: dollar credit pools are money with a human label (never a window, an alert
percent or a block, never their code name on any surface), limit-reset grants are listed and
advised once, the server's split of the week is shown as its own, the organisation's request link
names itself at the wall, extra usage says what the server says."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import pytest
from helpers.cli import Home
from helpers.usage_server import live_fixture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from statusline.core.draw import render, status_json
from statusline.core.run.context import Context
from statusline.core.settings import defaults
from statusline.core.settings.defaults import Settings
from statusline.core.store import snapshot
from statusline.core.warn import before_prompt
from statusline.core.window import merge, walls
from statusline.refresh import prometheus
from statusline.refresh.usage_payload import UsageReading, parse_usage

TOKEN = "sk-ant-oat01-test-token-for-pools-0123456789"
GRANT_FIXTURE = "oauth_2026-09-24_cedar_ember_grant_trimmed.json"
# The code names seen in captures (what quotaline knows as pools, and buckets that are no window).
KNOWN_POOLS = frozenset({"iguana_necktie", "cinder_cove", "wattle_ember"})
RETIRED_WINDOW_IDS = KNOWN_POOLS | {"nimbus_quill", "cedar_ember"}
CODE_NAMES = sorted(RETIRED_WINDOW_IDS | {"tangelo", "amber_gauge"})


def read(body: dict[str, Any], now: float, source: str = "oauth") -> UsageReading:
    return parse_usage(body, source=source, observed_at=now - 5)


def stored(*readings: UsageReading, now: float) -> snapshot.Snapshot:
    snap = snapshot.empty()
    for reading in readings:
        source = next(iter(reading.windows.values()), {}).get("source", "oauth")
        merge.apply_windows(snap, list(reading.windows.values()), now=now)
        merge.apply_extra(snap, reading.extra_usage, now=now)
        merge.apply_server(snap, reading.server, source=str(source), now=now)
    return snapshot.normalise(json.loads(json.dumps({k: v for k, v in snap.items() if k != "history"})), now)


def context(snap: snapshot.Snapshot, now: float, **hook: Any) -> Context:
    data = defaults.clone(defaults.DEFAULTS)
    data["hook"].update(hook)
    return Context(snap, Settings(data, []), now)


def every_surface(ctx: Context) -> str:
    """What a user or a program can see: the status line, the hook, JSON, Prometheus, the wall."""
    decision = before_prompt.decide(ctx, session_id="s")
    notice = walls.hook_notice(ctx.snap, ctx.now, None, {})
    return "\n".join(
        [
            render.line(ctx, surface="statusline", style="plain"),
            render.line(ctx, surface="segment", style="tmux"),
            decision.message or "",
            decision.block_reason or "",
            json.dumps(status_json.build(ctx)),
            prometheus.render(ctx, "acct"),
            notice[1] if notice else "",
        ]
    )


# ---------------------------------------------------------------------------------------------
# Pools from the captures


def test_the_captured_cloud_credit_is_money_with_its_label_and_no_window() -> None:
    now = time.time()
    body, _ = live_fixture(GRANT_FIXTURE)
    reading = read(body, now)
    assert not set(reading.windows) & RETIRED_WINDOW_IDS  # neither the pool nor nimbus_quill's 0%
    pool = reading.server["pools"]["iguana_necktie"]  # type: ignore[index]
    assert pool["label"] == "Cloud session credit"
    assert (pool["used"], pool["limit"], pool["remaining"]) == (2.471211, 250.0, 247.528789)
    ctx = context(stored(reading, now=now), now)
    shown = status_json.build(ctx)["pools"]
    assert shown == [
        {
            "label": "Cloud session credit",
            "currency": "USD",
            "used": 2.471211,
            "limit": 250.0,
            "remaining": 247.528789,
            "resets_at": status_json.iso(pool["resets_at"]),
            "state": None,
            "source": "oauth",
            "observed_at": status_json.iso(now - 5),
        }
    ]
    seen = every_surface(ctx)
    assert "Cloud session credit" in seen
    for code in CODE_NAMES:
        assert code not in seen


def test_nimbus_quills_fractional_bucket_without_a_reset_is_no_window() -> None:
    now = time.time()
    reading = read(live_fixture("oauth_2026-09-19_nimbus_quill_null_reset.json")[0], now)
    assert set(reading.windows) == {"five_hour", "seven_day"}
    assert "nimbus_quill" not in every_surface(context(stored(reading, now=now), now))


def test_a_pool_nearly_spent_warns_once_in_money_and_never_blocks() -> None:
    now = time.time()
    body, _ = live_fixture(GRANT_FIXTURE)
    body["iguana_necktie"].update(used_dollars=245.5, remaining_dollars=4.5, utilization=98.2)
    snap = stored(read(body, now), now=now)
    ctx = context(snap, now, block_at=1.0)  # any window at 1% blocks: only the real ones may
    assert "Cloud session credit $4.50 left (nearly used up)" in render.line(ctx, surface="statusline", style="plain")
    decision = before_prompt.decide(ctx, session_id="s")
    assert "Cloud session credit is nearly used up: $4.50 left of $250.00" in (decision.message or "")
    assert "98" not in (decision.message or "")  # no percent of a pool
    assert decision.block_reason is not None and "Cloud" not in decision.block_reason  # 5h 9% >= 1%
    snap["warned"]["s"] = {"at": now, "windows": decision.warned}
    again = before_prompt.decide(context(snap, now, block_at=1.0), session_id="s")
    assert "Cloud session credit" not in (again.message or "")


def test_a_used_up_pool_alone_blocks_nothing_and_is_no_wall() -> None:
    now = time.time()
    body = {"cinder_cove": {"utilization": 100.0, "resets_at": None, "limit_dollars": 100, "used_dollars": 100,
                            "remaining_dollars": 0}}
    snap = stored(read(body, now), now=now)
    ctx = context(snap, now, block_at=50.0)
    decision = before_prompt.decide(ctx, session_id="s")
    assert decision.block_reason is None
    assert decision.message == "Claude Code and Cowork credit is used up ($100.00 of $100.00)"
    wall = walls.build(snap, now=now, at=now, text="API Error: 429", source="hook", session="s")
    assert wall["window"] == "unknown"  # no window at 100%: the spent pool is not what stopped it


# ---------------------------------------------------------------------------------------------
# Generated variants: whatever the body, every surface says what it says and nothing else

AMOUNT = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.text(max_size=4),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
POOL_KEYS = st.sampled_from([*sorted(KNOWN_POOLS), "quux_zebra", "mauve_tarn"])
POOL = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.fixed_dictionaries(
        {},
        optional={
            "utilization": AMOUNT,
            "resets_at": st.one_of(st.none(), st.just("2027-01-01T00:00:00Z"), st.text(max_size=6)),
            "limit_dollars": AMOUNT,
            "used_dollars": AMOUNT,
            "remaining_dollars": AMOUNT,
            "label": st.one_of(st.none(), st.text(max_size=40), st.integers()),
        },
    ),
)
GRANT = st.fixed_dictionaries(
    {"id": st.one_of(st.text(min_size=1, max_size=10), st.none(), st.integers())},
    optional={
        "label": st.one_of(st.none(), st.text(max_size=30)),
        "resets_left": AMOUNT,
        "resets_total": AMOUNT,
        "clears": st.one_of(st.none(), st.lists(st.sampled_from(["five_hour", "seven_day", "x"]), max_size=3)),
        "usable_now": st.one_of(st.booleans(), st.none(), st.integers()),
        "ends_at": st.one_of(st.none(), st.just("2099-01-01T00:00:00Z"), st.text(max_size=5)),
    },
)
ROW = st.fixed_dictionaries(
    {"key": st.one_of(st.sampled_from(["claude_code", "chat", "cowork", "other"]), st.text(max_size=5), st.none()),
     "percent": AMOUNT},
    optional={"display_name": st.one_of(st.none(), st.text(max_size=20))},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pools=st.dictionaries(POOL_KEYS, POOL, max_size=4),
    grants=st.one_of(st.none(), st.just({}), st.fixed_dictionaries({"grants": st.lists(GRANT, max_size=3)})),
    rows=st.one_of(st.none(), st.lists(ROW, max_size=5)),
    link=st.one_of(st.none(), st.text(max_size=20), st.just("https://example.org/more"), st.integers()),
    extra=st.fixed_dictionaries(
        {"is_enabled": st.booleans()},
        optional={"monthly_limit": AMOUNT, "used_credits": AMOUNT, "currency": st.sampled_from(["USD", "GBP", "EUR"]),
                  "disabled_reason": st.sampled_from(["out_of_credits", "user_disabled", "spend_limit_reached"]),
                  "utilization": AMOUNT},
    ),
)
def test_any_body_shows_only_what_it_says(
    pools: dict[str, Any], grants: Any, rows: Any, link: Any, extra: dict[str, Any]
) -> None:
    now = time.time()
    body: dict[str, Any] = {
        "five_hour": {"utilization": 12.0, "resets_at": "2099-01-01T00:00:00Z"},
        **pools,
        "cedar_ember": grants,
        "seven_day_breakdown": None if rows is None else {"as_of": "2020-01-01T00:00:00Z", "rows": rows},
        "kind_fountain_url": link,
        "extra_usage": extra,
    }
    reading = read(body, now)
    assert set(reading.windows) == {"five_hour"}  # no pool, no grant, no split is a window
    snap = stored(reading, now=now)
    ctx = context(snap, now, block_at=50.0)
    seen = every_surface(ctx)
    for code in ("quux_zebra", "mauve_tarn", *KNOWN_POOLS):
        assert code not in seen
    assert "nan" not in seen.lower().replace("nanos", "") and "inf%" not in seen.lower()
    assert before_prompt.decide(ctx, session_id="s").block_reason is None  # 12% < 50%: nothing else blocks
    shown = status_json.build(ctx)
    for pool in shown["pools"]:  # each amount is the body's, or left out
        amounts = [pools[k] for k in pools if isinstance(pools[k], dict)]
        assert any(pool["used"] == a.get("used_dollars") or pool["limit"] == a.get("limit_dollars")
                   or pool["remaining"] == a.get("remaining_dollars") for a in amounts)
        for key in ("used", "limit", "remaining"):
            assert pool[key] is None or (math.isfinite(pool[key]) and pool[key] >= 0)
    assert shown["more_usage_url"] in (None, "https://example.org/more")
    money = shown["extra_usage"]
    if isinstance(money, dict) and money.get("enabled") and not money.get("limit"):
        assert "% of its limit" not in seen  # no percent of a zero (or missing) limit


# ---------------------------------------------------------------------------------------------
# Grants


def grant_scene(five_hour: float, *, usable: bool = True, paused: bool = False) -> Context:
    now = time.time()
    body, _ = live_fixture(GRANT_FIXTURE)
    body["five_hour"]["utilization"] = five_hour
    body["limits"] = []
    grant = body["cedar_ember"]["grants"][0]
    ends = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 30 * 86400))
    grant.update(usable_now=usable, paused=paused, starts_at="2026-01-01T00:00:00Z", ends_at=ends)
    return context(stored(read(body, now), now=now), now)


def test_grants_are_listed_in_status_json() -> None:
    [grant] = status_json.build(grant_scene(9.0))["grants"]
    assert grant["label"] == "Claude Opus 5.5 launch: one usage-limit reset for Pro and Max"
    assert (grant["resets_left"], grant["resets_total"], grant["clears"]) == (1, 1, ["five_hour", "seven_day"])
    assert grant["command"] == "/limit-reset" and grant["usable_now"] is True


def test_a_full_window_and_a_usable_grant_advise_the_command_once() -> None:
    ctx = grant_scene(100.0)
    decision = before_prompt.decide(ctx, session_id="s")
    assert decision.message is not None
    said = "/limit-reset refills your 5-hour and weekly windows now; it spends your last limit reset"
    assert said in decision.message
    ctx.snap["warned"]["s"] = {"at": ctx.now, "windows": decision.warned}
    again = before_prompt.decide(ctx, session_id="s")
    assert "/limit-reset" not in (again.message or "")


def test_a_window_that_will_fill_before_its_reset_and_a_usable_grant_advise_it_too() -> None:
    ctx = grant_scene(9.0)
    wid, reset = "five_hour", ctx.snap["windows"]["five_hour"]["resets_at"]
    for i in range(7):  # +10 points every 10 minutes: full in about 1h, before its reset
        t = ctx.now - (6 - i) * 600
        merge.apply_windows(ctx.snap, [{"id": wid, "used_pct": 30.0 + 10 * i, "source": "oauth", "observed_at": t,
                                          "resets_at": reset + 2 * 3600}], now=t)
    said = before_prompt.decide(context(ctx.snap, ctx.now), session_id="s").message or ""
    assert "At this pace" in said and "/limit-reset refills your 5-hour and weekly windows now" in said


@pytest.mark.parametrize("scene", [dict(five_hour=40.0), dict(five_hour=100.0, usable=False),
                                   dict(five_hour=100.0, paused=True)])
def test_no_grant_advice_below_the_wall_or_when_it_cannot_be_used(scene: dict[str, Any]) -> None:
    assert "/limit-reset" not in (before_prompt.decide(grant_scene(**scene), session_id="s").message or "")


def test_claude_codes_cached_copy_without_grants_does_not_erase_the_oauth_grants() -> None:
    now = time.time()
    body, _ = live_fixture(GRANT_FIXTURE)
    snap = stored(read(body, now), now=now)
    cached = dict(body, cedar_ember=None)
    merge.apply_server(snap, parse_usage(cached, source="claude_json", observed_at=now).server,
                         source="claude_json", now=now)
    assert len(status_json.build(context(snap, now))["grants"]) == 1
    merge.apply_server(snap, parse_usage(cached, source="oauth", observed_at=now).server, source="oauth", now=now)
    assert status_json.build(context(snap, now))["grants"] == []  # the source that asked says none now


# ---------------------------------------------------------------------------------------------
# The week's split, the request link, stored pools of older versions


def test_the_servers_split_of_the_week_is_in_json_and_status_labelled_as_the_servers() -> None:
    now = time.time()
    ctx = context(stored(read(live_fixture("oauth_2026-10-02_live_full.json")[0], now), now=now), now)
    split = status_json.build(ctx)["seven_day_breakdown"]
    assert [(r["label"], r["percent"]) for r in split["rows"]] == [
        ("Claude Code", 100.0), ("Chats", 0.0), ("Cowork", 0.0), ("Other", 0.0)
    ]
    from statusline.commands import status

    text = status.people(ctx, status_json.build(ctx), colour=False)
    assert "the week by surface, the server's split" in text
    assert "Claude Code 100% · Chats 0% · Cowork 0% · Other 0%" in text


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://intranet.example.com/request-usage?team=7", True),
        ("http://intranet.example.com/", False),
        ("https://claude.ai/settings", False),
        ("https://console.anthropic.com/x", False),
        ("https://claude.ai@evil.example/", False),
        ("https://example.com/\x1b[31mred", False),
        ("https://example.com/" + "a" * 1100, False),
        ("https://exa mple.com/", False),
    ],
)
def test_the_request_link_names_itself_at_the_wall_only_when_it_is_one(url: str, kept: bool) -> None:
    now = time.time()
    body = {"five_hour": {"utilization": 100.0, "resets_at": "2099-01-01T00:00:00Z"}, "kind_fountain_url": url}
    snap = stored(read(body, now), now=now)
    wall = walls.build(snap, now=now, at=now, text="You've hit your 5-hour limit", source="hook", session="s")
    merge.record_wall(snap, wall, now=now)
    notice = walls.hook_notice(snap, now, None, {})
    assert notice is not None
    assert (url in notice[1]) is kept
    assert status_json.build(context(snap, now))["more_usage_url"] == (url if kept else None)


def test_a_pool_an_older_version_stored_as_a_window_is_dropped_on_read() -> None:
    now = time.time()
    old = {"id": "iguana_necktie", "label": "iguana_necktie", "used_pct": 99.0, "resets_at": now + 86400 * 20,
           "source": "oauth", "observed_at": now - 10}
    snap = snapshot.normalise({"schema": 1, "windows": {"iguana_necktie": old}}, now)
    assert snap["windows"] == {}


def test_extra_usage_disabled_reasons_and_a_zero_cap() -> None:
    now = time.time()
    out = read({"extra_usage": {"is_enabled": True, "monthly_limit": 0, "used_credits": 1250, "currency": "GBP",
                                "disabled_reason": "out_of_credits"}}, now)
    ctx = context(stored(out, now=now), now)
    line = render.line(ctx, surface="statusline", style="plain")
    assert "£12.50" in line and "out of credits" in line and "%" not in line
    capped = read({"extra_usage": {"is_enabled": True, "monthly_limit": 5000, "used_credits": 5000,
                                   "currency": "EUR", "spend_limit_reached": True}}, now)
    said = before_prompt.decide(context(stored(capped, now=now), now), session_id="s").message
    assert said is not None and "Extra usage stopped at its spend limit (€50.00 used)" in said


def test_an_enterprise_seat_window_sent_without_a_percent_is_money_and_no_zero_percent() -> None:
    now = time.time()
    body = {"five_hour": {"utilization": None, "resets_at": None, "limit_dollars": 500, "used_dollars": 120.5,
                          "remaining_dollars": 379.5}, "seven_day": None, "limits": []}
    ctx = context(stored(read(body, now), now=now), now)
    assert status_json.build(ctx)["windows"] == []
    assert [(p["label"], p["remaining"]) for p in status_json.build(ctx)["pools"]] == [("5-hour spend", 379.5)]
    assert "0%" not in every_surface(ctx)


# ---------------------------------------------------------------------------------------------
# The real refresher against a loopback server


def test_the_refresher_asks_for_grants_and_status_shows_pools_grants_and_the_split(
    home: Home, httpserver: HTTPServer
) -> None:
    home.env.update(QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"), CLAUDE_CODE_OAUTH_TOKEN=TOKEN,
                    NO_COLOR="1")
    body, _ = live_fixture(GRANT_FIXTURE)
    httpserver.expect_request("/api/oauth/usage", query_string="cedar_ember=1").respond_with_json(body)
    assert home.run("refresh").code == 0
    text = home.run("status").out
    assert "Cloud session credit  $247.53 left of $250.00 · $2.47 used" in text
    assert "limit reset: Claude Opus 5.5 launch" in text
    assert "the week by surface, the server's split" in text
    for code in CODE_NAMES:
        assert code not in text
    data = json.loads(home.run("status", "--json").out)
    assert [p["label"] for p in data["pools"]] == ["Cloud session credit"]
    assert "iguana_necktie" not in json.dumps(data)
