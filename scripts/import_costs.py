#!/usr/bin/env python3
"""Measure what importing a module and starting a hot command cost, and write docs/import-costs.md.

The one home of these numbers: code comments say "X is slow to import (docs/import-costs.md)" and
never copy a number, which would drift. Rerun this script when a number matters and commit the page.

Every case is a fresh process (``python -I -S -c "import X"``, or a hot command through the launcher
``quotaline install`` writes), timed from spawn to exit. The cases are interleaved (A B C ... A B C
...) so that a noisy neighbour slows them all alike, and each is paired with the bare interpreter
(``python -I -S -c pass``) of the same round: the table gives the median wall time, the median of the
paired ratios to the bare interpreter, and the median of the paired differences (what the import or
the command adds to the interpreter's own start). Then a few in-process costs the hot path budgets
for (parsing Claude Code's input), as medians of repeated runs.

Usage: python scripts/import_costs.py [-n 40] [--out docs/import-costs.md | --out -]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from statusline.commands.setup.launcher import launcher_text  # noqa: E402

BARE = "python -I -S -c pass"
# The standard library modules the hot path avoids or loads lazily, and the dependencies only the
# cold commands import. Each is imported alone into a bare interpreter: what it would add there.
STDLIB = (
    "typing",
    "collections.abc",
    "collections",
    "dataclasses",
    "enum",
    "re",
    "json",
    "pathlib",
    "datetime",
    "tomllib",
    "copy",
    "argparse",
    "subprocess",
    "zlib",
    "math",
    "os",
    "fcntl",
    "select",
)
THIRD_PARTY = ("platformdirs", "filelock", "httpx", "pydantic")
Cases = dict[str, tuple[list[str], bytes, "dict[str, str] | None"]]  # name -> argv, stdin, env


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def stdin_payload() -> bytes:
    now = int(time.time())
    return json.dumps({
        "session_id": "costs",
        "model": {"id": "claude-opus-5-5", "display_name": "Opus 5.5"},
        "version": "2.1.330",
        "rate_limits": {
            "five_hour": {"used_percentage": 42, "resets_at": now + 7980},
            "seven_day": {"used_percentage": 17, "resets_at": now + 273600},
        },
    }).encode()


def process_cases(tmp: Path) -> tuple[Cases, list[str]]:
    """The cases, and the names that are imports (the rest are start-ups)."""
    py = sys.executable
    site_packages = sysconfig.get_paths()["purelib"]
    cases: Cases = {BARE: ([py, "-I", "-S", "-c", "pass"], b"", None)}
    imports = []
    for name in STDLIB:
        if name == "tomllib" and sys.version_info < (3, 11):
            continue
        key = f"import {name}"
        cases[key] = ([py, "-I", "-S", "-c", f"import {name}"], b"", None)
        imports.append(key)
    for name in THIRD_PARTY:
        key = f"import {name}"
        code = f"import sys; sys.path.append({site_packages!r}); import {name}"
        cases[key] = ([py, "-I", "-S", "-c", code], b"", None)
        imports.append(key)
    cases["python -I -c pass (with site)"] = ([py, "-I", "-c", "pass"], b"", None)
    imports.append("python -I -c pass (with site)")

    launcher = tmp / "quotaline"
    launcher.write_text(launcher_text(py, str(REPO)))
    launcher.chmod(0o755)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp / "home"),
        "XDG_STATE_HOME": str(tmp / "home" / "state"),
        "XDG_CONFIG_HOME": str(tmp / "home" / "config"),
        "QUOTALINE_NO_SPAWN": "1",  # no background refresher: the command alone is timed
    }
    os.makedirs(env["HOME"])
    for _ in range(2):  # a snapshot to draw from, and the bundle of hot modules written
        subprocess.run([str(launcher), "statusline"], input=stdin_payload(), env=env, check=True,
                       stdout=subprocess.DEVNULL)
    # The same launcher with one of the hot path's savings undone, to show what each saves: the
    # interpreter's teardown (``launch`` leaves with ``os._exit``), cyclic GC (``main`` disables it).
    body = launcher_text(py, str(REPO))
    variants = {
        "teardown": body.replace("from statusline.cli import launch\nlaunch()\n",
                                 "from statusline.cli import main\nsys.exit(main())\n"),
        "gc": body.replace("from statusline.cli import launch\n",
                           "import gc\ngc.disable = lambda: None\nfrom statusline.cli import launch\n"),
    }
    for name, text in variants.items():
        if text == body:
            raise SystemExit(f"the launcher's text changed: update the {name} variant")
        (tmp / name).write_text(text)
        (tmp / name).chmod(0o755)
    hook_in = b'{"session_id":"costs","hook_event_name":"UserPromptSubmit","prompt":"hi"}'
    cases["quotaline statusline"] = ([str(launcher), "statusline"], stdin_payload(), env)
    cases["quotaline statusline, with the interpreter's teardown"] = (
        [str(tmp / "teardown"), "statusline"], stdin_payload(), env)
    cases["quotaline statusline, with cyclic GC on"] = ([str(tmp / "gc"), "statusline"], stdin_payload(), env)
    cases["quotaline hook (UserPromptSubmit)"] = ([str(launcher), "hook"], hook_in, env)
    cases["quotaline segment --format tmux"] = ([str(launcher), "segment", "--format", "tmux"], b"", env)
    cases["quotaline version (a cold command)"] = ([str(launcher), "version"], b"", env)
    return cases, imports


def measure(cases: Cases, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (argv, data, env) in cases.items():
            t0 = time.perf_counter()
            subprocess.run(argv, input=data, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=True)
            times[name].append((time.perf_counter() - t0) * 1000)
    return times


def in_process() -> list[tuple[str, float]]:
    """Medians of repeated in-process runs: parsing Claude Code's input of a given size."""
    from statusline.core.system import fastjson

    item = {"type": "text", "text": "a line of a pasted log", "n": 12345, "ok": True}
    size = len(json.dumps(item)) + 1
    docs = {
        "a prompt": lambda mib: {"session_id": "x", "prompt": "y" * ((mib << 20) - 64)},
        "small objects": lambda mib: {"session_id": "x", "items": [item] * ((mib << 20) // size)},
    }
    rows = []
    for kind, make in docs.items():
        for mib in (1, 8):
            text = json.dumps(make(mib)).encode()
            runs = []
            for _ in range(9 if mib == 1 else 5):
                t0 = time.perf_counter()
                fastjson.loads(text)
                runs.append((time.perf_counter() - t0) * 1000)
            rows.append((f"parse {mib} MiB of Claude Code's input, {kind} (`fastjson.loads`)", statistics.median(runs)))
    # Encoding a snapshot-sized document: the C encoder fastjson.dumps uses, and its pure Python
    # fallback (for NaN and the infinities, and interpreters without _json).
    history = [[1.7e9 + k, k / 3] for k in range(40)]
    windows = {f"w{i}": {"used_pct": 42.5, "resets_at": 1.7e9 + i, "source": "oauth", "history": history}
               for i in range(12)}
    doc = {"windows": windows, "sessions": {f"s{i}": {"at": 1.7e9} for i in range(40)}}
    for label, encode in (("C encoder", fastjson.dumps), ("pure Python fallback", _python_dumps(fastjson))):
        runs = []
        for _ in range(21):
            t0 = time.perf_counter()
            encode(doc)
            runs.append((time.perf_counter() - t0) * 1000)
        rows.append((f"encode a {len(fastjson.dumps(doc)) >> 10} KiB snapshot, {label} (`fastjson.dumps`)",
                     statistics.median(runs)))
    return rows


def _python_dumps(fastjson: Any) -> Callable[[Any], str]:
    def dumps(value: Any) -> str:
        out: list[str] = []
        fastjson._encode(value, out)
        return "".join(out)

    return dumps


def table(times: dict[str, list[float]], names: list[str]) -> list[str]:
    base = times[BARE]
    out = ["| case | median ms | ratio to bare | ratio p25-p75 | adds ms |", "|---|---:|---:|---:|---:|"]
    for name in [BARE, *names]:
        series = times[name]
        ratios = [t / b for t, b in zip(series, base, strict=True)]
        q1, _, q3 = statistics.quantiles(ratios, n=4)
        added = statistics.median(t - b for t, b in zip(series, base, strict=True))
        label = f"`{name}`" if name == BARE else name
        out.append(f"| {label} | {statistics.median(series):.1f} | {statistics.median(ratios):.2f} | "
                   f"{q1:.2f}-{q3:.2f} | {added:+.1f} |")
    return out


def page(times: dict[str, list[float]], imports: list[str], rounds: int, inproc: list[tuple[str, float]]) -> str:
    starts = [n for n in times if n != BARE and n not in imports]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{cpu_name()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()} ({platform.machine()})"
    lines = [
        "# Import and start-up costs, measured",
        "",
        "Written by `python scripts/import_costs.py`; do not edit by hand, run it again. Code comments",
        "refer to this page instead of copying a number (a number copied into 25 files is wrong in 25",
        "places once it drifts). Absolute times belong to this machine on this day; the ratios to the bare",
        "interpreter travel better.",
        "",
        f"- measured: {now}",
        f"- Python: {platform.python_implementation()} {platform.python_version()} ({platform.python_build()[1]})",
        f"- machine: {machine}",
        f"- method: every case a fresh process, {rounds} interleaved rounds, each paired with `{BARE}` of",
        "  the same round; medians of the times, of the paired ratios and of the paired differences; the",
        "  ratio's quartiles show the noise (a difference within them is no difference)",
        "",
        "## Importing one module into a bare interpreter",
        "",
        "Each `python -I -S -c \"import X\"` (third-party packages from this environment's site-packages,",
        "without running `site`); the last row is what `site` itself adds, which the launcher skips for the",
        "hot commands.",
        "",
        *table(times, imports),
        "",
        "## Starting a command",
        "",
        "Through the launcher `quotaline install` writes (`python -I -S`), on a fresh snapshot, no",
        "background refresher. The status line, hook and segment are the hot path (standard library",
        "only, served from the bundle); `version` is a cold command beside them. The two variants of the",
        "status line each undo one saving of `statusline/cli.py`: leaving through `sys.exit` (the",
        "interpreter's teardown) instead of `os._exit`, and cyclic garbage collection left on.",
        "",
        *table(times, starts),
        "",
        "## In-process",
        "",
        "| case | median ms |",
        "|---|---:|",
        *[f"| {name} | {ms:.1f} |" for name, ms in inproc],
        "",
        "The status line's speed over time and against an earlier tree: `scripts/bench_statusline.py`",
        "(`--against DIR`); the ledger's: `scripts/bench_ledger.py`.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=40, help="rounds (each runs every case once)")
    parser.add_argument("--out", default=str(REPO / "docs" / "import-costs.md"), help="the page to write; - prints it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cases, imports = process_cases(Path(tmp))
        times = measure(cases, args.n)
    text = page(times, imports, args.n, in_process())
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
