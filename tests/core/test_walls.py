"""The wall: Claude Code's words to a window, the walls section's bounds, dedupe, and what the
status line and the hook say about a standing wall."""

from __future__ import annotations

import time
from typing import Any

import pytest
from helpers.cli import snapshot_with, window
from hypothesis import given, settings
from hypothesis import strategies as st

from statusline.core.store import snapshot
from statusline.core.store.snapshot import MAX_WALLS, WALLS_KEEP_S
from statusline.core.window import merge, walls
from statusline.core.window.rules import claim_window, window_in_text

NOW = 1_796_000_000.0


@pytest.mark.parametrize(
    ("text", "wid"),
    [
        ("You've hit your 5-hour limit", "five_hour"),
        ("You've hit your 5-hour limit · resets 7:03am (UTC) · progress saved", "five_hour"),
        ("You've hit your Opus limit", "seven_day:opus"),
        ("You've hit your Sonnet limit · resets Dec 5, 9:59pm (UTC)", "seven_day:sonnet"),
        ("You've hit your Fable limit", "seven_day:fable"),
        ("You've hit your weekly limit", "seven_day"),
        ("You've used 93% of your 5-hour limit · resets 9:02am", "five_hour"),
        ("You've hit your usage credit limit", "extra_usage"),
        ("You've hit your Ópus limit", "seven_day:opus"),
        ("You've hit your usage limit", None),  # Claude Code's word for several limits
        ("You've hit your limit", None),
        ("API Error: Rate limit reached", None),
        ("Your group's usage limit is set to $0", None),
        ("", None),
    ],
)
def test_claude_codes_words_name_the_window(text: str, wid: str | None) -> None:
    assert window_in_text(text) == wid


@pytest.mark.parametrize(
    ("claim", "wid"),
    [
        ("five_hour", "five_hour"),
        ("seven_day", "seven_day"),
        ("seven_day_opus", "seven_day:opus"),
        ("seven_day_sonnet", "seven_day:sonnet"),
        ("seven_day_overage_included", "seven_day:fable"),
        ("overage", "extra_usage"),
        ("tangelo", None),
        (None, None),
        (5, None),
    ],
)
def test_rate_limit_claims_name_the_window(claim: Any, wid: str | None) -> None:
    assert claim_window(claim) == wid


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.none(), st.integers(), st.binary(max_size=50)))
def test_the_text_parser_never_raises_and_names_a_window_or_nothing(text: Any) -> None:
    found = window_in_text(text)
    assert found is None or (found in ("five_hour", "seven_day", "extra_usage") or found.startswith("seven_day:"))


def _wall(at: float = NOW - 60, window_id: str = "seven_day:opus", **extra: Any) -> dict[str, Any]:
    wall = {"at": at, "window": window_id, "said": "You've hit your Opus limit", "resets_at": at + 86400}
    wall.update(source="hook", session="s1", how="text")
    wall.update(extra)
    return wall


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
wall_like = st.fixed_dictionaries(
    {},
    optional={
        "at": st.one_of(st.floats(), st.integers(), st.just(NOW - 10), st.text(max_size=5)),
        "window": st.one_of(st.text(max_size=200), st.none(), st.integers()),
        "said": st.one_of(st.text(max_size=1200), st.none(), st.lists(st.integers())),
        "resets_at": st.one_of(st.floats(), st.none(), st.just(NOW + 3600), st.booleans()),
        "source": json_values,
        "session": json_values,
        "extra": json_values,
    },
)


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(wall_like, json_values), max_size=60))
def test_normalise_bounds_hostile_walls(raw: list[Any]) -> None:
    data = snapshot.empty()
    data["walls"] = raw
    snap = snapshot.normalise(data, now=NOW)
    kept = snap["walls"]
    assert len(kept) <= MAX_WALLS
    for wall in kept:
        assert set(wall) == {"at", "window", "said", "resets_at", "source", "session", "how"}
        assert NOW - WALLS_KEEP_S <= wall["at"] <= NOW + 300
        assert isinstance(wall["window"], str) and 0 < len(wall["window"]) <= 128
        assert all(wall[k] is None or (isinstance(wall[k], str) and len(wall[k]) <= 1000) for k in ("said", "source"))
    assert [w["at"] for w in kept] == sorted(w["at"] for w in kept)
    walls.json_list(snap, NOW, lambda t: str(t))  # every surface reads what normalise kept
    walls.status_lines(snap, NOW)
    walls.stopped_vars(snap, NOW, "sonnet")


def test_normalise_keeps_the_newest_walls_and_drops_old_ones() -> None:
    data = snapshot.empty()
    data["walls"] = [_wall(at=NOW - 3600 * i, session=f"s{i}") for i in range(50)] + [_wall(at=NOW - 40 * 86400)]
    kept = snapshot.normalise(data, now=NOW)["walls"]
    assert len(kept) == MAX_WALLS and kept[-1]["at"] == NOW and kept[0]["at"] == NOW - 3600 * (MAX_WALLS - 1)


def test_the_hook_and_the_transcript_tell_of_one_wall() -> None:
    snap = snapshot.empty()
    assert merge.record_wall(snap, _wall(at=NOW - 5, resets_at=None), now=NOW)
    transcript = _wall(at=NOW - 4.2, source="transcript", resets_at=NOW + 7200)
    assert merge.record_wall(snap, transcript, now=NOW)  # fills in the reset time
    assert len(snap["walls"]) == 1 and snap["walls"][0]["source"] == "hook"
    assert snap["walls"][0]["resets_at"] == NOW + 7200
    assert not merge.record_wall(snap, transcript, now=NOW)  # nothing new: no write


def test_stopped_again_in_the_same_period_is_the_same_wall() -> None:
    snap = snapshot.empty()
    merge.record_wall(snap, _wall(at=NOW - 3000, resets_at=NOW + 7200), now=NOW)
    assert not merge.record_wall(snap, _wall(at=NOW - 10, session="s2", resets_at=NOW + 7260), now=NOW)
    assert len(snap["walls"]) == 1


def test_other_windows_and_later_periods_are_other_walls() -> None:
    snap = snapshot.empty()
    merge.record_wall(snap, _wall(at=NOW - 3000), now=NOW)
    merge.record_wall(snap, _wall(at=NOW - 2000, window_id="five_hour"), now=NOW)
    merge.record_wall(snap, _wall(at=NOW - 1000, resets_at=NOW + 8 * 86400), now=NOW)
    assert [w["window"] for w in snap["walls"]] == ["seven_day:opus", "five_hour", "seven_day:opus"]


def test_an_unknown_wall_learns_its_window_from_the_other_source() -> None:
    snap = snapshot.empty()
    merge.record_wall(snap, _wall(at=NOW - 5, window_id="unknown", how="unknown", resets_at=None), now=NOW)
    merge.record_wall(snap, _wall(at=NOW - 4, source="transcript"), now=NOW)
    assert [(w["window"], w["how"]) for w in snap["walls"]] == [("seven_day:opus", "text")]


def test_which_window_text_first_then_details_then_the_full_window_then_unknown() -> None:
    now = time.time()
    snap = snapshot.normalise(snapshot_with(window("five_hour", 100.0), window("seven_day:opus", 40.0)), now=now)
    stop = {"hook_event_name": "StopFailure", "error": "rate_limit"}
    said = walls.from_stop_failure(
        {**stop, "last_assistant_message": "You've hit your Opus limit"}, snap, now=now, session="s"
    )
    assert (said["window"], said["how"], said["resets_at"]) == (
        "seven_day:opus",
        "text",
        snap["windows"]["seven_day:opus"]["resets_at"],
    )
    details = walls.from_stop_failure(
        {**stop, "error_details": {"rateLimitType": "seven_day_sonnet"}}, snap, now=now, session="s"
    )
    assert (details["window"], details["how"]) == ("seven_day:sonnet", "details")
    full = walls.from_stop_failure({**stop, "last_assistant_message": "API Error: 429"}, snap, now=now, session="s")
    assert (full["window"], full["how"]) == ("five_hour", "full")
    assert walls.from_stop_failure(stop, snapshot.empty(), now=now, session=None)["window"] == "unknown"


@pytest.mark.parametrize("junk", [None, 5, [], {"last_assistant_message": ["x"]}, {"error_details": "\x1b[31m" * 900}])
def test_hostile_stop_failure_input_still_makes_a_bounded_wall(junk: Any) -> None:
    data = junk if isinstance(junk, dict) else {"last_assistant_message": junk, "error": junk, "error_details": junk}
    wall = walls.from_stop_failure(data, snapshot.empty(), now=NOW, session="s" * 500)
    assert snapshot.sane_walls([wall], NOW) and len(wall["session"]) == 128


def test_said_is_cleaned_and_capped() -> None:
    text = walls.said("You've hit\x1b]0;pwned\x07 your \u202eOpus limit " + "x" * 1000)
    assert text is not None and "\x1b" not in text and "\u202e" not in text and len(text) == walls.MAX_SAID


def test_the_status_line_shows_the_wall_until_the_window_resets() -> None:
    now = time.time()
    snap = snapshot.empty()
    merge.record_wall(snap, _wall(at=now - 60, resets_at=now + 3 * 86400), now=now)
    stop = walls.stopped_vars(snap, now, "opus")
    clock = time.strftime("%a %H:%M", time.localtime(now + 3 * 86400))
    assert stop is not None and stop["text"] == f"stopped: Opus weekly · resets {clock}"
    assert walls.stopped_vars(snap, now, "sonnet") is None  # an Opus wall does not stop Sonnet
    assert walls.stopped_vars(snap, now, None) is not None
    assert walls.stopped_vars(snap, now + 3 * 86400 + 1, "opus") is None  # reset: gone


def test_a_wall_of_unknown_reset_stands_an_hour() -> None:
    snap = snapshot.empty()
    merge.record_wall(snap, _wall(at=NOW - 60, window_id="unknown", resets_at=None), now=NOW)
    assert walls.stopped_vars(snap, NOW, "opus") == {
        "window": "unknown",
        "name": "a limit",
        "resets_at": "",
        "reset": "",
        "text": "stopped: a limit",
    }
    assert walls.stopped_vars(snap, NOW + 3600, "opus") is None


def test_a_newer_reading_of_a_later_period_below_100_ends_the_wall() -> None:
    now = time.time()
    snap = snapshot.normalise(snapshot_with(window("five_hour", 3.0, resets_in=5 * 3600)), now=now)
    merge.record_wall(snap, _wall(at=now - 600, window_id="five_hour", resets_at=now + 60), now=now)
    assert walls.stopped_vars(snap, now, None) is None


def test_the_hook_says_the_wall_once() -> None:
    now = time.time()
    snap = snapshot.empty()
    merge.record_wall(snap, _wall(at=now - 60, window_id="five_hour", resets_at=now + 3600), now=now)
    notice = walls.hook_notice(snap, now, "opus", {})
    assert notice is not None
    key, text, state = notice
    assert key == "wall:five_hour" and text.startswith("Stopped at ") and "by the 5-hour limit; it resets" in text
    assert walls.hook_notice(snap, now, "opus", {key: state}) == (key, "", state)


def test_status_json_lists_the_walls_of_30_days() -> None:
    snap = snapshot.empty()
    snap["walls"] = [_wall(at=NOW - 31 * 86400, session="old"), _wall(at=NOW - 60)]
    listed = walls.json_list(snap, NOW, lambda t: None if t is None else f"t{t:.0f}")
    assert [w["at"] for w in listed] == [f"t{NOW - 60:.0f}"]
    assert listed[0]["name"] == "Opus weekly" and listed[0]["standing"] is True


def test_a_per_model_wall_stops_only_its_family_and_others_stop_everyone() -> None:
    now = time.time()
    snap = snapshot.empty()
    snap["sessions"]["s"] = {"model_id": "claude-haiku-5", "last_seen": now}
    expected = {
        "seven_day:haiku": {"haiku": True, "sonnet": False},
        "seven_day:claude_code": {"haiku": True, "sonnet": True},
        "five_hour": {"haiku": True, "sonnet": True},
        "seven_day:cowork": {"haiku": False, "sonnet": False},  # Cowork's limit stops no Claude Code session
    }
    for wid, stops in expected.items():
        snap["walls"] = [_wall(at=now - 60, window_id=wid, resets_at=now + 3600)]
        assert {f: walls.stopped_vars(snap, now, f) is not None for f in ("haiku", "sonnet")} == stops, wid


def test_status_lists_past_resets_with_their_day() -> None:
    snap = snapshot.empty()
    snap["walls"] = [_wall(at=NOW - 3 * 86400, resets_at=NOW - 2 * 86400)]
    (head, row) = walls.status_lines(snap, NOW)
    assert head == "  walls (last 30 days): 1"
    assert ", reset " + time.strftime("%a %d %b %H:%M", time.localtime(NOW - 2 * 86400)) in row


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["last_assistant_message", "error", "error_details", "session_id"]), json_values)
)
def test_any_stop_failure_input_makes_a_wall_that_normalise_keeps(data: dict[str, Any]) -> None:
    now = time.time()
    snap = snapshot.normalise(snapshot_with(window("five_hour", 100.0)), now=now)
    wall = walls.from_stop_failure(
        data, snap, now=now, session=data.get("session_id") if isinstance(data.get("session_id"), str) else None
    )
    assert snapshot.sane_walls([wall], now) == [wall]
    assert merge.record_wall(snap, wall, now=now)


# ----------------------------------------------------------------------------- invariant 2 (issue 19)


@pytest.mark.parametrize(
    ("text", "details"),
    [
        ("You've hit your usage limit", {"resetsAt": NOW + 7 * 86400}),  # a limit this version cannot name
        ("You've hit your limit", {"rateLimitType": "tangelo", "resetsAt": NOW + 7.9 * 86400}),
        ("You've hit your usage credit limit", {"resetsAt": NOW + 25 * 86400}),  # a monthly cap
        ("You've hit your Tangelo limit", {"resetsAt": NOW + 6 * 86400}),  # a "limit" no source reads
    ],
)
def test_a_wall_of_a_window_quotaline_has_no_reading_of_ends_after_a_short_time(text: str, details: Any) -> None:
    snap = snapshot.empty()
    wall = walls.build(snap, now=NOW, at=NOW, text=text, details=details, source="hook", session="s1")
    assert merge.record_wall(snap, wall, now=NOW)
    assert walls.stopped_vars(snap, NOW + 60, None, "s1") is not None
    later = NOW + walls.UNKNOWN_RESET_SHOW_S
    assert walls.stopped_vars(snap, later, None, "s1") is None and walls.stopped_vars(snap, later, None) is None
    assert walls.hook_notice(snap, later, None, {}, "s2") is None


def test_a_five_hour_wall_claiming_a_later_reset_ends_at_the_windows_real_one() -> None:
    snap = snapshot.normalise(snapshot_with(window("five_hour", 100.0, resets_in=600)), now=time.time())
    now = time.time()
    real = snap["windows"]["five_hour"]["resets_at"]
    wall = _wall(at=now - 60, window_id="five_hour", resets_at=real + 3 * 3600)
    merge.record_wall(snap, wall, now=now)
    assert walls.stopped_vars(snap, now, None) is not None
    assert walls.stopped_vars(snap, real + 1, None) is None  # the next period has begun


def test_a_wall_recorded_by_a_session_is_shown_to_that_session_whatever_its_model() -> None:
    """opusplan: Opus requests from a session whose model reads Sonnet."""
    snap = snapshot.empty()
    merge.record_wall(snap, _wall(at=NOW - 60, session="plan", resets_at=NOW + 1800), now=NOW)
    assert walls.stopped_vars(snap, NOW, "sonnet", "plan") is not None
    notice = walls.hook_notice(snap, NOW, "sonnet", {}, "plan")
    assert notice is not None and "Opus weekly" in notice[1]
    assert walls.stopped_vars(snap, NOW, "sonnet", "other") is None  # another Sonnet session: not its wall


def test_a_later_turn_that_goes_through_ends_the_wall_and_a_new_stop_is_a_new_wall() -> None:
    now = time.time()
    snap = snapshot.normalise(snapshot_with(window("five_hour", 100.0, resets_in=3 * 3600)), now=now)
    merge.record_wall(snap, _wall(at=now - 600, window_id="five_hour", resets_at=None, session="a"), now=now)
    assert walls.stopped_vars(snap, now, "opus", "b") is not None
    assert not merge.turn_succeeded(snap, "b", "opus", at=now - 700)  # before the wall: nothing ends
    assert merge.turn_succeeded(snap, "b", "opus", at=now - 300)  # another session went through
    assert walls.stopped_vars(snap, now, "opus", "a") is None
    assert snapshot.normalise({**snap, "history": {}}, now=now)["walls"][0]["ended"] == now - 300
    again = _wall(at=now - 100, window_id="five_hour", resets_at=None, session="a")
    assert merge.record_wall(snap, again, now=now)  # stopped again after that: shown again
    assert walls.stopped_vars(snap, now, "opus", "a") is not None


def test_a_turn_of_another_family_does_not_end_a_per_model_wall() -> None:
    snap = snapshot.empty()
    merge.record_wall(snap, _wall(at=NOW - 600, session="o", resets_at=NOW + 1800), now=NOW)
    snap["sessions"]["o"] = {"model_id": "claude-opus-5-5", "last_seen": NOW}
    assert not merge.turn_succeeded(snap, "s", "sonnet", at=NOW)
    assert walls.stopped_vars(snap, NOW, "opus", "o") is not None
    assert merge.turn_succeeded(snap, "o", "opus", at=NOW)
    assert walls.stopped_vars(snap, NOW, "opus", "o") is None
