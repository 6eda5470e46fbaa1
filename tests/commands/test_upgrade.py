"""Upgrading with the real install.sh in a throwaway HOME: a status line, a hook and a refresher
looped through the real launcher during an upgrade never fail; an install killed at any moment
leaves the old version working and the next install succeeds; uninstall leaves no environment.

Slow (each install makes a virtualenv and pip-installs a copy of this tree): kept to three tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers.cli import REPO, statusline_stdin
from helpers.usage_server import live_fixture

TOKEN = "sk-ant-oat01-upgrade-test-token"
# Claude Code runs the status line at most every 300 ms, a refresher every few minutes: loops run
# back to back would starve pip of the CPU (2 cores: the upgrade took 4 times as long).
SERVER_DELAY_S = 1.0  # each refresh spans a second: refreshers started from the old version run across the switch


def tree(tmp: Path, version: str) -> Path:
    """A copy of the source tree that installs as ``version``: an upgrade pip cannot skip."""
    dest = tmp / f"src-{version}"
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "install.sh"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "statusline", dest / "statusline", ignore=shutil.ignore_patterns("__pycache__"))
    for rel in ("pyproject.toml", "statusline/__init__.py"):
        path = dest / rel
        pattern = r'^(version|__version__) = ".*"$'
        text, count = re.subn(pattern, rf'\1 = "{version}"', path.read_text(), count=1, flags=re.M)
        assert count == 1, rel
        path.write_text(text)
    return dest


def install_env(home: Path) -> dict[str, str]:
    env = {
        "HOME": str(home),
        "PATH": os.environ["PATH"],
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip")),
    }
    for var in os.environ:
        if var.startswith("PIP_"):
            env[var] = os.environ[var]
    user_conf = Path.home() / ".config" / "pip" / "pip.conf"  # the throwaway HOME hides the user's pip config
    if "PIP_CONFIG_FILE" not in env and user_conf.exists():
        env["PIP_CONFIG_FILE"] = str(user_conf)
    return env


def install(home: Path, src: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(src / "install.sh"), *args],
        capture_output=True,
        text=True,
        env=install_env(home),
        timeout=600,
        cwd=home,
        stdin=subprocess.DEVNULL,
    )


def data_dir(home: Path) -> Path:
    return home / ".local" / "share" / "quotaline"


def envs(home: Path) -> list[str]:
    return sorted(p.name for p in (data_dir(home) / "envs").iterdir())


def launcher(home: Path) -> Path:
    return home / ".local" / "bin" / "quotaline"


def run_env(home: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(home), "NO_COLOR": "1", "QUOTALINE_NO_SPAWN": "1", "LANG": "C.UTF-8", **extra}


def version(home: Path) -> str:
    out = subprocess.run([str(launcher(home)), "version"], capture_output=True, text=True, env=run_env(home))
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def statusline(home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(launcher(home)), "statusline"],
        input=json.dumps(statusline_stdin(42, 17)),
        capture_output=True,
        text=True,
        env=run_env(home),
        timeout=30,
    )


class UsageServer(ThreadingHTTPServer):
    """The OAuth usage endpoint on loopback, answering after SERVER_DELAY_S."""

    daemon_threads = True
    body = b""
    requests = 0


class UsageHandler(BaseHTTPRequestHandler):
    server: UsageServer

    def do_GET(self) -> None:
        self.server.requests += 1
        time.sleep(SERVER_DELAY_S)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def usage_server() -> Iterator[UsageServer]:
    server = UsageServer(("127.0.0.1", 0), UsageHandler)
    server.body = json.dumps(live_fixture("oauth_2026-10_max_codename_bucket.json")[0]).encode()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


Command = Callable[[], tuple[list[str], str, dict[str, str]]]


def loop(
    stop: threading.Event, results: list[tuple[str, int, str, str]], name: str, make: Command, pause: float, cwd: Path
) -> None:
    """Run ``make()``'s command until ``stop``; cwd outside the source tree (``-m`` would import from it)."""
    while not stop.is_set():
        argv, stdin, env = make()
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, timeout=60, cwd=cwd)
        results.append((name, proc.returncode, proc.stdout, proc.stderr))
        stop.wait(pause)


@pytest.mark.slow
def test_a_status_line_hook_and_refresher_looped_through_the_launcher_never_fail_during_an_upgrade(
    tmp_path: Path, usage_server: UsageServer
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    old, new = tree(tmp_path, "0.1.0+old"), tree(tmp_path, "0.1.0+new")
    t0 = time.monotonic()
    first = install(home, old)
    first_s = time.monotonic() - t0
    assert first.returncode == 0, first.stdout + first.stderr
    assert launcher(home).read_text().startswith(f"#!{data_dir(home)}/envs/1/bin/python -SI\n")  # the fast start
    assert version(home) == "quotaline 0.1.0+old" and statusline(home).stdout.startswith("5h 42% ")

    base = str(usage_server.server_address[1])
    refresh_env = run_env(
        home, QUOTALINE_API_BASE=f"http://127.0.0.1:{base}", CLAUDE_CODE_OAUTH_TOKEN=TOKEN, QUOTALINE_CLAUDE_AI="0"
    )
    count = iter(range(1_000_000))
    sl_stdin = json.dumps(statusline_stdin(42, 17))

    def a_statusline() -> tuple[list[str], str, dict[str, str]]:
        return [str(launcher(home)), "statusline"], sl_stdin, run_env(home)

    def a_hook() -> tuple[list[str], str, dict[str, str]]:
        stdin = json.dumps({"session_id": f"s-{next(count)}", "hook_event_name": "UserPromptSubmit", "prompt": "hi"})
        return [str(launcher(home)), "hook", "user-prompt-submit"], stdin, run_env(home, QUOTALINE_WARN_AT="1")

    def a_refresher() -> tuple[list[str], str, dict[str, str]]:
        # What spawn.py starts from a status line: sys.executable (the launcher's interpreter) -m statusline.
        python = launcher(home).read_text().splitlines()[0][2:].split(" -SI")[0]
        return [python, "-m", "statusline", "refresh", "--force"], "", refresh_env

    def a_version() -> tuple[list[str], str, dict[str, str]]:
        return [str(launcher(home)), "version"], "", run_env(home)

    results: list[tuple[str, int, str, str]] = []
    stop = threading.Event()
    threads = [
        threading.Thread(target=loop, args=(stop, results, name, make, pause, home), daemon=True)
        for name, make, pause in (
            ("statusline", a_statusline, 0.2),
            ("hook", a_hook, 0.2),
            ("refresh", a_refresher, 1.0),
            ("version", a_version, 0.5),
        )
    ]
    for thread in threads:
        thread.start()
    time.sleep(1.5)  # every loop runs the old version first
    t0 = time.monotonic()
    second = install(home, new)
    second_s = time.monotonic() - t0
    time.sleep(1.5)  # and the new one after
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already wired; nothing changed" in second.stdout  # the launcher is the only switch

    failures = [r for r in results if r[1] != 0 or not r[2].strip() or "Traceback" in r[3]]
    assert failures == []
    by = {name: [r for r in results if r[0] == name] for name in ("statusline", "hook", "refresh", "version")}
    assert len(by["statusline"]) >= 20 and len(by["hook"]) >= 20 and len(by["refresh"]) >= 3, {
        k: len(v) for k, v in by.items()
    }
    assert all(r[2].startswith(("5h ", "7d ")) for r in by["statusline"])
    assert all("systemMessage" in json.loads(r[2]) for r in by["hook"])
    assert all(r[2].startswith("quotaline: refreshed") for r in by["refresh"])
    seen = [r[2].strip() for r in by["version"]]
    assert seen[0] == "quotaline 0.1.0+old" and seen[-1] == "quotaline 0.1.0+new"  # the loops spanned the switch
    assert seen == sorted(seen, key=lambda v: v.endswith("+new"))  # one switch, never back
    print(f"\nupgrade: first install {first_s:.1f} s, upgrade under load {second_s:.1f} s, runs {len(results)}")

    # The previous version stays whole for the processes started from it (a refresher from spawn).
    assert envs(home) == ["1", "2"]
    old_refresher = subprocess.run(
        [str(data_dir(home) / "envs" / "1" / "bin" / "python"), "-m", "statusline", "refresh", "--force"],
        capture_output=True,
        text=True,
        env=refresh_env,
        timeout=60,
        cwd=home,
    )
    assert old_refresher.returncode == 0, old_refresher.stderr

    gone = install(home, new, "--uninstall")
    assert gone.returncode == 0, gone.stderr
    assert not launcher(home).exists() and not data_dir(home).exists()  # every environment, the lock, the state
    assert not (home / ".claude").exists()  # the settings.json it created, and the directory


@pytest.mark.slow
def test_an_install_killed_at_any_moment_leaves_the_old_version_working_and_the_next_install_succeeds(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    old, new = tree(tmp_path, "0.1.0+old"), tree(tmp_path, "0.1.0+new")
    assert install(home, old).returncode == 0
    settings = (home / ".claude" / "settings.json").read_bytes()
    finished = 0  # installs that ended before their kill
    # The whole process group (like a closed terminal), then the script alone (its pip lives on).
    for delay, group in ((0.5, True), (2.0, True), (5.0, True), (10.0, True), (3.0, False)):
        proc = subprocess.Popen(
            [str(new / "install.sh")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=install_env(home),
            start_new_session=True,
            cwd=home,
        )
        time.sleep(delay)
        if proc.poll() is not None:  # a warm pip cache: the install ended before the kill
            assert proc.returncode == 0 and version(home) == "quotaline 0.1.0+new", delay
            assert install(home, old).returncode == 0  # back to the old one, for the next kill
            finished += 1
            settings = (home / ".claude" / "settings.json").read_bytes()
            continue
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert version(home) == "quotaline 0.1.0+old", delay
        out = statusline(home)
        assert out.returncode == 0 and out.stdout.startswith("5h 42% "), (delay, out.stderr)
        assert (home / ".claude" / "settings.json").read_bytes() == settings
    t0 = time.monotonic()
    last = install(home, new)  # waits for the orphaned pip of the last kill, then installs
    assert last.returncode == 0, last.stdout + last.stderr
    assert version(home) == "quotaline 0.1.0+new" and statusline(home).stdout.startswith("5h 42% ")
    assert len(envs(home)) == 2 and (finished or envs(home)[0] == "1")  # the half-made ones are gone, the old kept
    print(f"\nkilled installs: the next install took {time.monotonic() - t0:.1f} s")


@pytest.mark.parametrize("content", ["{not json", '{"statusLine": 1, "statusLine": 2}'])
def test_install_sh_refuses_an_invalid_settings_file_before_building_an_environment(
    tmp_path: Path, content: str
) -> None:
    home = tmp_path / "h"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text(content)
    started = time.monotonic()
    done = subprocess.run(
        [str(REPO / "install.sh")], capture_output=True, text=True, env=install_env(home), timeout=600, cwd=home,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 1 and "settings.json" in done.stderr, done
    assert "nothing was changed" in done.stderr.lower()
    assert "virtualenv" not in done.stdout and not data_dir(home).exists()  # no pip work, nothing made
    assert seconds < 10, seconds
    assert (home / ".claude" / "settings.json").read_text() == content
