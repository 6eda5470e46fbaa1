"""Local tokens lined up with the server's windows: periods, calibration, attribution, the report."""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.ledger import asst, prompt, write

from statusline.commands import report
from statusline.ledger import update_ledger
from statusline.ledger.calibrate import Pair, Segment, calibrate, segments
from statusline.ledger.side import local_column

NOW = time.time()
K = 50_000  # tokens per percent in the synthetic world


def test_segments_follow_rises_within_a_period_only() -> None:
    r1, r2 = 10_000.0, 18_450.0
    pts = [[100.0, 5, r1], [200.0, 5, r1], [300.0, 4, r1], [400.0, 9, r1 + 60], [500.0, 1, r2], [600.0, 3, r2]]
    segs = segments(pts, 5 * 3600.0)
    assert [(s.t0, s.t1, s.moved) for s in segs] == [
        (r1 - 18000, 100.0, 5.0),  # from the reset to the first reading
        (100.0, 400.0, 4.0),  # 5 -> 9: the flat and the lower (stale) readings fold in
        (r2 - 18000, 500.0, 1.0),
        (500.0, 600.0, 2.0),
    ]
    assert segments([["x", 1], [1.0], None, [1.0, float("nan"), None]], 3600.0) == []


def test_calibration_is_weak_with_few_pairs_or_foreign_movement() -> None:
    good = [Pair(Segment(i, i + 1, 2.0), 2 * K, {"opus": 2 * K}) for i in range(5)]
    cal = calibrate(good)
    assert cal.tokens_per_pct == K and not cal.weak and cal.pairs == 5
    few = calibrate(good[:2])
    assert few.weak and "only 2 intervals" in few.why
    foreign = calibrate([*good, Pair(Segment(9, 10, 6.0), 0, {})])
    assert foreign.weak and "sent nothing" in foreign.why and foreign.points_idle == 6.0
    nothing = calibrate([])
    assert nothing.weak and nothing.tokens_per_pct is None


def build_world(tmp_path: Path, *, idle_rise: float = 0.0) -> tuple[Path, Path, dict[str, Any]]:
    """Two projects send tokens every 10 minutes; the server rises by tokens / K (+ idle_rise once)."""
    root, state = tmp_path / "claude", tmp_path / "state"
    reset = NOW + 3600
    start = reset - 5 * 3600
    pct = 0.0
    history: list[list[float]] = []
    t = start + 600
    for i in range(20):
        big = i % 2 == 0
        project, session = ("-work-a", "sa") if big else ("-work-b", "sb")
        tokens = 150_000 if big else 50_000
        f = root / "projects" / project / f"{session}.jsonl"
        write(f, [prompt(f"p{i}", ts=t - 5, session=session, uuid=f"p{i}", cwd=f"/work/{project[-1]}"),
                  asst(f"m{i}", f"r{i}", ts=t, out=1000, cr=tokens - 1001, session=session,
                       cwd=f"/work/{project[-1]}")])
        pct += tokens / K
        if i == 10:
            pct += idle_rise
        history.append([t + 120, round(pct, 1), reset])
        t += 600
    opus_reset = NOW + 86400
    snapshot = {
        "schema": 1,
        "account": {"config_dir": str(root), "uuid": None},
        "windows": {
            "five_hour": {"id": "five_hour", "used_pct": pct, "resets_at": reset},
            "seven_day:opus": {"id": "seven_day:opus", "used_pct": 10.0, "resets_at": opus_reset},
            "seven_day:cowork": {"id": "seven_day:cowork", "used_pct": 3.0, "resets_at": opus_reset},
            "iguana_necktie": {"id": "iguana_necktie", "used_pct": 1.0, "resets_at": opus_reset},
        },
        "history": {"five_hour": history},
    }
    update_ledger([root], state, now=NOW)
    return root, state, snapshot


def test_local_column_learns_tokens_per_percent(tmp_path: Path) -> None:
    _, state, snap = build_world(tmp_path)
    col = local_column(snap, NOW, state_dir=state)
    five = col["five_hour"]
    assert five["tokens"] == 10 * 150_000 + 10 * 50_000
    assert five["by_family"] == {"opus": five["tokens"]}
    assert five["weak"] is False, five["why"]
    assert five["tokens_per_pct"] == pytest.approx(K, rel=0.05)
    left = (100 - snap["windows"]["five_hour"]["used_pct"]) * K
    assert five["tokens_left_estimate"] == pytest.approx(left, rel=0.05)
    assert five["turns_left_estimate"] == pytest.approx(left / 100_000, rel=0.06)  # 100k tokens per prompt
    assert "turns like your average" in five["why"]
    assert col["seven_day:opus"]["tokens"] == five["tokens"]
    assert col["seven_day:opus"]["tokens_left_estimate"] is None  # no history for it yet
    assert col["seven_day:cowork"]["tokens"] == 0 and "surface" in col["seven_day:cowork"]["why"]
    assert col["iguana_necktie"]["why"] == "unknown period for this window"


def test_family_window_counts_only_its_family(tmp_path: Path) -> None:
    _, state, snap = build_world(tmp_path)
    f = tmp_path / "claude" / "projects" / "-work-a" / "sa.jsonl"
    write(f, [asst("ms", "rs", ts=NOW - 60, model="claude-sonnet-4-5", out=7, session="sa")])
    update_ledger([tmp_path / "claude"], state, now=NOW)
    col = local_column(snap, NOW, state_dir=state)
    assert col["five_hour"]["by_family"]["sonnet"] == 8
    assert "sonnet" not in col["seven_day:opus"]["by_family"]


def test_server_moving_while_idle_makes_the_estimate_weak(tmp_path: Path) -> None:
    _, state, snap = build_world(tmp_path, idle_rise=0.0)
    hist = snap["history"]["five_hour"]
    # Another machine: the server rises with no local tokens between two readings.
    last_t, last_pct, reset = hist[-1]
    hist += [[last_t + 300, last_pct + 15, reset], [last_t + 400, last_pct + 30, reset]]
    col = local_column(snap, NOW + 500, state_dir=state)
    assert col["five_hour"]["weak"] is True
    assert "another machine or the browser" in col["five_hour"]["why"]


@pytest.fixture
def world_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, Any]]:
    root, _, snap = build_world(tmp_path)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(root))
    monkeypatch.setenv("QUOTALINE_STATE_DIR", str(tmp_path / "qstate"))
    return root, snap


def test_report_json_without_snapshot_is_local_only(world_env: tuple[Path, dict[str, Any]],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert report.run(["--json", "--since", "1d"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["server_available"] is False and "unavailable" in data["note"]
    assert set(data) == {"schema", "by", "since", "until", "server_available", "note", "windows", "projects", "other",
                         "totals", "ledger", "walls", "seven_day_breakdown"}
    assert data["seven_day_breakdown"] is None
    assert [p["project"] for p in data["projects"]] == ["-work-a", "-work-b"]
    assert data["projects"][0]["path"] == "/work/a"
    assert data["projects"][0]["tokens"]["total"] == 1_500_000
    assert data["projects"][0]["tokens"]["prompts"] == 10
    assert data["totals"]["by_family"] == {"opus": 2_000_000}
    assert data["ledger"]["entries"] == 20


def test_report_splits_server_points_by_local_share(world_env: tuple[Path, dict[str, Any]],
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    _, snap = world_env
    hist = snap["history"]["five_hour"]
    last_t, last_pct, reset = hist[-1]
    hist.append([last_t + 300, last_pct + 4, reset])  # moved with nothing sent here
    assert report.run(["--json", "--since", "1d"], snapshot=snap) == 0
    data = json.loads(capsys.readouterr().out)
    five = next(w for w in data["windows"] if w["id"] == "five_hour")
    a, b = data["projects"]
    assert a["server_points"]["five_hour"] == pytest.approx(30.0, abs=0.6)
    assert b["server_points"]["five_hour"] == pytest.approx(10.0, abs=0.6)
    assert data["other"]["server_points"]["five_hour"] == pytest.approx(4.0, abs=0.6)
    assert five["attributed_points"] + five["other_points"] == pytest.approx(44.0, abs=0.2)
    assert sum(s["server_points"]["five_hour"] for s in a["sessions"]) == pytest.approx(
        a["server_points"]["five_hour"])
    assert report.run(["--since", "1d", "--no-update"], snapshot=snap) == 0
    text = capsys.readouterr().out
    assert "/work/a" in text and "other machines / surfaces" in text and "five_hour PTS" in text


def test_report_shows_the_servers_split_of_the_week_beside_the_ledgers_estimate(
    world_env: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    _, snap = world_env
    rows = [{"key": "claude_code", "label": "Claude Code", "percent": 82.0},
            {"key": "chat", "label": "Chats", "percent": 18.0}]
    snap["server"] = {"breakdown": {"as_of": NOW - 600, "window_started_at": NOW - 3 * 86400, "rows": rows,
                                    "source": "oauth", "observed_at": NOW - 60}}
    assert report.run(["--json", "--since", "1d"], snapshot=snap) == 0
    split = json.loads(capsys.readouterr().out)["seven_day_breakdown"]
    assert split["label"] == "the server's split of the 7-day window"
    assert split["rows"] == [{"label": "Claude Code", "percent": 82.0}, {"label": "Chats", "percent": 18.0}]
    assert report.run(["--since", "1d", "--no-update"], snapshot=snap) == 0
    text = capsys.readouterr().out
    assert "where the week went, the server's split: Claude Code 82% · Chats 18%" in text


def test_report_rejects_a_bad_since(world_env: tuple[Path, dict[str, Any]], capsys: pytest.CaptureFixture[str]) -> None:
    assert report.run(["--since", "yesterdayish"]) == 2
    assert "--since" in capsys.readouterr().err
    assert report.parse_since("2d", 1_000_000.0) == 1_000_000.0 - 2 * 86400
    assert report.parse_since("2026-11-01T00:00:00Z", 0) == 1793491200.0


def test_local_column_before_the_ledger_exists(tmp_path: Path) -> None:
    snap = {"windows": {"five_hour": {"id": "five_hour", "used_pct": 5.0, "resets_at": NOW + 600}}}
    col = local_column(snap, NOW, state_dir=tmp_path / "never-built")
    assert col["five_hour"]["tokens"] is None and col["five_hour"]["tokens_left_estimate"] is None
    assert "not been built" in col["five_hour"]["why"]


def test_report_shows_first_scan_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("QUOTALINE_PROGRESS_AFTER", raising=False)
    assert report._progress_on_terminal(io.StringIO()) is None
    clock = [100.0]
    quick, term = Terminal(), Terminal()
    show = report._progress_on_terminal(quick, lambda: clock[0])
    assert show is not None
    clock[0] += 0.9
    show(10**9, 10**9)  # done within a second: nothing said
    assert quick.getvalue() == ""
    clock[0] = 100.0
    show = report._progress_on_terminal(term, lambda: clock[0])
    assert show is not None
    for t, done in ((0.5, 10**8), (1.0, 2 * 10**8), (1.05, 3 * 10**8), (2.0, 4 * 10**8), (2.5, 10**9)):
        clock[0] = 100.0 + t
        show(done, 10**9)
    assert term.getvalue().split("\r")[1:] == [
        "reading transcripts: 200 of 1,000 MB, 200 MB/s, 4 s left\x1b[K",  # after a second; then 1.05 is too soon
        "reading transcripts: 400 of 1,000 MB, 200 MB/s, 3 s left\x1b[K",
        "reading transcripts: 1,000 of 1,000 MB, 400 MB/s, done\x1b[K\n",
    ]


def test_report_waits_for_a_busy_ledger_and_says_so(world_env: tuple[Path, dict[str, Any]],
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    import threading

    import filelock

    from statusline.ledger.statefile import ledger_dir
    from statusline.ledger.update import LOCK_FILE

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    held = filelock.FileLock(str(ledger_dir(None) / LOCK_FILE), thread_local=False)
    held.acquire()  # as the background refresher would during its first scan
    threading.Timer(1.5, held.release).start()
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert report.run(["--json", "--since", "1d"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "waiting for the background refresher" in term.getvalue()
    assert data["ledger"]["busy"] is False and data["ledger"]["entries"] == 20
