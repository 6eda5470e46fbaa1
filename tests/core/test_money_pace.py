"""Extra usage's pace: money per hour while a window that gates the session is full, and when the
monthly limit is reached at that pace (the track at the merge, the rate in ``history_rules``, the hook's line)."""

from __future__ import annotations

import json
from typing import Any

from helpers.piece_renderer import NOW, Scene
from hypothesis import given
from hypothesis import strategies as st

from statusline.commands import status
from statusline.core.draw import status_json
from statusline.core.store import snapshot
from statusline.core.warn import before_prompt
from statusline.core.window import merge
from statusline.core.window.rules import MONEY_TRACK_POINTS, money_track, track_problem

HOUR = 3600.0


def full_five_hour(family: str | None = "opus") -> Scene:
    scene = Scene().window("five_hour", 100, resets_in=2 * HOUR).window("seven_day", 60, resets_in=4 * 86400)
    scene.family = family
    return scene


def told(scene: Scene, session: str = "s1") -> before_prompt.Decision:
    decision = before_prompt.decide(scene.context(), session_id=session)
    scene.snap["warned"][session] = {"at": scene.now, "windows": decision.warned}
    return decision


def pace_lines(decision: before_prompt.Decision) -> list[str]:
    return [part for part in (decision.message or "").split("; ") if part.startswith("At this pace")]


def test_billing_at_a_full_window_says_the_rate_and_when_the_limit_is_reached_once() -> None:
    scene = full_five_hour().billing(100.0, 12.0, minutes=30)  # $12 an hour for half an hour: $106
    money = scene.extra_piece()
    assert money is not None
    assert money.variables["rate"] == "$12.00/h"
    assert money.variables["to_limit"] == "1d8h"  # ($500 - $106) / $12 an hour: 32h50m
    assert pace_lines(told(scene)) == [
        f"At this pace extra usage bills about $12.00/h and reaches its $500.00 limit in about 1d8h "
        f"(at {money.variables['limit_at']})"
    ]
    assert pace_lines(told(scene)) == []  # the same stretch: said once


def test_the_line_comes_back_when_the_limit_comes_within_the_horizon() -> None:
    scene = full_five_hour().billing(100.0, 12.0, minutes=30, limit=500.0)
    assert pace_lines(told(scene))
    scene.now = NOW + 600
    merge.apply_extra(scene.snap, {"enabled": True, "used": 108.0, "limit": 110.0, "currency": "USD",
                                     "observed_at": scene.now}, now=scene.now)
    lines = pace_lines(told(scene))  # $2 left at about $12/h: ten minutes, inside the 30-minute horizon
    assert len(lines) == 1 and "its $110.00 limit in about 1" in lines[0], lines


def test_no_pace_line_without_a_full_window_that_gates_this_session() -> None:
    below = Scene().window("five_hour", 99, resets_in=2 * HOUR).window("seven_day", 60, resets_in=4 * 86400)
    below.billing(100.0, 12.0, minutes=30)
    assert pace_lines(told(below)) == []  # the bars stand below 100%: money_moved says that case
    other = Scene().window("five_hour", 40, resets_in=2 * HOUR).window("seven_day:opus", 100, resets_in=86400)
    other.window("seven_day:sonnet", 10, resets_in=86400)
    other.family = "sonnet"
    other.billing(100.0, 12.0, minutes=30)
    assert pace_lines(told(other)) == []  # the Opus week does not stop a Sonnet session
    mine = full_five_hour(family="sonnet").billing(100.0, 12.0, minutes=30)
    assert len(pace_lines(told(mine))) == 1


def test_no_limit_says_only_the_rate() -> None:
    scene = full_five_hour().billing(10.0, 6.0, minutes=20, limit=None)
    assert pace_lines(told(scene)) == ["At this pace extra usage bills about $6.00/h"]


def test_spending_that_stopped_has_no_pace_and_a_new_month_starts_over() -> None:
    scene = full_five_hour().billing(100.0, 12.0, minutes=30)
    for i in range(1, 13):  # an hour more at $106, every 5 minutes
        t = NOW + i * 300
        merge.apply_extra(scene.snap, {"enabled": True, "used": 106.0, "limit": 500.0, "currency": "USD",
                                         "observed_at": t}, now=t)
    scene.now = NOW + 3600
    money = scene.extra_piece()
    assert money is not None and money.variables["rate"] == ""
    month = full_five_hour().billing(400.0, 12.0, minutes=30)
    merge.apply_extra(month.snap, {"enabled": True, "used": 1.0, "limit": 500.0, "currency": "USD",
                                     "observed_at": NOW + 60}, now=NOW + 60)
    assert month.snap["extra_usage"]["track"] == [[NOW + 60, 1.0]]
    month.now = NOW + 60
    assert month.extra_piece().variables["rate"] == ""  # type: ignore[union-attr]


def test_status_and_json_show_the_pace_and_not_the_track() -> None:
    scene = full_five_hour().billing(100.0, 12.0, minutes=30)
    data = status_json.build(scene.context())
    extra = data["extra_usage"]
    assert "track" not in extra
    assert round(extra["pace"]["per_hour"], 6) == 12.0
    assert round(extra["pace"]["seconds_to_limit"]) == round(394 / 12 * HOUR)
    json.dumps(data)
    page = status.people(scene.context(), data, colour=False)
    assert "pace: $12.00/h — its $500.00 limit in about 1d8h (at " in page


@given(st.lists(st.tuples(st.integers(0, 7200), st.floats(0, 1e6, allow_nan=False)), max_size=40))
def test_the_track_is_bounded_ordered_and_plausible_whatever_the_readings(readings: list[tuple[int, float]]) -> None:
    extra: dict[str, Any] | None = None
    for dt, used in readings:
        new = {"enabled": True, "used": used, "currency": "USD", "observed_at": NOW + dt}
        track = money_track(extra, new)
        assert track is not None and 1 <= len(track) <= MONEY_TRACK_POINTS
        assert track_problem(track, NOW + 7200) is None
        last_t, last_used = track[-1]
        assert last_used == used  # the newest amount always; an equal one within a minute keeps its older time
        assert last_t == NOW + dt or (last_used == used and 0 <= NOW + dt - last_t < 60)
        extra = dict(new, track=track)


@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=4),
                    lambda kids: st.lists(kids, max_size=14), max_leaves=60))
def test_any_stored_track_is_kept_only_if_plausible_and_never_costs_the_line(track: Any) -> None:
    data = {"schema": snapshot.SCHEMA, "extra_usage": {"enabled": True, "used": 5.0, "limit": 50.0,
                                                       "currency": "USD", "observed_at": NOW, "track": track}}
    snap = snapshot.normalise(json.loads(json.dumps(data)), now=NOW)
    kept = snap["extra_usage"]
    assert kept is not None and kept["used"] == 5.0  # the money itself stays
    if "track" in kept:
        assert track_problem(kept["track"], NOW) is None
    scene = full_five_hour()
    scene.snap["extra_usage"] = kept
    money = scene.extra_piece()
    assert money is not None and money.variables["used"] == "$5.00"
    before_prompt.decide(scene.context(), session_id="s1")


def test_another_figure_starts_the_track_again() -> None:
    member = {"enabled": True, "used": 40.0, "currency": "USD", "observed_at": NOW, "scope": "member"}
    org = {"enabled": True, "used": 900.0, "currency": "USD", "observed_at": NOW + 600, "scope": "organization"}
    track = money_track(None, member)
    assert money_track(dict(member, track=track), org) == [[NOW + 600, 900.0]]  # not a $860 rise in 10 minutes
    euros = dict(member, currency="EUR", used=50.0, observed_at=NOW + 600)
    assert money_track(dict(member, track=track), euros) == [[NOW + 600, 50.0]]


def test_a_crawling_pace_toward_a_huge_limit_never_costs_the_line() -> None:
    # A stored track whose amounts barely move (a tenth of a millionth of a dollar an hour) beside
    # a billion-dollar limit: the limit lies past any clock time.ctime can say.
    data = {"schema": snapshot.SCHEMA, "extra_usage": {"enabled": True, "used": 1.0000001, "limit": 1e9,
                                                       "currency": "USD", "observed_at": NOW,
                                                       "track": [[NOW - 3000, 1.0], [NOW, 1.0000001]]}}
    scene = full_five_hour()
    scene.snap["extra_usage"] = snapshot.normalise(data, now=NOW)["extra_usage"]
    assert "track" in scene.snap["extra_usage"]
    money = scene.extra_piece()
    assert money is not None and money.variables["used"] == "$1.00" and money.variables["rate"] == ""
    assert "100%" in scene.line()
    before_prompt.decide(scene.context(), session_id="s1")
    status_json.build(scene.context())


def test_a_total_of_unknown_scope_is_the_same_figure_as_the_organisations() -> None:
    # On a Mac the oauth source knows the plan (organisation) and claude_json does not (None): the
    # alternation must not restart the pace every read.
    org = {"enabled": True, "used": 100.0, "currency": "USD", "observed_at": NOW, "scope": "organization"}
    unknown = {"enabled": True, "used": 102.0, "currency": "USD", "observed_at": NOW + 600, "scope": None}
    track = money_track(None, org)
    assert money_track(dict(org, track=track), unknown) == [[NOW, 100.0], [NOW + 600, 102.0]]
