"""``quotaline statusline``: Claude Code's status-line JSON in, one coloured line out."""

from __future__ import annotations

import sys
import time

from statusline import claude_input, config_fast, paths, record, render, snapshot, spawn, stdin
from statusline.forecast import all_forecasts
from statusline.safety import guarded


def run() -> int:
    return guarded(_run, "quotaline: unavailable (run `quotaline doctor`)")


def _run() -> int:
    now = time.time()
    inp = claude_input.parse(stdin.read_all())
    settings = config_fast.load()
    try:
        path = paths.snapshot_path()
    except paths.DirError as exc:  # not safe to use: a line from stdin alone, nothing read or written there
        sys.stderr.write(f"quotaline: {exc}\n")
        path = ""
    snap = snapshot.read(path) if path else snapshot.empty()
    readings = inp.rate_limit_windows(now=now)

    def observe(target: snapshot.Snapshot) -> bool:
        problems: list[str] = []
        changed = record.apply_windows(target, readings, now=now, problems=problems)
        if readings:
            changed = record.note_problems(target, problems, source="statusline", now=now) or changed
        if inp.session_id:
            changed = record.touch_session(target, inp.session_id, inp.session_info(), now=now) or changed
        return changed

    if observe(snap) and path:
        snapshot.update(path, observe)  # never waits: a busy lock means a later run records it
    if path:
        spawn.maybe_start(snap, settings, path, now)
    text = render.line(
        snap,
        settings,
        surface="statusline",
        style="ansi",
        family=inp.family,
        now=now,
        forecasts=all_forecasts(snap, now),
    )
    sys.stdout.write(text + ("\n" if path else " !dir\n"))
    sys.stdout.flush()
    return 0
