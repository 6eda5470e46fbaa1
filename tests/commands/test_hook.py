"""`quotaline hook user-prompt-submit`: when it warns, what it says, when it stays quiet."""

from __future__ import annotations

import json
import time

import pytest
from helpers.cli import FIXTURES, Home, snapshot_with, statusline_stdin, window

SID = "406f7594-0dff-4941-aacf-092cbac3e587"  # the session of the hook fixture
HOOK_STDIN = (FIXTURES / "hooks" / "userpromptsubmit_stdin.json").read_text()


def hook(home: Home, stdin: str = HOOK_STDIN, env: dict[str, str] | None = None) -> dict | None:
    result = home.run("hook", "user-prompt-submit", stdin=stdin, env=env)
    assert result.code == 0 and "Traceback" not in result.err
    return json.loads(result.out) if result.out.strip() else None


def test_quiet_without_data(home: Home) -> None:
    assert hook(home) is None


@pytest.mark.parametrize("fixture", sorted((FIXTURES / "hooks").glob("*.json")), ids=lambda p: p.name)
def test_every_hook_fixture_exits_quietly_on_a_calm_snapshot(home: Home, fixture) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 42), window("seven_day", 17)))
    assert hook(home, fixture.read_text()) is None


@pytest.mark.parametrize("stdin", ["", "garbage", "[]", '{"session_id": 5}', "\x00\x01"])
def test_bad_stdin(home: Home, stdin: str) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 93)))
    out = hook(home, stdin)
    assert out is not None and out["systemMessage"].startswith("5-hour window at 93%")


def test_warns_once_per_level_and_period(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 93, resets_in=2280)))
    out = hook(home)
    reset = time.strftime("%H:%M", time.localtime(time.time() + 2280))
    assert out == {"systemMessage": f"5-hour window at 93%, resets {reset} (in 37m)"} or out == {
        "systemMessage": f"5-hour window at 93%, resets {reset} (in 38m)"
    }
    assert hook(home) is None  # no nagging
    snap = home.snapshot()
    snap["windows"]["five_hour"]["used_pct"] = 94  # same level
    home.write_snapshot(snap)
    assert hook(home) is None
    snap = home.snapshot()
    snap["windows"]["five_hour"]["used_pct"] = 96  # climbs into critical
    home.write_snapshot(snap)
    assert "96%" in hook(home)["systemMessage"]
    assert hook(home) is None
    snap = home.snapshot()
    snap["windows"]["five_hour"].update(used_pct=85, resets_at=time.time() + 5 * 3600)  # a new period
    home.write_snapshot(snap)
    assert "85%" in hook(home)["systemMessage"]


def test_repeat_every_prompt(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 93)))
    env = {"QUOTALINE_HOOK_REPEAT": "every"}
    assert hook(home, env=env) is not None
    assert hook(home, env=env) is not None


def test_each_session_is_told_once(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 93)))
    assert hook(home) is not None
    other = json.loads(HOOK_STDIN) | {"session_id": "another-session"}
    assert hook(home, json.dumps(other)) is not None
    assert hook(home, json.dumps(other)) is None


def test_used_up_says_so_plainly_and_mentions_billing(home: Home) -> None:
    home.write_snapshot(
        snapshot_with(window("five_hour", 100), extra_usage={"enabled": True, "used": 408.43, "currency": "USD"})
    )
    message = hook(home)["systemMessage"]
    assert message.startswith("5-hour window is used up (100%): Claude will refuse prompts until it resets at ")
    assert "extra usage is billing ($408.43 so far this month)" in message


def test_model_window_of_the_session(home: Home) -> None:
    # The status line recorded the session's model; the hook looks it up by session_id.
    home.run("statusline", stdin=json.dumps(statusline_stdin(10, 10, session=SID)))
    snap = home.snapshot()
    snap["windows"]["seven_day:opus"] = window("seven_day:opus", 94, resets_in=3 * 86400)
    snap["windows"]["seven_day:sonnet"] = window("seven_day:sonnet", 50)
    home.write_snapshot(snap)
    message = hook(home)["systemMessage"]
    assert message.startswith("Opus weekly window at 94%, resets ")
    assert "5-hour" not in message and message.endswith(" · Sonnet weekly 50%: /model sonnet")  # the way out


def test_a_window_left_out_stays_out_even_as_an_alert(home: Home) -> None:
    # For users who keep Claude Code's own 5-hour warning: "!five_hour" beats "alerts".
    home.write_snapshot(snapshot_with(window("five_hour", 93), window("seven_day", 50),
                                      window("seven_day:fable", 91)))
    assert "5-hour window at 93%" in hook(home)["systemMessage"]
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text('[hook]\nwindows = ["!five_hour", "seven_day", "model", "alerts"]\n')
    home.write_snapshot(snapshot_with(window("five_hour", 93), window("seven_day", 50),
                                      window("seven_day:fable", 91)))
    message = hook(home)["systemMessage"]
    assert "5-hour" not in message and "Fable weekly window at 91%" in message
    (cfg / "config.toml").write_text('[hook]\nwindows = ["!five_hour", "five_hour", "alerts"]\n')
    home.write_snapshot(snapshot_with(window("five_hour", 93)))
    assert hook(home) is None


def test_below_warning_is_quiet_and_threshold_configurable(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 79.9), window("seven_day", 50)))
    assert hook(home) is None
    assert "79.9%" in hook(home, env={"QUOTALINE_WARN_AT": "70"})["systemMessage"]


def test_stale_value_says_how_old(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 90, age=1800)))
    assert "(as of 30m ago)" in hook(home)["systemMessage"]


def test_past_reset_does_not_warn(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 99, resets_in=-10)))
    assert hook(home) is None


def test_block_at(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 97)))
    out = hook(home, env={"QUOTALINE_BLOCK_AT": "95"})
    assert out["decision"] == "block"
    assert "5-hour window at 97%" in out["reason"] and "block_at" in out["reason"]
    below = hook(home, env={"QUOTALINE_BLOCK_AT": "98"})
    assert below is None or "decision" not in below  # the block reason already named the window


def test_extra_usage_out_of_credits(home: Home) -> None:
    home.write_snapshot(
        snapshot_with(
            window("five_hour", 10),
            extra_usage={"enabled": True, "used": 50.0, "currency": "EUR", "out_of_credits": True},
        )
    )
    assert hook(home)["systemMessage"] == "Extra usage is out of credits (€50.00 used)"


def test_unknown_event_is_ignored(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 99)))
    result = home.run("hook", "session-start", stdin=(FIXTURES / "hooks" / "sessionstart_stdin.json").read_text())
    assert result.code == 0 and result.out == ""
