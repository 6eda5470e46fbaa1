"""The ledger reads each byte once, and still counts each response once when files change under it."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import Home
from helpers.ledger import asst, prompt, tool_result, write
from hypothesis import given, settings
from hypothesis import strategies as st

from statusline.core.system import fastos
from statusline.ledger import parse, scan, update_ledger
from statusline.ledger.scan import PROMPT_HEAD
from statusline.ledger.store import load_store
from statusline.ledger.update import RECENT_DEDUP_DAYS

NOW = time.time()
T = NOW - 3600


def totals(state: Path) -> dict[str, tuple[int, int, int, int]]:
    return {
        m: (t.input, t.output, t.cache_creation, t.cache_read)
        for m, t in load_store(state).all_time_by_model().items()
        if m
    }


def output(state: Path, model: str = "claude-opus-4-6") -> int:
    return totals(state).get(model, (0, 0, 0, 0))[1]


def setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    root = tmp_path / "claude"
    state = tmp_path / "state"
    return root, state, root / "projects" / "-work-p1" / "s1.jsonl"


def test_second_run_reads_only_appended_bytes(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [asst("m1", "r1", ts=T, out=10), asst("m2", "r2", ts=T + 5, out=20)])
    first = update_ledger([root], state, now=NOW)
    assert (first.files_new, first.entries, first.bytes_read) == (1, 2, f.stat().st_size)
    size = f.stat().st_size
    write(f, [asst("m3", "r3", ts=T + 10, out=40)])
    second = update_ledger([root], state, now=NOW)
    assert second.files_grown == 1
    assert second.bytes_read == f.stat().st_size - size
    assert second.entries == 1
    assert output(state) == 70


def test_no_change_touches_nothing(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [asst("m1", "r1", ts=T, out=10)])
    update_ledger([root], state, now=NOW)
    before = {p.name: (p.stat().st_ino, p.read_bytes()) for p in state.iterdir()}
    store_mtime = (state / "store.json").stat().st_mtime_ns
    again = update_ledger([root], state, now=NOW)
    assert (again.files_unchanged, again.bytes_read, again.entries) == (1, 0, 0)
    assert {p.name: (p.stat().st_ino, p.read_bytes()) for p in state.iterdir()} == before
    assert (state / "store.json").stat().st_mtime_ns == store_mtime
    assert output(state) == 10


def test_half_written_line_waits_for_its_newline(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    whole = asst("m2", "r2", ts=T + 5, out=20).encode()
    write(f, [asst("m1", "r1", ts=T, out=10), whole[:50]], newline=False)
    first = update_ledger([root], state, now=NOW)
    assert (first.entries, first.partial_pending, first.malformed) == (1, 1, 0)
    with open(f, "ab") as fh:
        fh.write(whole[50:] + b"\n")
    second = update_ledger([root], state, now=NOW)
    assert (second.entries, second.malformed) == (1, 0)
    assert output(state) == 30


def test_streaming_duplicate_in_later_append_keeps_the_largest(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [asst("m1", "r1", ts=T, out=1, cr=1000)])
    update_ledger([root], state, now=NOW)
    write(f, [asst("m1", "r1", ts=T + 1, out=300, cr=1000), asst("m1", "r1", ts=T + 2, out=5, cr=1000)])
    second = update_ledger([root], state, now=NOW)
    assert (second.replaced_by_larger, second.duplicates, second.entries) == (1, 1, 0)
    assert totals(state)["claude-opus-4-6"] == (1, 300, 0, 1000)


def test_truncated_file_is_read_again_without_double_counting(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    keep = asst("m1", "r1", ts=T, out=10)
    write(f, [keep, asst("m2", "r2", ts=T + 5, out=20), asst("m3", "r3", ts=T + 6, out=40)])
    update_ledger([root], state, now=NOW)
    write(f, [keep, asst("m4", "r4", ts=T + 9, out=100)], mode="wb")
    assert f.stat().st_size < 3 * len(keep)
    second = update_ledger([root], state, now=NOW)
    assert second.files_truncated == 1
    assert (second.entries, second.duplicates) == (1, 1)
    assert output(state) == 170  # what was sent stays sent


def test_rewritten_and_regrown_past_the_old_offset_is_noticed(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [asst("m1", "r1", ts=T, out=10)])
    update_ledger([root], state, now=NOW)
    ino = f.stat().st_ino
    write(f, [asst("m5", "r5", ts=T + 1, out=7, content=[{"type": "text", "text": "y" * 500}]),
              asst("m6", "r6", ts=T + 2, out=9)], mode="r+b")  # same inode, larger, other bytes
    assert f.stat().st_ino == ino
    second = update_ledger([root], state, now=NOW)
    assert second.files_truncated == 1
    assert output(state) == 26


def test_replaced_by_a_new_inode(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    lines = [asst("m1", "r1", ts=T, out=10), asst(None, None, ts=T + 1, out=3)]
    write(f, lines)
    update_ledger([root], state, now=NOW)
    tmp = f.with_suffix(".tmp")
    write(tmp, [*lines, asst("m2", "r2", ts=T + 5, out=20)], mode="wb")
    os.replace(tmp, f)
    second = update_ledger([root], state, now=NOW)
    assert second.files_replaced == 1
    # m1 is known by id; the id-less line is not newer than what we had read: both skipped.
    assert (second.entries, second.duplicates) == (1, 2)
    assert output(state) == 33


def test_deleted_file_leaves_its_tokens(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [asst("m1", "r1", ts=T, out=10)])
    update_ledger([root], state, now=NOW)
    f.unlink()
    second = update_ledger([root], state, now=NOW)
    assert second.files_deleted == 1
    assert output(state) == 10
    write(f, [asst("m1", "r1", ts=T, out=10)])  # the same response again: still one
    third = update_ledger([root], state, now=NOW)
    assert (third.files_new, third.duplicates) == (1, 1)
    assert output(state) == 10


def test_resumed_copy_in_a_new_file_counts_once(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    old = [asst("m1", "r1", ts=T, out=10), asst("m2", "r2", ts=T + 5, out=20)]
    write(f, old)
    update_ledger([root], state, now=NOW)
    copy = f.with_name("s2.jsonl")
    write(copy, [*[line.replace('"s1"', '"s2"') for line in old], asst("m3", "r3", ts=T + 60, out=5, session="s2")])
    second = update_ledger([root], state, now=NOW)
    assert (second.entries, second.duplicates) == (1, 2)
    assert output(state) == 35


def test_old_responses_are_still_recognised_from_the_archive(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    old_t = NOW - (RECENT_DEDUP_DAYS + 3) * 86400
    write(f, [asst("m1", "r1", ts=old_t, out=10), asst("m2", None, ts=old_t, out=20)])
    update_ledger([root], state, now=NOW)
    assert list(state.glob("archive-*.bin")), "old records should have moved to the archive"
    write(f.with_name("s2.jsonl"), [asst("m1", "r1", ts=old_t, out=10, session="s2"),
                                    asst("m2", None, ts=old_t, out=20)])
    second = update_ledger([root], state, now=NOW)
    assert (second.entries, second.duplicates) == (0, 2)
    assert output(state) == 30


def test_bounded_dedup_memory_still_dedups_copies(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    lines = [asst(f"m{i}", f"r{i}", ts=T + i, out=1) for i in range(50)]
    write(f, lines)
    write(f.with_name("s2.jsonl"), lines)  # a full copy, read after 50 other records
    stats = update_ledger([root], state, now=NOW, dedup_cap=10)
    assert (stats.entries, stats.duplicates) == (50, 50)
    assert output(state) == 50


def test_sidechain_replay_across_runs(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    sub = f.parent / "s1" / "subagents" / "agent-a.jsonl"
    write(sub, [asst("m1", "r-side", ts=T, out=50, side=True)])
    update_ledger([root], state, now=NOW)
    assert output(state) == 50
    write(f, [asst("m1", "r1", ts=T, out=10)])  # the parent copy wins, whatever its total
    update_ledger([root], state, now=NOW)
    assert output(state) == 10
    write(sub, [asst("m1", "r-side2", ts=T + 1, out=70, side=True)])
    update_ledger([root], state, now=NOW)
    assert output(state) == 10


def test_malformed_and_binary_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [
        b"\x00\x01\xff\xfe garbage",
        b'{"type":"assistant","message":{"usage":{"input_tokens":',
        b"\xef\xbb\xbf" + asst("m0", "r0", ts=T, out=99).encode(),
        asst("m1", "r1", ts=T, out=10),
        b"",
        b"   ",
        os.urandom(3000).replace(b"\n", b""),
    ])
    stats = update_ledger([root], state, now=NOW)
    assert stats.entries == 1
    assert stats.malformed >= 4
    assert output(state) == 10


def test_prompts_count_turns_once(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [prompt("fix it", ts=T, uuid="p1"), prompt("<command-name>/clear</command-name>", ts=T, uuid="p2"),
              prompt("meta", ts=T, uuid="p3", isMeta=True), asst("m1", "r1", ts=T + 1, out=10)])
    write(f.with_name("s2.jsonl"), [prompt("fix it", ts=T, uuid="p1", session="s2")])
    stats = update_ledger([root], state, now=NOW)
    assert stats.prompts == 1


def test_prompts_found_past_the_head_of_a_long_line(tmp_path: Path) -> None:
    # The scan looks for the prompt marker in a line's head first; a long cwd pushes it further.
    root, state, f = setup(tmp_path)
    deep = "/work/" + "d" * (PROMPT_HEAD + 500)
    long_text = "word " * 2000
    write(f, [
        prompt("typed after a long cwd", ts=T, uuid="p1", cwd=deep),
        prompt(long_text, ts=T + 1, uuid="p2"),
        tool_result(ts=T + 2, size=PROMPT_HEAD * 3),
        asst("m1", "r1", ts=T + 3, out=10, cwd=deep),
    ])
    stats = update_ledger([root], state, now=NOW)
    assert stats.prompts == 2
    assert output(state) == 10


def test_state_files_are_private(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [asst("m1", "r1", ts=T, out=10)])
    update_ledger([root], state, now=NOW)
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    files = [p for p in state.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"index.json", "store.json", "ledger.lock"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name


def test_roots_from_claude_config_dir_list(tmp_path: Path, monkeypatch: object) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    a, b = tmp_path / "a", tmp_path / "b"
    write(a / "projects" / "-p" / "s1.jsonl", [asst("m1", "r1", ts=T, out=10)])
    write(b / "projects" / "-q" / "s2.jsonl", [asst("m2", "r2", ts=T, out=20, session="s2")])
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{a}, {b / 'projects'},{tmp_path / 'missing'}")
    state = tmp_path / "state"
    stats = update_ledger(None, state, now=NOW)
    assert (stats.roots, stats.entries) == (2, 2)
    store = load_store(state)
    assert sorted(store.roots()) == sorted([str(a), str(b)])


def test_queries_by_time_family_and_project(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [asst("m1", "r1", ts=T, out=10), asst("m2", "r2", ts=T + 600, model="claude-sonnet-4-5", out=20)])
    write(root / "projects" / "-work-p2" / "s9.jsonl",
          [asst("m3", "r3", ts=T + 1200, out=40, session="s9", cwd="/work/p2")])
    update_ledger([root], state, now=NOW)
    store = load_store(state)
    by = store.tokens(T - 60, T + 3600, by=("family", "project"))
    assert {k: v.output for k, v in by.items()} == {
        ("opus", "-work-p1"): 10, ("sonnet", "-work-p1"): 20, ("opus", "-work-p2"): 40,
    }
    early = store.tokens(T - 60, T + 300, by=("family",))
    assert {k: v.output for k, v in early.items()} == {("opus",): 10}
    assert store.cwd[(str(root), "-work-p2")] == "/work/p2"


def test_lost_or_corrupt_store_reads_everything_again(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [asst("m1", "r1", ts=T, out=10)])
    update_ledger([root], state, now=NOW)
    (state / "store.json").unlink()
    again = update_ledger([root], state, now=NOW)
    assert (again.files_new, again.entries) == (1, 1)
    assert output(state) == 10
    (state / "store.json").write_text("{not json")
    write(f, [asst("m2", "r2", ts=T + 5, out=20)])
    third = update_ledger([root], state, now=NOW)
    assert third.files_new == 1
    assert output(state) == 30


def test_chunk_boundaries_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Lines straddle reads, one line spans many, the last has no newline: same result at any size.
    _, _, f = setup(tmp_path)
    lines: list[str | bytes] = []
    for i in range(40):
        lines.append(prompt(f"prompt {i} " + "w" * (i * 37), ts=T + i, uuid=f"p{i}"))
        lines.append(asst(f"m{i}", f"r{i}", ts=T + i, out=i + 1))
        lines.append(tool_result(ts=T + i, size=i * 50))
    lines.append(b"\x00garbage\xff")
    lines.append(asst("last", "rl", ts=T + 99, out=1000))
    write(f, lines, newline=False)
    expected = scan.extract(str(f), 0)
    for size in (1, 7, 64, 4096):
        monkeypatch.setattr(scan, "CHUNK", size)
        got = scan.extract(str(f), 0)
        assert got.entries == expected.entries
        assert got.prompts == expected.prompts
        assert (got.malformed, got.partial, got.state) == (expected.malformed, expected.partial, expected.state)
    # One malformed line: the garbage. Tool results that carry a usage object are not usage lines.
    assert len(expected.entries) == 41 and len(expected.prompts) == 40 and expected.malformed == 1


def test_progress_reports_bytes_until_done(tmp_path: Path) -> None:
    root, state, f = setup(tmp_path)
    write(f, [asst(f"m{i}", f"r{i}", ts=T + i, out=1) for i in range(50)])
    write(f.with_name("s2.jsonl"), [asst("x", "rx", ts=T, out=1)])
    seen: list[tuple[int, int]] = []
    update_ledger([root], state, now=NOW, progress=lambda done, todo: seen.append((done, todo)))
    total = f.stat().st_size + f.with_name("s2.jsonl").stat().st_size
    assert len(seen) == 2 and seen[-1] == (total, total) and seen[0][0] < total
    seen.clear()
    update_ledger([root], state, now=NOW, progress=lambda done, todo: seen.append((done, todo)))
    assert seen == []  # nothing new: nothing to report


@settings(max_examples=40, deadline=None)
@given(
    counts=st.tuples(*[st.one_of(st.integers(0, 10**6), st.integers(10**8 - 10, 2**64 - 1)) for _ in range(4)]),
)
def test_a_line_claiming_more_tokens_than_a_response_can_hold_is_skipped_like_a_malformed_one(
    counts: tuple[int, int, int, int],
) -> None:
    """A damaged or forged line (2^64-1 tokens, say) would stand in every report for 400 days."""
    inp, out, cc, cr = counts
    plausible = sum(counts) <= parse.MAX_RESPONSE_TOKENS
    with tempfile.TemporaryDirectory() as tmp:
        root, state, f = setup(Path(tmp))
        write(f, [asst("m0", "r0", ts=T, inp=inp, out=out, cc=cc, cr=cr), asst("m1", "r1", ts=T + 1, out=10)])
        stats = update_ledger([root], state, now=NOW)
        assert stats.malformed == (0 if plausible else 1)
        assert output(state) == 10 + (out if plausible else 0)
        assert sum(sum(v) for v in totals(state).values()) == 11 + (sum(counts) if plausible else 0)


def _report_total(home: Home) -> tuple[int, dict[str, Any], str]:
    done = home.run("report", "--json", timeout=60)
    assert done.code == 0, done.err
    report = json.loads(done.out)
    return report["totals"]["tokens"]["total"], report["ledger"], done.err


def _doctor_ledger(home: Home) -> str:
    done = home.run("doctor", "--no-timing", timeout=60)
    return "\n".join(line for line in done.out.splitlines() if " ledger " in line)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["empty", "torn", "garbage", "wrong schema", "fifo", "directory"])
def test_an_unreadable_store_is_counted_again_from_the_transcripts_and_doctor_says_so(
    home: Home, damage: str
) -> None:
    """The store and its index are one unit: an unreadable store.json no longer leaves an index that
    says every byte was counted (report 0 tokens for good, doctor ok); the next run counts every
    transcript again, report and doctor say what happened, the old file is kept aside."""
    f = home.claude / "projects" / "-work-p1" / "s1.jsonl"
    write(f, [asst("m1", "r1", ts=T, out=10), asst("m2", "r2", ts=T + 5, out=20)])
    total, stats, _ = _report_total(home)
    assert total == 32 and stats["files_new"] == 1
    assert "1 transcripts counted" in _doctor_ledger(home)
    store = home.state / "ledger" / "store.json"
    good = store.read_bytes()
    store.unlink()
    if damage == "fifo":
        os.mkfifo(store)
    elif damage == "directory":
        store.mkdir()
    else:
        store.write_bytes({"empty": b"", "torn": good[: len(good) // 2], "garbage": os.urandom(300),
                           "wrong schema": b'{"schema": 99}'}[damage])
    doctor = _doctor_ledger(home)  # before any update: the store is unreadable, and it says so
    assert "[FAIL] ledger" in doctor and "store.json" in doctor, doctor
    total, stats, err = _report_total(home)  # never hangs on a FIFO either (the run's timeout)
    assert total == 32 and stats["rebuilt"] and stats["damaged"] and stats["files_new"] == 1, stats
    assert "counted again" in err
    doctor = _doctor_ledger(home)
    assert "[  ok] ledger" in doctor and "counted again" in doctor and "store.json.unreadable" in doctor, doctor
    total, stats, _ = _report_total(home)  # and from then on as before: nothing counted twice
    assert total == 32 and not stats["damaged"] and stats["files_unchanged"] == 1


def test_store_and_index_writes_reach_the_disk_before_they_replace_the_old_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A power cut after a replace whose data was not on disk yet leaves an empty file under the
    new name: the file is synced before its replace, the directory after it."""
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    replaced: list[tuple[str, list[str]]] = []
    real_replace = fastos.replace

    def replace(src: Any, dst: Any) -> None:
        replaced.append((str(dst), list(synced)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(fastos, "replace", replace)  # paths.replace_file's
    root, state, f = setup(tmp_path)
    write(f, [asst("m1", "r1", ts=T, out=10)])
    update_ledger([root], state, now=NOW)
    for name in ("store.json", "index.json"):
        [(_, before)] = [r for r in replaced if r[0].endswith("/" + name)]
        assert any(Path(p).name.startswith(f"{name}.quotaline-") for p in before), (name, before)  # its temp file
    assert synced.count(str(state)) >= 2  # the directory, after each replace


def test_a_fifo_at_the_index_is_never_waited_on_and_nothing_counts_twice(home: Home) -> None:
    f = home.claude / "projects" / "-work-p1" / "s1.jsonl"
    write(f, [asst("m1", "r1", ts=T, out=10), asst("m2", "r2", ts=T + 5, out=20)])
    assert _report_total(home)[0] == 32
    index = home.state / "ledger" / "index.json"
    index.unlink()
    os.mkfifo(index)
    total, stats, _ = _report_total(home)  # within the run's timeout: the store's records dedupe the re-read
    assert total == 32 and stats["duplicates"] == 2 and index.is_file() and not index.is_fifo()
