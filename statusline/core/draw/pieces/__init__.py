"""The pieces a surface is drawn from: one small module each, like Starship's modules.

A piece module turns the run's ``Context`` (and, for a window, the window) into a ``Piece``: its
named variables, its level and whether it is stale. A surface draws a piece through a template
(``template.render``) and paints it by level; the hook's sentences, ``status`` and the JSON view
read the same variables and facts, so a number is worded one way everywhere.

- ``window``: one usage window (``$label $pct $reset $eta`` ...)
- ``extra``:  extra usage in money (``$used $limit $pct $state``)
- ``local``:  this machine's tokens in a window's period (``status`` only; from the ledger)
- ``wall``:   the limit that stopped this session (``$name $resets_at``), until it resets
"""

from __future__ import annotations

from statusline.core.draw import template

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any


class Piece:
    __slots__ = ("facts", "level", "stale", "variables")

    def __init__(self, variables: dict[str, str], level: int, stale: bool, facts: Any = None) -> None:
        self.variables = variables  # every value a string; "" when there is nothing to say
        self.level = level  # levels.NORMAL .. levels.FULL: the colour it is painted in
        self.stale = stale
        self.facts = facts  # the piece's typed source (a window, a forecast), for JSON and decisions

    def draw(self, text: str) -> str:
        """This piece through template ``text``; runs of spaces are one (a one-line surface)."""
        return " ".join(template.render(text, self.variables).split())
