"""``quotaline report --by branch``: tokens and the server's movement per git branch of each project.

A synthetic transcript tree: two projects, sessions on several branches, a branch switch in the
middle of a session, a subagent transcript, streaming repeats of each response, lines whose
``gitBranch`` is missing or hostile, Claude Code's own ``<synthetic>`` messages; and a server whose
weekly windows rose by this machine's tokens / K at each reading, plus once by another machine.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from helpers.ledger import asst, prompt, write
from hypothesis import given
from hypothesis import strategies as st

from statusline.commands import report
from statusline.core.draw.textsafe import fit, width
from statusline.ledger import update_ledger
from statusline.ledger.branches import NO_BRANCH
from statusline.ledger.dedup import key_hash, month_of_minute
from statusline.ledger.parse import MAX_BRANCH_LEN, branch_of, parse_usage_line
from statusline.ledger.side import Ledger
from statusline.ledger.store import STORE_FILE, Store, load_store

NOW = time.time()
K = 50_000  # tokens per percent in this world
OPUS = "claude-opus-4-6"
SONNET = "claude-sonnet-4-5"
RESET = NOW + 2 * 86400  # the weekly windows reset in two days: their period began 5 days ago
WEEK_START = RESET - 7 * 86400
WIDE = "機能/ログイン"
LONG = "feature/" + "x" * 200  # a valid name, too long for the table
HOSTILE: list[Any] = [
    "",
    " ",
    "two words",
    "x" * (MAX_BRANCH_LEN + 1),
    "feat\x1b]0;pwned\x07",
    "a\nb",
    "\u202eevil",
    "\ud800",
    42,
    None,
    ["main"],
    {"a": 1},
    True,
]


def columns(text: str) -> int:
    """Terminal columns, as a terminal draws them (the oracle for ``textsafe.width``)."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def line(mid: str, *, ts: float, tokens: int, branch: Any = ..., out: int = 900, inp: int = 1, **kw: Any) -> str:
    """An assistant line as Claude Code writes it, ``gitBranch`` beside ``cwd`` (``...``: none);
    its token total is ``tokens``."""
    obj = json.loads(asst(mid, f"req-{mid}", ts=ts, inp=inp, out=out, cr=tokens - inp - out, **kw))
    ordered: dict[str, Any] = {}
    for key, value in obj.items():
        ordered[key] = value
        if key == "cwd" and branch is not ...:
            ordered["gitBranch"] = branch
    return json.dumps(ordered, separators=(",", ":"))


def response(mid: str, *, ts: float, tokens: int, **kw: Any) -> list[str]:
    """One response streamed as three lines (one per content block), the largest in the middle."""
    return [
        line(mid, ts=ts, tokens=tokens - 500, out=400, **kw),
        line(mid, ts=ts + 0.2, tokens=tokens, **kw),
        line(mid, ts=ts + 0.4, tokens=tokens - 100, out=800, **kw),
    ]


def synthetic(mid: str, *, ts: float, branch: str, session: str) -> str:
    """Claude Code's own message (an API error, "No response requested."): model <synthetic>, no usage."""
    return line(mid, ts=ts, tokens=0, out=0, inp=0, model="<synthetic>", branch=branch, session=session)


APP, LIB = "/work/app", "/work/lib"


def build_tree(root: Path) -> tuple[dict[str, Any], dict[tuple[str, str | None], dict[str, int]]]:
    """(snapshot, expected tokens per (project, branch) by family) of the world above."""
    projects = root / "projects"
    s1 = projects / "-work-app" / "s1.jsonl"
    sub = projects / "-work-app" / "s1" / "subagents" / "agent-a1.jsonl"
    s2 = projects / "-work-lib" / "s2.jsonl"
    s3 = projects / "-work-app" / "s3.jsonl"
    expected: dict[tuple[str, str | None], dict[str, int]] = {}

    def count(project: str, branch: str | None, family: str, n: int) -> None:
        fams = expected.setdefault((project, branch), {})
        fams[family] = fams.get(family, 0) + n

    opus_hist: list[list[float]] = [[NOW - 14_000, 0.0, RESET]]
    week_hist: list[list[float]] = [[NOW - 14_000, 0.0, RESET]]
    opus_pct = week_pct = 0.0
    t = NOW - 13_800
    for i in range(12):
        # s1: "main" for six responses, then the session switches to "feat/login".
        branch = "main" if i < 6 else "feat/login"
        opus = 100_000 + 20_000 * i
        write(
            s1,
            [
                prompt(f"task {i}", ts=t - 5, uuid=f"p{i}", cwd=APP, gitBranch=branch),
                *response(f"a{i}", ts=t, tokens=opus, branch=branch, cwd=APP),
            ],
        )
        count("-work-app", branch, "opus", opus)
        sonnet = 0
        if i % 3 == 0:  # a subagent of s1, on the branch of its parent's moment
            write(sub, response(f"sub{i}", ts=t + 30, tokens=60_000, branch=branch, cwd=APP, side=True))
            count("-work-app", branch, "opus", 60_000)
            opus += 60_000
        if i % 2 == 1:  # the other project: "main" too, and Sonnet
            write(s2, response(f"l{i}", ts=t + 60, tokens=80_000, branch="main", cwd=LIB, model=SONNET, session="s2"))
            count("-work-lib", "main", "sonnet", 80_000)
            sonnet = 80_000
        if i == 4:  # hostile branch values: all in "(no branch)"
            for j, value in enumerate(HOSTILE):
                write(s2, [line(f"h{j}", ts=t + 90, tokens=1_000, branch=value, cwd=LIB, session="s2")])
            write(s2, [line("nob", ts=t + 95, tokens=2_000, cwd=LIB, session="s2")])  # no gitBranch at all
            count("-work-lib", None, "opus", 1_000 * len(HOSTILE) + 2_000)
            opus += 1_000 * len(HOSTILE) + 2_000
        if i == 7:  # names that are valid but not ASCII, or too long to show whole
            write(
                s3,
                [
                    line("w1", ts=t + 100, tokens=3_000, branch=WIDE, cwd=APP, session="s3"),
                    line("w2", ts=t + 101, tokens=4_000, branch=LONG, cwd=APP, session="s3"),
                    synthetic("syn1", ts=t + 102, branch="feat/login", session="s3"),
                ],
            )
            count("-work-app", WIDE, "opus", 3_000)
            count("-work-app", LONG, "opus", 4_000)
            opus += 7_000
        opus_pct += opus / K
        week_pct += (opus + sonnet) / K
        if i == 9:  # another machine: the server moves, this one sent nothing meanwhile
            opus_hist.append([t + 150, opus_pct, RESET])
            week_hist.append([t + 150, week_pct, RESET])
            opus_pct += 1.0
            week_pct += 1.0
            opus_hist.append([t + 160, opus_pct, RESET])
            week_hist.append([t + 160, week_pct, RESET])
        else:
            opus_hist.append([t + 150, opus_pct, RESET])
            week_hist.append([t + 150, week_pct, RESET])
        t += 600
    # Before this weekly period: left out by default, in with --since 7d.
    write(
        projects / "-work-app" / "s0.jsonl",
        response("old", ts=NOW - 6 * 86400, tokens=500_000, branch="old/work", cwd=APP, session="s0"),
    )
    snapshot = {
        "schema": 1,
        "account": {"config_dir": str(root), "uuid": None},
        "windows": {
            "seven_day": {"id": "seven_day", "used_pct": week_pct, "resets_at": RESET},
            "seven_day:opus": {"id": "seven_day:opus", "used_pct": opus_pct, "resets_at": RESET},
        },
        "history": {"seven_day": week_hist, "seven_day:opus": opus_hist},
    }
    return snapshot, expected


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, Any], dict[Any, dict[str, int]]]:
    root = tmp_path / "claude"
    snap, expected = build_tree(root)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(root))
    monkeypatch.setenv("QUOTALINE_STATE_DIR", str(tmp_path / "qstate"))
    return root, snap, expected


def run_json(capsys: pytest.CaptureFixture[str], *argv: str, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    assert report.run(["--by", "branch", "--json", *argv], snapshot=snapshot) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def test_each_branch_of_each_project_gets_its_tokens_once(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, snap, expected = world
    data = run_json(capsys, snapshot=snap)
    got = {(b["project"], b["branch"]): b["by_family"] for b in data["branches"]}
    assert got == expected  # streaming repeats once, the subagent with its branch, the switch mid-session
    assert ("-work-app", "main") in got and ("-work-lib", "main") in got  # one name, two repositories
    assert ("-work-app", "old/work") not in got  # before the current weekly period
    nob = next(b for b in data["branches"] if b["branch"] is None)
    assert nob["label"] == NO_BRANCH and nob["project"] == "-work-lib"
    total = sum(sum(f.values()) for f in expected.values())
    assert data["totals"]["tokens"]["total"] == total
    assert sum(b["share"] for b in data["branches"]) == pytest.approx(1.0, abs=1e-3)
    first = data["branches"][0]
    assert first["share"] == pytest.approx(first["tokens"]["total"] / total, abs=1e-4)
    assert [b["tokens"]["total"] for b in data["branches"]] == sorted(
        (b["tokens"]["total"] for b in data["branches"]), reverse=True
    )
    app_main = next(b for b in data["branches"] if (b["project"], b["branch"]) == ("-work-app", "main"))
    assert app_main["path"] == APP and app_main["tokens"]["prompts"] == 6
    # 23 streamed responses (12 + 4 subagent + 6 + 1 old): each one's larger copy replaced the first, the last
    # was a duplicate; the hostile and nameless lines were one line each.
    ledger = data["ledger"]
    assert (ledger["synthetic"], ledger["replaced_by_larger"], ledger["duplicates"]) == (1, 23, 23)
    assert ledger["entries"] == 23 + len(HOSTILE) + 1 + 2


def test_the_weeks_movement_is_split_by_each_branchs_tokens_of_that_family(
    world: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, snap, expected = world
    data = run_json(capsys, snapshot=snap)
    opus = next(w for w in data["windows"] if w["id"] == "seven_day:opus")
    assert opus["calibration"]["tokens_per_pct"] == pytest.approx(K, rel=0.02)
    for b in data["branches"]:
        fams = expected[(b["project"], b["branch"])]
        assert b["server_points"].get("seven_day:opus", 0.0) == pytest.approx(fams.get("opus", 0) / K, abs=0.02)
        assert b["server_points"].get("seven_day", 0.0) == pytest.approx(sum(fams.values()) / K, abs=0.02)
    lib_main = next(b for b in data["branches"] if (b["project"], b["branch"]) == ("-work-lib", "main"))
    assert lib_main["server_points"].get("seven_day:opus", 0.0) == 0.0  # Sonnet moves no Opus week
    assert data["other"]["server_points"]["seven_day:opus"] == pytest.approx(1.0, abs=0.01)
    attributed = sum(b["server_points"].get("seven_day:opus", 0.0) for b in data["branches"])
    assert attributed + 1.0 == pytest.approx(snap["windows"]["seven_day:opus"]["used_pct"], abs=0.05)
    assert "estimate" in data["estimate"] and "tokens per percent" in data["estimate"]


def test_the_default_period_is_the_current_week_and_since_overrides_it(
    world: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, snap, _ = world
    data = run_json(capsys, snapshot=snap)
    assert data["since"] == report.iso(WEEK_START)
    wider = run_json(capsys, "--since", "7d", "--no-update", snapshot=snap)
    old = next(b for b in wider["branches"] if b["branch"] == "old/work")
    assert old["tokens"]["total"] == 500_000
    assert report.run(["--by", "branch", "--no-update"], snapshot=snap) == 0
    assert "(the current weekly period: Opus)" in capsys.readouterr().out
    local = run_json(capsys, "--no-update", snapshot=None)  # no server: the report's own 7 days
    assert local["estimate"] is None and any(b["branch"] == "old/work" for b in local["branches"])


def test_the_table_shows_branch_names_safely_and_stays_in_line(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    _, snap, _ = world
    assert report.run(["--by", "branch"], snapshot=snap) == 0
    text = capsys.readouterr().out
    assert not CONTROL.search(text), repr(CONTROL.search(text))
    lines = text.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("BRANCH"))
    rows = lines[head : next(i for i, ln in enumerate(lines) if ln.startswith("TOTAL"))]
    assert "seven_day:opus PTS" in rows[0] and "SHARE" in rows[0]
    assert len({columns(r) for r in rows}) == 1, rows  # every row ends at the same column, wide names too
    labels = [r.split("  ")[0].rstrip() for r in rows[1:]]
    assert WIDE in labels and NO_BRANCH in labels and "other machines / surfaces" in labels
    assert fit(LONG, report.LABEL_COLUMNS) in labels and LONG not in text
    assert "pwned" not in text and "evil" not in text
    assert "Server points per branch are an estimate" in text


def test_the_report_runs_as_a_command(home: Any) -> None:
    claude = home.claude
    write(
        claude / "projects" / "-work-x" / "s9.jsonl",
        response("c1", ts=NOW - 600, tokens=70_000, branch="fix/typo", cwd="/work/x", session="s9"),
    )
    home.write_snapshot({"schema": 1, "windows": {}})
    result = home.run("report", "--by", "branch")
    assert result.code == 0, result.err
    assert "fix/typo" in result.out and "70k" in result.out and "100.0%" in result.out
    assert home.run("report", "--by", "nope").code == 2


def test_synthetic_messages_are_no_responses_and_no_family(world: Any, capsys: pytest.CaptureFixture[str]) -> None:
    root, snap, _ = world
    data = run_json(capsys, "--since", "7d", snapshot=snap)  # the project report's period
    store = load_store(Path(str(root)).parent / "qstate")
    assert all(k[3] != "<synthetic>" for k in store.keys)
    assert set(data["totals"]["by_family"]) == {"opus", "sonnet"}
    login = next(b for b in data["branches"] if (b["project"], b["branch"]) == ("-work-app", "feat/login"))
    assert login["tokens"]["responses"] == 6 + 2  # six of s1, two of the subagent: not the synthetic one
    projects = json.loads(_run(capsys, snap))["totals"]["tokens"]["responses"]
    assert projects == sum(b["tokens"]["responses"] for b in data["branches"])


def _run(capsys: pytest.CaptureFixture[str], snap: dict[str, Any]) -> str:
    assert report.run(["--json", "--no-update"], snapshot=snap) == 0
    return capsys.readouterr().out


def test_a_synthetic_line_with_tokens_counts_like_ccusage_but_in_no_family(tmp_path: Path) -> None:
    root, state = tmp_path / "claude", tmp_path / "state"
    f = root / "projects" / "-work-p" / "s.jsonl"
    write(f, [line("syn", ts=NOW - 60, tokens=5_000, model="<synthetic>", branch="main")])
    stats = update_ledger([root], state, now=NOW)
    assert stats.synthetic == 0 and stats.entries == 1  # not Claude Code's zero-usage kind: kept
    store = load_store(state)
    assert store.all_time_by_model()["<synthetic>"].total == 5_000
    ledger = Ledger(store, None, NOW)
    assert ledger.local_families == frozenset()
    data = report.build(None, NOW - 3600, NOW, ledger, "branch")
    assert data["totals"]["by_family"] == {} and data["branches"][0]["tokens"]["total"] == 0


# -- migration: a store written before branches were recorded --------------------------------------


def test_an_old_store_is_rebuilt_with_branches_and_keeps_what_transcripts_lost(tmp_path: Path) -> None:
    root, state = tmp_path / "claude", tmp_path / "state"
    f = root / "projects" / "-work-app" / "s1.jsonl"
    t = NOW - 3 * 3600
    write(
        f,
        [
            *response("m1", ts=t, tokens=10_000, branch="main", cwd=APP),
            *response("m2", ts=t + 60, tokens=20_000, branch="feat/x", cwd=APP),
        ],
    )
    update_ledger([root], state, now=NOW)
    index = json.loads((state / "index.json").read_text())
    # What the version before branches wrote: four-field keys, one session whose transcript Claude
    # Code has deleted since (ten days ago), s1 counted already, its responses in the archive, and
    # an index that says every byte of s1 was read.
    old_hour = int((NOW - 10 * 86400) // 3600)
    s1_hour = int(t // 3600)
    old_store = {
        "schema": 1,
        "keys": [[str(root), "-work-app", "gone", OPUS], [str(root), "-work-app", "s1", OPUS]],
        "fine_from": 0,
        "fine": [],
        "coarse": [[old_hour, 0, 1, 499, 0, 0, 1, 0], [s1_hour, 1, 2, 1800, 0, 28198, 2, 0]],
        "cwd": [[str(root), "-work-app", APP]],
        "dedup": {},
        "archive_pending": {},
    }
    (state / STORE_FILE).write_text(json.dumps(old_store))
    del index["store_schema"]
    (state / "index.json").write_text(json.dumps(index))
    hashes = sorted(key_hash("r", m, f"req-{m}") for m in ("m1", "m2"))
    import array

    (state / f"archive-{month_of_minute(int(t // 60))}.bin").write_bytes(array.array("Q", hashes).tobytes())

    before = load_store(state)  # readers keep working before the rebuild: every branch ""
    assert before.migrated_from == 1 and before.tokens(0, NOW + 7200, by=("branch",))[("",)].total == 30_500

    stats = update_ledger([root], state, now=NOW)
    assert stats.rebuilt and stats.entries == 2
    store = load_store(state)
    assert store.migrated_from is None and json.loads((state / STORE_FILE).read_text())["schema"] == 2
    by = {k: v.total for k, v in store.tokens(0, NOW + 7200, by=("session", "branch")).items()}
    assert by == {("s1", "main"): 10_000, ("s1", "feat/x"): 20_000, ("gone", ""): 500}

    again = update_ledger([root], state, now=NOW)
    assert not again.rebuilt and again.bytes_read == 0
    write(f, [line("m2", ts=t + 61, tokens=20_000, branch="feat/x", cwd=APP)])  # one more streaming copy
    write(f, [line("m3", ts=t + 120, tokens=1_000, branch="feat/x", cwd=APP)])
    later = update_ledger([root], state, now=NOW)
    assert (later.rebuilt, later.entries, later.duplicates) == (False, 1, 1)
    by = {k: v.total for k, v in load_store(state).tokens(0, NOW + 7200, by=("branch",)).items()}
    assert by == {("main",): 10_000, ("feat/x",): 21_000, ("",): 500}


def test_an_old_store_without_new_transcript_bytes_is_rebuilt_too(tmp_path: Path) -> None:
    root, state = tmp_path / "claude", tmp_path / "state"
    f = root / "projects" / "-work-app" / "s1.jsonl"
    # Two hours back: ``tokens(0, ...)`` reads hour buckets, each counted by its midpoint, so ten
    # minutes ago would be missing whenever the test ran in the first half of an hour.
    write(f, response("m1", ts=NOW - 2 * 3600, tokens=10_000, branch="main", cwd=APP))
    update_ledger([root], state, now=NOW)
    data = json.loads((state / STORE_FILE).read_text())
    data["schema"] = 1
    data["keys"] = [k[:4] for k in data["keys"]]
    (state / STORE_FILE).write_text(json.dumps(data))
    index = json.loads((state / "index.json").read_text())
    del index["store_schema"]
    (state / "index.json").write_text(json.dumps(index))
    stats = update_ledger([root], state, now=NOW)  # nothing appended: still rebuilt
    assert stats.rebuilt and stats.entries == 1
    assert load_store(state).tokens(0, NOW + 7200, by=("branch",))[("main",)].total == 10_000



def test_the_rebuild_keeps_a_deleted_session_newer_than_a_kept_one(tmp_path: Path) -> None:
    # Claude Code deletes transcripts by age of their last write: a session begun 20 days ago and
    # resumed today stays, one of 10 days ago that nobody resumed is gone. The gone one's counts
    # lie after the root's first rebuilt hour and must still survive the rebuild.
    root, state = tmp_path / "claude", tmp_path / "state"
    f = root / "projects" / "-work-app" / "s1.jsonl"
    first, resumed = NOW - 20 * 86400, NOW - 3600
    write(f, [*response("m1", ts=first, tokens=10_000, branch="main", cwd=APP),
              *response("m2", ts=resumed, tokens=20_000, branch="main", cwd=APP)])  # fmt: skip
    update_ledger([root], state, now=NOW)
    data = json.loads((state / STORE_FILE).read_text())
    data["schema"] = 1
    data["keys"] = [k[:4] for k in data["keys"]] + [[str(root), "-work-app", "gone", OPUS]]
    data["coarse"].append([int((NOW - 10 * 86400) // 3600), len(data["keys"]) - 1, 1, 499, 0, 0, 1, 0])
    (state / STORE_FILE).write_text(json.dumps(data))
    index = json.loads((state / "index.json").read_text())
    del index["store_schema"]
    (state / "index.json").write_text(json.dumps(index))
    assert update_ledger([root], state, now=NOW).rebuilt
    by = {k: v.total for k, v in load_store(state).tokens(0, NOW + 60, by=("session", "branch")).items()}
    assert by == {("s1", "main"): 30_000, ("gone", ""): 500}

# -- open-ended branch values ---------------------------------------------------------------------

# Any JSON value (keys other than ccusage's non-nullable ones: a null there rejects the whole line).
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "ref", "name"]), inner, max_size=3)
    ),
    max_leaves=5,
)


@given(value=JSON_VALUES | st.text(min_size=1, max_size=400))
def test_a_branch_is_the_lines_name_or_none_whatever_the_value(value: Any) -> None:
    raw = line("m1", ts=NOW, tokens=5_000, branch=value).encode()
    (entry,) = parse_usage_line(raw)
    assert entry.branch == branch_of(value)
    if entry.branch:
        assert entry.branch == value and len(value) <= MAX_BRANCH_LEN
        assert value.isprintable() and " " not in value
    else:
        assert not (
            isinstance(value, str) and value.isprintable() and " " not in value and 0 < len(value) <= MAX_BRANCH_LEN
        )


@given(names=st.lists(st.text(min_size=1, max_size=300), min_size=1, max_size=6))
def test_any_branch_names_render_in_line(names: list[str]) -> None:
    store = Store()
    for i, name in enumerate(names):
        store.add(
            int(NOW // 60) - 5, store.key("/r", "-work-p", f"s{i}", OPUS, branch_of(name)), (1, 1000 * (i + 1), 0, 0)
        )
    ledger = Ledger(store, None, NOW)
    # Hourly rows (no minute tier here): an hour counts when its middle is inside the period.
    text = report.render(report.build(None, NOW - 7200, NOW + 3600, ledger, "branch"), "2h")
    assert not CONTROL.search(text)
    lines = text.splitlines()
    head = next(i for i, ln in enumerate(lines) if ln.startswith("BRANCH"))
    rows = lines[head : next(i for i, ln in enumerate(lines) if ln.startswith("TOTAL"))]
    assert len({columns(r) for r in rows}) == 1, rows
    assert all(columns(r.split("  ")[0]) <= report.LABEL_COLUMNS for r in rows)


@given(text=st.text(max_size=200), cols=st.integers(min_value=1, max_value=60))
def test_fit_never_exceeds_its_columns(text: str, cols: int) -> None:
    cut = fit(text, cols)
    assert columns(cut) <= cols and width(cut) == columns(cut) and not CONTROL.search(cut)
    if columns(text) <= cols and text.isprintable():
        assert cut == text
