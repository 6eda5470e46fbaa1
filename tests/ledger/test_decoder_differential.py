"""The block decoder decides exactly as the per-line reference parser, and a scan counts the same.

``parse.parse_usage_line`` (the parser the ledger used one line at a time, kept as the fallback) is
the reference. ``decode.parse_usage_lines`` decodes many lines at once; on Hypothesis-generated
transcript lines, mutated the ways files get damaged (cut, a byte changed or dropped, invalid
UTF-8, a BOM, whitespace, nulls, duplicate keys, deep nesting, lone surrogates, absurd counts), it
must give each line the same entries or the same kind of refusal. And a whole scan (``extract``
then ``Scanner.apply``) must give the totals and the skips of the old one-line-at-a-time scan,
kept below as ``reference_extract``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from helpers.ledger import asst, iso, prompt, tool_result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusline.ledger import parse, scan
from statusline.ledger.decode import parse_usage_lines
from statusline.ledger.dedup import Dedup
from statusline.ledger.parse import (
    API_ERROR_MARKER,
    PROMPT_MARKER,
    U64_MAX,
    USAGE_MARKER,
    NotUsage,
    Rejected,
    parse_prompt_line,
    parse_usage_line,
    parse_wall_line,
)
from statusline.ledger.roots import Transcript, walk
from statusline.ledger.scan import Extract, LedgerStats, Scanner
from statusline.ledger.store import Store

T0 = 1_780_000_000.0


def verdict(found: Any) -> Any:
    """What a caller can observe: the entries, or which kind of refusal."""
    if isinstance(found, NotUsage):
        return "not usage"
    if isinstance(found, Rejected):
        return "rejected"
    return [tuple(e) for e in found]


def reference(line: bytes) -> Any:
    try:
        return verdict(parse_usage_line(line))
    except Rejected as exc:
        return verdict(exc)


COUNTS = st.one_of(st.integers(0, 5000), st.sampled_from([0, U64_MAX, U64_MAX + 1, -1, 2**63, 2**53 + 1]))
IDS = st.sampled_from(["msg_a", "msg_b", "msg_c", "", None])
RIDS = st.sampled_from(["req_a", "req_b", "", None])
MODELS = st.sampled_from(["claude-opus-4-6", "claude-haiku-4-5", "<synthetic>", "", None])
TIMESTAMPS = st.one_of(
    st.floats(T0, T0 + 86400 * 3, allow_nan=False).map(iso),
    st.sampled_from(["2026-11-20 10:00:00", "2026-02-30T10:00:00.000Z", "2026-11-20T10:00:00+02:00",
                     "2026-11-20T10:00:00Z", "2026-11-20T24:00:00.000Z", "2026-11-20T10:60:00.000Z", ""]),
)


@st.composite
def usage_lines(draw: st.DrawFn) -> bytes:
    """A response line as Claude Code writes it, with the variations ccusage decides about."""
    line: dict[str, Any] = json.loads(asst(
        draw(IDS), draw(RIDS), ts=T0, model=draw(MODELS), inp=draw(COUNTS), out=draw(COUNTS), cc=draw(COUNTS),
        cr=draw(COUNTS), session=draw(st.sampled_from(["s1", "s2", "", None])), side=draw(st.booleans()),
        cwd=draw(st.sampled_from(["/work/p1", "/work/p2"])),
        content=[{"type": "text", "text": draw(st.text(max_size=40))}],
    ))
    line["timestamp"] = draw(TIMESTAMPS)
    usage = line["message"]["usage"]
    if draw(st.booleans()):
        usage["cache_creation"] = draw(st.one_of(
            st.none(), st.just({}), st.just([]),
            st.fixed_dictionaries({"ephemeral_5m_input_tokens": COUNTS, "ephemeral_1h_input_tokens": COUNTS}),
        ))
    if draw(st.booleans()):
        usage["speed"] = draw(st.sampled_from(["fast", "standard", "turbo", None, 1]))
    if draw(st.integers(0, 5)) == 0:
        usage["iterations"] = [
            {"type": "message", "model": None, "input_tokens": 1, "output_tokens": 2},
            {"type": "advisor_message", "model": draw(MODELS), "input_tokens": draw(COUNTS), "output_tokens": 3},
        ]
    for key, values in (
        ("version", st.sampled_from(["2.1.330", "unknown", "", None, 2])),
        ("isSidechain", st.sampled_from([True, False, None, "no", 0])),
        ("costUSD", st.sampled_from([0.5, 1, None, "1", True])),
        ("gitBranch", st.sampled_from(["main", "feat/x", "", "a b", "x" * 300, None, 5])),
        ("cwd", st.sampled_from(["/w", None, 7])),
        ("requestId", st.sampled_from(["req_z", None, 3])),
    ):
        if draw(st.integers(0, 6)) == 0:
            line[key] = draw(values)
    if draw(st.integers(0, 8)) == 0:
        line["message"]["usage"] = draw(st.sampled_from([None, 5, "x", {"output_tokens": 1}]))
    if draw(st.integers(0, 8)) == 0:
        line["message"]["model"] = draw(st.sampled_from([None, 3, ["m"]]))
    if draw(st.integers(0, 10)) == 0:  # the agent progress shape
        line = {"type": "progress", "sessionId": "s1", "timestamp": iso(T0),
                "data": {"type": "agent_progress", "message": line}}
    if draw(st.integers(0, 10)) == 0:
        del line["timestamp"]
    data = json.dumps(line, separators=(",", ":")).encode()
    return draw(mutated(data))


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` as it may arrive: mostly intact, else damaged in one of the ways files are."""
    kind = draw(st.integers(0, 24))
    at = draw(st.integers(0, len(data)))
    if kind == 0:
        return data[:at]
    if kind == 1:
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    if kind == 2:
        return data[:at] + data[at + 1:]
    if kind == 3:
        return parse.BOM + data
    if kind == 4:
        return data.replace(b'"usage":{', b'"usage": {', 1) + b' "usage":{'
    if kind == 5:
        return data.replace(b'"timestamp"', b'"timestamp":5,"timestamp"', 1)
    if kind == 6:
        return data.replace(b'"message":{', b'"message":{"id":"msg_dup","id":null,', 1)
    if kind == 7:
        return data.replace(b'"text":"', b'"text":"\\ud800', 1)
    if kind == 8:
        return data.replace(b'"text":"', b'"text":"\xff\xfe', 1)
    if kind == 9:
        return data.replace(b'"text":"', b'"text":"\xed\xa0\x80', 1)
    if kind == 10:
        depth = draw(st.sampled_from([50, 400, 900, 985, 990, 995, 1000, 1200]))
        return data.replace(b'"content":[', b'"content":[' + b"[" * depth + b"]" * depth + b",", 1)
    if kind == 11:
        return data.replace(b'"output_tokens":', b'"output_tokens":1e400,"x":', 1)
    if kind == 12:
        return data.replace(b'"stop_reason":null', b'"stop_reason":NaN', 1)
    if kind == 13:
        return data + b'{"a":1}'
    if kind == 14:
        return b" \t" + data + b" \r"
    if kind == 15:
        key = draw(st.sampled_from(parse._NULL_KEYS.split("|")))
        ws = draw(st.sampled_from(["", " ", "\t", "\r\n "]))
        return data.replace(b'"stop_reason":null', f'"{key}"{ws}:{ws}null'.encode(), 1)
    if kind == 16:
        return data.replace(b'"text":"', b'"text":"\x01', 1)
    if kind == 17:
        return data.replace(b'"stop_reason":null', b'"toolUseResult":{"usage":{"input_tokens":5}}', 1)
    return data


def assert_same(lines: list[bytes]) -> None:
    lines = [line for line in lines if USAGE_MARKER in line and b"\n" not in line]
    want = [reference(line) for line in lines]
    assert [verdict(f) for f in parse_usage_lines(lines)] == want
    assert [verdict(parse_usage_lines([line])[0]) for line in lines] == want


@pytest.mark.slow
@given(st.lists(usage_lines(), min_size=1, max_size=12))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_block_decoder_decides_each_line_as_the_reference(lines: list[bytes]) -> None:
    assert_same(lines)


def nested(depth: int) -> bytes:
    line = asst("msg_a", "req_a", ts=T0, out=5)
    return line.replace('"content":[', '"content":[' + "[" * depth + "]" * depth + ",").encode()


def test_deep_nesting_is_refused_or_counted_as_the_line_says() -> None:
    # Where the reference starts refusing is the interpreter's, not a rule of the ledger: its
    # recursion limit and the stack it runs on (3.11 stops near a thousand levels, 3.13's scanner
    # takes thousands, msgspec's own C limit differs again). Below that depth both decide alike;
    # past it a line is refused or counted as what it says (as ccusage, in JavaScript, counts it),
    # never anything else.
    lo, hi = 1, 5000
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if reference(nested(mid)) != "rejected" else (lo, mid - 1)
    assert lo > 100
    shallow = reference(nested(10))
    assert shallow != "rejected"
    for depth in sorted({50, 500, *range(max(1, lo - 12), lo + 12), 3000, 5000}):
        want = reference(nested(depth))
        for ours in (parse_usage_lines([nested(depth), nested(10)])[0], parse_usage_lines([nested(depth)])[0]):
            if depth <= lo - 8:
                assert verdict(ours) == want, depth
            else:
                # Inside the decoder the reference runs a few frames deeper, so it may refuse a few
                # levels sooner than when called here.
                assert verdict(ours) in (want, "rejected", shallow), depth


def test_a_bad_line_in_a_block_costs_only_itself() -> None:
    good = [asst(f"msg_{i}", f"req_{i}", ts=T0 + i, out=i + 1).encode() for i in range(20)]
    bad = good[5][:-30]
    found = parse_usage_lines([*good[:10], bad, *good[10:]])
    assert [verdict(f) for f in found] == [reference(x) for x in [*good[:10], bad, *good[10:]]]
    assert sum(isinstance(f, list) for f in found) == 20


def test_absurd_counts_are_refused_by_both_through_the_one_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [asst("msg_a", "req_a", ts=T0, out=n).encode() for n in (5, 10**12, U64_MAX)]
    assert_same(lines)
    # Whatever the bound becomes, both decoders apply it: one function decides.
    monkeypatch.setattr(parse, "plausible_usage", lambda i, o, c, r: o < 10**9)
    assert [verdict(f) for f in parse_usage_lines(lines)] == [reference(x) for x in lines]
    assert [verdict(f) != "rejected" for f in parse_usage_lines(lines)] == [True, False, False]


# -- whole scans ----------------------------------------------------------------------------------


def reference_extract(path: Path) -> Extract:
    """The scan as it was: each complete line on its own, through the reference parser."""
    ex = Extract(None)
    data = path.read_bytes()
    complete, _, rest = data.rpartition(b"\n")
    lines = complete.split(b"\n") if complete or data.startswith(b"\n") else []
    if rest and scan._complete(rest):
        lines.append(rest)
    accepted: set[bytes] = set()
    for line in lines:
        u = line.find(USAGE_MARKER)
        if u >= 0:
            key = scan._repeat_key(line, u)
            if key is not None and key in accepted:
                ex.repeats += 1
            else:
                try:
                    ex.entries.extend(parse_usage_line(line))
                    if key is not None:
                        if len(accepted) > 4096:
                            accepted.clear()
                        accepted.add(key)
                except NotUsage:
                    pass
                except Rejected:
                    ex.malformed += 1
        if API_ERROR_MARKER in line:
            wall = parse_wall_line(line)
            if wall is not None:
                ex.walls.append(wall)
        p = line.find(PROMPT_MARKER)
        if p >= 0 and u < 0 and (
            len(line) <= scan.PROMPT_HEAD or p + len(PROMPT_MARKER) <= scan.PROMPT_HEAD
            or scan.ASSISTANT_TYPE not in line[: scan.PROMPT_HEAD]
        ) and scan._prompt_candidate(line, p + len(PROMPT_MARKER)):
            found = parse_prompt_line(line)
            if found is not None:
                ex.prompts.append(found)
        if line[:1] != b"{" and line.strip() and not line.lstrip().startswith(b"{"):
            ex.malformed += 1
    return ex


def counted(paths: list[Path], extracts: list[Extract]) -> tuple[Any, ...]:
    store, stats = Store(), LedgerStats()
    scanner = Scanner(store, Dedup(), stats)
    for path, ex in zip(paths, extracts, strict=True):
        scanner.apply((_transcript(path), 0, 0, 0), ex)
    rows = {store.keys[k]: v for (_, k), v in store.coarse.items()}
    return (rows, stats.entries + stats.duplicates + stats.synthetic, stats.malformed, stats.prompts,
            len(scanner.walls), stats.replaced_by_larger, {k: at for k, (at, _) in scanner.answered.items()})


def _transcript(path: Path) -> Transcript:
    found = [t for t in walk(path.parents[2]) if t.path == str(path)]
    assert found, path
    return found[0]


@st.composite
def transcripts(draw: st.DrawFn) -> list[bytes]:
    """Files of one project: responses (streamed as several lines, the largest not always last),
    prompts, tool results, API errors, damaged lines, blank and indented lines."""
    files = []
    for f in range(draw(st.integers(1, 3))):
        out: list[bytes] = []
        for i in range(draw(st.integers(1, 12))):
            t = T0 + i * 60 + f * 7
            kind = draw(st.integers(0, 9))
            if kind == 0:
                out.append(prompt(f"task {i}", ts=t, uuid=draw(st.sampled_from(["u1", "u2", f"u{f}{i}"]))).encode())
            elif kind == 1:
                out.append(tool_result(ts=t, size=draw(st.integers(0, 3000))).encode())
            elif kind == 2:
                out.append(json.dumps({"type": "assistant", "timestamp": iso(t), "isApiErrorMessage": True,
                                       "error": "rate_limit", "message": {"content": [{"text": "limit"}]}},
                                      separators=(",", ":")).encode())
            elif kind == 3:
                out.append(draw(st.sampled_from([b"", b"   ", b" " + asst("m_i", "r_i", ts=t).encode(), b"garbage"])))
            elif kind == 4:
                out.append(draw(usage_lines()))
            else:
                mid, rid = draw(st.sampled_from([("msg_1", "req_1"), ("msg_2", "req_2"), (f"m{f}{i}", f"r{f}{i}")]))
                side = draw(st.booleans())
                for o in draw(st.lists(st.integers(1, 50), min_size=1, max_size=4)):
                    line = asst(mid, rid, ts=t + o / 100, out=o, side=side, session=draw(st.sampled_from(["s1", "s2"])))
                    out.append(draw(mutated(line.encode())) if draw(st.integers(0, 6)) == 0 else line.encode())
        tail = draw(st.sampled_from([b"\n", b"", b"\n\n"]))
        files.append(b"\n".join(out) + tail)
    return files


@pytest.mark.slow
@given(transcripts())
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                    HealthCheck.function_scoped_fixture])
def test_a_scan_counts_and_skips_as_the_line_by_line_scan(tmp_path_factory: pytest.TempPathFactory,
                                                           files: list[bytes]) -> None:
    root = tmp_path_factory.mktemp("claude")
    paths = []
    for i, data in enumerate(files):
        path = root / "projects" / "-work-p" / f"sess-{i}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    ours = counted(paths, [scan.extract(str(p), 0) for p in paths])
    theirs = counted(paths, [reference_extract(p) for p in paths])
    assert ours == theirs


def test_a_scan_in_small_chunks_decides_as_in_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rng = random.Random(3)
    lines = []
    for i in range(300):
        lines.append(asst(f"msg_{i % 40}", f"req_{i % 40}", ts=T0 + i, out=rng.randint(1, 9),
                          content=[{"type": "text", "text": "x" * rng.randint(0, 900)}]).encode())
        if i % 7 == 0:
            lines.append(lines[-1][: rng.randint(1, len(lines[-1]))])
    path = tmp_path / "projects" / "-p" / "s.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\n".join(lines) + b"\n")
    whole = counted([path], [scan.extract(str(path), 0)])
    monkeypatch.setattr(scan, "CHUNK", 4096)
    assert counted([path], [scan.extract(str(path), 0)]) == whole == counted([path], [reference_extract(path)])


def test_hashes_made_beside_the_parse_archive_as_those_made_at_the_end(tmp_path: Path) -> None:
    lines = [asst(f"msg_{i % 5}", f"req_{i % 3}" if i % 4 else None, ts=T0 + i * 30, out=i + 1, side=i % 3 == 0,
                  session=["s1", "s2", None][i % 3]) for i in range(40)]
    lines += [prompt(f"task {i}", ts=T0 + i * 50, uuid=f"u{i % 7}") for i in range(20)]
    path = tmp_path / "projects" / "-p" / "sess.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes("\n".join(lines).encode() + b"\n")
    t = _transcript(path)
    archives = []
    for ex in (scan._named(scan._extract_batch([(str(path), 0, t.path_session)])[0]), scan.extract(str(path), 0)):
        dedup = Dedup()
        Scanner(Store(), dedup, LedgerStats()).apply((t, 0, 0, 0), ex)
        _, evicted = dedup.export(10**12)  # every record and prompt archived
        archives.append({month: sorted(hashes) for month, hashes in evicted.items()})
    assert archives[0] == archives[1] and archives[0]
