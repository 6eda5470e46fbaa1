"""The briefing for Claude itself (``hook.briefing``, here ``QUOTALINE_BRIEFING=1``) in the real
Claude Code: the UserPromptSubmit hook's ``additionalContext`` reaches the model, that is the
Messages request the fake API receives, only once a window that gates the session is at the
critical level, and once per level and period.

The pinned Claude Code in tmux with what ``./install.sh`` writes, against ``helpers/harness.py``'s fake API
(it keeps each request's ``messages`` by turn). Turn 1 and 2 go out with the 5-hour window at 42%
(the status line stores the 99% of turn 2's reply headers after it); turn 3 goes out at 99%: its
request carries the briefing with the request to wrap up; turn 4's carries it once (in turn 3's
history), not again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.harness import REPLY_PREFIX, FakeAnthropic, prompt_ready

from .test_real_claude import Installed, Scenario, Tools, _claude_running, _status_rows
from .test_real_claude import installed as installed  # the fixture: ./install.sh into a throwaway HOME
from .test_real_claude import tools as tools  # the fixture: Claude Code and tmux, or a failure saying how

pytestmark = pytest.mark.e2e

NOTE = "Usage limit note from quotaline: the 5-hour window is at 99%"
WRAP_UP = "It is near its limit: finish the current step, then leave a short note of what remains to be done."


@pytest.fixture
def briefed(tools: Tools, installed: Installed, tmp_path: Path) -> Iterator[Scenario]:
    fake = FakeAnthropic(five_hour=0.42, seven_day=0.17)
    fake.start()
    try:
        with _claude_running(tools, installed, fake, tmp_path, QUOTALINE_BRIEFING="1") as running:
            yield running
    finally:
        fake.stop()


def _turn(s: Scenario, turn: int) -> None:
    s.submit(turn)
    s.wait_for(f"the reply to turn {turn}", lambda screen: f"{REPLY_PREFIX}{turn}" in screen)
    s.mark(f"turn {turn} replied")


def _sent(s: Scenario, turn: int) -> str:
    with s.fake._lock:
        return "\n".join(s.fake.bodies.get(turn, []))


def test_the_briefing_reaches_the_model_only_at_the_critical_level_and_once(briefed: Scenario) -> None:
    s = briefed
    s.wait_for("Claude Code's prompt box", prompt_ready)
    _turn(s, 1)
    s.fake.set_utilization(0.99)
    _turn(s, 2)
    s.wait_for("the status line at 99% (stored for the hook)", lambda screen: bool(_status_rows(screen, "5h 99%")))
    for turn in (1, 2):
        if "Usage limit note from quotaline" in _sent(s, turn):
            s.fail(f"turn {turn} went out at 42% with the briefing: {_sent(s, turn)[:2000]}")
    _turn(s, 3)
    third = _sent(s, 3)
    if NOTE not in third or WRAP_UP not in third:
        s.fail(f"turn 3 at 99% did not carry the briefing ({NOTE!r} ... {WRAP_UP!r}): {third[-3000:]}")
    _turn(s, 4)
    fourth = s.fake.bodies.get(4, [""])[-1]
    if fourth.count(NOTE) != 1:
        s.fail(f"turn 4 carries the briefing {fourth.count(NOTE)} times (once: turn 3's, in the history)")
    print(f"\nClaude Code {s.version}; timings: {s.timings}")
    print("turn 3's request, the end:", third[-800:])
