"""The window piece: its variables, level and staleness, drawn in-process."""

from __future__ import annotations

import time

from helpers.piece_renderer import NOW, Scene

from statusline.core.window.levels import CRITICAL, FULL, NORMAL, WARN


def test_the_servers_percent_is_shown_as_given() -> None:
    scene = Scene().window("five_hour", 23.5).window("seven_day", 0.25)
    assert scene.window_piece("five_hour").variables["pct"] == "23.5%"
    assert scene.window_piece("seven_day").variables["percent"] == "0.25%"


def test_variables_of_a_fresh_window() -> None:
    v = Scene().window("seven_day:opus", 42, resets_in=3 * 3600 + 120).window_piece("seven_day:opus").variables
    assert v["label"] == "Opus" and v["id"] == "seven_day:opus" and v["name"] == "Opus weekly window"
    assert v["pct"] == "42%" and v["reset"] == "3h2m" and v["source"] == "oauth" and v["age"] == "0m"
    assert v["resets_at"] == time.strftime("%H:%M", time.localtime(NOW + 3 * 3600 + 120))
    assert v["eta"] == v["to_full"] == v["as_of"] == v["stale"] == "" and v["level"] == "normal"


def test_levels_follow_the_configured_thresholds() -> None:
    scene = Scene().window("a", 79.99).window("b", 80).window("c", 95).window("d", 100)
    assert [scene.window_piece(w).level for w in "abcd"] == [NORMAL, WARN, CRITICAL, FULL]
    scene.config("levels", "warn", value=50.0)
    assert scene.window_piece("a").level == WARN and scene.window_piece("a").variables["level"] == "warn"


def test_a_stale_number_is_marked_and_says_how_old() -> None:
    piece = Scene().window("five_hour", 42, age=20 * 60).window_piece("five_hour")
    assert piece.stale and piece.variables["pct"] == "≥42%" and piece.variables["as_of"] == "as of 20m ago"
    assert piece.variables["stale"] == "stale" and piece.variables["percent"] == "42%"


def test_past_its_reset_a_window_says_reset_in_no_colour() -> None:
    scene = Scene().window("five_hour", 97, resets_in=3600)
    scene.now += 2 * 3600
    piece = scene.window_piece("five_hour")
    assert piece.variables["pct"] == "reset" and piece.variables["reset"] == "" and piece.level == NORMAL
    assert piece.stale and piece.variables["as_of"] == ""  # "reset" already says the number is over


def test_a_forecast_that_fills_before_the_reset_adds_eta_and_a_warning_colour() -> None:
    scene = Scene().climbing("five_hour", 20, 20, hours=2, resets_in=3 * 3600)  # 60% now, +20%/h
    piece = scene.window_piece("five_hour")
    assert piece.variables["eta"].startswith("→100% in ") and piece.variables["to_full"]
    assert piece.variables["rate"] == "20.0%/h" and piece.level == WARN  # 60% alone would be normal


def test_a_forecast_that_does_not_fill_says_where_it_ends() -> None:
    piece = Scene().climbing("five_hour", 10, 5, hours=2, resets_in=3600).window_piece("five_hour")
    assert piece.variables["eta"] == "" and piece.variables["at_reset"] == "25%" and piece.level == NORMAL


def test_the_default_template_leaves_no_space_for_what_is_missing() -> None:
    assert Scene().window("five_hour", 42, resets_in=None).line() == "5h 42%"
    assert Scene().window("five_hour", 42).line() == "5h 42% 3h"
    line = Scene().climbing("five_hour", 20, 20, hours=2, resets_in=3 * 3600).line()
    assert line.startswith("5h 60% 3h →100% in ")


def test_a_template_written_before_groups_draws_as_it_did() -> None:
    scene = Scene().climbing("five_hour", 20, 20, hours=2, resets_in=3 * 3600)
    scene.config("statusline", "template", value="$label $pct $reset$eta")
    assert scene.line().startswith("5h 60% 3h →100% in ")


def test_a_piece_that_draws_nothing_leaves_no_separator() -> None:
    scene = Scene().window("five_hour", 42).window("seven_day", 10)
    scene.config("statusline", "template", value="($eta)")
    scene.extra(used=5.0)
    assert scene.line() == "+$5.00"


def test_the_model_selector_picks_the_sessions_weekly_window() -> None:
    scene = Scene().window("seven_day:opus", 42).window("seven_day:sonnet", 85)
    scene.config("statusline", "windows", value=["model"])
    assert scene.line() == "quotaline: waiting for first reply"
    scene.family = "opus"
    assert scene.line() == "Opus 42% 3h"
    scene.config("statusline", "windows", value=["model", "alerts"])
    assert scene.line() == "Opus 42% 3h · Sonnet 85% 3h"
