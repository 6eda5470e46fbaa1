#!/usr/bin/env python3
"""Benchmark the ledger against ccusage on a generated transcript history (default 1 GiB).

    python scripts/bench_ledger.py [--size-mb 1024] [--runs 3] [--dir DIR] [--keep] [--ccusage PATH]
                                   [--also PATH ...] [--tree KEPT_DIR]

Generates ``<dir>/claude/projects/...`` the way Claude Code writes it (prompts, one line per content
block of each response with the same ids, tool results echoed in ``toolUseResult``, subagent files,
progress lines), then measures, interleaving the tools because the machine may be shared:

* first scan: ``update_ledger`` into a fresh state dir, in a child process (wall time, MB/s, peak RSS);
* re-scan with no change, in process (the refresher's case) and as a fresh process;
* a small append (one new response) re-scan;
* ``ccusage claude daily --json --offline -z UTC`` on the same tree (wall and CPU time);
* and that both report the same per-model totals;
* ``first_scan_over_ccusage``: each first scan's time over that of the ccusage run right after it.

The tree is deleted afterwards unless ``--keep``; ``--tree`` reuses one kept before (what ``--keep``
printed), so runs of two checkouts are paired on the same bytes: it is never modified (the append
goes to a copy of one file) nor deleted. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MODELS = ["claude-opus-4-6", "claude-opus-4-6", "claude-sonnet-4-5-20250929", "claude-haiku-4-5",
          "claude-fable-5-1"]
WORDS = ["the", "file", "function", "return", "value", "test", "import", "class", "def", "self",
         "error", "config", "data", "when", "then", "with", "from", "into", "about", "because",
         "should", "would", "could", "module", "parse", "store", "index", "window"]


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}Z"


class Generator:
    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        text = " ".join(self.rng.choice(WORDS) for _ in range(400_000))
        self.text = json.dumps(text)[1:-1]
        self.sig = base64.b64encode(self.rng.randbytes(600_000)).decode()

    def words(self, n_chars: int) -> str:
        start = self.rng.randrange(0, len(self.text) - n_chars - 1)
        chunk = self.text[start : start + n_chars]
        return chunk.rstrip("\\")

    def session(self, path: Path, project: str, session: str, t: float, target: int, side: bool = False) -> int:
        rng = self.rng
        cwd = "/home/dev/" + project.rsplit("-", 1)[-1]
        head = (f'"isSidechain":{"true" if side else "false"},"userType":"external","cwd":"{cwd}",'
                f'"sessionId":"{session}","version":"2.1.330","gitBranch":"main"')
        out: list[str] = []
        size = 0
        turn = 0
        while size < target:
            t += rng.uniform(20, 300)
            turn += 1
            lines = [
                f'{{"parentUuid":null,{head},"type":"user","message":{{"role":"user","content":"'
                f'{self.words(rng.randint(20, 600))}"}},"uuid":"{session}-u{turn}","timestamp":"{_iso(t)}"}}'
            ]
            for req in range(rng.randint(1, 6)):
                t += rng.uniform(2, 40)
                mid = f"msg_{session[:8]}{turn:04d}{req:02d}"
                rid = f"req_{session[:8]}{turn:04d}{req:02d}"
                cc = rng.randint(0, 6000)
                usage = (f'{{"input_tokens":{rng.randint(1, 60)},"cache_creation_input_tokens":{cc},'
                         f'"cache_read_input_tokens":{rng.randint(0, 150_000)},"cache_creation":'
                         f'{{"ephemeral_5m_input_tokens":{cc},"ephemeral_1h_input_tokens":0}},'
                         f'"output_tokens":{rng.randint(1, 3000)},"service_tier":"standard"}}')
                model = rng.choice(MODELS)
                blocks = [
                    f'{{"type":"thinking","thinking":"{self.words(rng.randint(100, 3000))}",'
                    f'"signature":"{self.sig[: rng.randint(400, 2000)]}"}}',
                    f'{{"type":"text","text":"{self.words(rng.randint(20, 800))}"}}',
                    f'{{"type":"tool_use","id":"toolu_{mid}","name":"Bash","input":{{"command":'
                    f'"{self.words(rng.randint(10, 200))}"}}}}',
                ]
                for j, block in enumerate(blocks[: rng.randint(1, 3)]):
                    # Key order as in the transcripts Claude Code wrote (shared fixtures).
                    lines.append(
                        f'{{"parentUuid":"p",{head},"requestId":"{rid}","type":"assistant","uuid":"{mid}-{j}",'
                        f'"timestamp":"{_iso(t + j * 0.4)}","message":{{"model":"{model}","id":"{mid}",'
                        f'"type":"message","role":"assistant","content":[{block}],"stop_reason":null,'
                        f'"stop_sequence":null,"usage":{usage}}}}}'
                    )
                body = self.words(rng.choice([200, 2000, 8000, 30000]))
                lines.append(
                    f'{{"parentUuid":"p",{head},"type":"user","message":{{"role":"user","content":[{{'
                    f'"tool_use_id":"toolu_{mid}","type":"tool_result","content":"{body}","is_error":false}}]}},'
                    f'"uuid":"{mid}-r","timestamp":"{_iso(t + 3)}","toolUseResult":{{"stdout":"{body}",'
                    f'"stderr":"","interrupted":false}}}}'
                )
            data = "\n".join(lines) + "\n"
            out.append(data)
            size += len(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as fh:
            fh.writelines(out)
        return size

    def tree(self, total: int) -> tuple[int, int]:
        rng = self.rng
        written = files = 0
        t0 = time.time() - 30 * 86400
        n = 0
        while written < total:
            project = f"-home-dev-project{n % 25:02d}"
            session = f"{rng.getrandbits(64):016x}-{n:05d}"
            proj = self.root / "projects" / project
            t = t0 + n * 1800
            target = int(min(rng.lognormvariate(13, 1.1), 40_000_000))
            written += self.session(proj / f"{session}.jsonl", project, session, t, target)
            files += 1
            if rng.random() < 0.15:
                sub = proj / session / "subagents" / f"agent-{rng.getrandbits(32):08x}.jsonl"
                written += self.session(sub, project, session, t + 60, target // 4, side=True)
                files += 1
            n += 1
        return written, files


def _child_scan(state: Path, root: Path, workers: int | None) -> dict[str, Any]:
    code = (
        "import json, resource, sys, time\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from pathlib import Path\n"
        "from statusline.ledger import update_ledger\n"
        "t = time.perf_counter()\n"
        f"s = update_ledger([Path({str(root)!r})], Path({str(state)!r}), workers={workers!r})\n"
        "dt = time.perf_counter() - t\n"
        "print(json.dumps({'seconds': dt, 'stats': s.as_dict(),"
        " 'rss_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,"
        " 'children_rss_mb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = json.loads(proc.stdout)
    result["cpu_seconds"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def _ccusage(binary: str, root: Path, home: Path) -> tuple[float, float, dict[str, Any]]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "CLAUDE_CONFIG_DIR": str(root), "NO_COLOR": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run([binary, "claude", "daily", "--json", "--offline", "-z", "UTC"],
                          capture_output=True, env=env, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, json.loads(proc.stdout)


def _ccusage_any(binary: str, root: Path, home: Path) -> tuple[float, float, dict[str, Any]]:
    """Like ``_ccusage`` for any release: before 20.x the command had no ``claude`` prefix."""
    try:
        return _ccusage(binary, root, home)
    except subprocess.CalledProcessError:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "CLAUDE_CONFIG_DIR": str(root), "NO_COLOR": "1"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        proc = subprocess.run([binary, "daily", "--json", "--offline", "-z", "UTC"], capture_output=True, env=env,
                              check=True)
        wall = time.perf_counter() - t
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), json.loads(proc.stdout)


def _ccusage_models(data: dict[str, Any]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for day in data["daily"]:
        for m in day["modelBreakdowns"]:
            acc = out.setdefault(m["modelName"], [0, 0, 0, 0])
            for i, k in enumerate(("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")):
                acc[i] += m[k]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--runs", type=int, default=3, help="first scans and ccusage runs, interleaved")
    ap.add_argument("--dir", type=Path, default=None, help="where to generate (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the generated tree")
    ap.add_argument("--workers", type=int, default=None, help="ledger parse workers (default: its own choice)")
    ap.add_argument("--ccusage", default=os.environ.get("QUOTALINE_CCUSAGE")
                    or str(Path.home() / ".cache/quotaline-e2e/ccusage/node_modules/.bin/ccusage"))
    ap.add_argument("--also", action="append", default=[], metavar="PATH",
                    help="another ccusage build to time once on the same tree (e.g. the last JavaScript one)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tree", type=Path, default=None, metavar="KEPT_DIR",
                    help="reuse a tree kept by --keep (the dir it printed) instead of generating one")
    args = ap.parse_args()

    sys.path.insert(0, str(REPO))
    from statusline.ledger import update_ledger
    from statusline.ledger.store import load_store

    base = Path(tempfile.mkdtemp(prefix="bench-ledger-", dir=args.dir))
    root, home = base / "claude", base / "home"
    home.mkdir()
    results: dict[str, Any] = {"size_mb_requested": args.size_mb, "cpus": os.cpu_count()}
    try:
        if args.tree is not None:
            # A kept tree, shared by the checkouts being compared: the state dirs go to ``base``,
            # and the one-append re-scan below works on a copy of the tree (hard links, but the
            # appended file is copied first), so the kept bytes never change.
            root = base / "claude"
            shutil.copytree(args.tree / "claude", root, copy_function=os.link)
            first = sorted(root.rglob("*.jsonl"))[0]  # the one the append below goes to: a copy
            first.unlink()
            shutil.copy2(args.tree / "claude" / first.relative_to(root), first)
            written = sum(p.stat().st_size for p in root.rglob("*.jsonl"))
            files = sum(1 for _ in root.rglob("*.jsonl"))
            results.update(bytes=written, files=files, tree=str(args.tree))
            print(f"reusing {written / 1e6:.0f} MB in {files} files from {args.tree}", flush=True)
        else:
            t = time.perf_counter()
            written, files = Generator(root, args.seed).tree(args.size_mb * 1024 * 1024)
            results.update(bytes=written, files=files, generate_seconds=round(time.perf_counter() - t, 1))
            print(f"generated {written / 1e6:.0f} MB in {files} files under {root} "
                  f"({results['generate_seconds']} s)", flush=True)
        mb = written / 1e6

        have_cc = os.path.exists(args.ccusage)
        scans, ccs = [], []
        cc_json: dict[str, Any] | None = None
        for i in range(args.runs):
            state = base / f"state{i}"
            scans.append(_child_scan(state, root, args.workers))
            print(f"  first scan {i + 1}: {scans[-1]['seconds']:.2f} s", flush=True)
            if have_cc:
                wall, cpu, cc_json = _ccusage(args.ccusage, root, home)
                ccs.append((wall, cpu))
                print(f"  ccusage    {i + 1}: {wall:.2f} s", flush=True)
        walls = [s["seconds"] for s in scans]
        results["first_scan"] = {
            "seconds_min": round(min(walls), 3), "seconds_median": round(statistics.median(walls), 3),
            "mb_per_s_best": round(mb / min(walls)), "mb_per_s_median": round(mb / statistics.median(walls)),
            "cpu_seconds_median": round(statistics.median(s["cpu_seconds"] for s in scans), 2),
            "peak_rss_mb_main": round(max(s["rss_mb"] for s in scans)),
            "peak_rss_mb_worker": round(max(s["children_rss_mb"] for s in scans)),
            "stats": scans[0]["stats"],
        }
        if ccs:
            cw = [w for w, _ in ccs]
            results["ccusage"] = {
                "command": f"CLAUDE_CONFIG_DIR={root} {args.ccusage} claude daily --json --offline -z UTC",
                "seconds_min": round(min(cw), 3), "seconds_median": round(statistics.median(cw), 3),
                "mb_per_s_best": round(mb / min(cw)), "mb_per_s_median": round(mb / statistics.median(cw)),
                "cpu_seconds_median": round(statistics.median(c for _, c in ccs), 2),
            }
            # Each first scan over the ccusage run right after it: paired, so a busy moment of a
            # shared machine weighs on both sides of a ratio.
            ratios = [s["seconds"] / w for s, w in zip(scans, cw, strict=True)]
            results["first_scan_over_ccusage"] = {
                "median": round(statistics.median(ratios), 3), "per_run": [round(r, 3) for r in ratios],
            }

        if cc_json is not None:  # before the append below changes state0
            ours = {m: [t.input, t.output, t.cache_creation, t.cache_read]
                    for m, t in load_store(base / "state0").all_time_by_model().items()
                    if m and m != "<synthetic>"}
            results["same_totals_as_ccusage"] = ours == _ccusage_models(cc_json)

        for other in args.also:
            version = subprocess.run([other, "--version"], capture_output=True, text=True).stdout.strip()
            wall, cpu, other_json = _ccusage_any(other, root, home)
            results.setdefault("also", []).append({
                "command": other, "version": version, "seconds": round(wall, 3), "mb_per_s": round(mb / wall),
                "cpu_seconds": round(cpu, 2), "same_totals": _ccusage_models(other_json) == _ccusage_models(cc_json)
                if cc_json is not None else None,
            })
            print(f"  {other} ({version}): {wall:.2f} s", flush=True)

        state = base / "state0"
        quiet = []
        for _ in range(20):
            t = time.perf_counter()
            s = update_ledger([root], state)
            quiet.append(time.perf_counter() - t)
            assert s.bytes_read == 0, s
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO)!r}); "
                        "from pathlib import Path; from statusline.ledger import update_ledger; "
                        f"update_ledger([Path({str(root)!r})], Path({str(state)!r}))"], check=True)
        process_wall = time.perf_counter() - t
        results["rescan_no_change"] = {
            "in_process_ms_median": round(statistics.median(quiet) * 1000, 1),
            "in_process_ms_max": round(max(quiet) * 1000, 1),
            "fresh_process_ms": round(process_wall * 1000, 1),
        }
        target = sorted(root.rglob("*.jsonl"))[0]
        with open(target, "a") as fh:
            fh.write(json.dumps({"type": "assistant", "timestamp": _iso(time.time()), "sessionId": "x",
                                 "requestId": f"req_bench_{time.time_ns()}", "message": {
                                     "id": f"msg_bench_{time.time_ns()}", "model": "claude-opus-4-6",
                                     "usage": {"input_tokens": 1, "output_tokens": 2}}},
                                separators=(",", ":")) + "\n")
        t = time.perf_counter()
        s = update_ledger([root], state)
        results["rescan_one_append_ms"] = round((time.perf_counter() - t) * 1000, 1)
        assert s.entries == 1, s

    finally:
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
