"""`quotaline install` leaves the user's setup as it was, in throwaway HOMEs: a settings.json
symlink stays a link, a read-only file or JSON Python would not write back is refused untouched,
a status line that only mentions quotaline is the user's, uninstall restores byte for byte,
--purge spares shared directories, choices are remembered, concurrent installs all succeed."""

from __future__ import annotations

import json
import os
import pty
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from helpers.cli import REPO
from test_install import run_install, settings

LAUNCHER = (".local", "bin", "quotaline")


@pytest.fixture
def fresh_home(tmp_path: Path) -> Path:
    home = tmp_path / "h"
    home.mkdir()
    return home


def claude_dir(home: Path) -> Path:
    d = home / ".claude"
    d.mkdir(exist_ok=True)
    return d


def tree(root: Path) -> dict[str, bytes | str]:
    """Every entry under ``root``: a file's bytes, a link's target, a directory as "dir"."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = path.read_bytes()
    return out


def test_a_settings_symlink_stays_a_link_and_uninstall_restores_its_target_byte_for_byte(fresh_home: Path) -> None:
    dotfiles = fresh_home / "dotfiles" / "claude"
    dotfiles.mkdir(parents=True)
    original = b'{\n    "model": "opus",   "env": {"A": "\\u00e9"}\n}'  # odd spacing, an escape, no newline
    (dotfiles / "settings.json").write_bytes(original)
    os.chmod(dotfiles / "settings.json", 0o640)
    link = claude_dir(fresh_home) / "settings.json"
    link.symlink_to("../dotfiles/claude/settings.json")
    result = run_install(fresh_home)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "../dotfiles/claude/settings.json"
    assert settings(fresh_home)["statusLine"]["command"].endswith("quotaline statusline")
    assert stat.S_IMODE((dotfiles / "settings.json").stat().st_mode) == 0o640
    assert sorted(p.name for p in dotfiles.iterdir()) == ["settings.json"]  # no backup or temp file in dotfiles
    assert len(list(link.parent.glob("settings.json.quotaline-backup-*"))) == 1
    assert run_install(fresh_home, "--uninstall").returncode == 0
    assert link.is_symlink() and (dotfiles / "settings.json").read_bytes() == original
    assert list(link.parent.glob("settings.json.quotaline-backup-*")) == []


def test_uninstall_after_an_upgrade_and_a_no_hook_run_restores_the_file_byte_for_byte(fresh_home: Path) -> None:
    original = b'{"model":"opus","hooks":{"Stop":[]}}\n'
    path = claude_dir(fresh_home) / "settings.json"
    path.write_bytes(original)
    before = tree(fresh_home)
    assert run_install(fresh_home).returncode == 0
    assert run_install(fresh_home, "--no-hook").returncode == 0
    assert run_install(fresh_home, "--force").returncode == 0
    assert run_install(fresh_home, "--uninstall").returncode == 0
    assert path.read_bytes() == original
    assert tree(fresh_home) == before


def test_a_file_changed_after_install_keeps_the_users_change_on_uninstall(fresh_home: Path) -> None:
    path = claude_dir(fresh_home) / "settings.json"
    path.write_text('{"model": "opus"}')
    assert run_install(fresh_home).returncode == 0
    data = settings(fresh_home)
    data["theme"] = "dark"  # the user (or Claude Code) edits the file afterwards
    path.write_text(json.dumps(data))
    result = run_install(fresh_home, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert settings(fresh_home) == {"model": "opus", "theme": "dark"}


def test_a_created_settings_file_the_user_added_to_is_kept_without_quotaline(fresh_home: Path) -> None:
    assert run_install(fresh_home).returncode == 0
    path = fresh_home / ".claude" / "settings.json"
    data = settings(fresh_home)
    data["model"] = "opus"
    path.write_text(json.dumps(data))
    assert run_install(fresh_home, "--uninstall").returncode == 0
    assert settings(fresh_home) == {"model": "opus"}


@pytest.mark.parametrize(
    "command",
    [
        "bash -c 'ccstatusline; quotaline segment'",
        "quotaline segment --format plain",
        "/usr/local/bin/quotaline statusline | tee /tmp/x",
        "my-quotaline statusline",
    ],
)
def test_a_status_line_that_only_mentions_quotaline_is_the_users(fresh_home: Path, command: str) -> None:
    foreign = {"type": "command", "command": command}
    (claude_dir(fresh_home) / "settings.json").write_text(json.dumps({"statusLine": foreign}))
    result = run_install(fresh_home)
    assert result.returncode == 0 and "--force" in result.stdout
    assert settings(fresh_home)["statusLine"] == foreign
    assert run_install(fresh_home, "--uninstall").returncode == 0
    assert settings(fresh_home) == {"statusLine": foreign}


def test_a_hook_that_only_mentions_quotaline_is_the_users(fresh_home: Path) -> None:
    theirs = {"type": "command", "command": "sh -c 'quotaline hook; notify-send hi'"}
    original = {"hooks": {"UserPromptSubmit": [{"hooks": [theirs]}]}}
    (claude_dir(fresh_home) / "settings.json").write_text(json.dumps(original))
    assert run_install(fresh_home).returncode == 0
    commands = [h["command"] for g in settings(fresh_home)["hooks"]["UserPromptSubmit"] for h in g["hooks"]]
    assert commands[0] == theirs["command"] and commands[1].endswith("/quotaline hook") and len(commands) == 2
    assert run_install(fresh_home, "--uninstall").returncode == 0
    assert settings(fresh_home) == original


def test_a_read_only_settings_file_is_refused_untouched(fresh_home: Path) -> None:
    path = claude_dir(fresh_home) / "settings.json"
    path.write_text('{"model": "opus"}')
    path.chmod(0o444)
    before = tree(fresh_home)
    result = run_install(fresh_home)
    assert result.returncode == 1
    assert "read-only" in result.stderr and "chmod u+w" in result.stderr and "Traceback" not in result.stderr
    assert tree(fresh_home) == before  # root could write it: refused all the same, and no launcher


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"a": NaN}', "NaN"),
        ('{"a": [Infinity]}', "Infinity"),
        ('{"a": -Infinity}', "-Infinity"),
        ('{"a": 1e400}', "1e400"),
        ('{"env": {"X": "\\ud800"}}', "env.X"),
        ('{"\\udc00": 1}', "lone surrogate"),
        ('{"a": 1, "a": 2}', "'a' twice"),
        ('{"n": ' + "9" * 5000 + "}", "digits"),
        (b'{"a": "\xff"}', "not UTF-8"),
    ],
)
def test_json_python_would_not_write_back_as_found_is_refused_naming_the_problem(
    fresh_home: Path, content: str | bytes, named: str
) -> None:
    path = claude_dir(fresh_home) / "settings.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = tree(fresh_home)
    result = run_install(fresh_home)
    assert result.returncode == 1, result.stdout
    assert named in result.stderr and "nothing was changed" in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr
    assert tree(fresh_home) == before  # no temp file, no backup, no launcher


def test_dry_run_prints_the_exact_change_and_changes_nothing(fresh_home: Path) -> None:
    path = claude_dir(fresh_home) / "settings.json"
    path.write_text('{"model": "opus"}\n')
    before = tree(fresh_home)
    dry = run_install(fresh_home, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert tree(fresh_home) == before
    assert dry.stdout.startswith(f"--- {path}\n+++ {path}\n")
    assert '-{"model": "opus"}\n' in dry.stdout and '+  "model": "opus",\n' in dry.stdout
    assert run_install(fresh_home).returncode == 0
    # The diff applied to the old text is exactly the file written.
    new = [line[1:] for line in dry.stdout.splitlines(keepends=True)[3:] if line[:1] in " +"]
    assert "".join(new) == path.read_text()
    again = run_install(fresh_home, "--dry-run")
    assert f"{path} would not change" in again.stdout
    gone = run_install(fresh_home, "--uninstall", "--dry-run")
    assert gone.returncode == 0 and f"-++ {path}" not in gone.stdout and '+{"model": "opus"}' in gone.stdout
    assert json.loads(path.read_text())["statusLine"]


def test_on_a_terminal_one_question_is_asked_and_no_changes_nothing(fresh_home: Path) -> None:
    env = {"HOME": str(fresh_home), "PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)}

    def at_terminal(answer: bytes, *args: str) -> tuple[int, str]:
        pid, fd = pty.fork()
        if pid == 0:  # pragma: no cover - the child
            os.chdir(fresh_home)
            os.execve(sys.executable, [sys.executable, "-m", "statusline", "install", *args], env)
        out = b""
        deadline = time.monotonic() + 30
        sent = False
        while time.monotonic() < deadline:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if not sent and b"[Y/n]" in out:
                os.write(fd, answer)
                sent = True
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        return os.waitstatus_to_exitcode(status), out.decode(errors="replace")

    code, out = at_terminal(b"n\n")
    assert code == 1 and out.count("[Y/n]") == 1 and "+  \"statusLine\"" in out and "nothing was changed" in out
    assert not (fresh_home / ".claude").exists()
    code, out = at_terminal(b"", "--yes")
    assert code == 0 and "[Y/n]" not in out and settings(fresh_home)["statusLine"]


def test_no_hook_is_remembered_and_hook_brings_them_back(fresh_home: Path) -> None:
    assert run_install(fresh_home).returncode == 0
    assert run_install(fresh_home, "--no-hook").returncode == 0
    assert "hooks" not in settings(fresh_home)  # both entries gone, and the keys quotaline created
    again = run_install(fresh_home)  # an upgrade without the flag
    assert again.returncode == 0 and "nothing changed" in again.stdout
    assert "hooks" not in settings(fresh_home)
    assert run_install(fresh_home, "--hook").returncode == 0
    data = settings(fresh_home)
    assert set(data["hooks"]) == {"UserPromptSubmit", "StopFailure", "Stop"}


def test_a_hook_of_an_older_install_is_replaced_not_doubled(fresh_home: Path) -> None:
    old = str(fresh_home / ".local" / "bin" / "quotaline") + " hook user-prompt-submit"
    groups = [{"hooks": [{"type": "command", "command": old, "timeout": 5}]}]
    (claude_dir(fresh_home) / "settings.json").write_text(json.dumps({"hooks": {"UserPromptSubmit": groups}}))
    assert run_install(fresh_home).returncode == 0
    hooks = settings(fresh_home)["hooks"]
    commands = [[h["command"] for h in g["hooks"]] for g in hooks["UserPromptSubmit"]]
    assert commands == [[old.removesuffix(" user-prompt-submit")]]
    assert len(hooks["StopFailure"]) == 1


def test_purge_removes_only_quotalines_files_from_shared_override_dirs(fresh_home: Path, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    (shared / "config.toml").write_text("[other_tool]\nx = 1\n")  # someone else's config
    (shared / "notes.txt").write_text("mine")
    (fresh_home / ".bashrc").write_text("# mine\n")
    env = {"QUOTALINE_STATE_DIR": str(fresh_home), "QUOTALINE_CONFIG_DIR": str(shared), "QUOTALINE_NO_SPAWN": "1"}
    assert run_install(fresh_home, extra_env=env).returncode == 0
    launcher = fresh_home.joinpath(*LAUNCHER)
    stdin = json.dumps({"session_id": "s", "rate_limits": {"five_hour": {"used_percentage": 5, "resets_at": 2e9}}})
    run = subprocess.run(
        [str(launcher), "statusline"], input=stdin, capture_output=True, text=True, env={"HOME": str(fresh_home), **env}
    )
    assert run.returncode == 0 and (fresh_home / "snapshot-default.json").exists(), run.stdout + run.stderr
    result = run_install(fresh_home, "--uninstall", "--purge", extra_env=env)
    assert result.returncode == 0, result.stderr
    assert fresh_home.is_dir() and (fresh_home / ".bashrc").read_text() == "# mine\n"
    assert not list(fresh_home.glob("snapshot-*"))
    assert sorted(p.name for p in shared.iterdir()) == ["config.toml", "notes.txt"]
    assert sorted(p.name for p in fresh_home.iterdir()) == [".bashrc"]


def test_purge_removes_the_default_dirs_quotaline_made(fresh_home: Path) -> None:
    assert run_install(fresh_home).returncode == 0
    state = fresh_home / ".local" / "state" / "quotaline"
    config = fresh_home / ".config" / "quotaline"
    for d in (state / "ledger", config):
        d.mkdir(parents=True)
    (state / "snapshot-default.json").write_text("{}")
    (state / "ledger" / "index.json").write_text("{}")
    (config / "config.toml").write_text("# my settings\n")
    assert run_install(fresh_home, "--uninstall", "--purge").returncode == 0
    assert not state.exists() and not config.exists()


def test_six_concurrent_installs_all_succeed_and_leave_one_wiring(fresh_home: Path) -> None:
    (claude_dir(fresh_home) / "settings.json").write_text('{"model": "opus"}')
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: run_install(fresh_home), range(6)))
    assert [r.returncode for r in results] == [0] * 6, [r.stderr for r in results]
    assert sum("wired Claude Code" in r.stdout for r in results) == 1
    data = settings(fresh_home)
    assert len(data["hooks"]["UserPromptSubmit"]) == 1 and len(data["hooks"]["StopFailure"]) == 1
    assert len(list((fresh_home / ".claude").glob("settings.json.quotaline-backup-*"))) == 1
    assert not [p for p in (fresh_home / ".claude").iterdir() if p.name.endswith(".tmp")]


def test_backups_never_share_a_name(fresh_home: Path) -> None:
    path = claude_dir(fresh_home) / "settings.json"
    path.write_text('{"model": "opus"}')
    assert run_install(fresh_home).returncode == 0
    assert run_install(fresh_home, "--no-hook").returncode == 0  # within the same second
    backups = sorted((fresh_home / ".claude").glob("settings.json.quotaline-backup-*"))
    assert len(backups) == 2 and json.loads(backups[0].read_text()) == {"model": "opus"}
    assert "hooks" in json.loads(backups[1].read_text())


def answer_after(home: Path, command: str, meanwhile: Callable[[], None], *args: str) -> tuple[int, str]:
    """``quotaline COMMAND ARGS`` on a terminal: when it asks its question, ``meanwhile`` runs (in
    another process: Claude Code writing settings.json while the user reads the diff), then "y"."""
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)}
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(home)
        argv = [sys.executable, "-m", "statusline", command, *args]
        if command == "install":
            argv += ["--python", sys.executable, "--site-packages", str(REPO)]
        os.execve(sys.executable, argv, env)
    out = b""
    deadline = time.monotonic() + 60
    sent = False
    while time.monotonic() < deadline:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        if not sent and b"[Y/n]" in out:
            meanwhile()
            os.write(fd, b"y\n")
            sent = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert sent, out
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


CLAUDE_CODE_WRITES = """
import json, os, sys
path = sys.argv[1]
data = json.load(open(path)) if os.path.exists(path) else {}
data.setdefault("permissions", {}).setdefault("allow", []).append("Bash(npm test:*)")
data["theme"] = "dark"
tmp = path + ".cc-tmp"
with open(tmp, "w") as fh:
    json.dump(data, fh, indent=2)
os.replace(tmp, os.path.realpath(path))
"""


def claude_code_writes(path: Path) -> Callable[[], None]:
    """Another process changes settings.json as Claude Code does (a permission rule, /config)."""
    return lambda: subprocess.run([sys.executable, "-c", CLAUDE_CODE_WRITES, str(path)], check=True, timeout=30)


@pytest.mark.parametrize("start", ["absent", "theirs", "link"])
def test_a_change_claude_code_makes_while_install_asks_is_kept_and_backed_up(fresh_home: Path, start: str) -> None:
    """/quotaline:setup runs inside a live Claude Code: settings.json may change between the read
    and the answer. The edit is made to the file as it is at the write; the backup is what the
    write replaced."""
    settings_file = claude_dir(fresh_home) / "settings.json"
    if start == "theirs":
        settings_file.write_text('{\n  "model": "opus"\n}\n')
    elif start == "link":
        dotfiles = fresh_home / "dotfiles"
        dotfiles.mkdir()
        (dotfiles / "claude-settings.json").write_text('{\n  "model": "opus"\n}\n')
        settings_file.symlink_to(dotfiles / "claude-settings.json")
    before_answer: dict[str, bytes] = {}

    def change() -> None:
        claude_code_writes(settings_file)()
        before_answer["text"] = settings_file.read_bytes()

    code, out = answer_after(fresh_home, "install", change)
    assert code == 0, out
    data = settings(fresh_home)
    assert data["permissions"]["allow"] == ["Bash(npm test:*)"] and data["theme"] == "dark", data
    assert "quotaline" in data["statusLine"]["command"] and data["hooks"]["UserPromptSubmit"]
    if start != "absent":
        assert data["model"] == "opus"
    assert settings_file.is_symlink() == (start == "link")
    backups = sorted(claude_dir(fresh_home).glob("settings.json.quotaline-backup-*"))
    assert [b.read_bytes() for b in backups] == [before_answer["text"]]  # what was replaced, and only that
    # Uninstall keeps Claude Code's change too, made while it asks.
    def change_again() -> None:
        data = json.loads(settings_file.read_text())
        data["theme"] = "light"
        tmp = settings_file.parent / "cc.tmp"
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, os.path.realpath(settings_file))

    code, out = answer_after(fresh_home, "uninstall", change_again)
    assert code == 0, out
    after = json.loads(settings_file.read_text())
    assert after["theme"] == "light" and after["permissions"]["allow"] == ["Bash(npm test:*)"], after
    assert "statusLine" not in after and "hooks" not in after
    assert settings_file.is_symlink() == (start == "link")


def test_a_fifo_at_settings_json_is_refused_at_once_by_install_and_doctor(fresh_home: Path) -> None:
    """Opening a FIFO for reading waits for a writer that never comes: install and doctor would hang."""
    fifo = claude_dir(fresh_home) / "settings.json"
    os.mkfifo(fifo)
    started = time.monotonic()
    done = run_install(fresh_home, "--yes")
    assert done.returncode == 1 and "not a regular file" in done.stderr and "nothing was changed" in done.stderr
    env = {"HOME": str(fresh_home), "PATH": os.environ["PATH"], "PYTHONPATH": str(REPO)}
    doctor = subprocess.run(
        [sys.executable, "-m", "statusline", "doctor", "--no-timing"], capture_output=True, text=True, env=env,
        timeout=30, stdin=subprocess.DEVNULL, cwd=fresh_home,
    )
    assert "settings" in doctor.stdout and "not a regular file" in doctor.stdout, doctor.stdout
    assert time.monotonic() - started < 20 and stat.S_ISFIFO(fifo.lstat().st_mode)  # left as it was
