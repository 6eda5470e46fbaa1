#!/usr/bin/env python3
"""Benchmark the hot path: `quotaline statusline` / `hook` / `segment` against a bare interpreter.

Runs each command N times on a warm snapshot, through the same launcher install.sh writes
(`python -SI` + site-packages appended), and prints p50/p90 wall times and the ratio to
`python -I -S -c pass` of the same interpreter. Usage: python scripts/bench_statusline.py [-n 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from statusline.install import launcher_text  # noqa: E402

FIXTURE = REPO.parent / "shared" / "fixtures" / "statusline" / "stdin_2.1.330_oauth_after_turn.json"


def stdin_payload() -> bytes:
    """The 2.1.330 fixture with reset times moved into the future, so the values are live."""
    import json

    data = json.loads(FIXTURE.read_text()) if FIXTURE.exists() else {"session_id": "bench", "rate_limits": {}}
    now = int(time.time())
    data.setdefault("rate_limits", {})
    data["rate_limits"]["five_hour"] = {"used_percentage": 42, "resets_at": now + 7980}
    data["rate_limits"]["seven_day"] = {"used_percentage": 17, "resets_at": now + 273600}
    return json.dumps(data).encode()


def timed(argv: list[str], stdin: bytes, env: dict[str, str], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(argv, input=stdin, env=env, stdout=subprocess.DEVNULL, check=True)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        launcher = Path(tmp) / "quotaline"
        launcher.write_text(launcher_text(sys.executable, str(REPO)))
        launcher.chmod(0o755)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": tmp,
            "XDG_STATE_HOME": f"{tmp}/state",
            "XDG_CONFIG_HOME": f"{tmp}/config",
            "QUOTALINE_NO_SPAWN": "1",
        }
        payload = stdin_payload()
        hook_in = b'{"session_id":"dc4df19b-cdfd-4b93-91cf-0c4418b3e230","hook_event_name":"UserPromptSubmit"}'
        cases = {
            "python -I -S -c pass": ([sys.executable, "-I", "-S", "-c", "pass"], b""),
            "quotaline statusline": ([str(launcher), "statusline"], payload),
            "quotaline hook user-prompt-submit": ([str(launcher), "hook", "user-prompt-submit"], hook_in),
            "quotaline segment --format tmux": ([str(launcher), "segment", "--format", "tmux"], b""),
        }
        timed(cases["quotaline statusline"][0], payload, env, 3)  # warm: snapshot and .pyc files exist
        results = {name: timed(argv, data, env, args.n) for name, (argv, data) in cases.items()}
    base = statistics.median(results["python -I -S -c pass"])
    print(f"python {sys.version.split()[0]}, n={args.n}, warm snapshot")
    print(f"{'command':<36} {'p50 ms':>8} {'p90 ms':>8} {'ratio':>6}")
    for name, times in results.items():
        p50 = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"{name:<36} {p50:8.1f} {p90:8.1f} {p50 / base:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
