"""The README's other ways in, end to end in the real Claude Code (the harness of test_real_claude):

1. **the plugin route**: quotaline installed (the test's own venv, as an editable install would
   be) and on PATH, a settings.json without quotaline; ``claude plugin marketplace add <repo>`` and
   ``claude plugin install quotaline@quotaline`` (the CLI forms of ``/plugin marketplace add`` and
   ``/plugin install``); ``/quotaline:setup`` typed in the real client, the fake model answering its
   prompt with the command's step 3 as a Bash call (``quotaline install --no-hook --yes``, allowed by
   the command's ``allowed-tools``: no permission prompt), which writes the status line alone; after
   a restart quotaline's status line is on screen and, at 93% of the five-hour window, the plugin's
   hook warns exactly once across two prompts.
2. **the package managers**: ``uv tool install <source>`` and ``pipx install <source>`` of a copy of
   this tree, then ``quotaline install``; Claude Code shows the server's numbers on quotaline's line.
3. **Starship**: Claude Code's status line drawn by ``starship statusline claude-code`` with the
   README's ``[custom.quotaline]`` module shows quotaline's windows.

Needs tmux, Claude Code, uv, pipx and Starship (scripts/e2e-install-deps.sh installs them; CI runs it); a
missing one fails the test saying how to install it; ``QUOTALINE_E2E=0`` skips on purpose.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.harness import (
    FAKE_OAUTH_TOKEN,
    REPLY_PREFIX,
    ROUTES,
    FakeAnthropic,
    Missing,
    TmuxClaude,
    clean_env,
    find_tool,
    offline_env,
    prompt_ready,
    readme_starship_config,
    route_command,
    route_env,
    rows_with,
    seed_claude_json,
    seed_credentials,
    source_copy,
)

from statusline.commands.setup.entries import STATUSLINE_REFRESH_S

from .test_real_claude import COLS, ROWS, Installed, Scenario, Tools, _status_rows, _turn_then_status_row
from .test_real_claude import tools as tools  # the fixture: Claude Code and tmux, or a failure saying how

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
WARNING = "UserPromptSubmit says: 5-hour window at 93%"


def _run(argv: list[str], env: dict[str, str], cwd: Path, log: list[str], timeout: float = 300) -> str:
    """Run a step of the user's; its output goes to ``log`` (the failure report); fail on rc != 0."""
    t0 = time.monotonic()
    done = subprocess.run(
        argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False
    )
    log.append(
        f"$ {shlex.join(argv)}  -> rc={done.returncode} in {time.monotonic() - t0:.1f}s\n{done.stdout}{done.stderr}"
    )
    if done.returncode != 0:
        pytest.fail("a setup step failed:\n" + "\n".join(log), pytrace=False)
    return done.stdout


def _settings(home: Path) -> dict[str, Any]:
    path = home / ".claude" / "settings.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


@pytest.fixture
def fake_api() -> Iterator[FakeAnthropic]:
    fake = FakeAnthropic(five_hour=0.42, seven_day=0.17)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@contextlib.contextmanager
def _claude(tools: Tools, installed: Installed, fake: FakeAnthropic, tmp_path: Path, path: str) -> Iterator[Scenario]:
    """Claude Code in tmux as the user starts it: this PATH, the fake API, the usage endpoints there too."""
    env = clean_env(
        installed.home,
        PATH=path,
        TERM="xterm-256color",
        CLAUDE_CODE_OAUTH_TOKEN=FAKE_OAUTH_TOKEN,
        QUOTALINE_API_BASE=fake.base_url,
        QUOTALINE_CLAUDE_AI_BASE=fake.base_url,
        **offline_env(fake.base_url),
    )
    scenario = Scenario(
        installed, fake, TmuxClaude(tools.tmux, tools.claude, installed.workdir, env, tmp_path, COLS, ROWS), env,
        tools.version,
    )  # fmt: skip
    try:
        scenario.claude.start()
        yield scenario
    finally:
        scenario.claude.stop()  # the one running now (a test may restart it)


def _shim(bin_dir: Path) -> None:
    """``quotaline`` on PATH from this test's venv and this tree, as an editable install has it."""
    shim = bin_dir / "quotaline"
    shim.write_text(
        f'#!/bin/sh\nPYTHONPATH={shlex.quote(str(REPO))} exec {shlex.quote(sys.executable)} -m statusline "$@"\n'
    )
    shim.chmod(0o755)


def _homes(tmp_path: Path) -> tuple[Path, Path]:
    home, workdir = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    workdir.mkdir()
    (home / ".claude").mkdir(mode=0o700)
    seed_claude_json(home, workdir)
    seed_credentials(home, FAKE_OAUTH_TOKEN)
    return home, workdir


# ----------------------------------------------------------------------------------- the plugin


def test_the_plugin_from_the_repos_marketplace_then_setup_gives_the_status_line_and_one_warning(
    tools: Tools, fake_api: FakeAnthropic, tmp_path: Path
) -> None:
    home, workdir = _homes(tmp_path)
    log: list[str] = []
    t0 = time.monotonic()
    # quotaline installed in this test's venv (an editable install of this tree), on PATH.
    venv_bin = tmp_path / "venv-bin"
    venv_bin.mkdir()
    _shim(venv_bin)
    path = f"{venv_bin}:{home / '.local' / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    # The user's own settings.json, without quotaline.
    # "default": the permission mode in which the command's allowed-tools run its Bash call
    # unasked. 2.1.337 starts in auto mode, whose check of each tool call runs on Anthropic's
    # server, out of the offline fake API's reach (it asks instead).
    theirs = {"model": "opus", "env": {"THEIRS": "1"}, "permissions": {"defaultMode": "default"}}
    (home / ".claude" / "settings.json").write_text(json.dumps(theirs, indent=2) + "\n")
    cli_env = clean_env(home, PATH=path, **offline_env(fake_api.base_url))

    claude = str(tools.claude)
    _run([claude, "plugin", "marketplace", "add", str(REPO)], cli_env, workdir, log, timeout=120)
    _run([claude, "plugin", "install", "quotaline@quotaline"], cli_env, workdir, log, timeout=120)
    listed = _run([claude, "plugin", "list"], cli_env, workdir, log, timeout=120)
    if "quotaline@quotaline" not in listed or "enabled" not in listed:
        pytest.fail("the plugin is not listed as enabled:\n" + "\n".join(log), pytrace=False)
    after_plugin = _settings(home)
    if "statusLine" in after_plugin or "hooks" in after_plugin or after_plugin.get("model") != "opus":
        pytest.fail(f"settings.json after the plugin install: {after_plugin!r}", pytrace=False)

    # /quotaline:setup's dry run (commands/setup.md, step 2): the status line alone, no hooks.
    diff = _run(["quotaline", "install", "--no-hook", "--dry-run"], cli_env, workdir, log)
    if '+  "statusLine": {' not in diff or "hooks" in diff:
        pytest.fail("the dry run's diff is not the status line alone:\n" + "\n".join(log), pytrace=False)
    seconds = time.monotonic() - t0

    # The fake model answers the command's prompt with its step 3, as one Bash call.
    fake_api.bash_calls["Set up quotaline's status line"] = "quotaline install --no-hook --yes"
    launcher = home / ".local" / "bin" / "quotaline"
    installed = Installed(home, workdir, launcher, after_plugin, "\n".join(log), seconds)
    with _claude(tools, installed, fake_api, tmp_path, path) as s:
        s.mark(f"plugin install took {seconds:.1f}s; claude started")
        s.wait_for("Claude Code's prompt box", prompt_ready)
        s.mark("prompt box")
        s.claude.send_text("/quotaline:setup")
        s.wait_for("'/quotaline:setup' in the slash-command menu", lambda sc: bool(rows_with(sc, "/quotaline:setup")))
        time.sleep(0.4)
        s.claude.send_key("Enter")
        s.wait_for("the setup's reply after its quotaline install ran", lambda sc: f"{REPLY_PREFIX}tool done." in sc)
        s.mark("/quotaline:setup ran")
        ran = "\n".join(fake_api.tool_results)
        settings = _settings(home)
        s.installed.settings = settings
        if "wired Claude Code" not in ran:
            s.fail(f"the Bash call of /quotaline:setup did not wire Claude Code: {ran!r}")
        if settings.get("statusLine", {}).get("command") != f"{launcher} statusline" or "hooks" in settings:
            s.fail(f"settings.json after /quotaline:setup: {settings!r}")
        # "The status line appears the next time Claude Code starts."
        s.claude.stop()
        s.claude = TmuxClaude(tools.tmux, tools.claude, workdir, s.env, tmp_path, COLS, ROWS)
        s.claude.start()
        s.wait_for("Claude Code's prompt box after the restart", prompt_ready)
        s.mark("restarted")
        # Turn 1's reply says 93%: quotaline's status line shows it, and the plugin's hook warns
        # before the next prompt, once (turns 2 and 3).
        fake_api.set_utilization(0.93)
        row = _turn_then_status_row(s, 1, 93)
        s.submit(2)
        s.wait_for(
            f"the plugin hook's warning '{WARNING}' before the second prompt", lambda sc: bool(rows_with(sc, WARNING))
        )
        s.wait_for("the reply to turn 2", lambda sc: f"{REPLY_PREFIX}2" in sc)
        s.mark("turn 2: warned, replied")
        s.submit(3)
        s.wait_for("the reply to turn 3", lambda sc: f"{REPLY_PREFIX}3" in sc)
        time.sleep(1)  # a late second warning would be drawn by now (the hook runs before the request)
        screen = s.claude.screen()
        s.mark("turn 3 replied")
        warnings = rows_with(screen, WARNING)
        if len(warnings) != 1:
            s.fail(f"{len(warnings)} warning rows across two prompts at 93%, want exactly 1: {warnings!r}")
        if "quotaline: the quotaline command is not installed" in screen:
            s.fail("the plugin's hook did not find the installed quotaline")
        print(f"\nClaude Code {s.version}; timings: {s.timings}")
        print(f"status line: {row.strip()}\nwarning:     {warnings[0].strip()}")


# ----------------------------------------------------------------------------------- uv tool, pipx


@pytest.mark.parametrize("route", ROUTES)
def test_a_package_manager_install_then_quotaline_install_shows_the_status_line_in_real_claude_code(
    tools: Tools, fake_api: FakeAnthropic, tmp_path: Path, route: str
) -> None:
    home, workdir = _homes(tmp_path)
    env = route_env(home)
    log: list[str] = []
    t0 = time.monotonic()
    python = getattr(sys, "_base_executable", sys.executable)
    try:
        command = route_command(route, source_copy(REPO, tmp_path / "src"), python)
    except Missing as exc:
        pytest.fail(str(exc), pytrace=False)
    _run(command, env, home, log)
    _run(["quotaline", "install"], env, home, log)  # the package manager's entry point, on PATH
    settings = _settings(home)
    launcher = home / ".local" / "share" / "quotaline" / "bin" / "quotaline"  # beside the entry point
    if settings.get("statusLine", {}).get("command") != f"{launcher} statusline":
        pytest.fail(f"settings.json after quotaline install: {settings!r}\n" + "\n".join(log), pytrace=False)
    seconds = time.monotonic() - t0

    installed = Installed(home, workdir, launcher, settings, "\n".join(log), seconds)
    with _claude(tools, installed, fake_api, tmp_path, env["PATH"]) as s:
        s.mark(f"{route} + quotaline install took {seconds:.1f}s; claude started")
        s.wait_for("Claude Code's prompt box", prompt_ready)
        s.wait_for(
            f"the server's '5h 42%' on quotaline's status line, within {STATUSLINE_REFRESH_S + 10} s",
            lambda sc: bool(_status_rows(sc, "5h 42%", "7d 17%")),
            STATUSLINE_REFRESH_S + 10,
        )
        s.mark("status line")
        print(f"\n{route}: timings {s.timings}; status line: {_status_rows(s.claude.screen(), '5h 42%')[0].strip()}")


# ----------------------------------------------------------------------------------- Starship


def test_starships_claude_code_status_line_with_the_readmes_custom_module_shows_quotalines_windows(
    tools: Tools, fake_api: FakeAnthropic, tmp_path: Path
) -> None:
    """Claude Code's status line drawn by ``starship statusline claude-code`` with the README's
    ``[custom.quotaline]`` module: quotaline's windows (from the refresher the segment starts)
    beside Starship's own model module."""
    try:
        starship = find_tool("starship")
    except Missing as exc:
        pytest.fail(str(exc), pytrace=False)
    home, workdir = _homes(tmp_path)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "starship").symlink_to(starship)
    _shim(bin_dir)
    config = home / ".config" / "starship.toml"
    config.parent.mkdir()
    config.write_text(readme_starship_config(REPO), encoding="utf-8")
    status_line = {"type": "command", "command": "starship statusline claude-code"}
    (home / ".claude" / "settings.json").write_text(json.dumps({"statusLine": status_line}))
    path = f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    log = [f"starship.toml (the README's):\n{config.read_text()}"]
    installed = Installed(home, workdir, bin_dir / "quotaline", {"statusLine": status_line}, "\n".join(log), 0.0)
    with _claude(tools, installed, fake_api, tmp_path, path) as s:
        s.wait_for("Claude Code's prompt box", prompt_ready)
        s.mark("prompt box")
        s.submit(1)  # the status line redraws after the reply; the refresher has read the server by then
        s.wait_for("the reply to turn 1", lambda sc: f"{REPLY_PREFIX}1" in sc)
        s.wait_for(
            "Starship's status line with its model module (🤖) and quotaline's '5h 42%' and '7d 17%'",
            lambda sc: bool(_status_rows(sc, "🤖", "5h 42%", "7d 17%")),
        )
        s.mark("starship status line")
        print(f"\nstarship: timings {s.timings}; status line: {_status_rows(s.claude.screen(), '5h 42%')[0].strip()}")
