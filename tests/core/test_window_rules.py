"""The window model: the plausibility rule, the merge rule as properties, the model family."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusline.core.store import snapshot
from statusline.core.window import merge
from statusline.core.window.rules import (
    FIVE_HOUR_S,
    FUTURE_SKEW_S,
    ROUNDING_PTS,
    WEEK_S,
    merge_window,
    model_family,
    money_problem,
    problem,
    same_period,
)

NOW = 1_800_000_000.0


def reading(wid: str = "five_hour", pct: Any = 42.0, reset: Any = NOW + 3600, observed: Any = NOW) -> dict[str, Any]:
    return {"id": wid, "label": "5h", "used_pct": pct, "resets_at": reset, "source": "oauth", "observed_at": observed}


@pytest.mark.parametrize(
    ("window", "ok"),
    [
        (reading(), True),
        (reading(pct=0), True),
        (reading(pct=104.5), True),  # the server's percent may exceed 100
        (reading(reset=None), True),
        (reading(reset=NOW + FIVE_HOUR_S + 600), True),  # slack for clocks that disagree
        (reading("seven_day", reset=NOW + 6 * 86400), True),
        (reading("seven_day:opus", reset=NOW + WEEK_S), True),
        (reading("iguana_necktie", reset=NOW + 34 * 86400), True),  # a code-named bucket, as seen
        (reading(reset=NOW - 60), True),  # a period that just ended: shown as "reset"
        (reading(pct=-0.1), False),
        (reading(pct=1_795_424_285), False),  # the known bad reading: the percent is the reset epoch
        (reading(pct=float("nan")), False),
        (reading(pct=float("inf")), False),
        (reading(pct="42"), False),
        (reading(pct=True), False),
        (reading(pct=None), False),
        (reading(reset=1e308), False),
        (reading(reset=float("inf")), False),
        (reading(reset=NOW * 1000), False),  # milliseconds
        (reading(reset=NOW + 7 * 86400), False),  # a week ahead is not a 5-hour period
        (reading(reset=NOW + 300 * 365 * 86400), False),  # centuries ahead
        (reading("seven_day", reset=NOW + 30 * 86400), False),
        (reading(reset=NOW - FIVE_HOUR_S - 1), False),
        (reading(reset=-5), False),
        (reading(reset="soon"), False),
        (reading(observed=NOW + 3600), False),  # observed in the future
        (reading(observed=1_000), False),  # not epoch seconds
        (reading(observed=None), False),
        ({**reading(), "id": ""}, False),
        ({**reading(), "id": "x" * 500}, False),
        ({**reading(), "label": "x" * 5000}, False),
        ({**reading(), "source": 7}, False),
        ("five_hour", False),
    ],
)
def test_plausibility_rule(window: Any, ok: bool) -> None:
    assert (problem(window, NOW) is None) is ok


@pytest.mark.parametrize(
    ("extra", "ok"),
    [
        ({"enabled": True, "used": 408.43, "limit": None, "currency": "USD", "observed_at": NOW}, True),
        ({"enabled": False}, True),
        ({"enabled": "yes"}, False),
        ({"enabled": True, "used": float("nan")}, False),
        ({"enabled": True, "used": -1.0}, False),
        ({"enabled": True, "used": 1e300}, False),
        ({"enabled": True, "currency": "X" * 40}, False),
        ({"enabled": True, "observed_at": 1e308}, False),
    ],
)
def test_money_plausibility(extra: dict[str, Any], ok: bool) -> None:
    assert (money_problem(extra, NOW) is None) is ok


@pytest.mark.parametrize(
    ("model_id", "name", "family"),
    [
        ("claude-opus-5-5", "Opus 5.5", "opus"),
        ("us.anthropic.claude-opus-4-1", None, "opus"),
        ("anthropic.claude-3-5-sonnet-20240620-v1:0", None, "sonnet"),
        ("claude-sonnet-4@20250514", None, "sonnet"),
        ("anthropic/claude-haiku-4", None, "haiku"),
        ("claude-opus-5-5[1m]", None, "opus"),
        ("claude-3-5-sonnet-20241022", None, "sonnet"),
        (None, "Opus 5.5", "opus"),
        (None, "Ópus", "opus"),
        (None, "Claude Sonnet 4", "sonnet"),
        (None, "Fable", "fable"),
        ("claude-sonnet-4-5", "Soneto 4.5", "sonnet"),  # the id wins over a localised name
        ("claude-5", "Opus 5", "opus"),
        (None, None, None),
        ("", "", None),
        ("claude-5-5", "5.5", None),
    ],
)
def test_model_family(model_id: str | None, name: str | None, family: str | None) -> None:
    assert model_family(model_id, name) == family


def test_one_model_family_everywhere() -> None:
    from statusline.ledger.parse import model_family as ledger_family
    from statusline.refresh.usage_payload import parse_usage

    for model_id in ("us.anthropic.claude-opus-4-1", "claude-sonnet-4-5", "claude-3-5-haiku-20241022"):
        payload = {"limits": [{"kind": "weekly_scoped", "percent": 5, "scope": {"model": {"id": model_id}}}]}
        server = parse_usage(payload, source="oauth", observed_at=NOW).windows
        assert list(server) == [f"seven_day:{model_family(model_id)}"]
        assert ledger_family(model_id) == model_family(model_id)


# ---------------------------------------------------------------------------------------------
# The merge rule as properties: any sequence of readings, plausible or not.

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
    st.floats(-10, 200),
    st.none(),
    st.booleans(),
    st.text(max_size=3),
)
observed = st.floats(-86400, 600).map(lambda d: NOW + d)


@st.composite
def readings(draw: st.DrawFn) -> dict[str, Any]:
    """Half of them plausible-looking and near each other (periods that agree, jitter, contradict),
    the other half with any value anywhere."""
    wid = draw(st.sampled_from(["five_hour", "seven_day", "seven_day:opus", "tangelo"]))
    if draw(st.booleans()):
        return reading(wid, draw(numbers | st.floats(0, 100)), draw(numbers | observed), draw(observed))
    seen = NOW + draw(st.floats(-86400, 300))
    steps = st.sampled_from([0.0, 60.0, 299.0, 301.0, 3600.0, 18000.0, 21000.0, 6 * 86400.0])
    reset = draw(st.none() | steps.map(lambda d: seen + d) | st.floats(-5 * 3600, 7 * 86400).map(lambda d: seen + d))
    return reading(wid, draw(st.floats(0, 110)), reset, seen)


def later_or_same(new: dict[str, Any], old: dict[str, Any] | None) -> bool:
    if old is None or old.get("resets_at") is None:
        return True
    if new["resets_at"] is None:
        return False
    return bool(same_period(old["resets_at"], new["resets_at"]) or new["resets_at"] > old["resets_at"])


@pytest.mark.slow
@settings(max_examples=400)
@given(st.lists(readings(), max_size=25))
def test_stored_windows_always_pass_the_rule_and_a_plausible_later_reading_is_never_ignored(
    sequence: list[dict[str, Any]],
) -> None:
    snap = snapshot.empty()
    for r in sequence:
        before = snap["windows"].get(r["id"])
        problems: list[str] = []
        merge.apply_windows(snap, [r], now=NOW, problems=problems)
        assert all(problem(w, NOW) is None for w in snap["windows"].values())
        if problem(r, NOW) is not None:
            assert len(problems) == 1 and snap["windows"].get(r["id"]) is before
        elif later_or_same(r, before):
            kept = snap["windows"][r["id"]]
            assert same_period(kept["resets_at"], r["resets_at"])
            assert kept["used_pct"] >= r["used_pct"]


@pytest.mark.slow
@settings(max_examples=400)
@given(st.lists(readings(), max_size=25), st.floats(0, 100), st.floats(60, FIVE_HOUR_S))
def test_the_next_good_reading_repairs_any_history(
    sequence: list[dict[str, Any]], pct: float, resets_in: float
) -> None:
    snap = snapshot.empty()
    merge.apply_windows(snap, sequence, now=NOW)
    later = NOW + FUTURE_SKEW_S + 1  # after every observation the sequence could hold
    good = reading("five_hour", pct, later + resets_in, later)
    merge.apply_windows(snap, [good], now=later)
    kept = snap["windows"]["five_hour"]
    assert same_period(kept["resets_at"], good["resets_at"])
    # The server's newer word stands, whatever higher number came before (within rounding).
    assert pct <= kept["used_pct"] <= pct + ROUNDING_PTS


@given(st.dictionaries(st.text(max_size=12), st.one_of(readings(), numbers), max_size=6))
def test_a_stored_window_that_fails_the_rule_is_dropped_when_read(windows: dict[str, Any]) -> None:
    snap = snapshot.normalise({"schema": 1, "windows": windows, "history": {k: [[NOW, 1, None]] for k in windows}}, NOW)
    for wid, window in snap["windows"].items():
        assert problem(window, NOW) is None and window["id"] == wid
    assert set(snap["history"]) <= set(snap["windows"])


def test_a_newer_reading_overrules_a_stored_period_it_contradicts() -> None:
    bogus = reading(reset=NOW + FIVE_HOUR_S + 1800, observed=NOW)  # plausible, but wrong
    real = reading(pct=61.0, reset=NOW + 7200, observed=NOW + 10)
    assert merge_window(bogus, real) == real
    late_old = reading(pct=99.0, reset=NOW + 600, observed=NOW - 3600)  # an old observation, late
    assert merge_window(real, late_old) is None


def test_a_newer_server_reading_lowers_a_wrong_higher_percent_but_not_a_rounding() -> None:
    wrong = {**reading(pct=99.0), "source": "statusline"}
    server = reading(pct=40.0, observed=NOW + 60)  # source oauth
    assert merge_window(wrong, server) == server
    idle_session = {**reading(pct=40.0, observed=NOW + 60), "source": "statusline"}
    assert merge_window(wrong, idle_session) is None  # stdin may be an idle session's older value
    assert merge_window({**reading(pct=42.3), "source": "statusline"}, reading(pct=42.0, observed=NOW + 60)) is None
    assert merge_window(server, reading(pct=30.0, observed=NOW)) is None  # an older server word


# ---------------------------------------------------------------------------------------------
# Invariant 2 (issue 19): a reading, a window or a wall stands only while something still says so.
# The merge rule's properties above, extended to vanished windows and walls: any sequence of server
# replies (whole or with an unreadable part), stdin readings, StopFailure events and successful
# turns, then one good reply per server source and a turn that goes through.

SERVER = ("oauth", "claude_ai", "claude_json")
WALL_WINDOWS = ["five_hour", "seven_day", "seven_day:opus", "seven_day:tangelo", "tangelo", "unknown", "extra_usage"]
SESSIONS = [("s1", "sonnet"), ("s2", "opus"), ("s3", None)]


@st.composite
def live_reading(draw: st.DrawFn, at: float, ids: list[str], source: str) -> dict[str, Any]:
    wid = draw(st.sampled_from(ids))
    steps = st.sampled_from([60.0, 299.0, 301.0, 3600.0, 18000.0, 6 * 86400.0, 60 * 86400.0])
    reset = draw(st.none() | steps.map(lambda d: at + d) | st.floats(-3600, 8 * 86400).map(lambda d: at + d))
    return {**reading(wid, draw(st.floats(0, 130)), reset, at), "source": source}


@st.composite
def events(draw: st.DrawFn) -> list[tuple[str, float, Any]]:
    out: list[tuple[str, float, Any]] = []
    at = NOW - 10 * 86400
    for _ in range(draw(st.integers(0, 14))):
        at += draw(st.sampled_from([1.0, 30.0, 600.0, 3 * 3600.0, 2 * 86400.0]))
        kind = draw(st.sampled_from(["reply", "stdin", "wall", "turn"]))
        if kind == "reply":
            source = draw(st.sampled_from(SERVER))
            named = draw(st.lists(live_reading(at, [*WALL_WINDOWS[:5], "iguana_necktie"], source), max_size=4))
            out.append((kind, at, (source, named, draw(st.booleans()))))
        elif kind == "stdin":
            stdin = draw(st.lists(live_reading(at, ["five_hour", "seven_day"], "statusline"), max_size=2))
            out.append((kind, at, stdin))
        elif kind == "wall":
            claimed = draw(st.none() | st.floats(-600, 40 * 86400))
            claimed = None if claimed is None else at + claimed
            wall = {"at": at, "window": draw(st.sampled_from(WALL_WINDOWS)), "said": None, "resets_at": claimed,
                    "source": draw(st.sampled_from(["hook", "transcript"])), "how": "text",
                    "session": draw(st.sampled_from(SESSIONS))[0]}  # fmt: skip
            out.append((kind, at, wall))
        else:
            out.append((kind, at, draw(st.sampled_from(SESSIONS))))
    return out


def server_run(snap: snapshot.Snapshot, replies: dict[str, tuple[list[dict[str, Any]], bool]], at: float) -> None:
    """What the refresher does with one run's replies: merge each, then take back what the
    replies read whole no longer name."""
    whole = {}
    for source, (named, complete) in replies.items():
        problems: list[str] = []
        merge.apply_windows(snap, named, now=at, problems=problems)
        if complete and not problems:
            whole[source] = ({w["id"] for w in named}, at)
    merge.forget_unsaid(snap, whole)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(events(), st.data())
def test_after_a_good_reply_and_a_turn_that_goes_through_nothing_shows_that_the_last_inputs_do_not_say(
    sequence: list[tuple[str, float, Any]], data: st.DataObject
) -> None:
    from statusline.core.window import walls

    snap = snapshot.empty()
    for kind, at, what in sequence:
        if kind == "reply":
            server_run(snap, {what[0]: (what[1], what[2])}, at)
        elif kind == "stdin":
            merge.apply_windows(snap, what, now=at)
        elif kind == "wall":
            merge.record_wall(snap, what, now=at)
        else:
            merge.turn_succeeded(snap, what[0], what[1], at=at)
        merge.prune(snap, now=at)
    end = (sequence[-1][1] if sequence else NOW) + 60
    final = {
        source: [r for r in data.draw(st.lists(live_reading(end, [*WALL_WINDOWS[:5], "iguana_necktie"], source),
                                               max_size=4)) if problem(r, end) is None]
        for source in SERVER
    }  # fmt: skip
    server_run(snap, {source: (named, True) for source, named in final.items()}, end)
    session, family = data.draw(st.sampled_from(SESSIONS))
    merge.turn_succeeded(snap, session, family, at=end)
    now = end + data.draw(st.floats(0, 600))
    said = {r["id"] for named in final.values() for r in named}
    for wid, window in snap["windows"].items():
        if window["source"] in SERVER:  # a server's window: a last reply names it
            assert wid in said, (wid, window)
        else:
            assert window["source"] == "statusline" and wid in ("five_hour", "seven_day")
    # No wall is shown to the session whose turn went through, nor to its family.
    assert walls.current(snap, now, family, session) is None
    assert walls.stopped_vars(snap, now, family, session) is None
    assert walls.hook_notice(snap, now, family, {}, session) is None
