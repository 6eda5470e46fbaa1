"""This machine's column for a window: the local transcripts' tokens in the window's period.

Built by the ledger (``ledger.side.local_column``) off the hot path; only ``status`` draws it.
"""

from __future__ import annotations

from statusline.core.draw.pieces import Piece
from statusline.core.run.context import Context
from statusline.core.window.levels import NORMAL
from statusline.core.window.rules import is_number

VARIABLES = frozenset({"tokens", "left", "weak", "why"})


def piece(ctx: Context, window_id: str) -> Piece | None:
    """None when the ledger has nothing for this window."""
    column = ctx.local.get(window_id) if isinstance(ctx.local, dict) else None
    if not isinstance(column, dict):
        return None
    tokens = column.get("tokens")
    left = column.get("tokens_left_estimate")
    known = isinstance(tokens, int) and not isinstance(tokens, bool)
    has_left = known and is_number(left)
    variables = {
        "tokens": f"{tokens:,}" if known else "",
        "left": f"{int(left):,}" if has_left and is_number(left) else "",
        "weak": "weak estimate" if has_left and column.get("weak") else "",  # of the estimate of what is left
        "why": "" if known else str(column.get("why") or ""),
    }
    return Piece(variables, NORMAL, False, column)
