"""The briefing for Claude itself (``hook.briefing``, off by default): one factual sentence for the
model when a window that gates the session is at the critical level or will fill within the
forecast horizon; near the wall, the request to wrap up; once per level and period; never when
Claude Code's own wrap-up mode says the same. The hook as a process puts it in
``hookSpecificOutput.additionalContext``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import Home, snapshot_with, window
from helpers.piece_renderer import NOW, Scene

from statusline.core.warn import before_prompt


def brief(scene: Scene, session: str = "s") -> str | None:
    return before_prompt.decide(scene.config("hook", "briefing", value=True).context(), session_id=session).context


def test_off_by_default() -> None:
    scene = Scene().window("five_hour", 99, resets_in=3600)
    assert before_prompt.decide(scene.context(), session_id="s").context is None


def test_at_the_critical_level_one_factual_sentence_and_no_wrap_up_yet() -> None:
    said = brief(Scene().window("five_hour", 96, resets_in=3600))
    assert said is not None
    assert said.startswith("Usage limit note from quotaline: the 5-hour window is at 96%; it resets ")
    assert said.endswith("(in 1h).")
    assert before_prompt.WRAP_UP not in said


def test_near_the_wall_it_asks_to_finish_the_step_and_note_what_remains() -> None:
    said = brief(Scene().window("seven_day", 99, resets_in=86400))
    assert said is not None and "the 7-day window is at 99%" in said and said.endswith(before_prompt.WRAP_UP)


def test_a_window_that_fills_within_the_horizon_below_critical_is_briefed_with_its_pace() -> None:
    scene = Scene().climbing("five_hour", 70, 40, hours=0.5, resets_in=3 * 3600)  # 90% now, full in 15m
    said = brief(scene)
    assert said is not None and "at this pace fills in about" in said


@pytest.mark.parametrize("pct", [50.0, 80.0, 94.0])
def test_below_the_critical_level_without_a_forecast_nothing_is_sent(pct: float) -> None:
    assert brief(Scene().window("five_hour", pct, resets_in=3600)) is None


def test_another_models_week_is_no_briefing_for_this_session() -> None:
    scene = Scene().window("seven_day:opus", 99, resets_in=86400)
    scene.family = "sonnet"
    scene.config("hook", "windows", value=["five_hour", "seven_day", "model", "alerts", "seven_day:opus"])
    assert brief(scene) is None


def test_once_per_level_and_period() -> None:
    scene = Scene().window("five_hour", 96, resets_in=3600).config("hook", "briefing", value=True)
    first = before_prompt.decide(scene.context(), session_id="s")
    assert first.context is not None
    scene.snap["warned"]["s"] = {"at": NOW, "windows": first.warned}
    assert before_prompt.decide(scene.context(), session_id="s").context is None
    scene.window("five_hour", 99, resets_in=3600)  # a level up: near the wall
    third = before_prompt.decide(scene.context(), session_id="s")
    assert third.context is not None and third.context.endswith(before_prompt.WRAP_UP)


def test_never_when_claude_codes_own_wrap_up_says_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    (tmp_path / ".claude.json").write_text(json.dumps({"cachedGrowthBookFeatures": {"tengu_vellum_anchor": True}}))
    assert brief(Scene().window("five_hour", 96, resets_in=3600)) is None
    assert brief(Scene().window("seven_day", 96, resets_in=86400)) is not None  # it covers the 5-hour window only
    (tmp_path / ".claude.json").write_text(json.dumps({"cachedGrowthBookFeatures": {"tengu_vellum_anchor": False}}))
    assert brief(Scene().window("five_hour", 96, resets_in=3600)) is not None


def _hook(home: Home, **env: str) -> dict[str, Any] | None:
    stdin = json.dumps({"session_id": "sess-b", "hook_event_name": "UserPromptSubmit", "prompt": "hi"})
    out = home.run("hook", stdin=stdin, env=env).out.strip()
    return json.loads(out) if out else None


def test_the_hook_sends_it_as_additional_context_with_the_switch_only(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 97)))
    assert "hookSpecificOutput" not in (_hook(home) or {})
    out = _hook(home, QUOTALINE_BRIEFING="1")
    assert out is not None
    context = out["hookSpecificOutput"]
    assert context["hookEventName"] == "UserPromptSubmit"
    assert context["additionalContext"].startswith("Usage limit note from quotaline: the 5-hour window is at 97%")
    assert "hookSpecificOutput" not in (_hook(home, QUOTALINE_BRIEFING="1") or {})  # said once
