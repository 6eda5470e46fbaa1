"""Format strings, Starship's way: ``$name`` or ``${name}`` variables, ``( ... )`` groups that
vanish when every variable in them is empty, ``\\`` to write ``$``, ``(``, ``)`` or ``\\`` itself.

``"$label $pct( $reset)( $eta)"`` draws ``5h 42% 3h12m`` when there is no forecast and
``5h 42% 3h12m →100% in 20m`` when there is one: no variable carries its own space.

Parsing never fails: an unclosed ``(`` and a stray ``)`` are plain text, a ``$`` not followed by a
name is a ``$``, an unknown variable is empty (``unknown`` names them for the config check).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import TypeAlias

    Node: TypeAlias = "str | tuple[str, str] | list[Node]"  # text, ("$", name), group

_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_ESCAPABLE = frozenset("$()\\")
_MAX_DEPTH = 32
_parsed: dict[str, list[Node]] = {}  # one run draws the same template for every window


def parse(text: str) -> list[Node]:
    found = _parsed.get(text)
    if found is None:
        found = _parse(text)
        if len(_parsed) < 64:
            _parsed[text] = found
    return found


def _parse(text: str) -> list[Node]:
    root: list[Node] = []
    stack: list[list[Node]] = [root]
    literal: list[str] = []

    def flush() -> None:
        if literal:
            stack[-1].append("".join(literal))
            literal.clear()

    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in _ESCAPABLE:
            literal.append(text[i + 1])
            i += 2
            continue
        if char == "$":
            name, end = _name_at(text, i + 1)
            if name:
                flush()
                stack[-1].append(("$", name))
                i = end
                continue
        elif char == "(" and len(stack) < _MAX_DEPTH:  # deeper: text (drawing recurses per level)
            flush()
            group: list[Node] = []
            stack[-1].append(group)
            stack.append(group)
            i += 1
            continue
        elif char == ")" and len(stack) > 1:
            flush()
            stack.pop()
            i += 1
            continue
        literal.append(char)
        i += 1
    flush()
    while len(stack) > 1:  # unclosed groups are text: "(" and what followed it, as written
        group = stack.pop()
        stack[-1][-1:] = ["(", *group]  # an open group is always its parent's last node
    return root


def _name_at(text: str, start: int) -> tuple[str, int]:
    if text[start : start + 1] == "{":
        close = text.find("}", start + 1)
        name = text[start + 1 : close] if close > 0 else ""
        return (name, close + 1) if name and all(c in _NAME_CHARS for c in name) else ("", start)
    end = start
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    return text[start:end], end


def render(text: str, variables: dict[str, str]) -> str:
    out: list[str] = []
    _draw(parse(text), variables, out)
    return "".join(out)


def _draw(nodes: list[Node], variables: dict[str, str], out: list[str]) -> bool:
    """Appends ``nodes`` to ``out``; True when some variable among them had a value."""
    filled = False
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, tuple):
            value = variables.get(node[1], "")
            filled = filled or bool(value)
            out.append(value)
        else:
            mark = len(out)
            if _draw(node, variables, out):
                filled = True
            else:
                del out[mark:]  # the whole group vanishes, its text included
    return filled


def names(text: str) -> list[str]:
    """Every variable ``text`` uses, in order."""
    found: list[str] = []

    def walk(nodes: list[Node]) -> None:
        for node in nodes:
            if isinstance(node, tuple):
                found.append(node[1])
            elif isinstance(node, list):
                walk(node)

    walk(parse(text))
    return found


def unknown(text: str, known: frozenset[str]) -> list[str]:
    return [name for name in dict.fromkeys(names(text)) if name not in known]


def has_empty_group(text: str) -> bool:
    """A ``( ... )`` without a variable never shows: most likely meant as a parenthesis (``\\(``)."""

    def empty(nodes: list[Node]) -> bool:
        return any(isinstance(node, list) and (not _holds_variable(node) or empty(node)) for node in nodes)

    return empty(parse(text))


def _holds_variable(nodes: list[Node]) -> bool:
    return any(isinstance(n, tuple) or (isinstance(n, list) and _holds_variable(n)) for n in nodes)
