"""Desktop bars from the pieces: Waybar's JSON and SwiftBar / xbar / Argos's text.

Nothing here words a number or decides a level: the compact line is ``render.line``'s, every
figure a window piece's variable, every colour its ``level``. What is added is only each bar's
syntax (Pango escapes, ``| color=`` parameters) and a text bar drawn from the piece's percent.
Standard library only: ``segment`` serves these on the hot path.
"""

from __future__ import annotations

from statusline.core.draw import render
from statusline.core.draw.pieces import Piece, extra, wall, window
from statusline.core.draw.textsafe import clean
from statusline.core.run.context import Context
from statusline.core.window.levels import FULL, NORMAL
from statusline.core.window.rules import display_order

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md)
    from typing import Any

# One line per window: its reset time, pace and source. A window past its reset has no number of
# this period yet: it says when it reset, not a countdown.
DETAIL = (
    "$name $pct( · resets $resets_at( \\(in $reset\\)))( · $rate( → $at_reset at reset))( · $eta)( · $source $age ago)"
)
PAST = "$name: reset at $resets_at, no reading since( · $source $age ago)"
EXTRA = "Extra usage $used( of $limit)( \\($pct\\))( · $state)"
BAR_CELLS = 10


def every_window(ctx: Context) -> list[Piece]:
    """Every window in the snapshot, in the order every list reads (not only those the line shows)."""
    known = ctx.snap["windows"]
    return [window.piece(ctx, known[wid]) for wid in sorted(known, key=display_order)]


def detail(piece: Piece) -> str:
    return piece.draw(PAST if piece.facts.past else DETAIL)


def worst(drawn: list[Piece]) -> tuple[int, bool]:
    """The highest level among ``drawn`` and whether any of them is stale."""
    return max((p.level for p in drawn), default=NORMAL), any(p.stale for p in drawn)


def binding(drawn: list[Piece]) -> Piece | None:
    """The window that gates first: highest level, then highest percent; none past its reset."""
    gating = [p for p in drawn if isinstance(p.facts, window.Facts) and not p.facts.past]
    return max(gating, key=lambda p: (p.level, p.facts.pct), default=None)


def shown(ctx: Context) -> list[Piece]:
    return [piece for piece, _ in render.pieces(ctx, "segment")]


# ---- Waybar ---------------------------------------------------------------------------------


def pango(text: str) -> str:
    """Waybar reads ``text`` and ``tooltip`` as Pango markup: a label's ``<`` or ``&`` must stay text."""
    return clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def waybar(ctx: Context) -> dict[str, Any]:
    """``{"text", "tooltip", "class", "percentage"}`` for a Waybar ``custom`` module (return-type json)."""
    drawn = shown(ctx)
    lines = [pango(detail(p)) for p in every_window(ctx)]
    money = extra.piece(ctx)
    if money is not None:
        lines.append(pango(money.draw(EXTRA)))
    level, stale = worst(drawn)
    gate = binding(drawn)
    classes = [window.LEVEL_NAMES[level] if drawn else "none"] + (["stale"] if stale else [])
    return {
        "text": pango(render.line(ctx, surface="segment", style="plain")),
        "tooltip": "\n".join(lines),
        "class": classes,
        # Waybar wants a whole number (format-icons); cut, never above the server's percent.
        "percentage": int(max(0.0, gate.facts.pct)) if gate is not None else 0,
    }


# ---- SwiftBar / xbar / Argos ----------------------------------------------------------------

COLORS = {0: "", 1: "#d08700", 2: "#e0301e", 3: "#e0301e"}
STALE_COLOR = "#8a8a8a"
# Text is never parsed for :emoji: or SF Symbols names; no ANSI (these bars do not render it).
# Argos reads a line's text as Pango markup with backslash escapes unless told not to: a label's
# "<b>" or "\n" stays text (SwiftBar and xbar ignore both parameters).
PLAIN = "emojize=false symbolize=false useMarkup=false unescape=false"


def text_bar(pct: float, cells: int = BAR_CELLS) -> str:
    filled = min(cells, max(0, int(pct * cells / 100)))  # cut: a bar never shows more than was used
    return "█" * filled + "░" * (cells - filled)


def menu_text(text: str) -> str:
    """One menu line's text: no control characters, no ``|`` (it starts the parameters), and no
    leading ``-`` (``---`` is a separator, ``--`` a submenu)."""
    text = clean(text).replace("|", "¦")
    return "‐" + text[1:] if text.startswith("-") else text


def _params(level: int, stale: bool, *more: str) -> str:
    # A level outranks staleness (the text says "≥94%" already): a stale warning stays a warning.
    colour = COLORS[level] or (STALE_COLOR if stale else "")
    parts = [f"color={colour}"] if colour else []
    return " | " + " ".join([*parts, PLAIN, *more])


def _action(label: str, binary: str, args: list[str], *, argos: bool, terminal: bool, refresh: bool) -> str:
    flags = [f"terminal={'true' if terminal else 'false'}"] + (["refresh=true"] if refresh else [])
    if argos:  # Argos hands bash= to bash -c: one command line
        command = " ".join(_quote(a) for a in [binary, *args])
        return f"{label} | bash={_quote_param(command)} " + " ".join(flags)
    params = " ".join(f"param{i}={_quote_param(a)}" for i, a in enumerate(args, 1))
    return f"{label} | bash={_quote_param(binary)} {params} " + " ".join(flags)


def _quote(arg: str) -> str:
    return arg if arg and all(c.isalnum() or c in "/._-+=:," for c in arg) else "'" + arg.replace("'", "'\\''") + "'"


def _quote_param(value: str) -> str:
    return value if value and " " not in value and '"' not in value else '"' + value.replace('"', '\\"') + '"'


def swiftbar(ctx: Context, *, binary: str = "quotaline", argos: bool = False) -> str:
    """The plugin's whole output: the title (the compact line), then the dropdown after ``---``."""
    drawn = shown(ctx)
    level, stale = worst(drawn)
    out = [menu_text(render.line(ctx, surface="segment", style="plain")) + _params(level, stale), "---"]
    for piece in every_window(ctx):
        bar = text_bar(0.0 if piece.facts.past else piece.facts.pct)
        text = menu_text(bar + " " + detail(piece))
        out.append(text + _params(piece.level, piece.stale, "font=Menlo", "trim=false"))
    if not ctx.snap["windows"]:
        out.append("No numbers yet: the refresher reads them within a few seconds" + _params(NORMAL, False))
    money = extra.piece(ctx)
    if money is not None:
        out.append(menu_text(money.draw(EXTRA)) + _params(money.level, money.stale))
    if ctx.snap["walls"]:  # the last limit that stopped a turn, worded as `quotaline status` words it
        from statusline.core.window import walls

        listed = walls.status_lines(ctx.snap, ctx.now)
        if listed:
            stopped = wall.piece(ctx)
            out.append(menu_text("Last wall: " + listed[-1].strip()) + _params(FULL if stopped else NORMAL, False))
    out.append("---")
    out.append(_action("Open quotaline status", binary, ["status"], argos=argos, terminal=True, refresh=False))
    out.append(_action("Refresh now", binary, ["refresh"], argos=argos, terminal=False, refresh=True))
    return "\n".join(out)
