"""Files and directories: no writer follows a symlink, and an unsafe or missing dir is refused.

Process tests: the real CLI runs in a child process. The tests run as root (here and in CI), so
"another user" is uid 65534 (nobody) and "a uid without a passwd entry" is 54321; files are planted
by a process running as that uid, the way an attacker would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.cli import REPO, Home, Result, snapshot_with, statusline_stdin, window
from hypothesis import given, settings
from hypothesis import strategies as st

NOBODY = 65534
NO_PASSWD_UID = 54321
ANSI = re.compile(r"\x1b\[[0-9;]*m")

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root for a second uid")


def plain(text: str) -> str:
    return ANSI.sub("", text).strip()


def run_with(
    home: Home,
    *args: str,
    stdin: bytes = b"",
    env: dict[str, str] | None = None,
    before: Callable[[], None] | None = None,
) -> Result:
    """``Home.run`` with a hook that runs in the child just before exec (it knows the child's pid)."""
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "statusline", *args],
        input=stdin,
        capture_output=True,
        env={**home.env, **(env or {})},
        timeout=30,
        cwd=home.root,
        preexec_fn=before,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode(), time.monotonic() - t0)


def tree(directory: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry under ``directory`` (not following links): mode, size and content or link target."""
    out: dict[str, tuple[int, int, str]] = {}
    for path in sorted(directory.rglob("*")):
        st = path.lstat()
        if path.is_symlink():
            body = "-> " + os.readlink(path)
        elif path.is_file():
            body = path.read_bytes().decode("utf-8", "replace")
        else:
            body = "dir"
        out[str(path.relative_to(directory))] = (st.st_mode, st.st_mtime_ns, body)
    return out


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file of the user's that a planted symlink points at; nothing may write it."""
    path = tmp_path / "victim" / "bashrc"
    path.parent.mkdir()
    path.write_text("# the user's own file\n")
    old = time.time() - 3600
    os.utime(path, (old, old))
    return path


def untouched(path: Path) -> bool:
    return path.read_text() == "# the user's own file\n" and time.time() - path.stat().st_mtime > 3000


def stdin_42() -> bytes:
    return json.dumps(statusline_stdin(42, 17)).encode()


# -- no writer follows a symlink --------------------------------------------------------------------


def test_a_symlinked_error_log_is_replaced_and_its_target_never_written(home: Home, victim: Path) -> None:
    home.state.mkdir(parents=True, mode=0o700)
    (home.state / "error.log").symlink_to(victim)
    code = (
        "from statusline.core.run import guard\ntry:\n    raise ValueError('boom')\nexcept ValueError as e:\n"
        "    guard.log_exception(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=home.env, cwd=home.root, capture_output=True, timeout=30)
    assert proc.returncode == 0
    assert untouched(victim)
    log = home.state / "error.log"
    assert not log.is_symlink() and "ValueError: boom" in log.read_text()
    assert log.stat().st_mode & 0o777 == 0o600


def test_a_hard_linked_error_log_is_replaced_and_the_other_name_never_written(home: Home, victim: Path) -> None:
    home.state.mkdir(parents=True, mode=0o700)
    os.link(victim, home.state / "error.log")
    code = "from statusline.core.run import guard\nguard.log_exception(ValueError('boom'))\n"
    subprocess.run([sys.executable, "-c", code], env=home.env, cwd=home.root, timeout=30, check=True)
    assert victim.read_text() == "# the user's own file\n"
    assert "ValueError: boom" in (home.state / "error.log").read_text() and victim.stat().st_nlink == 1


def test_a_dangling_error_log_symlink_never_creates_its_target(home: Home, tmp_path: Path) -> None:
    """An internal error is logged (a directory where the snapshot goes no longer makes one: it is
    moved aside), so the log is written the way every hot command writes it."""
    target = tmp_path / "created-by-quotaline"
    home.state.mkdir(parents=True, mode=0o700)
    (home.state / "error.log").symlink_to(target)
    code = "from statusline.core.run import guard\nguard.log_exception(RuntimeError('logged'))\n"
    subprocess.run([sys.executable, "-c", code], env=home.env, cwd=home.root, timeout=30, check=True)
    assert not target.exists()
    assert "RuntimeError: logged" in (home.state / "error.log").read_text()
    assert not (home.state / "error.log").is_symlink()


def test_a_full_error_log_is_rotated_by_renaming_the_entry_not_its_target(home: Home, victim: Path) -> None:
    home.state.mkdir(parents=True, mode=0o700)
    (home.state / "error.log").write_text("x" * (70 * 1024))
    (home.state / "error.log.1").symlink_to(victim)
    code = "from statusline.core.run import guard\nguard.log_exception(RuntimeError('again'))\n"
    subprocess.run([sys.executable, "-c", code], env=home.env, cwd=home.root, timeout=30, check=True)
    assert untouched(victim)
    assert (home.state / "error.log.1").read_text() == "x" * (70 * 1024)  # the link itself was replaced
    assert "RuntimeError: again" in (home.state / "error.log").read_text()


def test_a_symlinked_snapshot_is_replaced_and_its_target_never_written(home: Home, victim: Path) -> None:
    home.state.mkdir(parents=True, mode=0o700)
    home.snapshot_file().symlink_to(victim)
    result = home.run("statusline", stdin=stdin_42())
    assert result.code == 0 and plain(result.out).startswith("5h 42%")
    assert untouched(victim)
    assert not home.snapshot_file().is_symlink() and home.snapshot()["windows"]["five_hour"]["used_pct"] == 42


@pytest.mark.parametrize("suffix", [".lock", ".quotaline-{pid}.tmp"])
def test_a_symlinked_lock_or_temp_file_is_replaced_and_its_target_never_written(
    home: Home, victim: Path, tmp_path: Path, suffix: str
) -> None:
    home.state.mkdir(parents=True, mode=0o700)
    dangling = tmp_path / "dangling-target"
    snap = str(home.snapshot_file())

    def plant() -> None:  # in the child, before exec: its pid is the writer's pid
        name = snap + suffix.format(pid=os.getpid())
        os.symlink(victim, name)
        os.symlink(dangling, snap + ".lock" if suffix != ".lock" else snap + f".quotaline-{os.getpid()}.tmp")

    result = run_with(home, "statusline", stdin=stdin_42(), before=plant)
    assert result.code == 0 and plain(result.out).startswith("5h 42%")
    assert untouched(victim) and not dangling.exists()
    assert home.snapshot()["windows"]["five_hour"]["used_pct"] == 42  # written all the same
    assert not [p for p in home.state.iterdir() if p.is_symlink()]


def test_a_symlinked_spawn_marker_is_replaced_and_its_target_never_touched(home: Home, victim: Path) -> None:
    home.state.mkdir(parents=True, mode=0o700)
    marker = Path(str(home.snapshot_file()) + ".spawned")
    marker.symlink_to(victim)
    old = time.time() - 3600
    os.utime(marker, (old, old), follow_symlinks=False)  # an old marker: a refresher is due to start
    env = {"QUOTALINE_NO_SPAWN": "", "QUOTALINE_OAUTH": "0", "QUOTALINE_CLAUDE_AI": "0"}  # local source only
    result = home.run("statusline", stdin=stdin_42(), env=env)
    assert result.code == 0 and plain(result.out).startswith("5h 42%")
    assert untouched(victim)
    assert not marker.is_symlink() and time.time() - marker.stat().st_mtime < 60
    lock = Path(str(home.snapshot_file()) + ".refresh.lock")
    for _ in range(100):  # let the refresher it started finish before the tmp dir goes
        if "refresh" in home.snapshot() and home.snapshot()["refresh"].get("next_due"):
            break
        time.sleep(0.1)
    assert not lock.is_symlink()


def test_a_symlinked_config_cache_and_its_temp_file_are_replaced_never_written(
    home: Home, victim: Path, tmp_path: Path
) -> None:
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text("[levels]\nwarn = 50\n")
    home.state.mkdir(parents=True, mode=0o700)
    cache = home.state / "config-cache.json"
    cache.symlink_to(victim)
    dangling = tmp_path / "dangling-target"

    def plant() -> None:
        os.symlink(dangling, f"{cache}.quotaline-{os.getpid()}.tmp")

    result = run_with(home, "statusline", stdin=stdin_42(), before=plant)
    assert result.code == 0 and plain(result.out).startswith("5h 42%") and "!cfg" not in result.out
    assert untouched(victim) and not dangling.exists()
    assert not cache.is_symlink() and json.loads(cache.read_text())["config"]["levels"]["warn"] == 50


def test_a_fifo_in_place_of_the_lock_never_hangs_the_status_line(home: Home) -> None:
    home.state.mkdir(parents=True, mode=0o700)
    os.mkfifo(str(home.snapshot_file()) + ".lock")
    result = home.run("statusline", stdin=stdin_42(), timeout=10)
    assert result.code == 0 and plain(result.out).startswith("5h 42%") and result.seconds < 5
    assert home.snapshot()["windows"]["five_hour"]["used_pct"] == 42


@needs_root
def test_files_left_by_another_uid_in_our_dir_are_replaced_not_used(home: Home, victim: Path) -> None:
    """Debris of a dir that was once open (then chmod 700 by the user): a lock a stranger holds for
    ever, an error.log they can read, must not keep quotaline from writing or leak into their file."""
    home.state.mkdir(parents=True, mode=0o700)
    lock = Path(str(home.snapshot_file()) + ".lock")
    log = home.state / "error.log"
    for path in (lock, log):
        path.write_text("theirs\n")
        path.chmod(0o666)
        os.chown(path, NOBODY, NOBODY)
    result = home.run("statusline", stdin=stdin_42())
    assert result.code == 0 and home.snapshot()["windows"]["five_hour"]["used_pct"] == 42
    assert lock.stat().st_uid == os.geteuid() and lock.stat().st_mode & 0o777 == 0o600
    code = "from statusline.core.run import guard\nguard.log_exception(RuntimeError('mine'))\n"
    subprocess.run([sys.executable, "-c", code], env=home.env, cwd=home.root, timeout=30, check=True)
    assert log.stat().st_uid == os.geteuid() and "theirs" not in log.read_text() and "mine" in log.read_text()


def test_config_init_never_writes_through_a_symlink(home: Home, tmp_path: Path) -> None:
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True, mode=0o700)
    target = tmp_path / "elsewhere.toml"
    (cfg / "config.toml").symlink_to(target)
    kept = home.run("config", "init")
    assert kept.code == 0 and "kept existing" in kept.out and not target.exists()
    forced = home.run("config", "init", "--force")
    assert forced.code == 0 and not target.exists()
    assert not (cfg / "config.toml").is_symlink() and "[levels]" in (cfg / "config.toml").read_text()


# -- a directory that is not ours, or is open to others, is refused --------------------------------


def foreign_python(uid: int) -> str:
    """An interpreter that ``uid`` may run (the venv's may live under root's 0700 home)."""
    for candidate in (sys.executable, "/usr/bin/python3", shutil.which("python3") or ""):
        if not candidate:
            continue
        try:
            ok = subprocess.run([candidate, "-c", "pass"], user=uid, env={}, capture_output=True, timeout=30)
        except OSError:
            continue
        if ok.returncode == 0:
            return candidate
    pytest.skip(f"no Python that uid {uid} may run")


@pytest.fixture
def world_code() -> Iterator[Path]:
    """A copy of the package that any uid may read, outside root's private temp dirs."""
    root = Path(tempfile.mkdtemp(prefix="quotaline-code-"))
    shutil.copytree(REPO / "statusline", root / "statusline", ignore=shutil.ignore_patterns("__pycache__"))
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def plant_as(uid: int, directory: Path, files: dict[str, str], links: dict[str, Path]) -> None:
    """What an attacker with write access to ``directory`` does, as that uid."""
    code = (
        "import json, os, sys\n"
        "d, files, links = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])\n"
        "for name, body in files.items():\n"
        "    open(os.path.join(d, name), 'w').write(body)\n"
        "for name, target in links.items():\n"
        "    os.symlink(target, os.path.join(d, name))\n"
    )
    argv = [
        foreign_python(uid),
        "-c",
        code,
        str(directory),
        json.dumps(files),
        json.dumps({k: str(v) for k, v in links.items()}),
    ]
    subprocess.run(argv, user=uid, env={}, check=True, timeout=30)


@pytest.fixture
def reachable_home(home: Home) -> Iterator[Home]:
    """``home`` moved where another uid can reach it (pytest's tmp dirs are root's, 0700)."""
    base = Path(tempfile.mkdtemp(prefix="quotaline-home-"))
    base.chmod(0o755)
    root = base / "home"
    root.mkdir(mode=0o755)
    env = {k: v.replace(str(home.root), str(root)) for k, v in home.env.items()}
    yield Home(root, env)
    shutil.rmtree(base, ignore_errors=True)


def hiding_snapshot() -> str:
    """A planted snapshot claiming 1% with a reset far ahead: it would hide 99% real use."""
    return json.dumps(snapshot_with(window("five_hour", 1, resets_in=17000), window("seven_day", 1)))


def unsafe_state(home: Home, how: str, victim: Path) -> Path:
    state = home.state
    state.mkdir(parents=True)
    state.parent.chmod(0o755)
    if how == "foreign":
        os.chown(state, NOBODY, NOBODY)
        state.chmod(0o755)
    else:
        state.chmod(0o777)
    plant_as(
        NOBODY,
        state,
        {"snapshot-default.json": hiding_snapshot()},
        {"error.log": victim, "snapshot-default.json.lock": victim},
    )
    return state


@needs_root
@pytest.mark.parametrize("how", ["foreign", "world_writable"])
def test_an_unsafe_state_dir_is_refused_and_the_status_line_shows_stdin_alone(
    reachable_home: Home, victim: Path, how: str
) -> None:
    home = reachable_home
    state = unsafe_state(home, how, victim)
    before = tree(state)
    result = home.run("statusline", stdin=json.dumps(statusline_stdin(99, 17)), env={"QUOTALINE_NO_SPAWN": ""})
    assert result.code == 0
    line = plain(result.out)
    assert line.startswith("5h 99%") and line.endswith("!dir")
    assert str(state) in result.err and ("uid 65534" in result.err or "writable by others" in result.err)
    assert tree(state) == before  # nothing read into the line, nothing written, mode left as it was
    assert untouched(victim)


@needs_root
@pytest.mark.parametrize("how", ["foreign", "world_writable"])
def test_an_unsafe_state_dir_keeps_the_hook_silent_and_the_refresher_out(
    reachable_home: Home, victim: Path, how: str
) -> None:
    home = reachable_home
    state = unsafe_state(home, how, victim)
    before = tree(state)
    hook = home.run("hook", "user-prompt-submit", stdin=b'{"session_id": "s1", "prompt": "hi"}')
    assert hook.code == 0 and hook.out == ""
    background = home.run("refresh", "--background")
    assert background.code == 0 and background.out == ""
    foreground = home.run("refresh", env={"QUOTALINE_OAUTH": "0", "QUOTALINE_CLAUDE_AI": "0"})
    assert foreground.code == 1 and str(state) in foreground.err and "Traceback" not in foreground.err
    segment = home.run("segment", "--format", "plain")
    assert segment.code == 0 and segment.out.strip().endswith("!dir")
    as_json = home.run("segment", "--format", "json")
    assert as_json.code == 0 and isinstance(json.loads(as_json.out), dict) and str(state) in as_json.err
    status = home.run("status")
    assert status.code == 1 and str(state) in status.err and "Traceback" not in status.err
    assert tree(state) == before and untouched(victim)


@needs_root
@pytest.mark.parametrize("how", ["foreign", "world_writable"])
def test_doctor_names_an_unsafe_state_dir_and_the_fix(reachable_home: Home, victim: Path, how: str) -> None:
    home = reachable_home
    state = unsafe_state(home, how, victim)
    before = tree(state)
    result = home.run("doctor", "--no-timing")
    lines = [line for line in result.out.splitlines() if "state dir" in line]
    assert result.code == 1 and lines and lines[0].startswith("[FAIL]") and str(state) in lines[0]
    if how == "foreign":
        assert "uid 65534" in lines[0] and "QUOTALINE_STATE_DIR" in lines[0]
    else:
        assert "writable by others (mode 777)" in lines[0] and f"chmod 700 {state}" in lines[0]
    assert "Traceback" not in result.out + result.err
    assert tree(state) == before


@needs_root
def test_a_config_dir_others_can_write_is_ignored_with_a_mark(reachable_home: Home) -> None:
    home = reachable_home
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    cfg.chmod(0o777)
    plant_as(NOBODY, cfg, {"config.toml": "[levels]\nwarn = 99\ncritical = 100\n[hook]\nenabled = false\n"}, {})
    result = home.run("statusline", stdin=json.dumps(statusline_stdin(90, 17)))
    assert result.code == 0 and plain(result.out).startswith("5h 90%") and plain(result.out).endswith("!cfg")
    hook = home.run("hook", "user-prompt-submit", stdin=b'{"session_id": "s1", "prompt": "hi"}')
    assert "90%" in hook.out  # the planted `enabled = false` did not silence the warning
    doctor = home.run("doctor", "--no-timing").out
    assert any(line.startswith("[FAIL]") and "config dir" in line and str(cfg) in line for line in doctor.splitlines())


def test_a_state_dir_of_ours_that_is_private_is_used_and_stays_private(home: Home) -> None:
    result = home.run("statusline", stdin=stdin_42())
    assert result.code == 0 and "!dir" not in result.out and result.err == ""
    assert home.state.stat().st_mode & 0o777 == 0o700
    doctor = home.run("doctor", "--no-timing").out
    assert f"[  ok] dirs        state dir {home.state}: yours, closed to others" in doctor


# -- no home: a clear message, never a relative path --------------------------------------------------


@pytest.fixture
def homeless_cwd() -> Iterator[Path]:
    cwd = Path(tempfile.mkdtemp(prefix="quotaline-cwd-"))
    os.chown(cwd, NO_PASSWD_UID, NO_PASSWD_UID)
    yield cwd
    shutil.rmtree(cwd, ignore_errors=True)


def run_homeless(code_dir: Path, cwd: Path, *args: str, stdin: bytes, env: dict[str, str] | None = None) -> Result:
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            foreign_python(NO_PASSWD_UID),
            "-I",
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from statusline.cli import main; raise SystemExit(main(sys.argv[2:]))",
            str(code_dir),
            *args,
        ],
        input=stdin,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "QUOTALINE_NO_SPAWN": "1", "LANG": "C.UTF-8", **(env or {})},
        cwd=cwd,
        user=NO_PASSWD_UID,
        timeout=30,
    )
    return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode(), time.monotonic() - t0)


@needs_root
def test_no_home_and_no_passwd_entry_creates_nothing_relative_and_still_prints_a_line(
    world_code: Path, homeless_cwd: Path
) -> None:
    import pwd

    with pytest.raises(KeyError):
        pwd.getpwuid(NO_PASSWD_UID)
    result = run_homeless(world_code, homeless_cwd, "statusline", stdin=stdin_42())
    assert result.code == 0
    assert plain(result.out).startswith("5h 42%") and plain(result.out).endswith("!dir")
    assert "no home directory" in result.err and "QUOTALINE_STATE_DIR" in result.err
    assert list(homeless_cwd.iterdir()) == []  # no ./~/.local/state
    hook = run_homeless(world_code, homeless_cwd, "hook", "user-prompt-submit", stdin=b'{"session_id": "s"}')
    assert hook.code == 0 and hook.out == ""
    doctor = run_homeless(world_code, homeless_cwd, "doctor", "--no-timing", stdin=b"")
    assert "no home directory" in doctor.out and "Traceback" not in doctor.out + doctor.err
    assert list(homeless_cwd.iterdir()) == []


@needs_root
@pytest.mark.parametrize("home_value", [None, "", "rel/home", "~"])
def test_no_home_with_relative_xdg_dirs_ignores_them(
    world_code: Path, homeless_cwd: Path, home_value: str | None
) -> None:
    env = {"XDG_STATE_HOME": "state", "XDG_CONFIG_HOME": ".", "QUOTALINE_STATE_DIR": "rel"}
    if home_value is not None:
        env["HOME"] = home_value
    result = run_homeless(world_code, homeless_cwd, "statusline", stdin=stdin_42(), env=env)
    assert result.code == 0 and plain(result.out).startswith("5h 42%") and plain(result.out).endswith("!dir")
    assert list(homeless_cwd.iterdir()) == []


@needs_root
def test_no_home_with_an_absolute_state_override_works_as_usual(world_code: Path, homeless_cwd: Path) -> None:
    state = homeless_cwd / "elsewhere"
    result = run_homeless(world_code, homeless_cwd, "statusline", stdin=stdin_42(), env={"XDG_STATE_HOME": str(state)})
    assert result.code == 0 and plain(result.out).startswith("5h 42%") and "!dir" not in result.out
    snap = json.loads((state / "quotaline" / "snapshot-default.json").read_text())
    assert snap["windows"]["five_hour"]["used_pct"] == 42
    assert sorted(p.name for p in homeless_cwd.iterdir()) == ["elsewhere"]


env_text = st.one_of(st.none(), st.sampled_from(["", "~", ".", "rel", "/abs", "~/x", " /sp "]), st.text(max_size=12))


@settings(max_examples=150, deadline=None)
@given(home=env_text, xdg=env_text, override=env_text, claude=env_text)
def test_every_dir_is_absolute_or_refused_whatever_the_environment(
    home: str | None, xdg: str | None, override: str | None, claude: str | None
) -> None:
    from statusline.core.store import paths

    names = {
        "HOME": home,
        "XDG_STATE_HOME": xdg,
        "QUOTALINE_STATE_DIR": override,
        "XDG_CONFIG_HOME": xdg,
        "QUOTALINE_CONFIG_DIR": override,
        "CLAUDE_CONFIG_DIR": claude,
    }
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name, value in names.items():
            if value is None or "\0" in value:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for where in (paths.user_state_dir, paths.user_config_dir, paths.user_data_dir, paths.claude_config_dir):
            try:
                found = where()
            except paths.DirError as exc:
                assert "HOME" in str(exc)
                continue
            assert os.path.isabs(found), (where.__name__, found)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@needs_root
def test_a_ledger_dir_of_another_uid_is_named_by_doctor_and_never_written(home: Home) -> None:
    ledger = home.state / "ledger"
    ledger.mkdir(parents=True)
    home.state.chmod(0o700)
    os.chown(ledger, NOBODY, NOBODY)
    before = tree(ledger)
    code = "from statusline.ledger import update_ledger\nupdate_ledger(lock_timeout=0)\n"
    proc = subprocess.run([sys.executable, "-c", code], env=home.env, cwd=home.root, capture_output=True, timeout=60)
    assert proc.returncode != 0 and "DirError" in proc.stderr.decode() and "uid 65534" in proc.stderr.decode()
    assert tree(ledger) == before
    out = home.run("doctor", "--no-timing").out
    assert any(line.startswith("[FAIL]") and "ledger dir" in line and str(ledger) in line for line in out.splitlines())


def test_a_state_dir_of_ours_others_may_only_read_is_tightened_and_used(home: Home) -> None:
    home.state.mkdir(parents=True)
    home.state.chmod(0o755)
    result = home.run("statusline", stdin=stdin_42())
    assert result.code == 0 and "!dir" not in result.out and home.snapshot()["windows"]["five_hour"]["used_pct"] == 42
    assert home.state.stat().st_mode & 0o777 == 0o700


def _hook_that_warns(home: Home) -> Result:
    home.write_snapshot(snapshot_with(window("five_hour", 93)))
    return home.run("hook", "user-prompt-submit", stdin=json.dumps({"session_id": "s-warn"}), timeout=20)


def test_a_symlinked_parked_dir_is_never_read_or_emptied(home: Home, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "mine"}')
    (project / "tsconfig.json").write_text("{}")
    home.state.mkdir(parents=True, mode=0o700)
    Path(str(home.snapshot_file()) + ".warned.d").symlink_to(project)
    result = _hook_that_warns(home)
    assert result.code == 0 and "5-hour window at 93%" in result.out
    assert sorted(p.name for p in project.iterdir()) == ["package.json", "tsconfig.json"]
    assert (project / "package.json").read_text() == '{"name": "mine"}'


def test_a_fifo_among_the_parked_files_does_not_hang_the_hook(home: Home) -> None:
    parked = Path(str(home.snapshot_file()) + ".warned.d")
    parked.mkdir(parents=True, mode=0o700)
    os.mkfifo(parked / "s-warn.json")
    os.mkfifo(parked / "other.json")
    result = _hook_that_warns(home)
    assert result.code == 0 and "5-hour window at 93%" in result.out and result.seconds < 5


def test_a_fifo_as_config_file_does_not_hang_the_status_line_or_the_hook(home: Home) -> None:
    config = home.root / "config" / "quotaline"
    config.mkdir(parents=True, mode=0o700)
    os.mkfifo(config / "config.toml", 0o600)
    line = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)), timeout=20)
    assert line.code == 0 and plain(line.out).startswith("5h 42%") and line.out.rstrip().endswith("!cfg")
    assert line.seconds < 5
    assert _hook_that_warns(home).seconds < 5


def test_the_parked_dir_is_made_by_many_hooks_at_once_and_a_file_there_is_replaced(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from statusline.core.store import paths

    target = tmp_path / "parked"
    with ThreadPoolExecutor(16) as pool:
        assert all(pool.map(lambda _: paths.own_subdir(str(target), create=True), range(64)))
    other = tmp_path / "other"
    other.write_text("debris")
    assert paths.own_subdir(str(other), create=True) and other.is_dir()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "parked")
    assert not paths.own_subdir(str(link), create=False)
    assert paths.own_subdir(str(link), create=True) and not link.is_symlink() and (tmp_path / "parked").is_dir()
