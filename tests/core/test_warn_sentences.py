"""The hook's sentences: the window and money pieces' variables, worded once, drawn in-process."""

from __future__ import annotations

import time

from helpers.piece_renderer import NOW, Scene

from statusline.core.warn import before_prompt


def message(scene: Scene) -> str | None:
    return before_prompt.decide(scene.context(), session_id="s1").message


def clock(offset: float) -> str:
    return time.strftime("%H:%M", time.localtime(NOW + offset))


def test_a_window_at_the_warning_level() -> None:
    said = message(Scene().window("five_hour", 93, resets_in=3600))  # 80% of the window gone
    assert said == f"5-hour window at 93%, resets {clock(3600)} (in 1h)"


def test_what_claude_code_says_itself_is_not_said_again() -> None:
    early = Scene().window("five_hour", 93, resets_in=4 * 3600)  # 20% gone: Claude Code warns itself
    assert message(early) is None
    decision = before_prompt.decide(early.context(), session_id="s1")
    assert decision.warned["five_hour"]["level"] == 1  # and it counts as said
    assert message(early.config("hook", "all_warnings", value=True)) == (
        f"5-hour window at 93%, resets {clock(4 * 3600)} (in 4h)"
    )
    weekly = Scene().window("seven_day", 80, resets_in=5 * 86400)  # 29% of the week gone
    assert message(weekly) is None
    both = weekly.window("five_hour", 93, resets_in=4 * 3600)  # Claude Code shows one: the 5-hour
    week_reset = time.strftime("%a %H:%M", time.localtime(NOW + 5 * 86400))
    assert message(both) == f"7-day window at 80%, resets {week_reset} (in 5d)"
    assert message(Scene().window("seven_day", 70, resets_in=5 * 86400).config("levels", "warn", value=60.0))


def test_the_pace_is_said_even_when_claude_code_warns() -> None:
    scene = Scene().climbing("five_hour", 50, 20, hours=2, resets_in=4 * 3600).config(
        "hook", "forecast_minutes", value=60.0)  # 90% now, +20%/h: full in 30m, long before the reset
    # Claude Code shows "You've used 90% of your 5-hour limit": quotaline adds only the pace.
    pace_only = f"At this pace the 5-hour window will hit 100% in about 30m, resets {clock(4 * 3600)} (in 4h)"
    assert message(scene) == pace_only
    said = f"5-hour window at 90% will hit 100% in about 30m at this pace, resets {clock(4 * 3600)} (in 4h)"
    assert message(scene.config("hook", "all_warnings", value=True)) == said


def test_another_models_week_does_not_gate_this_session() -> None:
    scene = Scene().window("seven_day:opus", 96, resets_in=86400).window("seven_day:sonnet", 20, resets_in=86400)
    scene.family = "sonnet"
    assert message(scene) is None  # the status line still shows Opus as an alert
    assert "Opus" in scene.line()
    scene.family = "opus"
    assert message(scene) == (
        f"Opus weekly window at 96%, resets {time.strftime('%a %H:%M', time.localtime(NOW + 86400))} (in 1d)"
        " · Sonnet weekly 20%: /model sonnet"
    )


def test_no_advice_when_the_other_week_has_no_room() -> None:
    scene = Scene().window("seven_day:opus", 92, resets_in=86400).window("seven_day:sonnet", 85, resets_in=86400)
    scene.family = "opus"
    said = message(scene)
    assert said is not None and "/model" not in said


def test_the_advice_says_how_old_the_other_week_is() -> None:
    # A Sonnet week read two days ago may have filled since: its number is not worded as fresh.
    scene = Scene().window("seven_day:opus", 96, resets_in=86400)
    scene = scene.window("seven_day:sonnet", 20, resets_in=86400, age=2 * 86400)
    scene.family = "opus"
    said = message(scene)
    assert said is not None and said.endswith(" · Sonnet weekly 20% (as of 2d ago): /model sonnet")


def test_a_stale_number_says_how_old_it_is() -> None:
    scene = Scene().window("seven_day:opus", 81, resets_in=7200, age=40 * 60)
    scene.family = "opus"
    assert message(scene) == f"Opus weekly window at 81%, resets {clock(7200)} (in 2h) (as of 40m ago)"


def test_a_full_window_says_what_happens_and_the_money_billed_meanwhile() -> None:
    scene = Scene().window("five_hour", 100, resets_in=1800).extra(used=12.5)
    assert message(scene) == (
        f"5-hour window is used up (100%): Claude will refuse prompts until it resets at {clock(1800)} (in 30m);"
        " extra usage is billing ($12.50 so far this month)"
    )


def test_a_full_window_without_a_reset_time_or_extra_usage() -> None:
    assert message(Scene().window("five_hour", 100, resets_in=None)) == (
        "5-hour window is used up (100%): Claude will refuse prompts until it resets"
    )


def test_a_forecast_warns_below_the_level() -> None:
    said = message(Scene().climbing("five_hour", 40, 20, hours=2, resets_in=3 * 3600))  # at the level: no forecast
    assert said == f"5-hour window at 80%, resets {clock(3 * 3600)} (in 3h)"
    said = message(Scene().climbing("five_hour", 30, 20, hours=2, resets_in=3 * 3600).config(
        "hook", "forecast_minutes", value=120.0))
    assert said == f"5-hour window at 70% will hit 100% in about 1h30m at this pace, resets {clock(3 * 3600)} (in 3h)"


def test_extra_usage_near_its_limit() -> None:
    assert message(Scene().extra(used=85.0, limit=100.0)) == "Extra usage at 85% of its limit ($85.00 of $100.00)"


def test_the_block_reason_names_the_window_and_the_setting() -> None:
    scene = Scene().window("five_hour", 96, resets_in=600).config("hook", "block_at", value=95.0)
    assert before_prompt.decide(scene.context(), session_id="s1").block_reason == (
        f"quotaline: 5-hour window at 96% (block_at = 95%), resets {clock(600)} (in 10m)."
        " Raise hook.block_at or set it to 0 to continue."
    )


def test_another_models_full_week_does_not_block_this_session() -> None:
    # block_at stops prompts a limit would refuse anyway: an Opus week cannot refuse a Sonnet turn.
    scene = Scene().window("seven_day:opus", 97, resets_in=86400).config("hook", "block_at", value=95.0)
    scene.family = "sonnet"
    assert before_prompt.decide(scene.context(), session_id="s1").block_reason is None
    scene.family = "opus"
    assert "Opus weekly window at 97%" in str(before_prompt.decide(scene.context(), session_id="s1").block_reason)
