"""The wall: the limit that stopped this session's turns, until its window resets (``core/walls``)."""

from __future__ import annotations

from statusline.core.draw.pieces import Piece
from statusline.core.run.context import Context
from statusline.core.window.levels import FULL

VARIABLES = frozenset({"window", "name", "resets_at", "reset"})


def piece(ctx: Context) -> Piece | None:
    """None unless a wall stands for the context's session (its own) or a session of its model family."""
    if not ctx.snap["walls"]:
        return None  # the common case costs no import
    from statusline.core.window import walls

    found = walls.stopped_vars(ctx.snap, ctx.now, ctx.family, ctx.session)
    if found is None:
        return None
    return Piece({k: found[k] for k in VARIABLES}, FULL, False, found)
