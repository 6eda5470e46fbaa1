"""Claude Code's own usage warnings and quotaline's hook on one real screen (issue 13).

The pinned Claude Code in tmux, against the fake API of ``helpers/harness.py``, with what ``./install.sh``
writes (status line and hooks) and quotaline's default settings (``hook.all_warnings`` off: the
rule "never say what Claude Code says" is the one tested):

1. **Each fact once.** 5-hour at 93% (reset in 3 h: 40% of the window elapsed) and weekly at 95%
   (reset in 4 d), in the replies' rate-limit headers and on the usage endpoint. Claude Code shows
   its own transient ``You've used 93% of your 5-hour limit`` after the first reply
   (one window at a time: never the weekly one, docs/claude-code-warnings.md); quotaline's hook says
   the weekly window, which Claude Code leaves unsaid, and not the 5-hour one. Over two prompts
   every fact is on screen once.
2. **Only the windows that gate this session.** The usage endpoint's Opus week at 96% (flat
   ``seven_day_opus`` and a ``weekly_scoped`` row scoped to Opus): a Sonnet session hears no Opus
   warning from anyone while quotaline's status line shows the Opus window; after ``/model`` to
   Opus, in the same Claude Code, the hook says it.

The screen is polled every 0.25 s for ~25 s after each reply, and after the first one until Claude
Code's notification has come and gone (here it shows with the reply and is gone ~8 s later; 5-10 s
after the reply in the runs of docs/claude-code-warnings.md); every distinct row seen is kept, and a
failure prints that history. Needs tmux and Claude Code, like ``test_real_claude.py``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest
from helpers.harness import REPLY_PREFIX, FakeAnthropic, prompt_ready, status_area

from statusline.commands.setup.entries import STATUSLINE_REFRESH_S

from .test_real_claude import TIMEOUT, Installed, Scenario, Tools, _claude_running, _snapshot_file, _status_rows
from .test_real_claude import installed as installed  # the fixture: ./install.sh into a throwaway HOME
from .test_real_claude import tools as tools  # the fixture: Claude Code and tmux, or a failure saying how

pytestmark = pytest.mark.e2e

WATCH_S = float(os.environ.get("QUOTALINE_E2E_WATCH", "25"))  # after each reply
POLL_S = 0.25
# Claude Code's transient warning and the hook's systemMessage row (one row; sentences joined by "; ").
CC_WARNING = re.compile(r"You've used (\d+)% of your (.+?) limit(?: · resets [^)]*\))?")
HOOK_SAYS = re.compile(r"UserPromptSubmit says: (.*)$")
PERCENT = re.compile(r"(\d+(?:\.\d+)?)%")


def _window_named(text: str) -> str | None:
    """The window a sentence is about, by the words either program uses (not quotaline's own parser:
    the test must not share a bug with the code it tests)."""
    if "Opus" in text:
        return "opus week"
    if "Sonnet" in text:
        return "sonnet week"
    if "5-hour" in text:
        return "5-hour"
    if "weekly" in text or "7-day" in text:
        return "week"
    return None


@dataclass(frozen=True)
class Said:
    """One utterance on screen: who said it, its text, the fact (window, percent)."""

    who: str
    text: str
    window: str | None
    pct: str | None

    @property
    def fact(self) -> str:
        return f"{self.window} at {self.pct}%"


def utterances(screen: str) -> list[Said]:
    """Every warning sentence on ``screen`` outside quotaline's status line (a bar there is not a
    sentence, and may show any window)."""
    status = set(status_area(screen))
    found = []
    for row in (r.rstrip() for r in screen.splitlines()):
        if row in status:
            continue
        for m in CC_WARNING.finditer(row):
            found.append(Said("Claude Code", m.group(0), _window_named(m.group(2)), m.group(1)))
        hook = HOOK_SAYS.search(row)
        for sentence in hook.group(1).split("; ") if hook else ():
            pct = PERCENT.search(sentence)
            found.append(Said("quotaline", sentence.strip(), _window_named(sentence), pct.group(1) if pct else None))
    return found


@dataclass
class ScreenLog:
    """Everything seen on screen: each distinct row (when first and last seen), and each utterance
    with the most copies of it on one screen (a hook row said twice stays twice in the transcript;
    Claude Code's notification is there once, for a few seconds)."""

    t0: float = field(default_factory=time.monotonic)
    rows: dict[str, list[float]] = field(default_factory=dict)
    said: dict[Said, int] = field(default_factory=dict)
    status_rows: set[str] = field(default_factory=set)  # quotaline's status line, as drawn
    polls: int = 0

    def add(self, screen: str) -> None:
        now = round(time.monotonic() - self.t0, 1)
        self.polls += 1
        self.status_rows.update(status_area(screen))
        for row in (r.rstrip() for r in screen.splitlines()):
            if row.strip() and not set(row.strip()) <= set("─━│╭╮╰╯ "):
                self.rows.setdefault(row, [now, now])[1] = now
        counts: dict[Said, int] = {}
        for said in utterances(screen):
            counts[said] = counts.get(said, 0) + 1
        for said, n in counts.items():
            self.said[said] = max(self.said.get(said, 0), n)

    def times_said(self, window: str) -> dict[Said, int]:
        return {s: n for s, n in self.said.items() if s.window == window}

    def history(self) -> str:
        lines = [f"----- screen history: {len(self.rows)} distinct rows in {self.polls} polls (first-last seen, s)"]
        lines += [f"[{a:6.1f}-{b:6.1f}] {row}" for row, (a, b) in sorted(self.rows.items(), key=lambda kv: kv[1])]
        lines.append("----- utterances (most copies on one screen): " + repr(self.said))
        return "\n".join(lines)


@dataclass
class Watched:
    scenario: Scenario
    log: ScreenLog = field(default_factory=ScreenLog)
    replied: dict[int, float] = field(default_factory=dict)  # turn -> when its reply was on screen (log time)

    def fail(self, message: str) -> NoReturn:
        self.scenario.fail(f"{message}\n{self.log.history()}")

    def poll(self) -> str:
        screen = self.scenario.claude.screen()
        self.log.add(screen)
        return screen

    def wait_for(self, what: str, predicate: Callable[[str], bool], timeout: float = TIMEOUT) -> str:
        """Like ``Scenario.wait_for``, every screen on the way kept in the log."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.poll()
            if predicate(screen):
                return screen
            if "CLAUDE-EXITED" in screen:
                self.fail(f"Claude Code exited while waiting for {what}")
            if time.monotonic() > deadline:
                self.fail(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(POLL_S)

    def watch(self, seconds: float = WATCH_S, *, until_gone: re.Pattern[str] | None = None) -> None:
        """Poll for ``seconds``; with ``until_gone``, also until a row matching it has come and gone
        (at most 30 s more: Claude Code's notification lasts ~10 s)."""
        start = time.monotonic()
        came = gone = False
        while True:
            shown = bool(until_gone and until_gone.search(self.poll()))
            came, gone = came or shown, came and not shown
            elapsed = time.monotonic() - start
            if elapsed >= seconds and (until_gone is None or gone or elapsed >= seconds + 30):
                return
            time.sleep(POLL_S)

    def turn(self, n: int) -> None:
        self.scenario.submit(n)
        self.wait_for(f"the reply to turn {n}", lambda screen: f"{REPLY_PREFIX}{n}" in screen)
        self.replied[n] = time.monotonic() - self.log.t0
        self.scenario.mark(f"turn {n} replied")

    def seen_after_reply(self, text: str, turn: int) -> str:
        """When rows holding ``text`` were on screen, in seconds after reply ``turn``."""
        spans = [(a, b) for row, (a, b) in self.log.rows.items() if text in row]
        if not spans or turn not in self.replied:
            return "never"
        first, last = min(a for a, _ in spans), max(b for _, b in spans)
        return f"{first - self.replied[turn]:+.1f} s to {last - self.replied[turn]:+.1f} s"


@contextlib.contextmanager
def _watched(tools: Tools, installed: Installed, fake: FakeAnthropic, tmp_path: Path, **env: str) -> Iterator[Watched]:
    fake.start()
    try:
        with _claude_running(tools, installed, fake, tmp_path, **env) as running:
            if "QUOTALINE_ALL_WARNINGS" in running.env:
                pytest.fail("the e2e run must use quotaline's default rule, not every warning", pytrace=False)
            yield Watched(running)
    finally:
        fake.stop()


def _server_numbers_shown(w: Watched, *needles: str) -> str:
    """Wait until quotaline's status line shows the server's numbers (the refresher's reading, or
    the first reply's): the hook decides from the same snapshot."""
    screen = w.wait_for(
        f"quotaline's status line with {needles!r}",
        lambda screen: bool(_status_rows(screen, *needles)),
        STATUSLINE_REFRESH_S + TIMEOUT,
    )
    w.scenario.mark("status line: " + " ".join(needles))
    return _status_rows(screen, *needles)[0]


# ----------------------------------------------------------------------------------- 1. each fact once


def test_each_fact_is_on_screen_once_with_claude_codes_own_warning(
    tools: Tools, installed: Installed, tmp_path: Path
) -> None:
    # 5-hour reset in 3 h: 40% elapsed, inside Claude Code's own warning table (>= 90% while <= 72%).
    fake = FakeAnthropic(five_hour=0.93, seven_day=0.95, reset_5h_in_min=180)
    with _watched(tools, installed, fake, tmp_path) as w:
        s = w.scenario
        w.wait_for("Claude Code's prompt box", prompt_ready)
        s.mark("prompt box")
        status_row = _server_numbers_shown(w, "5h 93%", "7d 95%")
        w.turn(1)
        w.watch(until_gone=CC_WARNING)  # Claude Code's notification for this reply, come and gone
        s.mark("watched after turn 1")
        w.turn(2)  # nobody repeats anything: the hook said its part, Claude Code's text is unchanged
        w.watch()
        s.mark("watched after turn 2")

        five, week = w.log.times_said("5-hour"), w.log.times_said("week")
        expected_cc = "You've used 93% of your 5-hour limit"
        if sum(five.values()) != 1 or not any(x.who == "Claude Code" and expected_cc in x.text for x in five):
            w.fail(f"the 5-hour window at 93% should be said once, by Claude Code ({expected_cc!r}): {five!r}")
        if sum(week.values()) != 1 or not any(
            x.who == "quotaline" and x.text.startswith("7-day window at 95%, resets ") for x in week
        ):
            w.fail(f"the weekly window at 95% should be said once, by quotaline's hook: {week!r}")
        others = {x: n for x, n in w.log.said.items() if x.window not in ("5-hour", "week")}
        if others:
            w.fail(f"nothing else is worth a warning here: {others!r}")
        print(f"\nClaude Code {s.version}; timings: {s.timings}")
        print(f"status line: {status_row.strip()}")
        print("said: " + "; ".join(f"{x.who}: {x.text!r} x{n}" for x, n in w.log.said.items()))
        print(f"Claude Code's warning on screen {w.seen_after_reply(expected_cc, 1)} after reply 1")
        print(f"{w.log.polls} screens polled, {len(w.log.rows)} distinct rows")


# ----------------------------------------------------------------------------------- 2. another model's week


SONNET, OPUS = "claude-sonnet-5-5", "claude-opus-5-5"  # current in 2.1.330 (4.5 shows a retirement notice)


def test_a_sonnet_session_hears_no_opus_warning_and_an_opus_session_does(
    tools: Tools, installed: Installed, tmp_path: Path
) -> None:
    fake = FakeAnthropic(five_hour=0.42, seven_day=0.17)
    fake.opus = 0.96  # the usage endpoint's Opus week (flat and limits[]); no header carries it
    with _watched(tools, installed, fake, tmp_path, ANTHROPIC_MODEL=SONNET) as w:
        s = w.scenario
        w.wait_for("Claude Code's prompt box", prompt_ready)
        s.mark("prompt box")
        # The data arrived: quotaline's status line shows the Opus week (an alert, not a warning).
        status_row = _server_numbers_shown(w, "Opus 96%")
        w.turn(1)
        w.watch()
        s.mark("watched after turn 1")
        models = {r.get("model") for r in fake.requests if r.get("turn") == 1}
        if models != {SONNET}:
            w.fail(f"turn 1 should have gone out with {SONNET}, not {models!r}")
        opus = w.log.times_said("opus week")
        loose = [row for row in w.log.rows if "Opus" in row and row not in w.log.status_rows]
        if opus or any(PERCENT.search(row) or "limit" in row for row in loose):
            w.fail(f"a Sonnet session heard about the Opus week: {opus!r}, rows {loose!r}")

        # The control: the same data, the same Claude Code, now on Opus.
        s.claude.send_text(f"/model {OPUS}")
        time.sleep(0.4)
        s.claude.send_key("Enter")
        switch = "Switch model?"  # 2.1.330 asks first in a conversation (the cache is per model)
        screen = w.wait_for(f"/model {OPUS} done or asking", lambda sc: switch in sc or "Set model to" in sc)
        if switch in screen:
            s.claude.send_key("Enter")  # 1. Yes, switch
        w.wait_for(f"Claude Code's confirmation of /model {OPUS}", lambda sc: "Set model to" in sc)
        s.mark("/model opus")
        # The hook's stdin names no model: it takes the session's from the status line's last run,
        # which Claude Code redraws on the switch. Wait for it rather than race it.
        deadline = time.monotonic() + STATUSLINE_REFRESH_S + TIMEOUT
        while _session_models(installed.home) != {OPUS}:
            if time.monotonic() > deadline:
                w.fail(f"the status line never stored the switch to {OPUS}: {_session_models(installed.home)!r}")
            w.poll()
            time.sleep(POLL_S)
        s.mark("status line saw opus")
        w.turn(2)
        w.watch(3)  # the hook row is there before the reply; a late second copy would be by now
        opus = w.log.times_said("opus week")
        if sum(opus.values()) != 1 or not any(
            x.who == "quotaline" and x.text.startswith("Opus weekly window at 96%, resets ") for x in opus
        ):
            w.fail(f"an Opus session should hear the Opus week at 96% once, from quotaline: {opus!r}")
        print(f"\nClaude Code {s.version}; timings: {s.timings}")
        print(f"status line (Sonnet): {status_row.strip()}")
        print("said: " + "; ".join(f"{x.who}: {x.text!r} x{n}" for x, n in w.log.said.items()))


def _session_models(home: Path) -> set[str]:
    """The models of the sessions in quotaline's snapshot (what its status line stored)."""
    try:
        sessions = json.loads(_snapshot_file(home).read_text(encoding="utf-8")).get("sessions") or {}
    except (OSError, ValueError):
        return set()
    return {str(v.get("model_id")) for v in sessions.values() if isinstance(v, dict)}
