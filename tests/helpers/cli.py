"""The real CLI in an isolated HOME: where the repository and the shared fixtures are, ``Home`` and
``Result`` to run ``python -m statusline`` in a process, and what it is given (a status line stdin,
windows, snapshots). The ``home`` fixture (tests/conftest.py) makes a ``Home`` per test."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "fixtures"


@dataclass
class Result:
    code: int
    out: str
    err: str
    seconds: float


@dataclass
class Home:
    root: Path
    env: dict[str, str]

    @property
    def state(self) -> Path:
        return self.root / "state" / "quotaline"

    @property
    def claude(self) -> Path:
        return self.root / ".claude"

    def snapshot_file(self) -> Path:
        return self.state / "snapshot-default.json"

    def snapshot(self) -> dict[str, Any]:
        return json.loads(self.snapshot_file().read_text())

    def history(self, wid: str) -> list[Any]:
        """A window's history points as stored: the lines ``[wid, t, pct, reset]`` of the history
        file beside the snapshot."""
        lines = [json.loads(line) for line in self.history_file().read_text().splitlines() if line.strip()]
        return [line[1:] for line in lines if line[0] == wid]

    def history_file(self) -> Path:
        return self.state / "snapshot-default.json.history"

    def write_snapshot(self, data: dict[str, Any]) -> None:
        self.state.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.snapshot_file().write_text(json.dumps(data))

    def run(
        self, *args: str, stdin: str | bytes = b"", env: dict[str, str] | None = None, timeout: float = 30
    ) -> Result:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        t0 = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "statusline", *args],
            input=data,
            capture_output=True,
            env={**self.env, **(env or {})},
            timeout=timeout,
            cwd=self.root,
        )
        return Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode(), time.monotonic() - t0)


def statusline_stdin(
    five: float | None = 42,
    seven: float | None = 17,
    *,
    session: str = "sess-1",
    model: str = "claude-opus-5-5",
    name: str = "Opus 5.5",
    five_reset: float | None = None,
    seven_reset: float | None = None,
    base: str = "stdin_2.1.330_oauth_after_turn.json",
) -> dict[str, Any]:
    """A real 2.1.330 stdin with live reset times and the given percents."""
    data = json.loads((FIXTURES / "statusline" / base).read_text())
    now = time.time()
    data["session_id"] = session
    data["model"] = {"id": model, "display_name": name}
    limits: dict[str, Any] = {}
    if five is not None:
        limits["five_hour"] = {"used_percentage": five, "resets_at": int(five_reset or now + 7980)}
    if seven is not None:
        limits["seven_day"] = {"used_percentage": seven, "resets_at": int(seven_reset or now + 273600)}
    data["rate_limits"] = limits
    return data


def window(
    wid: str, pct: float, *, resets_in: float = 7980, source: str = "oauth", age: float = 0, label: str | None = None
) -> dict[str, Any]:
    now = time.time()
    from statusline.core.window.rules import label_for

    return {
        "id": wid,
        "label": label or label_for(wid),
        "used_pct": pct,
        "resets_at": now + resets_in,
        "source": source,
        "observed_at": now - age,
        "session": None,
    }


def snapshot_with(*windows: dict[str, Any], **extra: Any) -> dict[str, Any]:
    from statusline.core.store.snapshot import empty

    snap = empty()
    for w in windows:
        snap["windows"][w["id"]] = w
    snap.update(extra)
    return snap


Maker = Callable[..., dict[str, Any]]


def run_in_tree(home: Home, tree: Path, probe: str, *flags: str) -> subprocess.CompletedProcess[bytes]:
    """``probe`` (Python, given ``tree`` and ``statusline`` as arguments) run as a status line with a
    42%/17% stdin, in ``home``: the launcher's own code paths (bundle, collector) in a copied tree."""
    return subprocess.run(
        [sys.executable, *flags, "-c", probe, str(tree), "statusline"],
        input=json.dumps(statusline_stdin(42, 17)).encode(),
        capture_output=True,
        env=home.env,
        timeout=30,
    )
