"""Where the launcher is: one record (``<data dir>/launcher``) that install writes and uninstall
removes, read by the plugin's hook script and the menu bar plugin, wherever the data dir is (macOS:
``~/Library/Application Support/quotaline``); and a launcher without a re-exec through sh when its
environment's path has a space (install.sh's environments under ``Application Support``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers.cli import REPO, Home, statusline_stdin

from statusline.commands.setup.launcher import launcher_text, package_root

HOOK = REPO / "hooks" / "quotaline-hook.sh"
SWIFTBAR = REPO / "statusline" / "plugins" / "quotaline.1m.sh"
EVENT = '{"hook_event_name": "UserPromptSubmit", "session_id": "s"}'


def fake_launcher(where: Path) -> Path:
    where.parent.mkdir(parents=True, exist_ok=True)
    where.write_text('#!/bin/sh\necho "ran $*: $(cat)"\n')
    where.chmod(0o755)
    return where


def run_script(script: Path, home: Path, **env: str) -> str:
    done = subprocess.run(
        ["sh", str(script)],
        input=EVENT,
        capture_output=True,
        text=True,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", **env},
        timeout=30,
        check=True,
    )
    return done.stdout


def test_both_scripts_find_a_launcher_recorded_under_application_support(tmp_path: Path) -> None:
    launcher = fake_launcher(tmp_path / "elsewhere" / "my bin" / "quotaline")
    record = tmp_path / "Library" / "Application Support" / "quotaline" / "launcher"
    record.parent.mkdir(parents=True)
    record.write_text(f"{launcher}\n")
    assert run_script(HOOK, tmp_path) == f"ran hook: {EVENT}\n"
    assert run_script(SWIFTBAR, tmp_path).startswith("ran segment --format swiftbar: ")


def test_the_hook_script_runs_a_record_of_several_words_as_windows_install_writes_it(tmp_path: Path) -> None:
    """On Windows the record holds the interpreter, its flags and the .py launcher (``launcher.program``),
    one a line, under %LOCALAPPDATA% as Git Bash sees it; the script runs exactly those words."""
    launcher = tmp_path / "Local" / "quotaline" / "quotaline" / "bin" / "quotaline.py"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("import sys\nprint('ran', sys.flags.isolated, sys.argv[1:], sys.stdin.read())\n")
    record = launcher.parent.parent / "launcher"
    record.write_text(f"{sys.executable}\n-I\n-S\n{launcher}\n")
    assert run_script(HOOK, tmp_path, LOCALAPPDATA=str(tmp_path / "Local")) == f"ran 1 ['hook'] {EVENT}\n"
    launcher.unlink()  # the interpreter is still there, its launcher gone: the next way, here none
    assert "not installed" in run_script(HOOK, tmp_path, LOCALAPPDATA=str(tmp_path / "Local"))


def test_install_records_the_launcher_the_hook_then_runs_and_uninstall_removes_it(home: Home) -> None:
    bin_dir = home.root / "tools bin"  # not ~/.local/bin, not on PATH: only the record says where
    result = home.run("install", "--yes", "--bin-dir", str(bin_dir))
    assert result.code == 0, result.err
    record = home.root / "data" / "quotaline" / "launcher"
    assert record.read_text() == f"{bin_dir / 'quotaline'}\n"
    env = {"XDG_DATA_HOME": home.env["XDG_DATA_HOME"], "XDG_STATE_HOME": home.env["XDG_STATE_HOME"]}
    out = run_script(HOOK, home.root, **env)
    assert "not installed" not in out  # the installed launcher ran the hook (nothing to say yet)
    assert home.run("uninstall", "--yes").code == 0
    assert not record.exists()


def test_a_spaced_environment_gets_a_launcher_without_a_re_exec(home: Home, tmp_path: Path) -> None:
    env_bin = tmp_path / "Library" / "Application Support" / "quotaline" / "envs" / "1" / "bin"
    env_bin.mkdir(parents=True)
    (env_bin / "python3").symlink_to(os.path.realpath(sys.executable))
    (env_bin / "python").symlink_to("python3")  # as venv lays them out
    text = launcher_text(str(env_bin / "python"), package_root())
    first = text.splitlines()[0]
    assert first == f"#!{os.path.realpath(sys.executable)} -SI"
    launcher = tmp_path / "quotaline"
    launcher.write_text(text)
    launcher.chmod(0o755)
    done = subprocess.run(
        [str(launcher), "statusline"],
        input=json.dumps(statusline_stdin(five=42)),
        capture_output=True,
        text=True,
        env={**home.env, "NO_COLOR": "1"},
        timeout=30,
        check=True,
    )
    assert "5h 42%" in done.stdout
