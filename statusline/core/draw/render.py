"""A one-line surface from pieces: the selected windows and extra usage, each drawn through its
template and painted by level.

The status line, tmux, Starship and plain segments all come from here; only the colour markup
(``style``) differs, like a Starship prompt rendering one context.
"""

from __future__ import annotations

from statusline.core.draw.pieces import Piece, extra, wall, window
from statusline.core.draw.textsafe import for_style
from statusline.core.run.context import Context
from statusline.core.settings.defaults import upgrade_template
from statusline.core.window import select
from statusline.core.window.levels import CRITICAL, FULL, NORMAL, WARN

ANSI = {NORMAL: "32", WARN: "33", CRITICAL: "31", FULL: "1;31", "stale": "2"}
TMUX = {NORMAL: "green", WARN: "yellow", CRITICAL: "red", FULL: "red,bold", "stale": "colour244"}
ZSH = {NORMAL: "green", WARN: "yellow", CRITICAL: "red", FULL: "red", "stale": "244"}  # %F{...}: zsh knows their width
NO_DATA = "quotaline: waiting for first reply"


def pieces(ctx: Context, surface: str) -> list[tuple[Piece, str]]:
    """What ``surface`` shows, in order, each piece with its template."""
    settings = ctx.settings
    selectors = list(settings.get(surface, "windows"))
    chosen = select.windows(ctx.snap, selectors, ctx.family, ctx.warn_at, ctx.now)
    tpl = upgrade_template(str(settings.get(surface, "template")))
    stopped = wall.piece(ctx)  # first: it says why prompts fail, whatever the numbers say
    drawn = [] if stopped is None else [(stopped, str(settings.get(surface, "wall_template")))]
    drawn += [(window.piece(ctx, w), tpl) for w in chosen]
    # Credit pools are money, not windows: ``pools`` shows each, ``alerts`` those nearly used up.
    server = ctx.snap.get("server")
    if ("pools" in selectors or "alerts" in selectors) and isinstance(server, dict) and server.get("pools"):
        from statusline.core.draw.pieces import pool  # only when some is stored: no module for what is not shown

        for found in pool.pools(ctx):
            credit = pool.piece(ctx, found)
            if "pools" in selectors or (credit.level > NORMAL and not credit.stale):
                drawn.append((credit, pool.TEMPLATE))
    if "extra" in selectors:
        money = extra.piece(ctx)
        if money is not None:
            drawn.append((money, str(settings.get(surface, "extra_template"))))
    return drawn


def paint(text: str, piece: Piece, style: str, colors: bool) -> str:
    # The one exit for a piece's text (labels, ids, sources, currency and the template, from the
    # server, stdin and files): cleaned before quotaline adds its own colour codes.
    text = for_style(text, style)
    if not colors or style == "plain":
        return text
    if style == "tmux":
        colour = TMUX["stale"] if piece.stale else TMUX[piece.level]
        return f"#[fg={colour}]{text}#[default]"
    if style == "zsh":
        colour = ZSH["stale"] if piece.stale else ZSH[piece.level]
        return f"%B%F{{{colour}}}{text}%f%b" if piece.level == FULL and not piece.stale else f"%F{{{colour}}}{text}%f"
    code = ANSI["stale"] + ";" + ANSI[piece.level] if piece.stale else ANSI[piece.level]
    return f"\033[{code}m{text}\033[0m"


def line(ctx: Context, *, surface: str, style: str) -> str:
    """The whole one-line rendering; never empty."""
    colors = bool(ctx.settings.get("colors"))
    drawn: list[str] = []
    for piece, tpl in pieces(ctx, surface):
        text = piece.draw(tpl)
        if text:  # a template that draws nothing leaves no separator behind
            drawn.append(paint(text, piece, style, colors))
    if drawn:
        text = for_style(str(ctx.settings.get(surface, "separator")), style).join(drawn)
    else:
        text = for_style(NO_DATA + _error_hint(ctx), style)
    if ctx.settings.problems:
        text += " !cfg"
    return text


def _error_hint(ctx: Context) -> str:
    # What the status line's own stdin lacked is for `status`: the user cannot act on it here.
    errors = [e for e in ctx.snap.get("errors", []) if isinstance(e, dict) and e.get("message")]
    errors = [e for e in errors if e.get("source") != "statusline"]
    return f" ({errors[-1]['message']})" if errors else ""
