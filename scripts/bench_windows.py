#!/usr/bin/env python3
"""Benchmark the hot path on the official Windows CPython under Wine (tests/windows/winpy.py).

Under Wine absolute times mean little; ratios do. Each round runs, interleaved, the bare
interpreter (``python.exe -I -S -c pass``) and ``quotaline statusline`` / ``hook`` started as the
launcher starts them (``-I -S``, quotaline's source first on the path), from this tree and, with
``--against DIR``, from another checkout; each time is divided by the bare interpreter's time of the
same round. Printed: the median ratio and its spread (p25-p75), and this tree over the other one.

Each tree is copied into a temp dir first (its bytecode and import bundle are written there), and
one warm-up run of each command writes them before the timed rounds.

Usage: python scripts/bench_windows.py [-n 12] [--against DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "windows")]

import winpy  # noqa: E402
from helpers.cli import statusline_stdin  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=12, help="timed rounds")
    parser.add_argument("--against", type=Path, help="another checkout, timed beside this one")
    opts = parser.parse_args()
    if not winpy.available():
        sys.exit(f"no Windows CPython under Wine at {winpy.PYTHON}: run ../shared/tools/windows-python/setup.sh")
    winpy.warm_up()
    work = Path(tempfile.mkdtemp(prefix="ql-winbench-"))
    trees = {"this": REPO, **({"against": opts.against.resolve()} if opts.against else {})}
    homes = {}
    for name, tree in trees.items():
        profile = work / name / "me"
        (profile / "AppData" / "Local").mkdir(parents=True)
        (profile / "AppData" / "Roaming").mkdir(parents=True)
        homes[name] = winpy.WinHome(profile, winpy.copy_source(tree, work / name / "src"), {})
    stdin = json.dumps(statusline_stdin(42, 17)).encode()
    hook_stdin = json.dumps({"hook_event_name": "UserPromptSubmit", "session_id": "bench", "prompt": "hi"}).encode()
    commands = {"statusline": ("statusline", stdin), "hook": ("hook", hook_stdin)}
    bare = next(iter(homes.values()))
    cases = {"bare": lambda: bare.python("pass").seconds}
    for tree, home in homes.items():
        for command, (arg, data) in commands.items():
            cases[f"{command} {tree}"] = lambda h=home, a=arg, d=data: h.quotaline(a, stdin=d).seconds
    for run in cases.values():  # bytecode, bundle and snapshot written, Wine's caches warm
        run()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(opts.n):
        for name, run in cases.items():
            times[name].append(run())
    print(f"{'case':<22} {'p50 s':>7} {'ratio':>6} {'p25-p75':>11}")
    for name, series in times.items():
        ratios = [t / b for t, b in zip(series, times["bare"], strict=True)]
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        print(f"{name:<22} {statistics.median(series):7.3f} {statistics.median(ratios):6.2f} {q1:5.2f}-{q3:5.2f}")
    if opts.against:
        for command in commands:
            pair = [a / b for a, b in zip(times[f"{command} this"], times[f"{command} against"], strict=True)]
            print(f"{command}: this tree / the other: {statistics.median(pair):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
