"""``quotaline hook user-prompt-submit``: warn (systemMessage) or block before a prompt is sent."""

from __future__ import annotations

import sys
import time

from statusline import claude_input, config_fast, fastjson, paths, record, snapshot, spawn, stdin, warn
from statusline.forecast import all_forecasts
from statusline.safety import guarded
from statusline.textsafe import clean
from statusline.windows import model_family

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up; annotations are strings anyway
    from typing import Any


def run() -> int:
    return guarded(_run, "")


def _run() -> int:
    now = time.time()
    inp = claude_input.parse(stdin.read_all(stdin.HOOK_S))
    settings = config_fast.load()
    if not settings.get("hook", "enabled"):
        return 0
    path = paths.snapshot_path()
    snap = snapshot.read(path)
    sid = inp.session_id
    family = _session_family(snap, sid) or inp.family
    decision = warn.decide(snap, settings, session_id=sid, family=family, now=now, forecasts=all_forecasts(snap, now))
    if sid and decision.warned != warn.said_before(snap, sid):

        def remember(target: snapshot.Snapshot) -> bool:
            target["warned"][sid] = {"at": now, "windows": decision.warned}
            record.forget_old_warnings(target, now=now)
            return True

        for _ in range(3):  # a lost dedupe state means one repeated warning: worth a short retry
            if snapshot.update(path, remember):
                break
            time.sleep(0.02)
    spawn.maybe_start(snap, settings, path, now)
    out: dict[str, Any] | None = None
    # Claude Code shows both to the user: labels and currency in them came from a server or a file.
    if decision.block_reason:
        out = {"decision": "block", "reason": clean(decision.block_reason)}
    elif decision.message:
        out = {"systemMessage": clean(decision.message)}
    if out is not None:
        sys.stdout.write(fastjson.dumps(out) + "\n")
        sys.stdout.flush()
    return 0


def _session_family(snap: snapshot.Snapshot, session_id: str | None) -> str | None:
    session = snap["sessions"].get(session_id) if session_id else None
    if not isinstance(session, dict):
        return None
    return model_family(session.get("model_id"), session.get("model_name"))
