"""``quotaline statusline``: Claude Code's status-line JSON in, one coloured line out."""

from __future__ import annotations

import sys
import time

from statusline.core.draw import render
from statusline.core.run import spawn, stdin
from statusline.core.run.context import Context
from statusline.core.run.guard import guarded
from statusline.core.settings import loader
from statusline.core.store import paths, snapshot
from statusline.core.window import claude_input, merge
from statusline.core.window.rules import Window


def run() -> int:
    return guarded(_run, "quotaline: unavailable (run `quotaline doctor`)")


def _run() -> int:
    now = time.time()
    inp = claude_input.parse(stdin.read_all())
    settings = loader.load()
    readings = inp.rate_limit_windows(now=now)
    try:
        text = _with_snapshot(inp, readings, settings, now)
    except Exception as exc:  # whatever the files hold, stdin's own numbers still make a line
        from statusline.core.run.guard import log_exception

        log_exception(exc)
        text = _line(_stdin_alone(readings, now), settings, inp, now) + " !err"
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return 0


def _with_snapshot(
    inp: claude_input.ClaudeInput, readings: list[Window], settings: loader.Settings, now: float
) -> str:
    try:
        path = paths.snapshot_path()
    except paths.DirError as exc:  # not safe to use: a line from stdin alone, nothing read or written there
        sys.stderr.write(f"quotaline: {exc}\n")
        return _line(_stdin_alone(readings, now), settings, inp, now) + " !dir"
    snap = snapshot.read(path)

    def record(target: snapshot.Snapshot) -> bool:
        problems: list[str] = []
        changed = merge.apply_windows(target, readings, now=now, problems=problems)
        if readings:
            changed = merge.note_problems(target, problems, source="statusline", now=now) or changed
        if inp.session_id:
            changed = merge.touch_session(target, inp.session_id, inp.session_info(), now=now) or changed
        return changed

    if record(snap) or snapshot.needs_write(snap):  # or an older file to migrate
        snapshot.update(path, record)  # never waits: a busy lock means a later run records it
    spawn.maybe_start(snap, settings, path, now)
    return _line(snap, settings, inp, now)


def _stdin_alone(readings: list[Window], now: float) -> snapshot.Snapshot:
    snap = snapshot.empty()
    merge.apply_windows(snap, readings, now=now)
    return snap


def _line(snap: snapshot.Snapshot, settings: loader.Settings, inp: claude_input.ClaudeInput, now: float) -> str:
    ctx = Context(snap, settings, now, family=inp.family, session=inp.session_id)
    return render.line(ctx, surface="statusline", style="ansi")
