"""The ledger's totals equal the real ccusage's on the same transcript tree.

Needs the pinned ccusage (see ``helpers.ledger.CCUSAGE_INSTALL``); skipped with that command as the
reason when it is absent. ccusage runs offline, in UTC, with ``CLAUDE_CONFIG_DIR`` on the tree.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from helpers.ledger import CCUSAGE_INSTALL, asst, ccusage_bin, iso, prompt, tool_result

from statusline.ledger import update_ledger
from statusline.ledger.store import load_store

MODELS = ["claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5", "claude-fable-5-1"]
Appends = list[tuple[Path, bytes]]


def _session(rng: random.Random, proj: Path, session: str, t: float, cwd: str, n: int) -> tuple[Appends, list[str]]:
    """A session with streaming duplicates (the largest not always last), prompts and tool results."""
    out: Appends = []
    kept: list[str] = []
    f = proj / f"{session}.jsonl"
    for i in range(n):
        t += rng.uniform(5, 200)
        out.append((f, (prompt(f"task {i}", ts=t, session=session, uuid=f"{session}-p{i}", cwd=cwd) + "\n").encode()))
        mid, rid = f"msg_{session}_{i}", f"req_{session}_{i}"
        model = rng.choice(MODELS)
        base = dict(inp=rng.randint(1, 40), cc=rng.randint(0, 4000), cr=rng.randint(0, 90000))
        outs = sorted(rng.sample(range(1, 3000), rng.randint(1, 4)))
        if len(outs) > 2 and rng.random() < 0.3:
            outs[-1], outs[-2] = outs[-2], outs[-1]
        for j, o in enumerate(outs):
            line = asst(mid, rid, ts=t + j * 0.3, model=model, out=o, session=session, cwd=cwd, **base)
            out.append((f, (line + "\n").encode()))
            kept.append(line)
        out.append((f, (tool_result(ts=t + 2, session=session, size=rng.randint(10, 3000)) + "\n").encode()))
    return out, kept


def build_tree(root: Path, base: float, seed: int = 7) -> tuple[Appends, Appends]:
    """(first stage, second stage) of appends; the second continues files the first started."""
    rng = random.Random(seed)
    stage1: Appends = []
    stage2: Appends = []
    projects = root / "projects"
    copies: list[tuple[Path, list[str]]] = []
    for p in range(4):
        proj = projects / f"-work-proj{p}"
        cwd = f"/work/proj{p}"
        for s in range(3):
            session = f"sess-{p}-{s}"
            appends, kept = _session(rng, proj, session, base + p * 3000 + s * 700, cwd, rng.randint(6, 14))
            cut = rng.randint(1, len(appends) - 1)  # may split a response's streaming lines
            stage1 += appends[:cut]
            stage2 += appends[cut:]
            copies.append((proj, kept))

    def add(stage: Appends, rel: str, *lines: str | bytes) -> None:
        for line in lines:
            data = line if isinstance(line, bytes) else line.encode() + b"\n"
            stage.append((projects / rel, data))

    t = base + 20000
    p0 = "-work-proj0/sess-0-0"
    # Subagents: their own responses, a progress copy in the parent, and a /btw-style sidechain replay.
    sub = f"{p0}/subagents/agent-a1.jsonl"
    add(stage1, sub, asst("msg_sub1", "req_sub1", ts=t, out=500, session="sess-0-0", side=True),
        asst("msg_sub1", "req_sub1", ts=t + 1, out=900, session="sess-0-0", side=True))
    progress = {"type": "progress", "sessionId": "sess-0-0", "timestamp": iso(t + 2), "data": {"type": "agent_progress",
                "message": {"timestamp": iso(t + 1), "requestId": "req_sub1", "isSidechain": True,
                            "message": {"id": "msg_sub1", "model": "claude-haiku-4-5",
                                        "usage": {"input_tokens": 3, "output_tokens": 900}}}}}
    add(stage1, f"{p0}.jsonl", json.dumps(progress, separators=(",", ":")))
    parent = asst("msg_parent", "req_parent", ts=t + 3, out=77, session="sess-0-0")
    add(stage1, f"{p0}.jsonl", parent)
    add(stage2, sub, asst("msg_parent", "req_btw", ts=t + 50, out=80000, session="sess-0-0", side=True))
    add(stage2, sub, asst("msg_sub2", "req_sub2", ts=t + 60, out=33, session="sess-0-0", side=True))
    # A resumed session: copies of another session's responses under a new session id, then new work.
    _, kept = copies[1]
    resumed = [line.replace('"sess-0-1"', '"sess-0-9"') for line in kept[:6]]
    fresh = asst("msg_new9", "req_new9", ts=t + 70, out=12, session="sess-0-9")
    add(stage2, "-work-proj0/sess-0-9.jsonl", *resumed, fresh)
    # Nested (non-subagent) layout and a second level of project.
    add(stage1, "-work-proj3/sess-3-9/chat.jsonl", asst("msg_n1", "req_n1", ts=t + 80, out=21, session="sess-3-9"))
    # The oddities ccusage decides about one way or the other.
    q = "-work-proj2/sess-2-0.jsonl"
    add(stage1, q,
        asst("msg_syn", None, ts=t + 90, model="<synthetic>", out=0, inp=0),
        asst(None, None, ts=t + 91, out=13),
        asst(None, None, ts=t + 91, out=13),
        asst(None, "req_noid", ts=t + 92, out=14),
        asst("msg_noreq", None, ts=t + 93, out=15),
        asst("msg_noreq", None, ts=t + 93, out=16),
        asst("msg_noreq", None, ts=t + 94, out=17),
        asst("msg_nomodel", "req_nomodel", ts=t + 95, model=None, out=18),
        asst("msg_null", "req_null", ts=t + 96, out=19, cwd=None),
        asst("msg_badver", "req_badver", ts=t + 97, out=20, version="unknown"),
        asst("msg_badts", "req_badts", ts=t + 98, out=21, timestamp="2026-11-20 10:00:00"),
        asst("msg_sp", "req_sp", ts=t + 99, out=22).replace('"usage":{', '"usage": {'),
        asst("msg_fast", "req_fast", ts=t + 100, out=23).replace('"service_tier"', '"speed":"fast","service_tier"'),
        (asst("msg_crlf", "req_crlf", ts=t + 101, out=24) + "\r").encode() + b"\n",
        b"\x00\x9f\xff binary \"usage\":{ garbage\n",
        asst("msg_cut", "req_cut", ts=t + 102, out=25)[:-40].encode() + b"\n",
        asst("msg_float", "req_float", ts=t + 103, out=26).replace('"output_tokens":26', '"output_tokens":26.0'),
        asst("msg_str", "req_str", ts=t + 104, out=27, isSidechain="no"),
        )
    # Streaming repeats with byte-identical usage (skipped unparsed) and near-repeats that must not be.
    rep = "-work-proj3/sess-3-0.jsonl"
    same = dict(out=31, cr=5000, session="sess-3-0", cwd="/work/proj3")
    add(stage1, rep,
        asst("msg_rep", "req_rep", ts=t + 120, content=[{"type": "thinking", "thinking": "a"}], **same),
        asst("msg_rep", "req_rep", ts=t + 121, content=[{"type": "text", "text": "b"}], **same),
        asst("msg_rep", "req_rep", ts=t + 122, content=[{"type": "tool_use", "id": "t", "input": {}}], **same),
        asst("msg_rep2", "req_rep2", ts=t + 123, side=True, **same),
        asst("msg_rep2", "req_rep2", ts=t + 124, side=False, **same),  # parent beats sidechain
        asst("msg_rep3", "req_rep3", ts=t + 125, cwd=None, out=40, session="sess-3-0"),  # rejected (null)
        asst("msg_rep3", "req_rep3", ts=t + 126, out=40, session="sess-3-0", cwd="/work/proj3"),  # counts
        )
    add(stage2, rep, asst("msg_rep", "req_rep", ts=t + 129, **same))  # a repeat in a later append

    def message_first(line: str) -> str:  # the other key order seen in transcripts
        d = json.loads(line)
        return json.dumps({"message": d.pop("message"), **d}, separators=(",", ":"))

    alt = "-work-proj3/sess-3-1.jsonl"
    same1 = dict(out=51, cr=7000, session="sess-3-1", cwd="/work/proj3")
    add(stage1, alt, *[message_first(x) for x in (
        asst("msg_alt", "req_alt", ts=t + 130, content=[{"type": "thinking", "thinking": "a"}], **same1),
        asst("msg_alt", "req_alt", ts=t + 131, content=[{"type": "text", "text": "b"}], **same1),
        asst("msg_alt2", "req_alt2", ts=t + 132, side=True, **same1),
        asst("msg_alt2", "req_alt2", ts=t + 133, **same1),
        asst("msg_alt3", None, ts=t + 134, **same1),
        asst("msg_alt3", None, ts=t + 135, **same1),  # no request id: another timestamp is another entry
    )])
    advisor = json.loads(asst("msg_adv", "req_adv", ts=t + 105, out=28))
    advisor["message"]["usage"]["iterations"] = [
        {"type": "message", "model": None, "input_tokens": 1, "output_tokens": 28},
        {"type": "advisor_message", "model": "claude-opus-4-6", "input_tokens": 400, "output_tokens": 60,
         "cache_read_input_tokens": 1000},
    ]
    add(stage2, q, json.dumps(advisor, separators=(",", ":")))
    # A file whose last line is still being written when ccusage and we read it.
    add(stage2, "-work-proj1/sess-1-0.jsonl", asst("msg_tail", "req_tail", ts=t + 110, out=29)[:70].encode())
    return stage1, stage2


def apply(appends: Appends) -> None:
    for path, data in appends:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as fh:
            fh.write(data)


def run_ccusage(binary: str, root: Path, tmp: Path, *extra: str) -> dict[str, Any]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp), "CLAUDE_CONFIG_DIR": str(root),
           "NO_COLOR": "1", "TZ": "UTC"}
    proc = subprocess.run([binary, "claude", "daily", "--json", "--offline", "-z", "UTC", *extra],
                          capture_output=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def breakdown(days: list[dict[str, Any]]) -> dict[str, tuple[int, int, int, int]]:
    out: dict[str, tuple[int, int, int, int]] = {}
    for day in days:
        for m in day["modelBreakdowns"]:
            prev = out.get(m["modelName"], (0, 0, 0, 0))
            add = (m["inputTokens"], m["outputTokens"], m["cacheCreationTokens"], m["cacheReadTokens"])
            out[m["modelName"]] = (prev[0] + add[0], prev[1] + add[1], prev[2] + add[2], prev[3] + add[3])
    return out


@pytest.fixture
def ccusage() -> str:
    binary = ccusage_bin()
    if binary is None:
        pytest.skip(f"ccusage not installed; set QUOTALINE_CCUSAGE or run: {CCUSAGE_INSTALL}")
    return binary


def ours(state: Path) -> tuple[dict[str, tuple[int, int, int, int]], int, dict[tuple[str, str], tuple[int, ...]]]:
    store = load_store(state)
    by_model = {m: (t.input, t.output, t.cache_creation, t.cache_read) for m, t in store.all_time_by_model().items()}
    total = sum(sum(v) for v in by_model.values())
    named = {m: v for m, v in by_model.items() if m not in ("", "<synthetic>")}
    per_project: dict[tuple[str, str], tuple[int, ...]] = {}
    for (project, model), tok in store.tokens(0, time.time() + 86400, by=("project", "model")).items():
        assert project is not None and model is not None
        if model and model != "<synthetic>" and tok.total:
            per_project[(project, model)] = (tok.input, tok.output, tok.cache_creation, tok.cache_read)
    return named, total, per_project


def expected(binary: str, root: Path, tmp: Path) -> tuple[dict[str, tuple[int, int, int, int]], int,
                                                          dict[tuple[str, str], tuple[int, ...]]]:
    daily = run_ccusage(binary, root, tmp)
    per_project: dict[tuple[str, str], tuple[int, ...]] = {}
    for project, days in run_ccusage(binary, root, tmp, "-i")["projects"].items():
        for model, counts in breakdown(days).items():
            per_project[(project, model)] = counts
    return breakdown(daily["daily"]), int(daily["totals"]["totalTokens"]), per_project


def test_one_scan_equals_ccusage(tmp_path: Path, ccusage: str) -> None:
    root = tmp_path / "claude"
    stage1, stage2 = build_tree(root, time.time() - 2 * 86400)
    apply(stage1 + stage2)
    stats = update_ledger([root], tmp_path / "state", workers=1)
    assert stats.malformed >= 8 and stats.partial_pending == 1
    want = expected(ccusage, root, tmp_path)
    assert ours(tmp_path / "state") == want
    parallel = update_ledger([root], tmp_path / "state2", workers=2)
    assert parallel.workers == 2 and parallel.entries == stats.entries
    assert ours(tmp_path / "state2") == want


def test_incremental_scans_equal_ccusage(tmp_path: Path, ccusage: str) -> None:
    root = tmp_path / "claude"
    stage1, stage2 = build_tree(root, time.time() - 2 * 86400, seed=11)
    apply(stage1)
    state = tmp_path / "state"
    update_ledger([root], state)
    assert ours(state) == expected(ccusage, root, tmp_path)
    half = len(stage2) // 2
    apply(stage2[:half])
    update_ledger([root], state)
    apply(stage2[half:])
    second = update_ledger([root], state)
    assert second.files_grown > 0 and second.files_new >= 0
    assert ours(state) == expected(ccusage, root, tmp_path)


def test_version_is_the_pinned_one(ccusage: str) -> None:
    proc = subprocess.run([ccusage, "--version"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.stdout.strip().endswith("20.0.24"), proc.stdout
