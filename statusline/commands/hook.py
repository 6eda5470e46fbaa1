"""``quotaline hook``: the hooks Claude Code runs, told apart by stdin's ``hook_event_name`` (the
argument, e.g. ``user-prompt-submit``, only when stdin names none: the installer may run one command
for every event).

- ``UserPromptSubmit``: warn (systemMessage) or block before a prompt is sent; say a wall once;
  with ``hook.briefing``, brief the model near a wall (``additionalContext``).
- ``StopFailure`` (matcher ``rate_limit``): record the wall in the snapshot. Claude Code ignores its
  output; it still exits 0 at once, silent, whatever the input.
- ``Stop`` (a turn went through; Claude Code runs ``StopFailure`` instead when an API error ended
  it): the walls that turn could have met are over (``merge.turn_succeeded``). Reads the snapshot
  and writes only when a wall stands, so a turn costs one read.
"""

from __future__ import annotations

import sys
import time

from statusline.core.draw.textsafe import clean
from statusline.core.run import spawn, stdin
from statusline.core.run.context import Context
from statusline.core.run.guard import guarded
from statusline.core.settings import loader
from statusline.core.store import paths, snapshot
from statusline.core.system import fastjson
from statusline.core.warn import before_prompt
from statusline.core.window import claude_input
from statusline.core.window.rules import model_family

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any


# The argument's names for the events, when stdin names none: older installs wrote
# `hook user-prompt-submit`, newer ones `hook` alone (for every event).
ARG_EVENTS = {
    "": "UserPromptSubmit",
    "user-prompt-submit": "UserPromptSubmit",
    "stop-failure": "StopFailure",
    "stop": "Stop",
}


def run(arg: str = "user-prompt-submit") -> int:
    return guarded(lambda: _dispatch(arg), "")


def _dispatch(arg: str) -> int:
    now = time.time()
    inp = claude_input.parse(stdin.read_all(stdin.HOOK_S))
    event = inp.raw.get("hook_event_name")
    if not isinstance(event, str) or not event:
        event = ARG_EVENTS.get(arg, arg)
    if event == "StopFailure":
        return _stop_failure(inp, now)
    if event == "UserPromptSubmit":
        return _run(inp, now)
    if event == "Stop":
        return _turn_went_through(inp, now)
    return 0  # an event this version does not know: nothing to say


def _stop_failure(inp: claude_input.ClaudeInput, now: float) -> int:
    """Record the wall (an error other than a rate limit is not one)."""
    error = inp.raw.get("error")
    if isinstance(error, str) and error and error != "rate_limit":
        return 0
    try:
        path = paths.snapshot_path()
    except paths.DirError:
        return 0

    from statusline.core.window import merge, walls

    def mutate(target: snapshot.Snapshot) -> bool:
        # Built from the locked copy: its windows at 100% and reset times are the latest.
        wall = walls.from_stop_failure(inp.raw, target, now=now, session=inp.session_id)
        return merge.record_wall(target, wall, now=now)

    deadline = time.monotonic() + LOCK_WAIT_S
    while not snapshot.update(path, mutate) and time.monotonic() < deadline and _busy(path):
        time.sleep(0.005)  # lost after that: the transcript's error line tells the ledger of it
    return 0


def _turn_went_through(inp: claude_input.ClaudeInput, now: float) -> int:
    try:
        path = paths.snapshot_path()
    except paths.DirError:
        return 0
    snap = snapshot.read(path)
    if not snap["walls"]:
        return 0  # the common case: one read, no import
    from statusline.core.window import merge

    sid = inp.session_id
    family = _session_family(snap, sid) or inp.family
    if not merge.turn_succeeded(snap, sid, family, at=now):
        return 0  # every wall it could end has ended already

    def mutate(target: snapshot.Snapshot) -> bool:
        return merge.turn_succeeded(target, sid, family, at=now)

    deadline = time.monotonic() + LOCK_WAIT_S
    while not snapshot.update(path, mutate) and time.monotonic() < deadline and _busy(path):
        time.sleep(0.005)  # lost after that: the ledger reads the same answer in the transcript
    return 0


def _run(inp: claude_input.ClaudeInput, now: float) -> int:
    settings = loader.load()
    if not settings.get("hook", "enabled"):
        return 0
    try:
        path = paths.snapshot_path()
    except paths.DirError:  # not safe to use: nothing to warn from (the status line and doctor say why)
        return 0
    snap = snapshot.read(path)
    sid = inp.session_id
    parked = _overlay_parked(snap, path, sid) if sid else False
    family = _session_family(snap, sid) or inp.family
    decision = before_prompt.decide(Context(snap, settings, now, family=family), session_id=sid)
    _add_wall(decision, snap, sid, family, now)
    if sid and decision.warned != before_prompt.said_before(snap, sid):
        remember(path, sid, {"at": now, "windows": decision.warned}, now)
    elif parked:
        _merge_now(path, now)  # fold this session's parked state into the snapshot if the lock is free
    spawn.maybe_start(snap, settings, path, now)
    out: dict[str, Any] | None = None
    # Claude Code shows both to the user: labels and currency in them came from a server or a file.
    if decision.block_reason:
        out = {"decision": "block", "reason": clean(decision.block_reason)}
    elif decision.message:
        out = {"systemMessage": clean(decision.message)}
    if decision.context and not decision.block_reason:  # the briefing: read by the model, not shown
        out = out or {}
        out["hookSpecificOutput"] = {"hookEventName": "UserPromptSubmit", "additionalContext": clean(decision.context)}
    if out is not None:
        sys.stdout.write(fastjson.dumps(out) + "\n")
        sys.stdout.flush()
    return 0


def _add_wall(
    decision: before_prompt.Decision, snap: snapshot.Snapshot, sid: str | None, family: str | None, now: float
) -> None:
    """The standing wall, said once per session (first, before any warning)."""
    if not snap["walls"]:
        return  # the common case costs no import
    from statusline.core.window import walls

    notice = walls.hook_notice(snap, now, family, before_prompt.said_before(snap, sid), sid)
    if notice is None:
        return
    key, text, state = notice
    decision.warned[key] = state
    if text:
        decision.message = f"{text} {decision.message}" if decision.message else text


def _session_family(snap: snapshot.Snapshot, session_id: str | None) -> str | None:
    session = snap["sessions"].get(session_id) if session_id else None
    if not isinstance(session, dict):
        return None
    return model_family(session.get("model_id"), session.get("model_name"))


# The "already warned" state must survive contention: a lost entry means the user is warned twice.
# The snapshot lock is held for a few ms per writer, so a short bounded wait almost always gets it;
# when it does not (dozens of hooks at once, a stalled writer), the entry is parked in a file of its
# own, which this session's next hook reads and the next writer that holds the lock merges.
LOCK_WAIT_S = 0.15


def remember(path: str, sid: str, entry: dict[str, Any], now: float) -> None:
    """Store this session's dedupe ``entry``: in the snapshot, or parked beside it. Never drops it."""
    from statusline.core.window import merge  # only to write: most prompts change nothing

    merged: list[tuple[str, bytes]] = []

    def mutate(target: snapshot.Snapshot) -> bool:
        merged[:] = _merge_parked(target, path)
        target["warned"][sid] = entry
        merge.forget_old_warnings(target, now=now)
        return True

    deadline = time.monotonic() + LOCK_WAIT_S
    pause = 0.002
    while True:
        if snapshot.update(path, mutate):
            _unpark(path, merged)
            return
        if time.monotonic() >= deadline or not _busy(path):
            break  # out of patience, or the write itself failed: park it
        time.sleep(pause)
        pause = min(pause * 2, 0.01)
    _park(path, sid, entry)


def _busy(path: str) -> bool:
    try:
        return snapshot.is_locked(snapshot.lock_path(path))
    except OSError:  # an unwritable state dir: waiting will not help
        return False


def _merge_now(path: str, now: float) -> None:
    from statusline.core.window import merge

    merged: list[tuple[str, bytes]] = []

    def mutate(target: snapshot.Snapshot) -> bool:
        merged.extend(_merge_parked(target, path))
        merge.forget_old_warnings(target, now=now)
        return bool(merged)

    if snapshot.update(path, mutate):
        _unpark(path, merged)


def _park_name(sid: str) -> str:
    if 0 < len(sid) <= 64 and sid.replace("-", "").replace("_", "").isalnum() and sid.isascii():
        return sid + ".json"
    import hashlib  # odd session ids only: a name that is safe and bounded

    return hashlib.sha256(sid.encode("utf-8", "replace")).hexdigest() + ".json"


def _park(path: str, sid: str, entry: dict[str, Any]) -> None:
    from statusline.core.system import fastos

    directory = snapshot.parked_dir(path)
    if not paths.own_subdir(directory, create=True):
        return  # nowhere safe to write: the next prompt warns again, the only loss left
    try:
        target = fastos.join(directory, _park_name(sid))
        tmp = paths.temp_name(target)
        fd = fastos.open(tmp, fastos.O_WRONLY | fastos.O_CREAT | fastos.O_EXCL | fastos.O_NOFOLLOW, 0o600)
        try:
            fastos.write(fd, fastjson.dumps({"session": sid, **entry}).encode("utf-8"))
        finally:
            fastos.close(fd)
        fastos.replace(tmp, target)
    except OSError:
        pass  # nowhere to write at all: the next prompt warns again, the only loss left


def _read_parked(file: str) -> tuple[bytes, dict[str, Any]] | None:
    from statusline.core.system import fastos

    try:
        fd = paths.open_private(file, fastos.O_RDONLY)  # not a link, a FIFO (it would hang) or a stranger's
    except OSError:
        return None
    try:
        raw = fastos.read(fd, 1 << 16)
    finally:
        fastos.close(fd)
    try:
        entry = fastjson.loads(raw)
    except Exception:
        return raw, {}
    return raw, entry if isinstance(entry, dict) else {}


def _newer(entry: dict[str, Any], than: Any) -> bool:
    at = entry.get("at")
    if not isinstance(at, (int, float)) or not isinstance(entry.get("windows"), dict):
        return False
    old = than.get("at") if isinstance(than, dict) else None
    return not isinstance(old, (int, float)) or at > old


def _overlay_parked(snap: snapshot.Snapshot, path: str, sid: str) -> bool:
    """Let this session's parked entry stand in for the snapshot's when newer; True when one exists."""
    from statusline.core.system import fastos

    directory = snapshot.parked_dir(path)
    if not paths.own_subdir(directory, create=False):
        return False
    found = _read_parked(fastos.join(directory, _park_name(sid)))
    if found is None:
        return False
    entry = found[1]
    if entry.get("session") == sid and _newer(entry, snap["warned"].get(sid)):
        snap["warned"][sid] = {"at": entry["at"], "windows": entry["windows"]}
    return True


def _merge_parked(target: snapshot.Snapshot, path: str) -> list[tuple[str, bytes]]:
    """Fold every parked entry into ``target`` (newer wins); the files read, to remove once written."""
    from statusline.core.system import fastos

    directory = snapshot.parked_dir(path)
    if not paths.own_subdir(directory, create=False):
        return []  # a link planted here would have us read, then remove, another dir's files
    try:
        names = [n for n in fastos.listdir(directory) if n.endswith(".json")]
    except OSError:
        return []
    paths.sweep_leftovers(directory, time.time())  # a hook killed while parking or unparking
    read: list[tuple[str, bytes]] = []
    for name in names:
        found = _read_parked(fastos.join(directory, name))
        if found is None:
            continue
        raw, entry = found
        read.append((name, raw))
        sid = entry.get("session")
        if isinstance(sid, str) and _newer(entry, target["warned"].get(sid)):
            target["warned"][sid] = {"at": entry["at"], "windows": entry["windows"]}
    return read


def _unpark(path: str, merged: list[tuple[str, bytes]]) -> None:
    """Remove parked files now in the snapshot, unless one was re-parked meanwhile (then it stays)."""
    from contextlib import suppress  # only after a merge: not on the common path

    from statusline.core.system import fastos

    directory = snapshot.parked_dir(path)
    if not merged or not paths.own_subdir(directory, create=False):
        return
    for name, raw in merged:
        file = fastos.join(directory, name)
        claim = paths.temp_name(file, ".done")
        try:
            fastos.rename(file, claim)  # atomic: a file parked after this point is a new one, untouched
        except OSError:
            continue
        again = _read_parked(claim)
        with suppress(OSError):
            if again is not None and again[0] != raw:
                fastos.link(claim, file)  # changed since it was merged: put it back (unless newer exists)
        with suppress(OSError):
            fastos.unlink(claim)
