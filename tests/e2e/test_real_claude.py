"""End to end in the real Claude Code.

The pinned Claude Code from npm runs in a private tmux server against a fake Anthropic API on
127.0.0.1 that sends the rate-limit headers, with exactly the settings the repository's
``./install.sh`` writes into a throwaway HOME:

1. after a turn at 42%, quotaline's status line shows ``5h 42%`` (and ``7d 17%``);
2. after a turn at 93%, the next prompt shows quotaline's warning
   (``UserPromptSubmit says: 5-hour window at 93%, resets HH:MM (in XhYm)``).

The throwaway HOME also holds a fake ``~/.claude/.credentials.json`` (as a logged-in user has), so
quotaline's background refresher reads ``/api/oauth/usage`` from the same fake server
(``QUOTALINE_API_BASE``); its calls are reported, not required. Nothing leaves loopback: Claude
Code's own downloads are switched off and the fake server doubles as a proxy that refuses (and
reports) any other host.

Needs tmux and Claude Code (``scripts/e2e-install-deps.sh`` installs both; CI runs it). When one
is missing the test fails and says how to install it; ``QUOTALINE_E2E=0`` skips it on purpose.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest
from helpers.harness import (
    FAKE_OAUTH_TOKEN,
    REPLY_PREFIX,
    E2EFailure,
    FakeAnthropic,
    Missing,
    TmuxClaude,
    claude_version,
    clean_env,
    find_claude,
    find_tmux,
    offline_env,
    prompt_ready,
    rows_with,
    run_installer,
    seed_claude_json,
    seed_credentials,
    squeeze,
    status_area,
    tail,
)

from statusline.commands.setup.entries import STATUSLINE_REFRESH_S

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
COLS, ROWS = 200, 50
TIMEOUT = float(os.environ.get("QUOTALINE_E2E_TIMEOUT", "60"))  # per wait; generous for slow CI


@dataclass
class Tools:
    claude: Path
    tmux: str
    version: str


@dataclass
class Installed:
    home: Path
    workdir: Path
    launcher: Path
    settings: dict[str, Any]
    output: str
    seconds: float


@dataclass
class Scenario:
    """The running pieces and what to print when a step fails."""

    installed: Installed
    fake: FakeAnthropic
    claude: TmuxClaude
    env: dict[str, str]
    version: str
    timings: list[tuple[str, float]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def mark(self, step: str) -> None:
        self.timings.append((step, round(time.monotonic() - self.started, 1)))

    def wait_for(self, what: str, predicate: Any, timeout: float = TIMEOUT) -> str:
        try:
            return self.claude.wait_for(what, predicate, timeout)
        except E2EFailure as exc:
            problem = str(exc)
        self.fail(problem)

    def fail(self, message: str) -> NoReturn:
        raise E2EFailure(f"{message}\n\n{self.report()}")

    def report(self) -> str:
        home = self.installed.home
        parts = [
            f"Claude Code {self.version}; HOME={home}; timings: {self.timings}",
            "----- last screen (blank rows squeezed):\n" + squeeze(self.claude.screen()),
            "----- rows under the prompt box (the status line): " + repr(status_area(self.claude.last_screen)),
            "----- fake API requests:\n" + self.fake.log_text(),
            "----- ~/.claude/settings.json (written by install.sh):\n" + json.dumps(self.installed.settings, indent=2),
            "----- install.sh:\n" + self.installed.output,
            "----- quotaline state dir:\n" + _state_dir_listing(home),
            "----- the launcher run by hand:\n" + self._launcher_by_hand(),
        ]
        return "\n".join(parts)

    def _launcher_by_hand(self) -> str:
        """Run the installed launcher the way Claude Code does, to tell a broken quotaline from a
        broken test (only on failure; it may add a warning to the snapshot's dedupe state)."""
        now = int(time.time())
        statusline_in = {
            "session_id": "e2e-by-hand",
            "cwd": str(self.installed.workdir),
            "model": {"id": "claude-opus-5-5", "display_name": "Opus 5.5"},
            "version": self.version.split()[0],
            "rate_limits": {
                "five_hour": {"used_percentage": 93, "resets_at": self.fake.reset_5h},
                "seven_day": {"used_percentage": 17, "resets_at": self.fake.reset_7d},
            },
            "workspace": {"current_dir": str(self.installed.workdir)},
        }
        hook_in = {
            "session_id": "e2e-by-hand",
            "cwd": str(self.installed.workdir),
            "hook_event_name": "UserPromptSubmit",
            "prompt": "by hand",
            "permission_mode": "default",
            "transcript_path": "",
            "prompt_id": "p-by-hand",
        }
        out = []
        for args, stdin in (
            (["statusline"], statusline_in),
            (["hook", "user-prompt-submit"], hook_in),
        ):
            try:
                done = subprocess.run(
                    [str(self.installed.launcher), *args],
                    input=json.dumps(stdin),
                    env=dict(self.env, COLUMNS=str(COLS), LINES=str(ROWS)),
                    capture_output=True,
                    text=True,
                    timeout=30,
                    check=False,
                )
                out.append(
                    f"$ quotaline {' '.join(args)} (now={now}) -> rc={done.returncode}\n"
                    f"stdout: {done.stdout!r}\nstderr: {tail(done.stderr, 1500)}"
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                out.append(f"$ quotaline {' '.join(args)} -> {exc}")
        return "\n".join(out)

    def submit(self, turn: int) -> None:
        """Type ``e2e turn N`` and press Enter; Enter again if Claude Code swallowed it."""
        text = f"Please answer briefly (e2e turn {turn})"
        self.claude.send_text(text)
        time.sleep(0.4)
        self.claude.send_key("Enter")
        pressed = time.monotonic()
        retried = False
        while not self.fake.saw_turn(turn):
            if time.monotonic() > pressed + TIMEOUT:
                self.fail(f"turn {turn}: the prompt never reached the fake API")
            if not retried and time.monotonic() > pressed + 10:
                still_typed = [r for r in rows_with(self.claude.screen(), text) if r.startswith("❯")]
                if still_typed:
                    self.claude.send_key("Enter")  # the first Enter arrived while the box was busy
                retried = True
            time.sleep(0.25)


def _refresher_summary(home: Path) -> str:
    """What quotaline's snapshot says: each window's percent and source, the refresher's state."""
    snapshot = home / ".local" / "state" / "quotaline" / "snapshot-default.json"
    try:
        data = json.loads(snapshot.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"no snapshot ({exc})"
    windows = {wid: f"{w.get('used_pct')}% from {w.get('source')}" for wid, w in (data.get("windows") or {}).items()}
    summary = {"windows": windows, "refresh": data.get("refresh"), "errors": data.get("errors")}
    return json.dumps(summary, sort_keys=True)


def _state_dir_listing(home: Path) -> str:
    state = home / ".local" / "state" / "quotaline"
    if not state.is_dir():
        return f"{state} does not exist (the status line never stored anything)"
    lines = []
    for path in sorted(state.iterdir()):
        lines.append(f"{path.name} ({path.stat().st_size} bytes)")
        if path.suffix == ".json":
            lines.append(tail(path.read_text(encoding="utf-8", errors="replace"), 3000))
    return "\n".join(lines)


# ----------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def tools() -> Tools:
    if os.environ.get("QUOTALINE_E2E", "").strip() == "0":
        pytest.skip("QUOTALINE_E2E=0: end-to-end test in the real Claude Code switched off")
    problems = []
    for find in (find_claude, find_tmux):
        try:
            find()
        except Missing as exc:
            problems.append(str(exc))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
    claude = find_claude()
    return Tools(claude=claude, tmux=find_tmux(), version=claude_version(claude))


@pytest.fixture
def installed(tmp_path: Path) -> Installed:
    """The repository's real ``./install.sh`` run with a throwaway HOME."""
    home = tmp_path / "home"
    workdir = tmp_path / "work"
    home.mkdir()
    workdir.mkdir()
    t0 = time.monotonic()
    done = run_installer(REPO, home)
    seconds = time.monotonic() - t0
    output = f"$ ./install.sh (HOME={home}) -> rc={done.returncode}\n{done.stdout}{done.stderr}"
    if done.returncode != 0:
        pytest.fail(f"install.sh failed:\n{output}", pytrace=False)
    settings_file = home / ".claude" / "settings.json"
    if not settings_file.is_file():
        pytest.fail(f"install.sh did not write {settings_file}:\n{output}", pytrace=False)
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    launcher = home / ".local" / "bin" / "quotaline"
    status_line = settings.get("statusLine") or {}
    problems = []
    if status_line.get("type") != "command" or status_line.get("command") != f"{launcher} statusline":
        problems.append(f"statusLine is {status_line!r}, expected the command '{launcher} statusline'")
    for event in ("UserPromptSubmit", "StopFailure", "Stop"):
        hooks = [
            entry for group in (settings.get("hooks") or {}).get(event) or [] for entry in group.get("hooks") or []
        ]
        if not any(h.get("command") == f"{launcher} hook" for h in hooks):
            problems.append(f"no {event} hook '{launcher} hook' in {hooks!r}")
    if not os.access(launcher, os.X_OK):
        problems.append(f"the launcher {launcher} is missing or not executable")
    if problems:
        text = "\n".join(problems)
        pytest.fail(f"install.sh wrote unexpected settings:\n{text}\n{output}", pytrace=False)
    seed_claude_json(home, workdir)
    seed_credentials(home, FAKE_OAUTH_TOKEN)
    return Installed(home, workdir, launcher, settings, output, seconds)


@pytest.fixture
def fake_api() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(five_hour=0.42, seven_day=0.17)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@contextlib.contextmanager
def _claude_running(
    tools: Tools, installed: Installed, fake_api: FakeAnthropic, tmp_path: Path, **extra_env: str
) -> Iterator[Scenario]:
    home = installed.home
    env = clean_env(
        home,
        PATH=f"{home / '.local' / 'bin'}:{os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')}",
        TERM="xterm-256color",
        CLAUDE_CODE_OAUTH_TOKEN=FAKE_OAUTH_TOKEN,  # a subscriber session: rate_limits on the status line
        # quotaline's refresher reads the usage endpoints: keep it on loopback too
        QUOTALINE_API_BASE=fake_api.base_url,
        QUOTALINE_CLAUDE_AI_BASE=fake_api.base_url,
        **offline_env(fake_api.base_url),
        **extra_env,
    )
    claude = TmuxClaude(tools.tmux, tools.claude, installed.workdir, env, tmp_path, COLS, ROWS)
    try:
        claude.start()
        yield Scenario(installed, fake_api, claude, env, tools.version)
    finally:
        claude.stop()


@pytest.fixture
def scenario(tools: Tools, installed: Installed, fake_api: FakeAnthropic, tmp_path: Path) -> Iterator[Scenario]:
    with _claude_running(tools, installed, fake_api, tmp_path) as running:
        yield running


def _snapshot_file(home: Path) -> Path:
    return home / ".local" / "state" / "quotaline" / "snapshot-default.json"


@pytest.fixture
def poisoned(tools: Tools, installed: Installed, fake_api: FakeAnthropic, tmp_path: Path) -> Iterator[Scenario]:
    """Claude Code started over a snapshot an older quotaline could have left: windows that no
    later reading could outvote, and a server message carrying a terminal title sequence."""
    now = time.time()
    absurd = {
        "five_hour": {"used_pct": 96.0, "resets_at": 1e308},  # froze the line at 96% for ever
        "seven_day": {"used_pct": 99.0, "resets_at": now * 1000},  # milliseconds for seconds
    }
    windows = {
        wid: {"id": wid, "label": wid, "source": "statusline", "observed_at": now, **fields}
        for wid, fields in absurd.items()
    }
    planted = {
        "schema": 1,
        "windows": windows,
        "history": {"five_hour": [[now, 96.0, 1e308]]},
        "errors": [{"kind": "forbidden", "message": "\x1b]0;PWNED\x07 refused", "at": now, "source": "oauth"}],
    }
    target = _snapshot_file(installed.home)
    target.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    target.write_text(json.dumps(planted))
    target.chmod(0o600)
    with _claude_running(tools, installed, fake_api, tmp_path) as running:
        yield running


# ----------------------------------------------------------------------------------- the test


def _status_rows(screen: str, *needles: str) -> list[str]:
    return [row for row in status_area(screen) if all(n in row for n in needles)]


def _turn_then_status_row(s: Scenario, turn: int, pct: int) -> str:
    """Send prompt ``turn``; the status line row that shows ``5h <pct>%`` (and 7d 17%) after it."""
    s.submit(turn)
    s.wait_for(f"the reply to turn {turn}", lambda screen: f"{REPLY_PREFIX}{turn}" in screen)
    s.mark(f"turn {turn} replied")
    screen = s.wait_for(
        f"quotaline's status line with '5h {pct}%' and '7d 17%' under the prompt box after the turn at {pct}%",
        lambda screen: bool(_status_rows(screen, f"5h {pct}%", "7d 17%")),
    )
    s.mark(f"status line {pct}%")
    return _status_rows(screen, f"5h {pct}%")[0]


def test_status_line_and_warning_in_real_claude_code(scenario: Scenario) -> None:
    s = scenario
    s.mark(f"install.sh took {s.installed.seconds:.1f}s; claude started")
    s.wait_for("Claude Code's prompt box", prompt_ready)
    s.mark("prompt box")
    # Before any reply quotaline already draws something (Claude Code runs it at start-up). Only
    # noted, not required: it also tells that the input box is live before we type.
    try:
        screen = s.claude.wait_for("quotaline at start-up", lambda sc: bool(_status_rows(sc, "quotaline")), 20)
        startup_row = _status_rows(screen, "quotaline")[0]
    except E2EFailure:
        startup_row = f"(no quotaline row under the prompt box after 20 s: {status_area(s.claude.last_screen)!r})"
    s.mark("start-up status line")
    # The refresher reads the server at start-up; the status line's timer shows its numbers before
    # any reply (with a 60 s timer this took up to a minute).
    s.wait_for(
        f"the server's '5h 42%' on the status line before any reply, within {STATUSLINE_REFRESH_S + 10} s",
        lambda screen: bool(_status_rows(screen, "5h 42%", "7d 17%")),
        STATUSLINE_REFRESH_S + 10,
    )
    s.mark("server numbers before any reply")

    # Turn 1 at 42%: the status line redraws after the turn with quotaline's line.
    row_42 = _turn_then_status_row(s, 1, 42)
    # Turn 2 at 93%: the status line follows.
    s.fake.set_utilization(0.93)
    row_93 = _turn_then_status_row(s, 2, 93)

    # Turn 3: quotaline's UserPromptSubmit hook warns before the prompt goes out.
    s.submit(3)
    warning = "UserPromptSubmit says: 5-hour window at 93%"
    screen = s.wait_for(
        f"quotaline's warning '{warning}' after the third prompt",
        lambda screen: bool(rows_with(screen, warning)),
    )
    s.mark("hook warning")
    hook_row = rows_with(screen, warning)[0]
    clock = time.strftime("%H:%M", time.gmtime(s.fake.reset_5h))  # claude runs with TZ=UTC
    wanted = re.compile(rf"{warning}, resets {clock} \(in [0-9]+h(?:[0-9]+m)?\)$")
    if not wanted.search(hook_row):
        s.fail(f"the hook row {hook_row!r} does not match {wanted.pattern!r}")
    s.wait_for("the reply to turn 3", lambda screen: f"{REPLY_PREFIX}3" in screen)
    s.mark("turn 3 replied")
    if len(rows_with(s.claude.screen(), warning)) != 1:
        s.fail("quotaline's warning is on screen more than once (it should warn once per level and period)")

    print(f"\nClaude Code {s.version}; timings (s since claude started): {s.timings}")
    print(f"status line at start-up: {startup_row.strip()}")
    print(f"status line after 42%:   {row_42.strip()}")
    print(f"status line after 93%:   {row_93.strip()}")
    print(f"hook row:                {hook_row.strip()}")
    print("last screen:\n" + squeeze(s.claude.screen()))
    print(s.fake.log_text())
    usage_calls = [r for r in s.fake.requests if r["path"].startswith("/api/oauth/usage")]
    print(f"quotaline's refresher: {len(usage_calls)} GET /api/oauth/usage; snapshot: ", end="")
    print(_refresher_summary(s.installed.home))
    leaks = s.fake.leaks()
    if leaks:  # refused by the trap proxy, so nothing left the machine; worth a look all the same
        warnings.warn(f"something tried to leave loopback (refused): {leaks}", stacklevel=1)


def test_a_poisoned_then_cut_snapshot_heals_on_the_next_good_input_in_real_claude_code(poisoned: Scenario) -> None:
    s = poisoned
    s.wait_for("Claude Code's prompt box", prompt_ready)
    s.mark("prompt box")
    row_42 = _turn_then_status_row(s, 1, 42)
    for bad in ("96%", "99%", "unavailable", "PWNED"):
        if bad in s.claude.screen():
            s.fail(f"{bad!r} is on screen after a good reading: the planted snapshot still rules")
    # Cut the snapshot in half while Claude Code runs; the next turn's reading repairs it.
    target = _snapshot_file(s.installed.home)
    raw = target.read_bytes()
    target.write_bytes(raw[: len(raw) // 2])
    s.mark("snapshot cut in half")
    s.fake.set_utilization(0.61)
    row_61 = _turn_then_status_row(s, 2, 61)
    json.loads(target.read_text())  # rewritten whole
    print(f"\nClaude Code {s.version}; timings: {s.timings}")
    print(f"status line over the poisoned snapshot: {row_42.strip()}")
    print(f"status line after the cut:              {row_61.strip()}")


# ----------------------------------------------------------------------------------- the wall

WALL_HOOK_EVENT = "StopFailure"


def _ensure_stop_failure_hook(installed: Installed) -> str:
    """The StopFailure hook (matcher rate_limit) running the installed hook command: install.sh's
    own when it writes one, else added here (the same command as the UserPromptSubmit hook)."""
    settings_file = installed.home / ".claude" / "settings.json"
    settings = json.loads(settings_file.read_text(encoding="utf-8"))
    hooks = settings.setdefault("hooks", {})
    groups = hooks.setdefault(WALL_HOOK_EVENT, [])
    command = f"{installed.launcher} hook user-prompt-submit"
    ours = [
        e for g in groups for e in g.get("hooks") or [] if str(e.get("command", "")).startswith(str(installed.launcher))
    ]
    if ours:
        return "install.sh"
    groups.append({"matcher": "rate_limit", "hooks": [{"type": "command", "command": command, "timeout": 5}]})
    settings_file.write_text(json.dumps(settings, indent=2), encoding="utf-8")
    installed.settings = settings
    return "the test"


@pytest.fixture
def walled(tools: Tools, installed: Installed, fake_api: FakeAnthropic, tmp_path: Path) -> Iterator[Scenario]:
    """An Opus session whose Opus weekly window is full on the server: turn 2 gets a 429 claiming
    ``seven_day_opus``, as the real API answers at the wall."""
    fake_api.opus = 1.0
    fake_api.reject[2] = "seven_day_opus"
    added_by = _ensure_stop_failure_hook(installed)
    with _claude_running(tools, installed, fake_api, tmp_path, ANTHROPIC_MODEL="claude-opus-5-5") as running:
        running.mark(f"StopFailure hook from {added_by}")
        yield running


def _status_json(s: Scenario, *args: str) -> dict[str, Any]:
    """``quotaline status --json`` (or another command's JSON: ``args``) through the launcher."""
    done = subprocess.run(
        [str(s.installed.launcher), *(args or ("status", "--json"))],
        env=s.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        s.fail(f"quotaline status --json exited {done.returncode}: {done.stderr[-1500:]}")
    return dict(json.loads(done.stdout))


def _close_limit_dialog(s: Scenario) -> None:
    """2.1.330 asks what to do after a 429 ("Stop and wait for limit to reset", ...) over the
    status line: the first choice closes it (Escape leaves it open)."""
    dialog = "What do you want to do?"
    closing = time.monotonic() + TIMEOUT
    quiet_since = time.monotonic()
    while time.monotonic() - quiet_since < 3:  # no dialog for 3 s: it is not coming (again)
        if dialog in s.claude.screen():
            s.claude.send_key("Enter")
            quiet_since = time.monotonic()
        if time.monotonic() > closing:
            s.fail("Claude Code's limit dialog did not close")
        time.sleep(0.5)
    s.mark("dialog closed")


def test_a_429_at_the_opus_wall_is_recorded_shown_and_said_once_in_real_claude_code(walled: Scenario) -> None:
    s = walled
    s.wait_for("Claude Code's prompt box", prompt_ready)
    s.mark("prompt box")
    _turn_then_status_row(s, 1, 42)
    s.submit(2)
    said = "hit your Opus limit"
    s.wait_for(f"Claude Code's own '{said}' after the 429", lambda screen: said in screen)
    s.mark("429 shown")
    _close_limit_dialog(s)
    deadline = time.monotonic() + TIMEOUT
    data = _status_json(s)
    while not data.get("walls") and time.monotonic() < deadline:
        time.sleep(0.5)
        data = _status_json(s)
    s.mark("status --json")
    walls = data.get("walls") or []
    if len(walls) != 1 or walls[0].get("window") != "seven_day:opus" or said not in str(walls[0].get("said")):
        s.fail(f"status --json should carry one Opus wall after the StopFailure hook, not {walls!r}")
    screen = s.wait_for(
        "'stopped: Opus weekly' on quotaline's status line after the wall",
        lambda screen: bool(_status_rows(screen, "stopped: Opus weekly")),
    )
    s.mark("status line wall")
    wall_row = _status_rows(screen, "stopped: Opus weekly")[0]
    s.submit(3)
    notice = "UserPromptSubmit says: Stopped at "
    screen = s.wait_for(f"the hook's '{notice}...' before turn 3", lambda screen: bool(rows_with(screen, notice)))
    s.mark("hook said the wall")
    notice_row = rows_with(screen, notice)[0]
    if "by the Opus weekly limit" not in notice_row:
        s.fail(f"the hook row {notice_row!r} does not name the Opus weekly limit")
    s.fake.reject.clear()
    s.submit(4)
    s.wait_for("the reply to turn 4", lambda screen: f"{REPLY_PREFIX}4" in screen)
    s.mark("turn 4 replied")
    if len(rows_with(s.claude.screen(), notice)) != 1:
        s.fail("the hook said the wall more than once")
    # The ledger reads the transcript's API error line: the same wall, not a second one.
    reported = _status_json(s, "report", "--json", "--since", "1d")
    s.mark("report")
    after = _status_json(s).get("walls") or []
    found = (reported.get("ledger") or {}).get("walls")
    if found != 1 or len(after) != 1 or after[0].get("source") != "hook" or len(reported.get("walls") or []) != 1:
        s.fail(
            f"the ledger should find the wall in the transcript ({found!r} found) and it should be the hook's: "
            f"status {after!r}, report {reported.get('walls')!r}"
        )
    print(f"\nClaude Code {s.version}; timings: {s.timings}")
    print(f"wall in status --json: {walls[0]}")
    print(f"status line: {wall_row.strip()}")
    print(f"hook row:    {notice_row.strip()}")
    print("last screen:\n" + squeeze(s.claude.screen()))
    print(s.fake.log_text())


@pytest.fixture
def unnamed_wall(tools: Tools, installed: Installed, fake_api: FakeAnthropic, tmp_path: Path) -> Iterator[Scenario]:
    """Turn 2 gets a 429 whose claim Claude Code cannot name (it says "You've hit your usage
    limit"), at a 5-hour window of 42%: quotaline cannot tell which window stopped it either."""
    fake_api.reject[2] = "tangelo_bucket"
    with _claude_running(tools, installed, fake_api, tmp_path) as running:
        yield running


def test_a_wall_of_an_unnamed_limit_ends_when_the_next_turn_goes_through_in_real_claude_code(
    unnamed_wall: Scenario,
) -> None:
    """Invariant 2 (issue 19): ``stopped`` shows after the refused turn and not after the next turn,
    which goes through (the Stop hook install.sh writes tells quotaline so)."""
    s = unnamed_wall
    s.wait_for("Claude Code's prompt box", prompt_ready)
    _turn_then_status_row(s, 1, 42)
    s.submit(2)
    said = "hit your usage limit"
    s.wait_for(f"Claude Code's own '{said}' after the 429", lambda screen: said in screen)
    s.mark("429 shown")
    _close_limit_dialog(s)
    screen = s.wait_for(
        "'stopped: a limit' on quotaline's status line after the refused turn",
        lambda screen: bool(_status_rows(screen, "stopped: a limit")),
    )
    wall_row = _status_rows(screen, "stopped: a limit")[0]
    s.mark("status line wall")
    s.fake.reject.clear()
    s.submit(3)
    s.wait_for("the reply to turn 3", lambda screen: f"{REPLY_PREFIX}3" in screen)
    s.mark("turn 3 replied")
    screen = s.wait_for(
        "quotaline's status line with '5h 42%' and no 'stopped' after turn 3 went through",
        lambda screen: bool(_status_rows(screen, "5h 42%")) and not _status_rows(screen, "stopped"),
        timeout=TIMEOUT + STATUSLINE_REFRESH_S,
    )
    s.mark("wall gone")
    walls = _status_json(s).get("walls") or []
    if len(walls) != 1 or walls[0].get("standing") is not False:
        s.fail(f"status --json should list the one wall as no longer standing, not {walls!r}")
    print(f"\nClaude Code {s.version}; timings: {s.timings}")
    print(f"status line after the 429: {wall_row.strip()}")
    print(f"status line after turn 3:  {_status_rows(screen, '5h 42%')[0].strip()}")


BRANCH_POLL_S = 5.0


def _git(workdir: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid", *args],
        cwd=workdir,
        check=True,
        capture_output=True,
        env=clean_env(workdir, GIT_CONFIG_NOSYSTEM="1"),
    )


@pytest.fixture
def on_a_branch(tools: Tools, installed: Installed, fake_api: FakeAnthropic, tmp_path: Path) -> Iterator[Scenario]:
    """A session in a git repository, on branch ``feat/e2e-one``."""
    _git(installed.workdir, "init", "-q")
    _git(installed.workdir, "checkout", "-q", "-b", "feat/e2e-one")
    _git(installed.workdir, "commit", "-q", "--allow-empty", "-m", "start")
    with _claude_running(tools, installed, fake_api, tmp_path) as running:
        yield running


def test_report_by_branch_counts_each_branch_of_a_real_session(on_a_branch: Scenario) -> None:
    """Claude Code writes the branch on each transcript line, the branch of that moment: a switch
    between two turns of one session gives two rows."""
    s = on_a_branch
    s.wait_for("Claude Code's prompt box", prompt_ready)
    s.submit(1)
    s.wait_for("the reply to turn 1", lambda screen: f"{REPLY_PREFIX}1" in screen)
    s.mark("turn 1 replied")
    _git(s.installed.workdir, "checkout", "-q", "-b", "feat/e2e-two")
    # Claude Code caches the branch and polls .git/HEAD for changes: measured in 2.1.330, a turn
    # sent 0.7 s after a checkout still names the old branch, one sent 5 s after names the new one.
    time.sleep(BRANCH_POLL_S)
    s.submit(2)
    s.wait_for("the reply to turn 2", lambda screen: f"{REPLY_PREFIX}2" in screen)
    s.mark("turn 2 replied")
    reported = _status_json(s, "report", "--by", "branch", "--json", "--since", "1d")
    s.mark("report --by branch")
    rows = {b["branch"]: b for b in reported.get("branches") or []}
    transcripts = sorted((s.installed.home / ".claude" / "projects").rglob("*.jsonl"))
    lines = [json.loads(line) for t in transcripts for line in t.read_text().splitlines() if line.strip()]
    written = sorted({str(obj.get("gitBranch")) for obj in lines if obj.get("type") == "assistant"})
    for name in ("feat/e2e-one", "feat/e2e-two"):
        if name not in rows or not rows[name]["tokens"]["total"] or rows[name]["path"] != str(s.installed.workdir):
            s.fail(
                f"report --by branch should count {name!r} in {s.installed.workdir}: {rows!r}; "
                f"the transcripts' assistant lines name {written!r}"
            )
    if abs(sum(b["share"] for b in rows.values()) - 1.0) > 0.01:
        s.fail(f"the shares should add up to 100%: {rows!r}")
    print(f"\nClaude Code {s.version}; timings: {s.timings}; assistant lines' gitBranch: {written}")
    print(json.dumps(reported["branches"], indent=1))
