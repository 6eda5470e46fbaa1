#!/usr/bin/env python3
"""Benchmark the hot path: `quotaline statusline` / `hook` / `segment` against a bare interpreter.

Each command runs through the same launcher install.sh writes (`python -SI` + site-packages
appended). The cases are interleaved (A B C ... A B C ...) so that a noisy neighbour slows them all
alike, and each round's time is divided by the bare interpreter's time of the same round: the
ratios are paired. Printed: p50 / p90 wall time, the median ratio with its spread (p25-p75), and
how many runs replaced a snapshot (a run that changes nothing visible writes nothing).

Snapshots: ``fresh`` (one status-line run old) and ``month`` (a simulated month of heavy use: 20
live sessions and hundreds of old ones, readings every 10 s of every window kind, full history,
errors, warnings): the status line must be about as fast on both. ``month, no memo`` is the same
month without the writer's burn rates (``forecast.memo``: they hold until the oldest point of the hour
leaves it, here within 10 s of the last write): every forecast is worked out from the points, the
slowest a read of that month gets.

``--against DIR`` adds the same commands run from another checkout (say, ``git worktree add
/tmp/before HEAD~1``), interleaved with these, and prints this tree's time over that one's, paired.

Usage: python scripts/bench_statusline.py [-n 40] [--against DIR] [--surfaces]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from statusline.commands.setup.launcher import launcher_text  # noqa: E402
from statusline.core.store import snapshot  # noqa: E402
from statusline.core.window import history_rules, merge  # noqa: E402
from statusline.core.window.rules import label_for, length_s  # noqa: E402

FIXTURE = REPO.parent / "shared" / "fixtures" / "statusline" / "stdin_2.1.330_oauth_after_turn.json"
MONTH_WINDOWS = (
    "five_hour",
    "seven_day",
    "seven_day:opus",
    "seven_day:sonnet",
    "seven_day:fable",
    "seven_day:oauth_apps",
    "seven_day:cowork",
    "iguana_necktie",
    "tangelo",
)


def stdin_payload(session: str = "bench") -> bytes:
    """The 2.1.330 fixture with reset times moved into the future, so the values are live."""
    data = json.loads(FIXTURE.read_text()) if FIXTURE.exists() else {"rate_limits": {}}
    now = int(time.time())
    data["session_id"] = session
    data.setdefault("rate_limits", {})
    data["rate_limits"]["five_hour"] = {"used_percentage": 42, "resets_at": now + 7980}
    data["rate_limits"]["seven_day"] = {"used_percentage": 17, "resets_at": now + 273600}
    return json.dumps(data).encode()


def month_of_use(now: float) -> dict[str, object]:
    """The snapshot after 30 days of heavy use, built with the same record/pace rules the commands use."""
    snap = snapshot.empty()
    for day in range(30):  # a new session every ~90 minutes, 20 of them alive at the end
        for k in range(16):
            t = now - (30 - day) * 86400 + k * 5400
            merge.touch_session(snap, f"{day:02d}{k:02d}-0000-4000-8000-" + "a" * 12, {"model_id": "claude-opus-5-5",
                                 "model_name": "Opus 5.5", "version": "2.1.330", "cwd": "/home/u/project"}, now=t)
    for i in range(20):
        sid = f"live-{i:02d}-4000-8000-" + "b" * 12
        merge.touch_session(snap, sid, {"model_id": "claude-opus-5-5", "version": "2.1.330", "cwd": "/p"}, now=now)
        snap["warned"][sid] = {"at": now, "windows": {"five_hour": {"level": 1, "period": now + 7980}}}
    for wid in MONTH_WINDOWS:
        length = length_s(wid) or 30 * 86400.0
        points: list[list[float | None]] = []
        t = now - 8 * 86400
        while t <= now:  # every 10 s in the last 2 hours, every minute before (thinned alike)
            reset = now + 7980 - ((now + 7980 - t) // length) * length
            points.append([t, round(((t % length) / length) * 90, 1), reset])
            t += 10 if now - t < 7200 else 60
        snap["history"][wid] = history_rules.add_point(points, now, 42.0, now + 7980, now=now)
        snap["windows"][wid] = {"id": wid, "label": label_for(wid), "used_pct": 42.0, "resets_at": now + 7980,
                                "source": "oauth", "observed_at": now, "session": None, "severity": "normal",
                                "is_active": False}
    snap["extra_usage"] = {"enabled": True, "used": 408.43, "limit": 500.0, "currency": "USD", "out_of_credits": False,
                           "utilization": None, "source": "oauth", "observed_at": now}
    for source in ("oauth", "claude_ai", "statusline"):
        merge.add_error(snap, "rate_limited", "rate limited by api.anthropic.com (429)", source=source, now=now)
    snap["refresh"] = {"last_attempt": now, "last_success": now, "next_due": now + 3600, "auth_stamp": None,
                       "sources": {"oauth": {"failures": 0, "last_ok": now, "last_status": 200}}}
    return snap


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=40, help="rounds (each runs every case once)")
    parser.add_argument("--against", metavar="DIR", help="another checkout to compare with, in the same rounds")
    parser.add_argument("--surfaces", action="store_true", help="also segment --format waybar / swiftbar (month)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        launcher = Path(tmp) / "quotaline"
        launcher.write_text(launcher_text(sys.executable, str(REPO)))
        launcher.chmod(0o755)

        def env_for(name: str) -> dict[str, str]:
            return {
                "PATH": os.environ.get("PATH", ""),
                "HOME": f"{tmp}/{name}",
                "XDG_STATE_HOME": f"{tmp}/{name}/state",
                "XDG_CONFIG_HOME": f"{tmp}/{name}/config",
                "QUOTALINE_NO_SPAWN": "1",
            }

        fresh, month, idle = env_for("fresh"), env_for("month"), env_for("idle")
        for env in (fresh, month, idle):
            os.makedirs(env["HOME"])
            subprocess.run([str(launcher), "statusline"], input=stdin_payload(), env=env, check=True,
                           stdout=subprocess.DEVNULL)
        month_file = Path(month["XDG_STATE_HOME"]) / "quotaline" / "snapshot-default.json"
        snapshot.write_atomic(str(month_file), month_of_use(time.time()))
        idle_file = Path(idle["XDG_STATE_HOME"]) / "quotaline" / "snapshot-default.json"
        snapshot.write_atomic(str(idle_file), month_of_use(time.time()))
        live = stdin_payload("live-03-4000-8000-bbbbbbbbbbbb")
        subprocess.run([str(launcher), "statusline"], input=live, env=idle, check=True, stdout=subprocess.DEVNULL)
        stored = json.loads(idle_file.read_text())  # what the session's first run wrote, less the memos
        stored.pop("rates", None)
        idle_file.write_text(json.dumps(stored))
        hook_in = b'{"session_id":"live-03-4000-8000-bbbbbbbbbbbb","hook_event_name":"UserPromptSubmit"}'
        fresh_hook_in = b'{"session_id":"bench","hook_event_name":"UserPromptSubmit"}'
        sl, hook, seg = [str(launcher), "statusline"], [str(launcher), "hook"], [
            str(launcher), "segment", "--format", "tmux"]
        cases: dict[str, tuple[list[str], bytes, dict[str, str]]] = {
            "python -I -S -c pass": ([sys.executable, "-I", "-S", "-c", "pass"], b"", fresh),
            "statusline (fresh snapshot)": (sl, stdin_payload(), fresh),
            "statusline (month of use)": (sl, stdin_payload("live-03-4000-8000-bbbbbbbbbbbb"), month),
            "statusline (month, no memo)": (sl, stdin_payload("live-03-4000-8000-bbbbbbbbbbbb"), idle),
            "hook (fresh)": (hook, fresh_hook_in, fresh),
            "hook (month)": (hook, hook_in, month),
            "segment --format tmux (fresh)": (seg, b"", fresh),
            "segment --format tmux (month)": (seg, b"", month),
        }
        snapshots = {
            Path(env["XDG_STATE_HOME"]) / "quotaline" / "snapshot-default.json": env for env in (fresh, month, idle)
        }
        if args.against:
            against = Path(args.against).resolve()
            text = launcher_text(sys.executable, str(against))
            if "def launch(" not in (against / "statusline" / "cli.py").read_text():  # an older checkout
                text = text.replace("from statusline.cli import launch\nlaunch()\n",
                                    "from statusline.cli import main\nsys.exit(main())\n")
            other = Path(tmp) / "quotaline-other"
            other.write_text(text)
            other.chmod(0o755)
            copies: dict[str, dict[str, str]] = {}  # its own copy of each HOME: file formats may differ
            for name, (argv, data, env) in list(cases.items()):
                if argv[0] == str(launcher):
                    if env["HOME"] not in copies:
                        copy = env_for(Path(env["HOME"]).name + "-other")
                        shutil.copytree(env["HOME"], copy["HOME"])
                        copies[env["HOME"]] = copy
                    cases[f"{name} @other"] = ([str(other), *argv[1:]], data, copies[env["HOME"]])
        if args.surfaces:  # the desktop bars, beside segment --format tmux in the same rounds (this tree only)
            for fmt in ("waybar", "swiftbar"):
                cases[f"segment --format {fmt} (month)"] = ([str(launcher), "segment", "--format", fmt], b"", month)
        times: dict[str, list[float]] = {name: [] for name in cases}
        writes: dict[str, int] = dict.fromkeys(cases, 0)
        for _ in range(args.n):
            for name, (argv, data, env) in cases.items():
                before = {f: f.stat().st_ino for f in snapshots}
                t0 = time.perf_counter()
                subprocess.run(argv, input=data, env=env, stdout=subprocess.DEVNULL, check=True)
                times[name].append((time.perf_counter() - t0) * 1000)
                writes[name] += sum(f.stat().st_ino != ino for f, ino in before.items())  # replaced: written
        size = month_file.stat().st_size
        history_file = Path(str(month_file) + ".history")  # older versions kept it in the snapshot
        history = history_file.stat().st_size if history_file.exists() else 0
    base = times["python -I -S -c pass"]
    print(f"python {sys.version.split()[0]}, {args.n} interleaved rounds, month snapshot {size / 1024:.0f} KiB "
          f"+ history {history / 1024:.0f} KiB")
    print(f"{'command':<34} {'p50 ms':>7} {'p90 ms':>7} {'ratio':>6} {'p25-p75':>11} {'writes':>7}")
    for name, series in times.items():
        ratios = sorted(t / b for t, b in zip(series, base, strict=True))
        q1, q3 = statistics.quantiles(ratios, n=4)[0], statistics.quantiles(ratios, n=4)[2]
        p90 = statistics.quantiles(series, n=10)[-1]
        print(f"{name:<34} {statistics.median(series):7.1f} {p90:7.1f} {statistics.median(ratios):6.2f} "
              f"{q1:5.2f}-{q3:<5.2f} {writes[name]:>4}/{args.n}")
    month_vs_fresh = sorted(m / f for m, f in zip(times["statusline (month of use)"],
                                                  times["statusline (fresh snapshot)"], strict=True))
    print(f"status line, month of use / fresh (paired): {statistics.median(month_vs_fresh):.2f}")
    idle_vs_fresh = sorted(m / f for m, f in zip(times["statusline (month, no memo)"],
                                                 times["statusline (fresh snapshot)"], strict=True))
    print(f"status line, month without memo / fresh (paired): {statistics.median(idle_vs_fresh):.2f}")
    for name in [n for n in times if n.endswith(" @other")]:
        mine = sorted(a / b for a, b in zip(times[name.removesuffix(" @other")], times[name], strict=True))
        print(f"this tree / {args.against}: {name.removesuffix(' @other'):<34} {statistics.median(mine):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
