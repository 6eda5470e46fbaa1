"""The wall through the commands: `quotaline hook` (whatever its argument) records a StopFailure,
then the status line shows it, the next prompt's hook says it once, and `status` lists it."""

from __future__ import annotations

import json
import re
import time

import pytest
from helpers.cli import Home, snapshot_with, statusline_stdin, window

SID = "8c1f2a9e-5b7d-4c3e-9f10-2a3b4c5d6e7f"
# As Claude Code 2.1.332 sent it (interfaces doc §2), for a 429 claiming seven_day_opus.
STOP = {
    "session_id": SID,
    "transcript_path": "/tmp/t.jsonl",
    "cwd": "/tmp",
    "hook_event_name": "StopFailure",
    "error": "rate_limit",
    "last_assistant_message": "You've hit your Opus limit",
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def stop_failure(home: Home, data: object, *args: str) -> None:
    stdin = data if isinstance(data, (str, bytes)) else json.dumps(data)
    result = home.run("hook", *args, stdin=stdin)
    assert (result.code, result.out, result.err) == (0, "", "")


def test_the_installed_command_records_a_stop_failure(home: Home) -> None:
    opus = window("seven_day:opus", 100.0, resets_in=2 * 86400)
    home.write_snapshot(snapshot_with(window("five_hour", 40.0), opus))
    stop_failure(home, STOP, "user-prompt-submit")  # stdin's event decides, not the argument
    walls = home.snapshot()["walls"]
    assert len(walls) == 1
    wall = walls[0]
    assert (wall["window"], wall["how"], wall["said"], wall["source"]) == (
        "seven_day:opus",
        "text",
        "You've hit your Opus limit",
        "hook",
    )
    assert wall["resets_at"] == pytest.approx(opus["resets_at"]) and abs(wall["at"] - time.time()) < 30
    stop_failure(home, STOP)  # the same wall again (another turn, same period): still one
    assert len(home.snapshot()["walls"]) == 1


def test_then_status_json_and_status_carry_it(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("seven_day:opus", 100.0, resets_in=2 * 86400)))
    stop_failure(home, STOP)
    data = json.loads(home.run("status", "--json").out)
    assert [(w["window"], w["name"], w["said"], w["standing"]) for w in data["walls"]] == [
        ("seven_day:opus", "Opus weekly", "You've hit your Opus limit", True)
    ]
    people = home.run("status").out
    assert "walls (last 30 days): 1" in people and "Opus weekly, resets " in people


def test_then_the_status_line_shows_it_and_the_hook_says_it_once(home: Home) -> None:
    reset = time.time() + 2 * 86400
    home.write_snapshot(snapshot_with(window("seven_day:opus", 100.0, resets_in=2 * 86400)))
    stop_failure(home, STOP)
    clock = time.strftime("%a %H:%M", time.gmtime(reset))
    line = ANSI.sub("", home.run("statusline", stdin=json.dumps(statusline_stdin(40, 20, session=SID))).out)
    assert line.startswith(f"stopped: Opus weekly · resets {clock} · ")
    sonnet = statusline_stdin(40, 20, session="other", model="claude-sonnet-5-5", name="Sonnet 5.5")
    assert "stopped" not in home.run("statusline", stdin=json.dumps(sonnet)).out  # not this model's wall
    prompt = json.dumps({"session_id": SID, "hook_event_name": "UserPromptSubmit", "prompt": "go on"})
    first = home.run("hook", "user-prompt-submit", stdin=prompt)
    message = json.loads(first.out)["systemMessage"]
    assert message.startswith("Stopped at ") and "by the Opus weekly limit; it resets" in message
    again = home.run("hook", "user-prompt-submit", stdin=prompt)
    assert again.code == 0 and "Stopped" not in again.out


def test_a_wall_without_words_is_the_window_at_100(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 100.0), window("seven_day", 60.0)))
    stop_failure(home, {"hook_event_name": "StopFailure", "error": "rate_limit", "session_id": "s"})
    assert [(w["window"], w["how"]) for w in home.snapshot()["walls"]] == [("five_hour", "full")]


def test_other_api_errors_are_no_wall(home: Home) -> None:
    stop_failure(home, {**STOP, "error": "overloaded", "last_assistant_message": "Overloaded"})
    assert not home.snapshot_file().exists() or home.snapshot()["walls"] == []


@pytest.mark.parametrize(
    "stdin",
    [
        "",
        "garbage",
        "[]",
        '{"hook_event_name": "StopFailure", "last_assistant_message": 5, "error_details": [1]}',
        b"\xff\xfe",
        '{"hook_event_name": "StopFailure", "session_id": {"x": 1}}',
        '{"hook_event_name": 7}',
    ],
)
def test_hostile_stop_failure_input_exits_0_silently(home: Home, stdin: str | bytes) -> None:
    stop_failure(home, stdin, "stop-failure")


def test_the_bare_hook_command_serves_both_events(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 93.0)))
    prompt = home.run("hook", stdin=json.dumps({"session_id": "s", "prompt": "hi"}))  # no event named: a prompt
    assert "5-hour window at 93%" in json.loads(prompt.out)["systemMessage"]
    stop_failure(home, {**STOP, "last_assistant_message": "You've hit your 5-hour limit"})
    assert [w["window"] for w in home.snapshot()["walls"]] == ["five_hour"]
    assert home.run("hook", stdin=json.dumps({"hook_event_name": "SessionStart"})).out == ""


def test_the_menu_bar_and_waybar_show_the_wall(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("seven_day:opus", 100.0, resets_in=2 * 86400)))
    stop_failure(home, STOP)
    home.run("statusline", stdin=json.dumps(statusline_stdin(40, 20, session=SID)))  # the session is Opus
    menu = home.run("segment", "--format", "swiftbar").out.splitlines()
    assert menu[0].startswith("stopped: Opus weekly · resets ")  # the title, like the status line
    last = [row for row in menu if row.startswith("Last wall: ")]
    assert len(last) == 1 and "Opus weekly, resets " in last[0] and "color=" in last[0]
    waybar = json.loads(home.run("segment", "--format", "waybar").out)
    assert waybar["text"].startswith("stopped: Opus weekly") and "full" in waybar["class"]


def test_a_turn_that_goes_through_ends_the_wall_on_the_line_and_in_the_hook(home: Home) -> None:
    """Invariant 2 (issue 19): the Stop hook (a turn went through) ends the wall the StopFailure
    hook recorded: here the Opus week of an opusplan session whose model reads Sonnet (its own wall,
    shown to it until then), which a new session is not told of either."""
    home.write_snapshot(snapshot_with(window("five_hour", 40.0), window("seven_day:opus", 100.0, resets_in=86400)))
    stop_failure(home, STOP)
    plan = statusline_stdin(40, 20, session=SID, model="claude-sonnet-5-5", name="Sonnet 5.5")
    assert "stopped: " in home.run("statusline", stdin=json.dumps(plan)).out
    done = {"session_id": SID, "hook_event_name": "Stop", "stop_hook_active": False, "cwd": "/tmp"}
    stop_failure(home, done)
    assert all(isinstance(w.get("ended"), float) for w in home.snapshot()["walls"])
    assert "stopped" not in home.run("statusline", stdin=json.dumps(plan)).out
    prompt = json.dumps({"session_id": "new", "hook_event_name": "UserPromptSubmit", "prompt": "hi"})
    assert "Stopped" not in home.run("hook", stdin=prompt).out
    before = home.snapshot_file().stat().st_mtime_ns
    stop_failure(home, done)  # nothing left to end: read only
    assert home.snapshot_file().stat().st_mtime_ns == before
