"""Text from a server, a file or stdin, made harmless for a terminal, tmux or a JSON consumer.

An error message or a window label may carry escape sequences (OSC 8 links, window titles,
blink), bidi overrides that reorder what the user reads, or tmux markup (``#(cmd)`` runs a
command, ``#[...]`` restyles). Each surface cleans the untrusted text where it leaves for the
screen, and adds its own colour codes afterwards. Hot path: no imports, and ``str.isprintable``
(false for every character removed here) skips the translation for ordinary text.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md)
    from typing import Any

_table: dict[int, str | None] = {}


def _drops() -> dict[int, str | None]:
    if not _table:
        for code in (*range(0x20), *range(0x7F, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
            _table[code] = None  # C0, DEL, C1, bidi embeddings/overrides and isolates
        for code in (0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x85, 0x2028, 0x2029):
            _table[code] = " "  # line breaks and tabs separate words: keep them apart
        for code in range(0xD800, 0xE000):
            _table[code] = "\ufffd"  # a lone surrogate (JSON "\ud800") cannot even be written out
    return _table


def clean(text: str) -> str:
    """``text`` without control characters, bidi controls or lone surrogates."""
    if text.isprintable():
        return text
    return text.translate(_drops())


def for_tmux(text: str) -> str:
    """Cleaned, and with ``#`` doubled: tmux expands formats in a ``#()`` command's output."""
    text = clean(text)
    return text.replace("#", "##") if "#" in text else text


def for_prompt(text: str) -> str:
    """Cleaned, and inert in a bash prompt even when Starship passes it on unescaped
    (``unsafe_no_escape``): a ``$`` or ``\\`` followed by a zero-width space expands to nothing
    else (bash reads ``$(``, ``${``, ``$name`` and ``\\u`` only when adjacent), and a backtick,
    which starts a command on its own, is drawn as the look-alike ``ˋ``. Starship's own escaping
    (docs/surfaces.md's block) then shows each as written: the zero-width space draws nothing."""
    text = clean(text)
    if "$" in text or "\\" in text or "`" in text:
        text = text.replace("$", "$\u200b").replace("\\", "\\\u200b").replace("`", "\u02cb")
    return text


def for_style(text: str, style: str) -> str:
    """Untrusted text ready for a render style (``ansi``, ``plain``, ``tmux``, ``zsh``, ``starship``):
    the one place a one-line surface's text is made inert for what displays it (docs/ARCHITECTURE.md,
    "Inert text")."""
    if style == "tmux":
        return for_tmux(text)
    if style == "zsh":  # a zsh prompt expands % sequences in what a command substitution printed
        return clean(text).replace("%", "%%")
    if style == "starship":
        return for_prompt(text)
    return clean(text)


def clean_tree(value: Any) -> Any:
    """``value`` (parsed JSON) with every string in it, keys included, cleaned."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: clean_tree(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_tree(v) for v in value]
    return value


def width(text: str) -> int:
    """Terminal columns of cleaned ``text``: wide (East Asian) characters take two, combining marks none."""
    if text.isascii():
        return len(text)
    import unicodedata  # only for non-ASCII text, on people's commands

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fit(text: str, columns: int) -> str:
    """``text`` cleaned and cut to at most ``columns`` terminal columns (``…`` marks a cut): a
    table cell that cannot push the next column out of line."""
    text = clean(text)
    if width(text) <= columns:
        return text
    out, used = [], 0
    for ch in text:
        w = width(ch)
        if used + w > columns - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (on the left when ``right``)."""
    gap = " " * max(0, columns - width(text))
    return gap + text if right else text + gap
