"""The snapshot store: merge rule, lock interplay with filelock, concurrency, bounded size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import filelock
import platformdirs
import pytest
from helpers.cli import REPO, Home, statusline_stdin

from statusline.core.store import paths, snapshot
from statusline.core.window import history_rules, merge
from statusline.core.window.rules import merge_window


def w(pct: float, reset: float | None, observed: float = 1000.0) -> dict:
    return {"id": "five_hour", "used_pct": pct, "resets_at": reset, "observed_at": observed, "source": "statusline"}


class TestMergeRule:
    def test_first_reading_is_kept(self) -> None:
        assert merge_window(None, w(10, 5000)) == w(10, 5000)

    def test_same_period_keeps_the_higher_percent(self) -> None:
        assert merge_window(w(40, 5000), w(42, 5010)) == w(42, 5010)
        assert merge_window(w(42, 5000), w(40, 5100)) is None  # an idle session's older value
        assert merge_window(w(42, 5000), w(40, 5000 + 299)) is None

    def test_equal_percent_refreshes_the_observation_time(self) -> None:
        assert merge_window(w(42, 5000, 1000), w(42, 5000, 2000)) == w(42, 5000, 2000)
        assert merge_window(w(42, 5000, 2000), w(42, 5000, 1000)) is None

    def test_equal_percent_within_a_minute_is_no_change(self) -> None:
        assert merge_window(w(42, 5000, 1000), w(42, 5000, 1059)) is None
        assert merge_window(w(42, 5000, 1000), w(42, 5000, 1060)) == w(42, 5000, 1060)

    def test_later_period_replaces_even_when_lower(self) -> None:
        assert merge_window(w(97, 5000), w(3, 5000 + 5 * 3600)) == w(3, 5000 + 5 * 3600)

    def test_earlier_period_is_ignored(self) -> None:
        assert merge_window(w(3, 5000 + 5 * 3600), w(97, 5000)) is None

    def test_missing_reset_times(self) -> None:
        assert merge_window(w(5, None), w(3, 5000)) == w(3, 5000)
        assert merge_window(w(5, 5000), w(50, None)) is None
        assert merge_window(w(5, None), w(7, None)) == w(7, None)


def test_paths_follow_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "QUOTALINE_STATE_DIR", "QUOTALINE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.user_state_dir() == platformdirs.user_state_dir("quotaline")
    assert paths.user_config_dir() == platformdirs.user_config_dir("quotaline")
    assert paths.user_data_dir() == platformdirs.user_data_dir("quotaline")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xs"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xc"))
    assert paths.user_state_dir() == platformdirs.user_state_dir("quotaline")
    assert paths.user_config_dir() == platformdirs.user_config_dir("quotaline")


def test_snapshot_per_claude_config_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    default = paths.snapshot_path()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "work-account"))
    work = paths.snapshot_path()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "play-account"))
    assert len({default, work, paths.snapshot_path()}) == 3


def test_hot_path_lock_and_filelock_exclude_each_other(tmp_path: Path) -> None:
    lock_file = str(tmp_path / "snap.json.lock")
    with filelock.FileLock(lock_file, timeout=0):
        assert snapshot.try_lock(lock_file) is None  # the status line sees the refresher's lock
    fd = snapshot.try_lock(lock_file)
    assert fd is not None
    try:
        with pytest.raises(filelock.Timeout), filelock.FileLock(lock_file, timeout=0):
            pass  # the refresher sees the status line's lock
    finally:
        snapshot.unlock(fd)
    with filelock.FileLock(lock_file, timeout=0):
        pass


def test_busy_lock_skips_the_write_without_waiting(home: Home) -> None:
    home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)))
    lock = str(home.snapshot_file()) + ".lock"
    with filelock.FileLock(lock, timeout=0):
        result = home.run("statusline", stdin=json.dumps(statusline_stdin(60, 17)))
        assert result.code == 0 and "5h 60%" in result.out  # shows stdin's number anyway
        assert result.seconds < 2
        assert home.snapshot()["windows"]["five_hour"]["used_pct"] == 42  # write skipped
    home.run("statusline", stdin=json.dumps(statusline_stdin(60, 17)))
    assert home.snapshot()["windows"]["five_hour"]["used_pct"] == 60  # a later run records it


def test_concurrent_status_lines_never_corrupt_or_lose_windows(home: Home) -> None:
    procs = []
    for i in range(24):
        data = json.dumps(statusline_stdin(30 + i, 17, session=f"s{i}")).encode()
        proc = subprocess.Popen(
            [sys.executable, "-m", "statusline", "statusline"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=home.env,
            cwd=home.root,
        )
        procs.append((proc, data))
    for proc, data in procs:
        out, _ = proc.communicate(data, timeout=60)
        assert proc.returncode == 0 and out.strip()
    snap = home.snapshot()  # parses: never torn
    assert {"five_hour", "seven_day"} <= set(snap["windows"])
    assert 30 <= snap["windows"]["five_hour"]["used_pct"] <= 53
    assert not [p for p in home.state.iterdir() if p.name.endswith(".tmp")]
    home.run("statusline", stdin=json.dumps(statusline_stdin(53, 17)))
    assert home.snapshot()["windows"]["five_hour"]["used_pct"] == 53


def test_old_sessions_are_forgotten() -> None:
    snap = snapshot.empty()
    now = time.time()
    merge.touch_session(snap, "old", {"model_id": "claude-opus-5"}, now=now - 4 * 86400)
    snap["warned"]["old"] = {"at": now, "windows": {"five_hour": {"level": 1, "period": 1}}}
    merge.touch_session(snap, "new", {"model_id": "claude-sonnet-5"}, now=now)
    assert set(snap["sessions"]) == {"new"}
    assert "old" not in snap["warned"]


def test_warnings_of_hook_only_sessions_are_forgotten() -> None:
    snap = snapshot.empty()
    now = time.time()
    snap["warned"]["ancient"] = {"at": now - 4 * 86400, "windows": {}}
    snap["warned"]["recent"] = {"at": now - 3600, "windows": {}}
    snap["warned"]["garbage"] = "x"
    merge.forget_old_warnings(snap, now=now)
    assert set(snap["warned"]) == {"recent"}


def test_session_touch_is_rate_limited() -> None:
    snap = snapshot.empty()
    info = {"model_id": "claude-opus-5", "version": "2.1.330"}
    assert merge.touch_session(snap, "s", info, now=1000.0)
    assert not merge.touch_session(snap, "s", info, now=1010.0)  # nothing new: no write
    assert merge.touch_session(snap, "s", info | {"version": "2.1.331"}, now=1011.0)
    assert merge.touch_session(snap, "s", info | {"version": "2.1.331"}, now=1100.0)


def test_write_is_atomic_and_private(tmp_path: Path) -> None:
    target = str(tmp_path / "d" / "snap.json")
    snap = snapshot.empty()
    snap["windows"]["five_hour"] = w(42, time.time() + 3600, time.time())
    snapshot.write_atomic(target, snap)
    assert os.stat(target).st_mode & 0o777 == 0o600
    assert snapshot.read(target)["windows"]["five_hour"]["used_pct"] == 42
    assert os.listdir(tmp_path / "d") == ["snap.json"]


def test_fastjson_agrees_with_json() -> None:
    from statusline.core.system import fastjson

    for path in sorted((REPO.parent / "shared" / "fixtures").rglob("*.json")):
        text = path.read_text()
        assert fastjson.loads(text) == json.loads(text), path
        assert json.loads(fastjson.dumps(json.loads(text))) == json.loads(text), path
    assert fastjson.dumps({"a": [1, 2.5, None, True, 'é\n"', float("nan")]}) == (
        '{"a":[1,2.5,null,true,"\\u00e9\\n\\"",null]}'
    )
    for bad in ["", "{", "[1,]", "{} x", "nul", "\x00"]:
        with pytest.raises(ValueError):
            fastjson.loads(bad)


def test_history_lives_apart_and_an_older_snapshot_holding_it_is_migrated_on_first_read(home: Home) -> None:
    now = time.time()
    for encode in (lambda pts: pts, json.dumps):  # nested lists (oldest), then one JSON text per window
        old = snapshot.empty()
        for wid, pct in (("five_hour", 42.0), ("seven_day:opus", 17.0)):
            old["windows"][wid] = {"id": wid, "label": wid, "used_pct": pct, "resets_at": now + 7000,
                                   "source": "oauth", "observed_at": now - 120}
            points = [[int(now - 600), pct - 1, int(now + 7000)], [int(now - 120), pct, int(now + 7000)]]
            old["history"][wid] = encode(points)
        home.state.mkdir(parents=True, mode=0o700, exist_ok=True)
        home.snapshot_file().write_text(json.dumps(old))
        # stdin changes nothing: the migration alone is reason to write
        assert home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17))).code == 0
        assert "history" not in home.snapshot()
        assert home.history("seven_day:opus") == points  # untouched
        assert [p[1] for p in home.history("five_hour")] == [41.0, 42.0, 42.0]  # stdin's 42%, two minutes on
    assert home.run("statusline", stdin=json.dumps(statusline_stdin(43, 17))).code == 0
    assert [p[1] for p in home.history("five_hour")] == [41.0, 42.0, 42.0, 43.0]  # appended
    snap = snapshot.read(str(home.snapshot_file()))
    assert [p[1] for p in snapshot.points(snap, "five_hour")] == [41.0, 42.0, 42.0, 43.0]
    assert [p[1] for p in snapshot.points(snap, "five_hour", since=now - 300)] == [42.0, 42.0, 43.0]


def test_a_write_appends_one_line_whatever_the_history_holds(tmp_path: Path) -> None:
    path, now = str(tmp_path / "snap.json"), time.time()
    snap = snapshot.empty()
    snap["windows"]["five_hour"] = w(10.0, now + 7000, now)
    snap["history"]["five_hour"] = [[now - 60 * i, 10.0 - i / 100, now + 7000] for i in range(299, 0, -1)]
    snapshot.write_atomic(path, snap)
    history, size = Path(snapshot.history_path(path)), os.path.getsize(path)
    before = history.read_bytes()
    for pct in (10.5, 11.0):
        snapshot.update(path, lambda s, pct=pct: merge.apply_windows(s, [w(pct, now + 7000, now)], now=now))
        grown = history.read_bytes()
        assert grown.startswith(before) and grown.count(b"\n") == before.count(b"\n") + 1
        before = grown
    assert os.path.getsize(path) < size + 100  # the snapshot holds no history
    assert [p[1] for p in snapshot.points(snapshot.read(path), "five_hour")][-3:] == [9.99, 10.5, 11.0]


def test_a_torn_or_garbled_history_line_costs_only_itself(tmp_path: Path) -> None:
    path, now = str(tmp_path / "snap.json"), time.time()
    snap = snapshot.empty()
    snap["windows"]["five_hour"] = w(10.0, now + 7000, now)
    snapshot.write_atomic(path, snap)
    history = Path(snapshot.history_path(path))
    history.write_bytes(b'["five_hour",%d,9.0,%d]\n["five_hour",1,"x"]\n\x00\xff\n["five_h' % (now - 90, now + 7000))
    snapshot.update(path, lambda s: merge.apply_windows(s, [w(11.0, now + 7000, now)], now=now))
    assert [p[1] for p in snapshot.points(snapshot.read(path), "five_hour")] == [9.0, 11.0]
    assert history.read_bytes().endswith(b'["five_h\n["five_hour",%d,11.0,%d]\n' % (now, now + 7000))


@pytest.mark.slow
def test_the_history_is_rewritten_bounded_once_it_outgrows_its_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot, "HISTORY_MAX_BYTES", 4096)
    path, now = str(tmp_path / "snap.json"), time.time()
    snapshot.write_atomic(path, snapshot.empty())
    for i in range(400):  # a rising percent every 10 s, then the window is dropped for another
        t = now - 4000 + 10 * i
        snapshot.update(path, lambda s, t=t, i=i: merge.apply_windows(s, [w(i / 10, now + 7000, t)], now=t))
        points = snapshot.points(snapshot.read(path), "five_hour")
        # within the cap, or just rewritten as pace bounds it
        small = os.path.getsize(snapshot.history_path(path)) <= 4096 + 100
        assert small or points == history_rules.bounded(points, now=t)
    assert len(points) <= 300 and points[-1][1] == 39.9

    def retire(s: snapshot.Snapshot) -> bool:
        del s["windows"]["five_hour"]
        s["history"].pop("five_hour", None)
        return True

    snapshot.update(path, retire)
    assert Path(snapshot.history_path(path)).read_bytes() == b""


def test_without_recent_points_in_the_snapshot_a_forecast_reads_the_history_files_tail(tmp_path: Path) -> None:
    path, now = str(tmp_path / "snap.json"), time.time()
    snap = snapshot.empty()
    lines = [["five_hour" if i % 3 else "seven_day", now - 8 * 86400 + 30 * i, i / 1000, None] for i in range(23000)]
    snapshot.write_atomic(path, snap)
    stored = json.loads(Path(path).read_text())
    del stored["recent"]  # no copy of the recent points in the snapshot: the file's tail serves
    Path(path).write_text(json.dumps(stored))
    Path(snapshot.history_path(path)).write_text("".join(json.dumps(line) + "\n" for line in lines))
    for since in (now - 3600, now - 86400, now - 30, now + 10):
        wanted = [line[1:] for line in lines if line[0] == "five_hour" and line[1] >= since]
        assert snapshot.points(snapshot.read(path), "five_hour", since=since) == wanted


def test_a_rewritten_history_is_in_time_order_so_a_forecast_finds_its_tail(tmp_path: Path) -> None:
    path, now = str(tmp_path / "snap.json"), time.time()
    snap = snapshot.empty()
    for k, wid in enumerate(["five_hour", "seven_day"] + [f"seven_day:m{n}" for n in range(7)]):
        snap["windows"][wid] = {**w(50.0, now + 7000, now), "id": wid}
        snap["history"][wid] = [[now - 60 * (10000 - i) + k, i / 100, now + 7000] for i in range(10000)]
    snapshot.write_atomic(path, snap)  # rewritten: bounded, all windows in one file
    for wid in snap["windows"]:
        full = snapshot.points(snapshot.read(path), wid)
        assert len([p for p in full if p[0] >= now - 3600]) > 20
        for since in (now - 3600, now - 600):
            assert snapshot.points(snapshot.read(path), wid, since=since) == [p for p in full if p[0] >= since]


def test_an_older_versions_snapshot_written_after_the_history_file_loses_neither(home: Home) -> None:
    now = time.time()
    old = {"id": "five_hour", "label": "5h", "used_pct": 40.0, "resets_at": now + 7000, "source": "oauth"}
    snap = snapshot.empty()
    snap["windows"]["five_hour"] = {**old, "observed_at": now - 900}
    snap["history"]["five_hour"] = [[int(now - 1500), 39.0, int(now + 7000)], [int(now - 900), 40.0, int(now + 7000)]]
    snapshot.write_atomic(str(home.snapshot_file()), snap)  # this version: the history file
    # an older version read it (no history), saw 41%, and wrote its snapshot with a history of one point
    legacy = json.loads(home.snapshot_file().read_text())
    legacy["windows"]["five_hour"] = {**old, "used_pct": 41.0, "observed_at": now - 300}
    legacy["history"] = {"five_hour": json.dumps([[int(now - 300), 41.0, int(now + 7000)]])}
    home.snapshot_file().write_text(json.dumps(legacy))
    assert home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17))).code == 0
    assert [p[1] for p in home.history("five_hour")] == [39.0, 40.0, 41.0, 42.0]


def test_a_forecast_reads_the_snapshots_recent_points_and_no_history_file(tmp_path: Path) -> None:
    path, now = str(tmp_path / "snap.json"), time.time()
    snap = snapshot.empty()
    snap["windows"]["five_hour"] = w(50.0, now + 7000, now)
    snap["history"]["five_hour"] = [[now - 60 * (600 - i), i / 20, now + 7000] for i in range(600)]
    snapshot.write_atomic(path, snap)
    full = snapshot.points(snapshot.read(path), "five_hour")
    history = Path(snapshot.history_path(path))
    history.unlink()
    history.mkdir()  # a history file that cannot be read changes nothing for a forecast
    for since in (now - 3600, now - 600):
        assert snapshot.points(snapshot.read(path), "five_hour", since=since) == [p for p in full if p[0] >= since]
    recent = json.loads(json.loads(Path(path).read_text())["recent"]["five_hour"])
    assert recent == [p for p in full if p[0] >= now - snapshot.RECENT_S - 5][-len(recent) :]
    assert now - snapshot.RECENT_S - 60 <= recent[0][0]



def test_a_write_stores_each_windows_rate_and_readers_take_it_while_it_holds(tmp_path: Path) -> None:
    from statusline.core.run import context

    path, now = str(tmp_path / "snap.json"), time.time()
    snap = snapshot.empty()
    snap["windows"]["five_hour"] = w(50.0, now + 7000, now)
    snap["history"]["five_hour"] = [[now - 15 - 30 * (200 - i), 40 + i / 20, now + 7000] for i in range(201)]
    snapshot.write_atomic(path, snap)
    stored = json.loads(Path(path).read_text())
    memo = stored["rates"]["five_hour"]
    fresh = context.Forecasts(snapshot.read(path), now).get("five_hour")
    assert fresh is not None and fresh.rate_per_hour == pytest.approx(6.0) and memo[0] == fresh.rate_per_hour
    del stored["rates"]
    Path(path + ".plain").write_text(json.dumps(stored))
    assert context.Forecasts(snapshot.read(path + ".plain"), now).get("five_hour") == fresh  # the same without
    # A reader takes the stored rate without parsing a point while it holds ...
    stored["rates"] = {"five_hour": [99.0, *memo[1:]]}
    Path(path).write_text(json.dumps(stored))
    assert context.Forecasts(snapshot.read(path), now).get("five_hour").rate_per_hour == 99.0  # type: ignore[union-attr]
    # ... not once the hour has moved on past its oldest point, nor when this run added a point
    later = now + 31
    assert context.Forecasts(snapshot.read(path), later).get("five_hour").rate_per_hour == pytest.approx(6.0)  # type: ignore[union-attr]
    added = snapshot.read(path)
    merge.apply_windows(added, [w(51.0, now + 7000, now)], now=now)
    assert context.Forecasts(added, now).get("five_hour").rate_per_hour != 99.0  # type: ignore[union-attr]
