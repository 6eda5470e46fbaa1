"""The invariant of issue 9: whatever a file holds, the next good input repairs everything.

A real snapshot (made by the real commands) is cut at every offset and has its bytes flipped: every
reader copes in-process, and the status line as a process exits 0 with a line and shows the next
good stdin, rewriting the file and keeping a copy of the unreadable one.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest
from helpers.cli import REPO, Home, statusline_stdin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusline.core.draw import render, status_json
from statusline.core.run import spawn
from statusline.core.run.context import Context
from statusline.core.settings import defaults, loader
from statusline.core.store import snapshot
from statusline.core.warn import before_prompt
from statusline.core.window import select


def real_snapshot(home: Home) -> bytes:
    """A snapshot written by the real commands: windows, history, sessions, warned, extra usage."""
    for i, pct in enumerate((42, 43, 81, 96)):
        assert home.run("statusline", stdin=json.dumps(statusline_stdin(pct, 17, session=f"s{i % 2}"))).code == 0
    hook_in = json.dumps({"session_id": "s1", "hook_event_name": "UserPromptSubmit", "prompt": "hi"})
    assert home.run("hook", "user-prompt-submit", stdin=hook_in).code == 0
    snap = home.snapshot()
    now = time.time()
    snap["extra_usage"] = {"enabled": True, "used": 408.43, "limit": None, "currency": "USD", "observed_at": now}
    snap["errors"] = [{"kind": "rate_limited", "message": "rate limited (429)", "at": time.time(), "source": "oauth"}]
    home.write_snapshot(snap)
    return home.snapshot_file().read_bytes()


def every_reader_copes(path: str) -> None:
    """Each reader of the snapshot, as the hot path and `status` run them, on whatever is there."""
    now = time.time()
    snap = snapshot.read(path)
    settings = loader.Settings(defaults.clone(defaults.DEFAULTS), [])
    ctx = Context(snap, settings, now, family="opus")
    assert render.line(ctx, surface="statusline", style="ansi")
    before_prompt.decide(ctx, session_id="s1")
    json.dumps(status_json.build(ctx))


@pytest.mark.slow
def test_every_truncation_of_a_real_snapshot_is_read_without_raising(home: Home, tmp_path: Path) -> None:
    raw = real_snapshot(home)
    target = tmp_path / "snap.json"
    for end in range(len(raw)):
        target.write_bytes(raw[:end])
        every_reader_copes(str(target))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_flipped_bytes_in_a_real_snapshot_are_read_without_raising(
    home: Home, tmp_path: Path, data: st.DataObject
) -> None:
    if not home.snapshot_file().exists():
        real_snapshot(home)
    raw = bytearray(home.snapshot_file().read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    target = tmp_path / "flipped.json"
    target.write_bytes(bytes(raw))
    every_reader_copes(str(target))


@pytest.mark.slow
def test_the_status_line_repairs_a_cut_or_flipped_snapshot_on_the_next_good_stdin(home: Home) -> None:
    raw = real_snapshot(home)
    cuts = [raw[:end] for end in range(1, len(raw), max(1, len(raw) // 12))]
    flips = []
    for i in range(6):
        flipped = bytearray(raw)
        flipped[(i * 7919) % len(raw)] ^= 0x5A
        flips.append(bytes(flipped))
    # A cut file never parses, so 61% shows; a flipped one may still hold its 96% of the same
    # period, which outranks a lower reading: the good reading there is 99%.
    for broken, good in [(cut, 61) for cut in cuts] + [(flip, 99) for flip in flips]:
        home.snapshot_file().write_bytes(broken)
        result = home.run("statusline", stdin=json.dumps(statusline_stdin(good, 17, session="s0")))
        assert result.code == 0
        assert f"5h {good}%" in result.out, (broken[-40:], result.out)
        assert home.snapshot()["windows"]["five_hour"]["used_pct"] == good
    assert Path(str(home.snapshot_file()) + ".corrupt").exists()


@pytest.mark.parametrize(
    "bad_reset",
    [1e308, 1.7976931348623157e308, time.time() * 1000, time.time() + 300 * 365 * 86400, -1e308, 5e-324],
    # Named, not numbered: two of the values come from the clock, and an id must not change between runs.
    ids=["1e308", "float-max", "now-in-ms", "now-plus-300y", "-1e308", "5e-324"],
)
def test_an_absurd_reset_time_on_stdin_never_hides_the_next_good_reading(home: Home, bad_reset: float) -> None:
    bad = statusline_stdin(42, 17)
    bad["rate_limits"]["five_hour"]["resets_at"] = bad_reset
    first = home.run("statusline", stdin=json.dumps(bad))
    assert first.code == 0 and "7d 17%" in first.out and "5h" not in first.out, first.out
    good = home.run("statusline", stdin=json.dumps(statusline_stdin(96, 17)))
    assert good.code == 0 and "5h 96%" in good.out, good.out
    assert "d" not in good.out.split("5h 96%")[1].split("·")[0].replace("→", ""), good.out  # 2h13m, not 20768213d


def test_an_absurd_window_stored_by_an_older_version_is_dropped_when_read(home: Home) -> None:
    now = time.time()
    snap = snapshot.empty()
    for wid, reset in (("five_hour", 1e308), ("seven_day", now * 1000)):
        snap["windows"][wid] = {
            "id": wid,
            "label": wid,
            "used_pct": 96.0,
            "resets_at": reset,
            "source": "statusline",
            "observed_at": now,
        }
    snap["history"]["five_hour"] = [[now, 96.0, 1e308]]
    home.write_snapshot(snap)
    empty_run = home.run("statusline", stdin=b"{}")
    assert empty_run.code == 0 and "96%" not in empty_run.out
    good = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)))
    assert good.code == 0 and "5h 42%" in good.out and "7d 17%" in good.out, good.out
    assert home.history("five_hour")[-1][1] == 42.0


def test_an_oversized_snapshot_is_not_read_and_is_replaced(home: Home) -> None:
    home.state.mkdir(parents=True, exist_ok=True)
    home.snapshot_file().write_bytes(b'{"schema": 1, "sessions": {"' + b"x" * (snapshot.MAX_BYTES + 10) + b'": {}}}')
    result = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)))
    assert result.code == 0 and "5h 42%" in result.out
    assert result.seconds < 2
    assert home.snapshot_file().stat().st_size < 100_000


def test_a_reading_the_status_line_drops_is_said_in_status_until_good_readings_return(home: Home) -> None:
    bad = statusline_stdin(42, 17)
    bad["rate_limits"]["five_hour"]["resets_at"] = time.time() * 1000  # milliseconds
    assert home.run("statusline", stdin=json.dumps(bad)).code == 0
    errors = json.loads(home.run("status", "--json").out)["errors"]
    assert [(e["kind"], e["source"]) for e in errors] == [("schema_drift", "statusline")]
    assert "five_hour dropped: reset time" in errors[0]["message"]
    before = home.snapshot_file().stat().st_mtime_ns
    assert home.run("statusline", stdin=json.dumps(bad)).code == 0
    assert home.snapshot_file().stat().st_mtime_ns == before  # the same problem again is no write
    assert home.run("statusline", stdin=json.dumps(statusline_stdin(43, 17))).code == 0
    assert json.loads(home.run("status", "--json").out)["errors"] == []


json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6)
json_like = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
times = st.sampled_from([1e308, -1.0, float("nan"), 0, 2**63, "soon", None, time.time() + 1e9])


@pytest.mark.slow
@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    refresh=st.dictionaries(
        st.sampled_from(["next_due", "last_success", "last_attempt", "auth_stamp", "sources", "x"]), times | json_like
    ),
    source=st.dictionaries(
        st.sampled_from(["backoff_until", "failures", "kind", "last_ok", "auth_stamp"]), times | json_like
    ),
    session=st.dictionaries(st.sampled_from(["model_id", "model_name", "last_seen", "version"]), times | json_like),
    warned=json_like,
    errors=st.lists(json_like | st.fixed_dictionaries({"at": times, "message": json_like}), max_size=3),
)
def test_hostile_sections_never_stop_a_reader_or_the_refresher(
    tmp_path: Path, refresh: dict, source: dict, session: dict, warned: object, errors: list
) -> None:
    now = time.time()
    refresh.setdefault("sources", {"oauth": source})
    data = {"schema": 1, "refresh": refresh, "sessions": {"s1": session}, "warned": {"s1": warned}, "errors": errors}
    target = tmp_path / "hostile.json"
    target.write_text(json.dumps(data))
    every_reader_copes(str(target))
    snap = snapshot.read(str(target))
    select.latest_session(snap)
    assert spawn.is_due(snap, now + snapshot.MAX_DUE_S + 1)  # no planted time stops refreshes for good
    for state in snap["refresh"].get("sources", {}).values():
        until = state.get("backoff_until")
        assert until is None or until <= now + snapshot.MAX_BACKOFF_S + 1


def test_a_fifo_or_a_strangers_file_at_the_snapshot_path_is_not_read_and_is_replaced(home: Home) -> None:
    home.state.mkdir(parents=True, mode=0o700)
    os.mkfifo(home.snapshot_file())
    result = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)), timeout=10)
    assert result.code == 0 and "5h 42%" in result.out and result.seconds < 5
    assert stat.S_ISREG(home.snapshot_file().lstat().st_mode)
    planted = snapshot.empty()
    now = time.time()
    planted["windows"]["five_hour"] = {
        "id": "five_hour",
        "label": "5h",
        "used_pct": 1.0,
        "resets_at": now + 7000,
        "source": "oauth",
        "observed_at": now,
    }
    home.write_snapshot(planted)
    os.chown(home.snapshot_file(), 65534, 65534)  # another user's file, left in a dir that was open
    shown = home.run("statusline", stdin=b"{}")
    assert shown.code == 0 and "1%" not in shown.out


def test_doctor_says_a_snapshot_is_unreadable_and_where_the_copy_of_a_replaced_one_is(home: Home) -> None:
    home.state.mkdir(parents=True, mode=0o700)
    os.mkfifo(home.snapshot_file())
    fifo = home.run("doctor", "--no-timing", timeout=20)
    assert "unreadable (" in fifo.out and "plain file" in fifo.out and fifo.seconds < 10
    home.snapshot_file().unlink()
    home.snapshot_file().write_bytes(b'{"schema": 1, "windows": {"five_h')
    cut = home.run("doctor", "--no-timing")
    assert "unreadable (" in cut.out and "rewritten on the next write" in cut.out
    assert home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17))).code == 0
    fixed = home.run("doctor", "--no-timing").out
    assert "an unreadable snapshot was replaced" in fixed and "snapshot-default.json.corrupt" in fixed
    assert "five_hour: 42%" in fixed


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: c["config"]["levels"].update(warn="x"),
        lambda c: c["config"].pop("statusline"),
        lambda c: c["config"]["statusline"].update(windows=[5]),
        lambda c: c["config"].update(colors="yes"),
        lambda c: c.update(config=[]),
        lambda c: c.update(problems="none"),
    ],
)
def test_a_config_cache_of_the_wrong_shape_is_parsed_again(home: Home, tamper: object) -> None:
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text('[levels]\nwarn = 40\ncritical = 50\n[statusline]\ntemplate = "$label:$pct"\n')
    assert home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17))).code == 0
    cache = home.state / "config-cache.json"
    data = json.loads(cache.read_text())
    tamper(data)  # type: ignore[operator]
    cache.write_text(json.dumps(data))
    out = home.run("statusline", stdin=json.dumps(statusline_stdin(43, 17))).out
    assert "\x1b[33m5h:43%" in out and "!cfg" not in out, out


def test_a_failure_anywhere_past_stdin_still_shows_stdins_numbers(
    home: Home, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from statusline.commands import statusline as statusline_cmd
    from statusline.core.run import stdin

    for key, value in home.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(stdin, "read_all", lambda: json.dumps(statusline_stdin(42, 17)).encode())

    def broken(path: str) -> snapshot.Snapshot:
        raise RuntimeError("a bug nobody has found yet")

    monkeypatch.setattr(snapshot, "read", broken)
    assert statusline_cmd.run() == 0
    out = capsys.readouterr().out
    assert "5h 42%" in out and "7d 17%" in out and out.rstrip().endswith("!err")
    assert "RuntimeError: a bug nobody has found yet" in (home.state / "error.log").read_text()


def test_the_refresher_it_starts_never_imports_a_statusline_package_from_the_project_dir(home: Home) -> None:
    # Claude Code runs the status line in the user's project: one with its own `statusline`
    # package must not run in quotaline's place (nor break the refresh).
    project = home.root / "project"
    (project / "statusline").mkdir(parents=True)
    marker = home.root / "hijacked"
    (project / "statusline" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (project / "statusline" / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    env = {**home.env, "QUOTALINE_NO_SPAWN": "", "QUOTALINE_OAUTH": "0", "QUOTALINE_CLAUDE_AI": "0"}
    # As the launcher runs it: no site, the package and its dependencies appended by hand.
    extra = [str(REPO), sysconfig.get_paths()["purelib"]]
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", f"import sys; sys.path += {extra!r}; "
         "from statusline.cli import main; sys.exit(main(['statusline']))"],
        input=json.dumps(statusline_stdin(42, 17)).encode(), capture_output=True, env=env, cwd=project, timeout=30,
    )
    assert done.returncode == 0 and b"5h 42%" in done.stdout
    for _ in range(100):  # the refresher it started writes next_due when it is done
        if home.snapshot_file().exists() and home.snapshot()["refresh"].get("next_due"):
            break
        time.sleep(0.1)
    assert home.snapshot()["refresh"].get("next_due"), "the background refresher did not run"
    assert not marker.exists()


def _wait_for_refresh(home: Home) -> dict:
    for _ in range(150):  # the refresher the status line started writes next_due when done
        if home.snapshot_file().is_file():
            try:
                refresh = home.snapshot()["refresh"]
            except ValueError:
                refresh = {}
            if refresh.get("next_due"):
                return refresh
        time.sleep(0.1)
    return {}


LOCAL_ONLY = {"QUOTALINE_NO_SPAWN": "", "QUOTALINE_OAUTH": "0", "QUOTALINE_CLAUDE_AI": "0"}


def test_a_refresh_time_or_spawn_marker_from_a_clock_that_jumped_back_never_stops_refreshes(home: Home) -> None:
    now = time.time()
    snap = snapshot.empty()
    snap["refresh"] = {"next_due": now + 6 * 86400, "last_attempt": now}
    home.write_snapshot(snap)
    marker = Path(str(home.snapshot_file()) + ".spawned")
    marker.touch()
    os.utime(marker, (now + 86400, now + 86400))
    assert home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)), env=LOCAL_ONLY).code == 0
    refresh = _wait_for_refresh(home)
    assert refresh and now < refresh["next_due"] <= time.time() + 300 + 5


def test_a_refresh_interval_beyond_a_day_is_a_day_and_its_next_time_is_kept(home: Home) -> None:
    env = {**LOCAL_ONLY, "QUOTALINE_REFRESH_INTERVAL": "1e9"}
    assert home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)), env=env).code == 0
    due = _wait_for_refresh(home)["next_due"]
    assert abs(due - (time.time() + 86400)) < 120
    assert spawn.is_due(snapshot.read(str(home.snapshot_file())), time.time()) is False


@pytest.mark.parametrize("where", ["snapshot", "lock", "refresh lock"])
def test_a_directory_where_a_file_belongs_is_moved_aside_and_the_file_written(home: Home, where: str) -> None:
    suffix = {"snapshot": "", "lock": ".lock", "refresh lock": ".refresh.lock"}[where]
    blocker = Path(str(home.snapshot_file()) + suffix)
    (blocker / "inside").mkdir(parents=True)
    home.state.chmod(0o700)
    assert home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)), env=LOCAL_ONLY).code == 0
    assert _wait_for_refresh(home), "nothing was stored"
    assert home.snapshot()["windows"]["five_hour"]["used_pct"] == 42.0
    assert [p for p in home.state.iterdir() if p.name.startswith(blocker.name + ".in-the-way-")]


@pytest.mark.slow
def test_a_snapshot_stuffed_within_its_size_cap_is_cut_to_its_bounds_when_read(home: Home) -> None:
    now = time.time()
    snap = snapshot.empty()
    for i in range(2000):
        wid = f"bucket_{i:04d}"
        snap["windows"][wid] = {"id": wid, "label": wid, "used_pct": 1.0, "resets_at": now + 7000,
                                "source": "oauth", "observed_at": now - i}
    snap["warned"] = {f"s{i}": {"at": now - i, "windows": {"five_hour": {"level": 1}}} for i in range(5000)}
    snap["refresh"] = {"sources": {f"src{i}": {"failures": 1} for i in range(5000)}}
    snap["sessions"] = {f"s{i}": {"last_seen": now - i} for i in range(5000)}
    snap["errors"] = [{"kind": "k", "message": "m", "source": f"x{i}", "at": now} for i in range(500)]
    snap["errors"].append({"kind": "k", "message": "m", "source": "oauth", "at": 1e308})
    snap["padding"] = "x" * 2_000_000  # a key of no section
    home.write_snapshot(snap)
    read = snapshot.read(str(home.snapshot_file()))
    assert "padding" not in read
    assert len(read["windows"]) == snapshot.MAX_WINDOWS and "bucket_0000" in read["windows"]
    assert len(read["warned"]) == len(read["sessions"]) == snapshot.MAX_SESSIONS and "s0" in read["sessions"]
    assert len(read["refresh"]["sources"]) <= snapshot.MAX_SOURCES
    assert len(read["errors"]) == snapshot.MAX_ERRORS and all(e["at"] < now + 1 for e in read["errors"])
    assert home.run("status", "--json").code == 0
    result = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)))
    assert result.code == 0 and "5h 42%" in result.out
    assert home.snapshot_file().stat().st_size < 200_000  # the next write keeps only the bounds
