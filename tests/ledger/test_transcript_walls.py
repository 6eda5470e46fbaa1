"""Transcripts as the second source of walls: Claude Code's rate-limit error line becomes a wall in
its config dir's snapshot, one with the hook's; each wall is a 100% anchor for calibration."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.ledger import asst, iso, write

from statusline.core.store import paths, snapshot
from statusline.core.window import merge, walls
from statusline.ledger import update_ledger
from statusline.ledger.calibrate import segments, with_walls
from statusline.ledger.parse import parse_wall_line

NOW = time.time()


def error_line(*, ts: float, claim: str = "five_hour", text: str = "You've hit your 5-hour limit", **extra: Any) -> str:
    """The line Claude Code 2.1.330 wrote for a 429 (captured with the real client; ids shortened)."""
    limits = {"status": "rejected", "resetsAt": None, "rateLimitType": claim, "isUsingOverage": False}
    line: dict[str, Any] = {
        "parentUuid": "d0d63de2", "isSidechain": False, "type": "assistant", "uuid": f"e-{ts}",
        "timestamp": iso(ts),
        "message": {
            "id": "79cf37c1", "model": "<synthetic>", "role": "assistant", "stop_reason": "stop_sequence",
            "type": "message", "content": [{"type": "text", "text": text}],
            "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                      "cache_read_input_tokens": 0},
        },
        "requestId": "req_fake", "apiError": "usage_limit_reached",
        "apiErrorParams": {"rate_limit_info": dict(limits)}, "quotaLimits": limits,
        "error": "rate_limit", "isApiErrorMessage": True, "apiErrorStatus": 429, "apiErrorType": "rate_limit_error",
        "sessionId": "s1", "version": "2.1.330", "cwd": "/work/p1",
    }  # fmt: skip
    line.update(extra)
    return json.dumps(line, separators=(",", ":"))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, str]:
    """A Claude config dir with transcripts, quotaline's state dir, and that dir's snapshot."""
    root = tmp_path / "claude"
    (root / "projects").mkdir(parents=True)
    monkeypatch.setenv("QUOTALINE_STATE_DIR", str(tmp_path / "qstate"))
    path = paths.snapshot_path(str(root))
    snap = snapshot.empty()
    snap["windows"]["five_hour"] = {
        "id": "five_hour", "label": "5h", "used_pct": 97.0, "resets_at": NOW + 3600, "source": "oauth",
        "observed_at": NOW - 120, "session": None,
    }  # fmt: skip
    snapshot.write_atomic(path, snap)
    return root, tmp_path / "qstate" / "ledger", path


def test_a_rate_limit_line_becomes_a_wall_of_its_config_dir(world: tuple[Path, Path, str]) -> None:
    root, state, path = world
    transcript = root / "projects" / "-work-p1" / "s1.jsonl"
    write(transcript, [asst("m1", "r1", ts=NOW - 300, session="s1"), error_line(ts=NOW - 60)])
    stats = update_ledger([root], state, now=NOW)
    assert stats.walls == 1
    found = snapshot.read(path)["walls"]
    assert [(w["window"], w["how"], w["source"], w["said"]) for w in found] == [
        ("five_hour", "text", "transcript", "You've hit your 5-hour limit")
    ]
    assert found[0]["at"] == pytest.approx(NOW - 60, abs=0.01) and found[0]["resets_at"] == pytest.approx(NOW + 3600)
    write(transcript, [asst("m2", "r2", ts=NOW - 30, session="s1")])
    update_ledger([root], state, now=NOW)  # read on from the offset: the wall is not found twice
    assert len(snapshot.read(path)["walls"]) == 1


def test_the_hook_and_the_transcript_make_one_wall(world: tuple[Path, Path, str]) -> None:
    root, state, path = world
    snap = snapshot.read(path)
    stop = {
        "hook_event_name": "StopFailure",
        "error": "rate_limit",
        "last_assistant_message": "You've hit your 5-hour limit",
    }
    hook_wall = walls.from_stop_failure(stop, snap, now=NOW - 59.2, session="s1")
    assert merge.record_wall(snap, hook_wall, now=NOW)
    snapshot.write_atomic(path, snap)
    write(root / "projects" / "-work-p1" / "s1.jsonl", [error_line(ts=NOW - 60)])
    update_ledger([root], state, now=NOW)
    found = snapshot.read(path)["walls"]
    assert len(found) == 1 and found[0]["source"] == "hook"


def test_the_details_name_the_window_when_the_words_do_not(world: tuple[Path, Path, str]) -> None:
    root, state, path = world
    write(
        root / "projects" / "-work-p1" / "s1.jsonl", [error_line(ts=NOW - 60, claim="seven_day_opus", text="API Error")]
    )
    update_ledger([root], state, now=NOW)
    assert [(w["window"], w["how"]) for w in snapshot.read(path)["walls"]] == [("seven_day:opus", "details")]


@pytest.mark.parametrize(
    "extra",
    [
        {"error": "overloaded", "apiErrorStatus": 529, "apiErrorType": "overloaded_error"},
        {"isApiErrorMessage": False},
        {"timestamp": "yesterday"},
    ],
)
def test_other_lines_are_no_wall(extra: dict[str, Any]) -> None:
    assert parse_wall_line(error_line(ts=NOW, **extra).encode()) is None


@pytest.mark.parametrize("raw", [b"", b"{", b'{"isApiErrorMessage":true}', b"\xff" * 10, b"[1]", b'{"a":' * 5000])
def test_garbage_is_no_wall(raw: bytes) -> None:
    assert parse_wall_line(raw) is None


def test_old_walls_and_config_dirs_without_a_snapshot_are_left_alone(
    world: tuple[Path, Path, str], tmp_path: Path
) -> None:
    root, state, path = world
    other = tmp_path / "other-claude"
    write(other / "projects" / "-w" / "s9.jsonl", [error_line(ts=NOW - 60, sessionId="s9")])
    write(root / "projects" / "-work-p1" / "s1.jsonl", [error_line(ts=NOW - 40 * 86400)])
    stats = update_ledger([root, other], state, now=NOW)
    assert stats.walls == 2
    assert snapshot.read(path)["walls"] == []
    assert not Path(paths.snapshot_path(str(other))).exists()


def test_a_wall_is_a_100_percent_anchor_for_calibration() -> None:
    reset = 45_000.0
    history = [[30_000.0, 10.0, reset], [35_000.0, 60.0, reset]]
    wall = {"at": 40_000.0, "window": "five_hour", "resets_at": reset + 30}
    anchored = with_walls(
        history, [wall, {**wall, "window": "seven_day"}, {"at": 1.0, "window": "five_hour"}, 5], "five_hour"
    )
    assert [(s.t0, s.t1, s.moved) for s in segments(anchored, 5 * 3600.0)] == [
        (reset - 18000, 30_000.0, 10.0),
        (30_000.0, 35_000.0, 50.0),
        (35_000.0, 40_000.0, 40.0),  # the wall: full when the turn was refused
    ]
    assert with_walls(None, None, "five_hour") == []


def test_the_report_lists_each_wall_with_the_local_tokens_of_its_period(world: tuple[Path, Path, str]) -> None:
    from statusline.commands import report
    from statusline.ledger.side import open_ledger

    root, state, path = world
    transcript = root / "projects" / "-work-p1" / "s1.jsonl"
    before = asst("mb", "rb", ts=NOW - 5 * 3600, out=1000, session="s1")  # before the period: not counted
    inside = [asst(f"m{i}", f"r{i}", ts=NOW - 600 + i, out=500, session="s1") for i in range(3)]
    write(transcript, [before, *inside, error_line(ts=NOW - 60, text="You've hit your 5-hour limit\x1b]0;x\x07")])
    update_ledger([root], state, now=NOW)
    snap = snapshot.read(path)
    out = report.build(snap, NOW - 86400, NOW, open_ledger(snap, NOW, state))
    (row,) = out["walls"]
    assert (row["window"], row["name"], row["tokens"]) == ("five_hour", "5-hour", 3 * 501)
    assert row["period_start"] == report.iso(NOW + 3600 - 5 * 3600)
    text = report.render(out, "1d")
    assert "Walls (turns refused at a limit): 1" in text and "1.5k tokens from this machine in that period" in text
    assert "\x1b" not in text


def test_an_answer_after_the_wall_in_the_transcript_ends_it(world: tuple[Path, Path, str]) -> None:
    """Invariant 2 (issue 19): a wall read from a transcript (late, or from before quotaline ran)
    is not shown over the answers that followed it; a wall after the last answer stands."""
    root, state, path = world
    transcript = root / "projects" / "-work-p1" / "s1.jsonl"
    write(transcript, [error_line(ts=NOW - 300), asst("m1", "r1", ts=NOW - 200, session="s1")])
    update_ledger([root], state, now=NOW)
    found = snapshot.read(path)
    assert [w["ended"] for w in found["walls"]] == [pytest.approx(NOW - 200, abs=0.01)]
    assert walls.stopped_vars(found, NOW, None) is None
    write(transcript, [error_line(ts=NOW - 60, text="You've hit your usage limit")])
    update_ledger([root], state, now=NOW)
    found = snapshot.read(path)
    assert len(found["walls"]) == 2 and walls.stopped_vars(found, NOW, None, "s1") is not None
