"""The notifications' decision in-process: the hook's rule, once per level and period."""

from __future__ import annotations

from helpers.piece_renderer import Scene

from statusline.core.warn import notify


def test_forecast_within_the_horizon_is_said_once() -> None:
    scene = Scene().climbing("five_hour", 40, 30, hours=1, resets_in=3 * 3600)  # 70% at 30%/h: full in 1h
    scene.config("notify", "forecast_minutes", value=90.0)
    alerts, state = notify.due(scene.context())
    assert [a.text.split(" at this pace")[0] for a in alerts] == ["5-hour window at 70% will hit 100% in about 1h"]
    notify.remember(scene.snap, state, scene.now)
    assert notify.due(scene.context())[0] == []
    scene.config("notify", "forecast_minutes", value=30.0)  # quiet for a while: still said, this period
    _, quiet = notify.due(scene.context())
    notify.remember(scene.snap, quiet, scene.now)
    scene.config("notify", "forecast_minutes", value=90.0)
    assert notify.due(scene.context())[0] == []


def test_beyond_the_horizon_nothing() -> None:
    scene = Scene().climbing("five_hour", 40, 30, hours=1, resets_in=3 * 3600)
    assert notify.due(scene.context())[0] == []  # 30 minutes by default; it fills in an hour
