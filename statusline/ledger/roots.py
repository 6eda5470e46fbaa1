"""Which Claude config dirs hold transcripts, and which transcript files they hold.

Like ccusage: ``CLAUDE_CONFIG_DIR`` may list several dirs separated by commas (each a config dir
holding ``projects/``, or the ``projects/`` dir itself); without it, ``$XDG_CONFIG_HOME/claude`` (or
``~/.config/claude``) and ``~/.claude``. A dir counts only when its ``projects/`` exists.
Every ``*.jsonl`` below ``projects/`` is a transcript, at any depth (``<session>/subagents/`` too).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


def _normalise(raw: str | os.PathLike[str]) -> Path:
    path = Path(os.path.expanduser(os.fspath(raw))).absolute()
    if path.name == "projects" and path.is_dir():
        return path.parent
    return path


def resolve_roots(candidates: Iterable[str | os.PathLike[str]]) -> list[Path]:
    seen: set[Path] = set()
    roots: list[Path] = []
    for raw in candidates:
        if not os.fspath(raw).strip():
            continue
        path = _normalise(os.fspath(raw).strip())
        if (path / "projects").is_dir() and path not in seen:
            seen.add(path)
            roots.append(path)
    return roots


def default_roots(env: Mapping[str, str] | None = None) -> list[Path]:
    env = os.environ if env is None else env
    configured = env.get("CLAUDE_CONFIG_DIR")
    if configured is not None and configured.strip():
        return resolve_roots(configured.split(","))
    home = Path(os.path.expanduser("~"))
    xdg = env.get("XDG_CONFIG_HOME") or str(home / ".config")
    return resolve_roots([Path(xdg) / "claude", home / ".claude"])


@dataclass(slots=True)
class Transcript:
    path: str
    root: str
    project: str
    path_session: str
    stat: os.stat_result


def _session_from(parts: list[str]) -> str:
    """ccusage's session for a path relative to ``projects/`` (subagents belong to their parent)."""
    stem = parts[-1][: -len(".jsonl")]
    if len(parts) <= 2:
        return stem
    if len(parts) >= 4 and parts[-2] == "subagents":
        return parts[-3]
    return parts[-2]


def walk(root: Path) -> list[Transcript]:
    """Every transcript under ``root/projects`` with its stat, in no particular order."""
    projects = os.path.join(root, "projects")
    found: list[Transcript] = []
    visited: set[tuple[int, int]] = set()
    stack: list[tuple[str, list[str]]] = [(projects, [])]
    root_s = str(root)
    while stack:
        directory, rel = stack.pop()
        try:
            st = os.stat(directory)
            if (st.st_dev, st.st_ino) in visited:
                continue  # a symlink loop
            visited.add((st.st_dev, st.st_ino))
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir():
                    stack.append((entry.path, [*rel, entry.name]))
                elif entry.name.endswith(".jsonl") and entry.is_file():
                    parts = [*rel, entry.name]
                    found.append(Transcript(entry.path, root_s, parts[0], _session_from(parts), entry.stat()))
            except OSError:
                continue
    return found
