"""A writer killed at any moment (kill -9) leaves files the next reader reads and the next good
reading repairs: the snapshot whole, the history's lines (at worst a torn last one, skipped), and no
temp file for ever (``paths.sweep_leftovers``)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.cli import REPO, Home, run_in_tree, statusline_stdin
from hypothesis import given, settings
from hypothesis import strategies as st

from statusline.core.store import paths, snapshot

# Appends to the history as fast as it can: a reading a little higher each time, every write a
# snapshot replace (temp file + rename) and a history append.
WRITER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from statusline.core.window import merge
from statusline.core.store import snapshot
path, reset = sys.argv[2], float(sys.argv[3])
sys.stdout.write("ready\\n"); sys.stdout.flush()
i = 0
while True:
    i += 1
    now = time.time()
    reading = {"id": "five_hour", "used_pct": 10 + i / 1000, "resets_at": reset, "observed_at": now,
               "source": "statusline"}
    snapshot.update(path, lambda s: merge.apply_windows(s, [reading], now=now))
"""


def history_lines(home: Home) -> list[bytes]:
    return home.history_file().read_bytes().split(b"\n")


def assert_readable(home: Home) -> None:
    path = str(home.snapshot_file())
    snap = snapshot.read(path)
    assert "five_hour" in snap["windows"], "the snapshot is never torn: a reader sees the old or the new one"
    *whole, _torn = history_lines(home)
    for line in whole:  # every ended line is a point; only the last may be cut short
        wid, t, pct, reset = json.loads(line)
        assert wid in ("five_hour", "seven_day") and t > 0 and 9 <= pct < 100 and reset > t
    assert all(type(p) is list and len(p) == 3 for p in snapshot.points(snap, "five_hour"))
    assert len(snapshot.points(snap, "five_hour", since=time.time() - 3600)) >= 1


def leftovers(home: Home) -> list[str]:
    return [p.name for p in home.state.iterdir() if p.name.endswith((".tmp", ".done"))]


@pytest.mark.slow
def test_a_writer_killed_mid_append_never_leaves_a_history_the_next_reader_chokes_on(home: Home) -> None:
    reset = time.time() + 7000
    assert home.run("statusline", stdin=json.dumps(statusline_stdin(9, 17, five_reset=reset))).code == 0
    path = str(home.snapshot_file())
    rng = random.Random(11)
    for _ in range(25):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(REPO), path, str(reset)], stdout=subprocess.PIPE, env=home.env
        )
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.002, 0.05))  # somewhere in a write: its temp file, the append, the rename
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert_readable(home)
    # A crash at the disk's level cuts the last line anywhere: the reader skips it, the next append
    # starts on a line of its own.
    history = home.history_file()
    data = history.read_bytes()
    history.write_bytes(data[: len(data) - 7])
    assert_readable(home)
    # Two temp files of a writer long gone, and one of a process still running (this one).
    dead = _dead_pid()
    (home.state / f"snapshot-default.json.quotaline-{dead}.tmp").write_bytes(b'{"schema": 1, "wind')
    (home.state / f"config-cache.json.quotaline-{dead}.tmp").write_bytes(b"{")
    (home.state / f"snapshot-default.json.quotaline-{os.getpid()}.tmp").write_bytes(b"")

    # The next good reading repairs everything.
    done = home.run("statusline", stdin=json.dumps(statusline_stdin(99, 17, five_reset=reset)))
    assert done.code == 0 and "5h 99%" in done.out, done.err
    last = json.loads(history_lines(home)[-2])
    assert last[0] == "five_hour" and last[2] == 99.0 and history_lines(home)[-1] == b""
    snap = snapshot.read(path)
    assert snap["windows"]["five_hour"]["used_pct"] == 99.0
    assert snapshot.points(snap, "five_hour")[-1][1] == 99.0
    assert leftovers(home) == [f"snapshot-default.json.quotaline-{os.getpid()}.tmp"]  # only the live writer's


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_leftovers_of_dead_pids_go_at_once_others_only_once_old(tmp_path: Path) -> None:
    now = time.time()
    dead, alive = _dead_pid(), os.getpid()
    names = {
        f"snapshot-default.json.quotaline-{dead}.tmp": False,
        f"sess.json.quotaline-{dead}.done": False,  # the hook's claim on a parked entry
        f"snapshot-default.json.quotaline-{alive}.tmp": True,  # a writer at work
        "snapshot-default.json": True,
        "snapshot-default.json.history": True,
        f"snapshot-default.json.quotaline-{dead}": True,  # not a temp file's name
    }
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / f"dir.quotaline-{dead}.tmp").mkdir()  # not a file: left alone, and no error
    paths.sweep_leftovers(str(tmp_path), now)
    assert {p.name for p in tmp_path.iterdir()} == {n for n, kept in names.items() if kept} | {
        f"dir.quotaline-{dead}.tmp"
    }
    old = now - paths.LEFTOVER_MAX_AGE_S - 1
    os.utime(tmp_path / f"snapshot-default.json.quotaline-{alive}.tmp", (old, old))  # that old: another process now
    paths.sweep_leftovers(str(tmp_path), now)
    assert not [p for p in tmp_path.iterdir() if p.is_file() and p.name.endswith(".tmp")]
    paths.sweep_leftovers(str(tmp_path / "missing"), now)  # never raises


def test_a_shared_state_dir_keeps_every_file_quotaline_did_not_name(home: Home) -> None:
    """``QUOTALINE_STATE_DIR`` may be a directory other programs write in too: their temp files,
    with a dead pid in the name or old, are theirs; quotaline sweeps only its own pattern."""
    home.state.mkdir(parents=True, mode=0o700)
    dead = _dead_pid()
    old = time.time() - 30 * 86400
    theirs = [
        f"backup.json.{dead}.tmp", f"sess.json.{dead}.done", "odd.tmp", "job.done", f"x.{dead}.tmp",
        f"snapshot-default.json.{dead}.tmp", f"a.quotaline-{dead}x.tmp", f"a.quotaline{dead}.tmp",
    ]
    for name in theirs:
        (home.state / name).write_bytes(b"theirs")
        os.utime(home.state / name, (old, old))
    mine = home.state / f"snapshot-default.json.quotaline-{dead}.tmp"
    mine.write_bytes(b"{")
    done = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17, five_reset=time.time() + 7000)))
    assert done.code == 0 and "5h 42%" in done.out, done.err
    assert home.snapshot()["windows"]["five_hour"]["used_pct"] == 42  # a write happened: the dir was swept
    assert not mine.exists()
    assert sorted(leftovers(home)) == sorted(theirs)
    assert all((home.state / name).read_bytes() == b"theirs" for name in theirs)


def test_a_bundle_left_half_written_is_swept_when_the_bundle_is_next_written(home: Home, tmp_path: Path) -> None:
    import shutil

    tree = tmp_path / "tree"
    shutil.copytree(REPO / "statusline", tree / "statusline", ignore=shutil.ignore_patterns("__pycache__"))
    probe = "import sys; sys.path[:0] = [sys.argv.pop(1)]; from statusline.cli import main; "
    probe += "sys.exit(main(sys.argv[1:]))"

    def run() -> None:
        proc = run_in_tree(home, tree, probe, "-I", "-S")
        assert proc.returncode == 0 and "5h 42%" in proc.stdout.decode(), proc.stderr.decode()

    run()
    cache = tree / "statusline" / "__pycache__"
    [bundle] = cache.glob("hot.*.bundle")
    torn = cache / f"{bundle.name}.quotaline-{_dead_pid()}.tmp"
    torn.write_bytes(bundle.read_bytes()[:100])
    run()
    assert torn.exists()  # a run that writes no bundle lists no directory
    source = tree / "statusline" / "core" / "window" / "levels.py"
    source.write_text(source.read_text() + "\n")
    run()  # the bundle written again: the dir swept
    assert not torn.exists() and bundle.exists()


@settings(max_examples=60)
@given(
    names=st.lists(
        st.text(st.sampled_from("abc.-_0123456789quotalinetmpdone"), min_size=1, max_size=40).filter(
            lambda n: n not in (".", "..")
        ),
        max_size=8,
        unique=True,
    )
)
def test_the_sweep_removes_no_name_but_quotalines_own_temp_names(names: list[str]) -> None:
    """Whatever other programs name their files in a shared state dir, old or with a dead pid in
    them, the sweep takes only ``paths.temp_name``'s pattern."""
    import re
    import tempfile

    ours = re.compile(r".+\.quotaline-([0-9]+)\.(tmp|done)")
    with tempfile.TemporaryDirectory() as tmp:
        old = time.time() - 30 * 86400
        for name in names:
            (Path(tmp) / name).write_bytes(b"x")
            os.utime(Path(tmp) / name, (old, old))
        paths.sweep_leftovers(tmp, time.time())
        left = set(os.listdir(tmp))
    for name in names:
        match = ours.fullmatch(name)
        swept = match is not None and 0 < int(match.group(1)) < 1 << 22
        assert (name not in left) == swept, name

