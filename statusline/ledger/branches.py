"""Tokens and server movement per git branch: "what did this PR cost of my Opus week".

Each counted response carries the branch its transcript line named (``parse.branch_of``; "" is the
``(no branch)`` bucket: no repository, or a value that is no branch name). A branch is told apart
per project: ``main`` of two repositories is two rows. Its server points are an estimate, the
report's own (``side.attribute``): each rise of a window is split over the branches by this
machine's tokens of the window's model families sent during that rise, at most tokens divided by
the window's tokens per percent when that calibration is firm; the rest is other machines or
surfaces.
"""

from __future__ import annotations

from typing import Any

from statusline.ledger.side import Ledger, attribute
from statusline.ledger.store import Tokens

NO_BRANCH = "(no branch)"


def label(branch: str | None) -> str:
    return branch or NO_BRANCH


def by_branch(
    ledger: Ledger, histories: dict[str, Any], since: float, until: float
) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Per (project, branch), most tokens first: tokens (of known model families, as the report
    counts them), share of this machine's tokens, tokens by family, and server points per window of
    ``histories`` (window id -> history); and per window the points no local token explains."""
    named = ledger.named(None)
    groups: dict[tuple[str, str], dict[str, Any]] = {}

    def group(project: str, branch: str) -> dict[str, Any]:
        return groups.setdefault((project, branch), {"tokens": Tokens(), "by_family": {}, "server_points": {}})

    rows = ledger.store.tokens(since, until, by=("project", "branch", "family"), roots=ledger.roots)
    for (project, branch, family), tok in rows.items():
        g = group(str(project), str(branch))
        g["tokens"].add(tok if family in named else tok.counts_only())
        if family in named and tok.total:
            g["by_family"][str(family)] = g["by_family"].get(str(family), 0) + tok.total
    other: dict[str, float] = {}
    for wid, history in histories.items():
        shares, unexplained, _ = attribute(ledger, wid, history, since, until, by=("project", "branch"))
        other[wid] = round(unexplained, 2)
        for (project, branch), pts in shares.items():
            points = group(project, branch)["server_points"]
            points[wid] = points.get(wid, 0.0) + pts
    total = sum(g["tokens"].total for g in groups.values())
    out = []
    for (project, branch), g in sorted(groups.items(), key=lambda kv: (-kv[1]["tokens"].total, kv[0])):
        out.append(
            {
                "project": project,
                "path": ledger.project_path(project),
                "branch": branch or None,
                "label": label(branch),
                "tokens": g["tokens"].as_dict(),
                "share": round(g["tokens"].total / total, 4) if total else 0.0,
                "by_family": dict(sorted(g["by_family"].items())),
                "server_points": {w: round(p, 2) for w, p in sorted(g["server_points"].items())},
            }
        )
    return out, other
