"""``quotaline install`` / ``uninstall`` on the official Windows CPython (under Wine), and the
commands it writes into settings.json run the way Claude Code runs them there.

Claude Code on Windows runs the status line and shell hooks through Git Bash (``bash.exe -c
"<command>"``): the words are split by POSIX rules (``shlex.split`` here) and the program started
with them, so a backslash in a path is an escape and the command fails silently. Hooks in the exec
form (``args``, Claude Code 2.1.332+) are started with their list as it is, no shell at all.

Wine sets USERPROFILE and LOCALAPPDATA from its prefix whatever the caller's environment says, so
the written commands run with QUOTALINE_STATE_DIR naming the profile's state dir (winpy's helpers
set the profile itself inside the interpreter instead, which a command from settings.json cannot).
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import FIXTURES, snapshot_with, statusline_stdin, window

from . import winpy
from .winpy import WINE, WinHome, win

win_source = winpy.win_source  # the fixture

HOOK_STDIN = (FIXTURES / "hooks" / "userpromptsubmit_stdin.json").read_bytes()
# A user's settings.json as Windows editors leave it: CRLF line ends, non-ASCII, a key of its own.
USER_SETTINGS = '{\r\n  "model": "opus",\r\n  "env": {"GREETING": "Grüße ≥ 90%"}\r\n}\r\n'.encode()


@pytest.fixture(params=["me", "Jo O'Brien"], ids=["plain", "space-and-apostrophe"])
def home(request: pytest.FixtureRequest, tmp_path: Path, win_source: Path) -> WinHome:
    profile = tmp_path / request.param
    (profile / "AppData" / "Local").mkdir(parents=True)
    (profile / "AppData" / "Roaming").mkdir(parents=True)
    return WinHome(profile, win_source, {})


def quotaline_with_site(home: WinHome, *args: str) -> winpy.Result:
    """``quotaline <args>`` as the entry point uv or pipx installs runs it: with ``site``, so the
    interpreter's site-packages (httpx, pydantic, ...) are found and the launcher lists them."""
    code = (
        f"import sys; sys.path.insert(0, {win(home.source)!r}); from statusline.cli import main; "
        f"sys.exit(main({list(args)!r}))"
    )
    return home.python(code, flags=("-I",))


def run_words(home: WinHome, words: list[str], stdin: bytes) -> winpy.Result:
    """The program and its arguments started as Git Bash (or Claude Code's exec form) would."""
    env = home.env({"QUOTALINE_STATE_DIR": win(home.state), "NO_COLOR": "1"})
    proc = subprocess.run([str(WINE), *words], input=stdin, capture_output=True, env=env, timeout=120, cwd=home.linux)
    return winpy.Result(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"), 0.0)


def settings(home: WinHome) -> dict[str, Any]:
    return dict(json.loads((home.claude / "settings.json").read_bytes()))


def hook_entries(data: dict[str, Any], event: str) -> list[dict[str, Any]]:
    return [h for g in data["hooks"][event] for h in g["hooks"]]


def words_of(entry: dict[str, Any]) -> list[str]:
    if "args" in entry:
        return [entry["command"], *entry["args"]]
    command = entry["command"]
    assert "\\" not in command, command  # Git Bash would eat every backslash
    return shlex.split(command)


def record_client_version(home: WinHome, version: str) -> None:
    """What Claude Code tells the status line (its ``version``), kept in the snapshot."""
    stdin = json.dumps({**statusline_stdin(42, 17), "version": version}).encode()
    result = home.quotaline("statusline", stdin=stdin)
    assert result.code == 0, result.err


@pytest.mark.parametrize("client", ["2.1.337", None], ids=["exec-form-hooks", "client-unknown"])
def test_install_then_the_written_commands_work_and_uninstall_restores(home: WinHome, client: str | None) -> None:
    home.claude.mkdir()
    (home.claude / "settings.json").write_bytes(USER_SETTINGS)
    if client:
        record_client_version(home, client)

    installed = quotaline_with_site(home, "install", "--yes")
    assert installed.code == 0, installed.text + installed.err
    data = settings(home)
    assert data["model"] == "opus" and data["env"] == {"GREETING": "Grüße ≥ 90%"}
    launcher = home.state / "bin" / "quotaline.py"  # %LOCALAPPDATA%\quotaline\quotaline\bin
    assert launcher.is_file()

    # The status line: a shell command (Claude Code takes no exec form there), split as Git Bash would.
    command = data["statusLine"]["command"]
    assert "\\" not in command, command
    words = shlex.split(command)
    assert words[1:3] == ["-I", "-S"] and words[0].endswith("/python.exe") and words[3].endswith("/quotaline.py")
    # The plugin's hook script (hooks/quotaline-hook.sh, under Git Bash) runs the record's words.
    assert (home.state / "launcher").read_text(encoding="utf-8").splitlines() == words[:4]
    shown = run_words(home, words, json.dumps(statusline_stdin(42, 17)).encode())
    assert shown.code == 0, shown.err
    assert shown.text.startswith("5h 42% ") and "7d 17%" in shown.text and "\u00b7" in shown.text, shown.text

    # The hook, as written: the exec form where the client takes it, else a shell command.
    entries = hook_entries(data, "UserPromptSubmit")
    assert len(entries) == 1
    assert ("args" in entries[0]) is bool(client), entries
    home.state.mkdir(parents=True, exist_ok=True)
    (home.state / "snapshot-default.json").write_text(
        json.dumps(snapshot_with(window("five_hour", 93, resets_in=2280)))
    )
    warned = run_words(home, words_of(entries[0]), HOOK_STDIN)
    assert warned.code == 0, warned.err
    assert json.loads(warned.text)["systemMessage"].startswith("5-hour window at 93%"), warned.text
    for event in ("StopFailure", "Stop"):
        assert words_of(hook_entries(data, event)[0])[:4] == words_of(entries[0])[:4]

    again = quotaline_with_site(home, "install", "--yes")  # idempotent: nothing to change
    assert again.code == 0 and "already wired" in again.text, again.text + again.err

    removed = quotaline_with_site(home, "uninstall", "--yes")
    assert removed.code == 0, removed.text + removed.err
    assert (home.claude / "settings.json").read_bytes() == USER_SETTINGS  # byte for byte, CRLF and all
    assert not launcher.exists()
    assert not list(home.claude.glob("settings.json.quotaline-backup-*"))


def test_a_fresh_profile_gets_settings_and_uninstall_removes_them(tmp_path: Path, win_source: Path) -> None:
    """No .claude yet: install creates it; uninstall removes what it created and nothing else."""
    profile = tmp_path / "fresh"
    (profile / "AppData" / "Local").mkdir(parents=True)
    home = WinHome(profile, win_source, {})
    installed = quotaline_with_site(home, "install", "--yes")
    assert installed.code == 0, installed.text + installed.err
    assert "Git Bash" in installed.text  # no client found: it says why the hooks use the shell form
    assert settings(home)["statusLine"]["command"].endswith(" statusline")
    removed = quotaline_with_site(home, "uninstall", "--yes")
    assert removed.code == 0, removed.text + removed.err
    assert not (home.claude / "settings.json").exists()


def test_doctor_finds_and_times_the_installed_commands(tmp_path: Path, win_source: Path) -> None:
    """doctor reads the Windows entries (the interpreter, its flags, the .py launcher; the exec form)
    as quotaline's and times the status line through them, not through the interpreter alone."""
    profile = tmp_path / "doc"
    (profile / "AppData" / "Local").mkdir(parents=True)
    home = WinHome(profile, win_source, {})
    record_client_version(home, "2.1.337")
    assert quotaline_with_site(home, "install", "--yes").code == 0
    doctor = quotaline_with_site(home, "doctor")
    assert "Traceback" not in doctor.text + doctor.err, doctor.err
    lines = doctor.text.splitlines()
    hook = "[  ok] settings    UserPromptSubmit hook:"
    assert any(line.startswith(hook) and line.endswith("quotaline.py hook") for line in lines), doctor.text
    assert any("status line p50" in line for line in lines), doctor.text


def test_a_second_install_waits_for_the_first(tmp_path: Path, win_source: Path) -> None:
    """The install lock is taken on Windows too (msvcrt, through the platform seam): an install
    started while another holds it says so and goes on once it is released."""
    profile = tmp_path / "two"
    (profile / "AppData" / "Local").mkdir(parents=True)
    home = WinHome(profile, win_source, {})
    home.state.mkdir(parents=True)
    hold = (
        "import msvcrt, os, sys, time; "
        f"fd = os.open({win(home.state / 'install.lock')!r}, os.O_WRONLY | os.O_CREAT | os.O_APPEND); "
        "msvcrt.locking(fd, msvcrt.LK_NBLCK, 1); print('held', flush=True); time.sleep(4)"
    )
    holder = subprocess.Popen(
        [str(WINE), str(winpy.PYTHON), "-I", "-S", "-c", hold],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=home.env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        installed = quotaline_with_site(home, "install", "--yes")
        assert holder.poll() is not None  # it finished only after the holder let go
    finally:
        holder.wait(timeout=60)
    assert installed.code == 0, installed.text + installed.err
    assert "waiting for another install to finish" in installed.err
    assert settings(home)["statusLine"]["command"].endswith(" statusline")
