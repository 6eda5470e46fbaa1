"""Walls found in transcripts (the ledger's second source of walls, beside the StopFailure hook):
each rate-limit error line goes into its config dir's snapshot through ``merge.record_wall``,
which knows it when the hook told of it already. A session's newest answer (a request that went
through) ends the walls before it (``merge.turn_succeeded``), as the Stop hook does: a wall read
late from a transcript, or from before quotaline ran, is not shown over the turns that followed."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from statusline.core.store import paths, snapshot
from statusline.core.window import merge, walls
from statusline.ledger.parse import model_family

# The snapshot lock is held for milliseconds: a short wait almost always gets it (the refresher
# runs in the background, so waiting costs nobody anything).
LOCK_WAIT_S = 2.0

Found = tuple[str, float, str | None, object, str | None]  # config dir, at, words, details, session
Answered = tuple[str, float, str, str]  # config dir, at, session, model


def record_walls(found: Iterable[Found], now: float, answered: Iterable[Answered] = ()) -> int:
    """Store the walls of the last ``snapshot.WALLS_KEEP_S`` in their snapshots, then end those a
    later answer of a session went past; how many walls were new.

    A config dir without a snapshot is left alone (quotaline does not run there)."""
    by_root: dict[str, list[Found]] = {}
    for item in found:
        if now - item[1] <= snapshot.WALLS_KEEP_S:
            by_root.setdefault(item[0], []).append(item)
    answers: dict[str, list[Answered]] = {}
    for answer in answered:
        if now - answer[1] <= snapshot.WALLS_KEEP_S:
            answers.setdefault(answer[0], []).append(answer)
    added = 0
    for root in {*by_root, *answers}:
        try:
            path = paths.snapshot_path(root)
        except OSError:  # paths.DirError: the state dir is not safe to use
            continue
        if not os.path.exists(path):
            continue
        if root not in by_root and not _any_standing(path):
            continue  # nothing to end: no lock, no write
        added += _record(path, by_root.get(root, []), answers.get(root, []), now)
    return added


def _any_standing(path: str) -> bool:
    return any(w.get("ended") is None for w in snapshot.read(path)["walls"])


def _record(path: str, items: list[Found], answers: list[Answered], now: float) -> int:
    changed = [0]

    def mutate(target: snapshot.Snapshot) -> bool:
        changed[0] = 0
        for _, at, text, details, session in sorted(items, key=lambda i: i[1]):
            wall = walls.build(
                target, now=now, at=at, text=walls.said(text), details=details, source="transcript", session=session
            )
            changed[0] += merge.record_wall(target, wall, now=now)
        ended = False
        for _, at, session, model in answers:
            ended = merge.turn_succeeded(target, session, model_family(model), at=at) or ended
        return changed[0] > 0 or ended

    deadline = time.monotonic() + LOCK_WAIT_S
    while not snapshot.update(path, mutate):
        if time.monotonic() > deadline:
            return 0  # the hook is the first source; a wall missed here is one it told of already
        time.sleep(0.02)
    return changed[0]
