"""``quotaline report [--by project|branch] [--since 7d] [--json] [--no-update]``: both ledgers side by side.

Per project and per session (or, ``--by branch``, per git branch of each project): the tokens this
machine sent (from Claude Code's transcripts, counted like ccusage) and the server percent
attributed to them: each rise of a server window is split by each one's share of the local tokens
sent meanwhile; what local tokens cannot explain is shown as "other machines / surfaces". Without
a snapshot the report is local only and says so. ``--since`` defaults to 7 days, and for
``--by branch`` to the current weekly period of the model windows ("what did this PR cost of my
Opus week").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TextIO

from statusline.core.draw.textsafe import clean, clean_tree, fit, pad, width
from statusline.core.store.snapshot import points as history_points
from statusline.core.window.rules import is_number, label_for
from statusline.ledger import update_ledger
from statusline.ledger.branches import by_branch
from statusline.ledger.calibrate import human_tokens
from statusline.ledger.side import Ledger, attribute, open_ledger, wall_rows, window_kind
from statusline.ledger.store import Tokens

SCHEMA = 1
_UNITS = {"m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
_WINDOW_ORDER = {"five_hour": 0, "seven_day": 1}
OTHER = "other machines / surfaces"
DEFAULT_SINCE = "7d"
LABEL_COLUMNS = 48  # a branch name or path longer than this is cut (with "…") in the table
BRANCH_ROWS = 30  # the table's rows; --json lists every branch
ESTIMATE = (
    "Server points per branch are an estimate: each rise of a window's percent is split over the branches "
    "by this machine's tokens of that window's models sent during the rise (at most tokens / tokens per "
    'percent when the calibration above is firm); what they cannot explain is "' + OTHER + '".'
)


PROGRESS_AFTER = 1.0  # seconds: a catch-up done sooner says nothing
PROGRESS_EVERY = 0.1  # seconds between two redraws


def _progress_on_terminal(
    stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
) -> Callable[[int, int], None] | None:
    """On a terminal, a catch-up that takes more than ``PROGRESS_AFTER`` (the first scan) says how
    far it is: bytes read of the total, the rate, the time left. Off a terminal: nothing."""
    out = sys.stderr if stream is None else stream
    if not out.isatty():
        return None
    started = clock()
    after = _progress_after()
    last = -PROGRESS_EVERY

    def show(done: int, todo: int) -> None:
        nonlocal last
        now = clock()
        elapsed = now - started
        finished = done >= todo
        if elapsed < after or (not finished and now - last < PROGRESS_EVERY) or last == float("inf"):
            return
        last = float("inf") if finished else now
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (todo - done) / rate if rate > 0 else 0.0
        out.write(f"\rreading transcripts: {done / 1e6:,.0f} of {todo / 1e6:,.0f} MB, {rate / 1e6:,.0f} MB/s, "
                  f"{'done' if finished else f'{left:,.0f} s left'}\x1b[K" + ("\n" if finished else ""))
        out.flush()

    return show


def _progress_after() -> float:
    """``PROGRESS_AFTER``, or ``QUOTALINE_PROGRESS_AFTER`` (seconds; the tests' way to see it on a
    small tree)."""
    try:
        return max(0.0, float(os.environ.get("QUOTALINE_PROGRESS_AFTER", PROGRESS_AFTER)))
    except ValueError:
        return PROGRESS_AFTER


def parse_since(value: str, now: float) -> float:
    """``30m``, ``12h``, ``7d``, ``2w`` before now, or a date/time (``2026-11-01``, ISO-8601)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*", value)
    if m:
        return now - float(m.group(1)) * _UNITS[m.group(2)]
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--since: expected like 7d, 12h, 30m, 2w or a date, got {value!r}") from None
    if dt.tzinfo is None:
        dt = dt.astimezone()
    return dt.timestamp()


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _server_windows(snapshot: dict[str, Any] | None, ledger: Ledger) -> list[tuple[str, dict[str, Any]]]:
    windows = snapshot.get("windows") if snapshot else None
    if not isinstance(windows, dict):
        return []
    items = [(wid, w) for wid, w in windows.items() if isinstance(w, dict)]
    return sorted(items, key=lambda kv: (_WINDOW_ORDER.get(kv[0], 2), kv[0]))


def weekly_period(snapshot: dict[str, Any] | None, now: float, ledger: Ledger) -> tuple[float, str] | None:
    """(start, words) of the current weekly period of the model windows (``seven_day:opus``, ...;
    ``seven_day`` when the server names none): the earliest start of those not past their reset."""
    found: list[tuple[float, str, bool]] = []
    for wid, w in _server_windows(snapshot, ledger):
        kind = window_kind(wid, ledger.local_families)
        reset = w.get("resets_at")
        if not wid.startswith("seven_day") or kind.surface or kind.seconds is None:
            continue
        if is_number(reset) and reset > now:
            found.append((float(reset) - kind.seconds, wid, kind.families is not None))
    chosen = [f for f in found if f[2]] or found
    if not chosen:
        return None
    names = ", ".join(label_for(wid) for _, wid, _ in sorted(chosen, key=lambda f: f[1]))
    return min(start for start, _, _ in chosen), f"the current weekly period: {names}"


def build(
    snapshot: dict[str, Any] | None, since: float, now: float, ledger: Ledger, by: str = "project"
) -> dict[str, Any]:
    until = now + 60
    named = ledger.named(None)
    rows = ledger.store.tokens(since, until, by=("project", "session", "family"), roots=ledger.roots)
    projects: dict[str, dict[str, Any]] = {}
    totals = Tokens()
    total_fam: dict[str, int] = {}
    for (project, session, family), tok in rows.items():
        p = projects.setdefault(str(project), {"tokens": Tokens(), "by_family": {}, "sessions": {}})
        s = p["sessions"].setdefault(str(session), {"tokens": Tokens(), "by_family": {}})
        counted = tok if family in named else tok.counts_only()
        for acc in (p["tokens"], s["tokens"], totals):
            acc.add(counted)
        if family in named and tok.total:
            for fams in (p["by_family"], s["by_family"], total_fam):
                fams[str(family)] = fams.get(str(family), 0) + tok.total

    windows_out = []
    other_points: dict[str, float] = {}
    histories: dict[str, Any] = {}  # the windows with a calibration, for the branch table
    for wid, w in _server_windows(snapshot, ledger):
        kind = window_kind(wid, ledger.local_families)
        history = history_points(snapshot, wid) if snapshot else []
        shares, other, cal = attribute(ledger, wid, history, since, until)
        resets = w.get("resets_at")
        entry: dict[str, Any] = {
            "id": wid,
            "used_pct": w.get("used_pct"),
            "resets_at": iso(float(resets)) if isinstance(resets, (int, float)) else None,
            "attributed_points": round(sum(shares.values()), 2),
            "other_points": round(other, 2),
            "calibration": cal.as_dict() if cal is not None else None,
            "why": cal.why
            if cal is not None
            else (f"{wid} counts another surface" if kind.surface else "unknown period for this window"),
        }
        windows_out.append(entry)
        if cal is None:
            continue
        histories[wid] = history
        other_points[wid] = round(other, 2)
        for (project, session), pts in shares.items():
            p = projects.setdefault(project, {"tokens": Tokens(), "by_family": {}, "sessions": {}})
            s = p["sessions"].setdefault(session, {"tokens": Tokens(), "by_family": {}})
            for target in (p, s):
                sp = target.setdefault("server_points", {})
                sp[wid] = sp.get(wid, 0.0) + pts

    def points(d: dict[str, Any]) -> dict[str, float]:
        return {k: round(v, 2) for k, v in sorted(d.get("server_points", {}).items())}

    project_list = []
    for name, p in sorted(projects.items(), key=lambda kv: -kv[1]["tokens"].total):
        sessions = [
            {
                "session": sid,
                "tokens": s["tokens"].as_dict(),
                "by_family": dict(sorted(s["by_family"].items())),
                "server_points": points(s),
            }
            for sid, s in sorted(p["sessions"].items(), key=lambda kv: -kv[1]["tokens"].total)
        ]
        project_list.append(
            {
                "project": name,
                "path": ledger.project_path(name),
                "tokens": p["tokens"].as_dict(),
                "by_family": dict(sorted(p["by_family"].items())),
                "server_points": points(p),
                "sessions": sessions,
            }
        )
    server = snapshot is not None
    extra: dict[str, Any] = {}
    if by == "branch":
        # What no local token explains is the same whatever the grouping: ``other`` holds it.
        branches, _ = by_branch(ledger, histories, since, until)
        extra = {"branches": clean_tree(branches), "estimate": ESTIMATE if histories else None}
    return {
        "schema": SCHEMA,
        "by": by,
        **extra,
        "since": iso(since),
        "until": iso(now),
        "server_available": server,
        "note": None if server else "server side unavailable: local tokens only",
        "windows": windows_out,
        "projects": project_list,
        "other": {"label": OTHER, "server_points": other_points},
        "seven_day_breakdown": _breakdown(snapshot),
        "totals": {"tokens": totals.as_dict(), "by_family": dict(sorted(total_fam.items()))},
        "walls": clean_tree(
            [
                {**w, "at": iso(w["at"]), "resets_at": iso(w["resets_at"]), "period_start": iso(w["period_start"])}
                for w in wall_rows(ledger, snapshot, since)
            ]
        ),
    }


def _breakdown(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    """The server's own split of the week by surface (``seven_day_breakdown``), beside the ledger's
    estimate of what other machines and surfaces used (``other``)."""
    server = snapshot.get("server") if isinstance(snapshot, dict) else None
    split = server.get("breakdown") if isinstance(server, dict) else None
    if not isinstance(split, dict) or not isinstance(split.get("rows"), list):
        return None
    as_of, started = split.get("as_of"), split.get("window_started_at")
    rows = [r for r in split["rows"] if isinstance(r, dict)]
    out: dict[str, Any] = clean_tree(
        {
            "label": "the server's split of the 7-day window",
            "as_of": iso(float(as_of)) if is_number(as_of) else None,
            "window_started_at": iso(float(started)) if is_number(started) else None,
            "rows": [{"label": r.get("label"), "percent": r.get("percent")} for r in rows],
        }
    )
    return out


def _fmt_points(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def _table(table: list[list[str]], right_from: int = 1) -> list[str]:
    """Columns lined up by terminal width (wide characters count two); the first ``right_from``
    columns to the left, numbers to the right. Cells come cleaned and fitted (``textsafe.fit``)."""
    widths = [max(width(r[i]) for r in table) for i in range(len(table[0]))]
    return ["  ".join(pad(c, widths[i], right=i >= right_from) for i, c in enumerate(r)).rstrip() for r in table]


def render(report: dict[str, Any], since_label: str) -> str:
    since = datetime.fromisoformat(report["since"].replace("Z", "+00:00")).astimezone()
    lines = [f"quotaline report: since {since:%Y-%m-%d %H:%M} ({since_label})"]
    windows = [w for w in report["windows"] if w["calibration"] is not None]
    if not report["server_available"]:
        lines.append("Server side unavailable: local tokens only.")
    elif not windows:
        lines.append("No server window with a known period to line up against.")
    else:
        for w in windows:
            cal = w["calibration"]
            lines.append(f"  {w['id']}: {w['used_pct']}% now; {w['why']}" + (" (weak)" if cal["weak"] else ""))
    split = report.get("seven_day_breakdown")
    if split and split.get("rows"):
        rows = " · ".join(f"{r['label']} {float(r['percent']):g}%" for r in split["rows"])
        lines.append(f"  where the week went, the server's split: {rows}")
        other = (report.get("other") or {}).get("server_points", {}).get("seven_day")
        if other is not None:
            lines.append(f"  the ledger's estimate: {OTHER} {_fmt_points(other)} points of the week")
    if report.get("by") == "branch":
        lines.extend(_branch_lines(report, windows))
    else:
        lines.extend(_project_lines(report, windows))
    lines.extend(_wall_lines(report.get("walls") or []))
    return "\n".join(lines) + "\n"


def _branch_lines(report: dict[str, Any], windows: list[dict[str, Any]]) -> list[str]:
    """One row per branch of each project: tokens, share, by family, server points per window."""
    families = list(report["totals"]["by_family"])
    head = [
        "BRANCH",
        "PROJECT",
        "TOKENS",
        "SHARE",
        *[f.upper() for f in families],
        *[f"{w['id']} PTS" for w in windows],
    ]
    table = [head]
    branches = report["branches"]
    for b in branches[:BRANCH_ROWS]:
        fams, pts = b["by_family"], b["server_points"]
        table.append(
            [
                fit(b["label"], LABEL_COLUMNS),
                fit(b["path"] or b["project"], LABEL_COLUMNS),
                human_tokens(b["tokens"]["total"]),
                f"{b['share'] * 100:.1f}%",
                *[human_tokens(fams[f]) if f in fams else "" for f in families],
                *[_fmt_points(pts.get(w["id"], 0.0)) for w in windows],
            ]
        )
    if len(branches) > BRANCH_ROWS:
        table.append([f"… {len(branches) - BRANCH_ROWS} more branches (--json lists them)"] + [""] * (len(head) - 1))
    if windows:
        other = report["other"]["server_points"]
        table.append([OTHER, "", "", "", *[""] * len(families), *[_fmt_points(other.get(w["id"])) for w in windows]])
    totals = report["totals"]
    table.append(
        [
            "TOTAL",
            "",
            human_tokens(totals["tokens"]["total"]),
            "100.0%" if branches else "",
            *[human_tokens(totals["by_family"][f]) for f in families],
            *[""] * len(windows),
        ]
    )
    lines = _table(table, right_from=2)
    if not branches:
        lines.append("No local tokens in this period.")
    if report.get("estimate"):
        lines.extend(textwrap.wrap(report["estimate"], 100))
    return lines


def _project_lines(report: dict[str, Any], windows: list[dict[str, Any]]) -> list[str]:
    families = list(report["totals"]["by_family"])
    head = ["PROJECT / SESSION", "TOKENS", *[f.upper() for f in families], *[f"{w['id']} PTS" for w in windows]]
    table: list[list[str]] = [head]

    def row(label: str, item: dict[str, Any] | None, pts: dict[str, float]) -> list[str]:
        tokens = item["tokens"]["total"] if item else None
        fams = item["by_family"] if item else {}
        return [
            label,
            "" if tokens is None else human_tokens(tokens),
            *[human_tokens(fams[f]) if f in fams else "" for f in families],
            *[_fmt_points(pts.get(w["id"])) if w["id"] in pts or item else "" for w in windows],
        ]

    for p in report["projects"]:
        table.append(row(fit(p["path"] or p["project"], LABEL_COLUMNS), p, p["server_points"]))
        for s in p["sessions"][:10]:
            table.append(row("  " + fit(s["session"][:8], 8), s, s["server_points"]))
        if len(p["sessions"]) > 10:
            table.append([f"  … {len(p['sessions']) - 10} more sessions"] + [""] * (len(head) - 1))
    if windows:
        table.append(row(OTHER, None, report["other"]["server_points"]))
    table.append(row("TOTAL", {"tokens": report["totals"]["tokens"], "by_family": report["totals"]["by_family"]}, {}))
    lines = _table(table)
    if not report["projects"]:
        lines.append("No local tokens in this period.")
    return lines


def _wall_lines(walls: list[dict[str, Any]]) -> list[str]:
    """Each wall: when, which window, what Claude Code said, this machine's tokens of that period."""
    if not walls:
        return []
    lines = [f"Walls (turns refused at a limit): {len(walls)}"]
    for w in walls:
        at = datetime.fromisoformat(w["at"].replace("Z", "+00:00")).astimezone()
        said = f' "{clean(str(w["said"]))}"' if w.get("said") else ""
        tokens = "" if w["tokens"] is None else f"; {human_tokens(w['tokens'])} tokens from this machine in that period"
        lines.append(f"  {at:%a %d %b %H:%M}  {clean(str(w['name']))}{said}{tokens}")
    return lines


def run(argv: list[str], *, snapshot: dict[str, Any] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="quotaline report", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument(
        "--since",
        help="7d, 12h, 30m, 2w or a date (default 7d; for --by branch the current weekly period of the model windows)",
    )
    parser.add_argument(
        "--by",
        choices=("project", "branch"),
        default="project",
        help="rows per project and session (default), or per git branch of each project",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output (stable keys)")
    parser.add_argument("--no-update", action="store_true", help="do not read new transcript lines first")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    now = time.time()
    try:
        since = parse_since(args.since or DEFAULT_SINCE, now)
    except ValueError as exc:
        sys.stderr.write(f"quotaline report: {exc}\n")
        return 2
    stats: dict[str, Any] | None = None
    if not args.no_update:
        try:
            progress = _progress_on_terminal()
            result = update_ledger(progress=progress, lock_timeout=0.5)
            if result.busy:
                # The background refresher holds the ledger: most likely its first scan.
                if progress is not None:
                    sys.stderr.write("waiting for the background refresher to finish reading transcripts...\n")
                result = update_ledger(progress=progress, lock_timeout=120)
            stats = result.as_dict()
            if result.damaged:
                sys.stderr.write(
                    f"quotaline report: the ledger's {result.damaged}: every transcript was counted again "
                    "(`quotaline doctor` says more)\n"
                )
        except OSError as exc:
            sys.stderr.write(f"quotaline report: could not update the ledger ({exc}); showing what it has\n")
    ledger = open_ledger(snapshot, now)
    since_label = args.since or DEFAULT_SINCE
    if args.by == "branch" and args.since is None:
        week = weekly_period(snapshot, now, ledger)
        if week is not None:
            since, since_label = week
    report = build(snapshot, since, now, ledger, args.by)
    report["ledger"] = stats
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        sys.stdout.write(render(report, since_label))
    return 0
