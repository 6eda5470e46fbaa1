"""``quotaline status``: every window for people (bars, resets, forecast, source, age), or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from statusline.core.draw import formats, status_json, template, textsafe
from statusline.core.draw.bars import text_bar
from statusline.core.draw.pieces import extra, local, pool, window
from statusline.core.run.context import Context
from statusline.core.settings import loader
from statusline.core.store import paths, snapshot
from statusline.core.window import walls

BAR = 20
COLOURS = {"normal": "32", "warn": "33", "critical": "31", "full": "1;31"}


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="quotaline status", description="Every window the server enforces.")
    parser.add_argument("--json", action="store_true", help="machine-readable (schema 1)")
    parser.add_argument("--watch", nargs="?", const=5.0, type=float, metavar="SECONDS", help="redraw every few seconds")
    args = parser.parse_args(argv)
    if args.watch:
        try:
            while True:
                text = render(args.json)
                sys.stdout.write("\033[H\033[2J" + text if sys.stdout.isatty() else text)
                sys.stdout.flush()
                time.sleep(max(1.0, args.watch))
        except KeyboardInterrupt:
            return 0
    sys.stdout.write(render(args.json))
    return 0


def render(as_json: bool) -> str:
    now = time.time()
    settings = loader.load()
    snap = textsafe.clean_tree(snapshot.read(paths.snapshot_path()))  # whatever the server or a file said
    ctx = Context(snap, settings, now, local=_local_column(snap, now))
    data = status_json.build(ctx)
    if as_json:
        data["local"] = ctx.local
        return json.dumps(data, indent=2) + "\n"
    return people(ctx, data, colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))


def _local_column(snap: snapshot.Snapshot, now: float) -> dict[str, Any] | None:
    from statusline.ledger.side import local_column  # a broken install fails loudly, never as "no ledger"

    try:
        return dict(textsafe.clean_tree(dict(local_column(snap, now))))
    except Exception:
        return None


# Each line is a piece's variables through a template (``core/draw/template.py``), as on the status line.
WHEN = "(resets $resets_at \\(in $reset\\))"
PACE = "pace: $rate(, hits 100% in $to_full — before it resets)"
PACE_AT_RESET = "pace: $rate(, about $at_reset at reset)"
LOCAL = "this machine: $tokens tokens this period(; about $left tokens left before 100%)( \\($weak\\))"
EXTRA_ON = "extra usage  $used( of $limit) this month( \\($whose\\))"
EXTRA_PACE = "pace: $rate( — its $limit limit in about $to_limit \\(at $limit_at\\))"
MONEY = "money: $money"
POOL = "$label  $left left( of $limit)( · $used used)( · resets $resets_at)( · $state)"
GRANT = "limit reset: $label( · $left)( · use by $ends) · $how"
BREAKDOWN = "the week by surface, the server's split( as of $as_of): $rows"


def people(ctx: Context, data: dict[str, Any], *, colour: bool) -> str:
    snap, settings, now = ctx.snap, ctx.settings, ctx.now
    lines = [f"quotaline — {paths.snapshot_path()}"]
    if not data["windows"]:
        lines.append("  no data yet: run Claude Code once, or `quotaline refresh`")
    unbuilt = ""
    indent = f"  {'':<12} "
    for w in data["windows"]:
        piece = window.piece(ctx, snap["windows"][w["id"]])
        v = piece.variables
        head = f"  {v['label']:<12} {text_bar(piece.facts.pct, BAR)} {v['percent']:>7}"
        if colour:
            head = f"\033[{COLOURS[w['level']]}m{head}\033[0m"
        facts = piece.facts
        when = "reset passed" if facts.past else (template.render(WHEN, v) or "no reset time")
        stale = "  STALE" if facts.stale else ""
        lines.append(f"{head}  {when}  · {v['source']}, {v['age']} ago{stale}")
        if v["money"]:
            lines.append(indent + template.render(MONEY, v))
        if v["rate"]:
            lines.append(indent + template.render(PACE if v["to_full"] else PACE_AT_RESET, v))
        mine = local.piece(ctx, w["id"])
        if mine is not None and mine.variables["tokens"]:
            lines.append(indent + template.render(LOCAL, mine.variables))
        elif mine is not None and mine.variables["why"] and not unbuilt:
            unbuilt = mine.variables["why"]
        if w["id"] == "seven_day" and data.get("seven_day_breakdown"):
            lines.append(indent + _breakdown(data["seven_day_breakdown"], now))
    if unbuilt:
        lines.append(f"  this machine: {unbuilt}")
    money = extra.piece(ctx)
    if money is not None:
        out = "  OUT OF CREDITS" if money.variables["state"] else ""
        lines.append("  " + template.render(EXTRA_ON, money.variables) + out)
        if money.variables["rate"]:
            lines.append(indent + template.render(EXTRA_PACE, money.variables))
    elif isinstance(snap.get("extra_usage"), dict):
        lines.append("  extra usage  off")

    for found in pool.pools(ctx):  # money to spend, not a window: no bar, no percent
        credit = pool.piece(ctx, found)
        text = "  " + template.render(POOL, credit.variables)
        paint = COLOURS[("normal", "warn", "critical", "full")[credit.level]]
        lines.append(f"\033[{paint}m{text}\033[0m" if colour else text)
    for grant in data.get("grants") or []:
        lines.append("  " + template.render(GRANT, _grant_vars(grant, now)))
    if data.get("seven_day_breakdown") and not any(w["id"] == "seven_day" for w in data["windows"]):
        lines.append("  " + _breakdown(data["seven_day_breakdown"], now))
    for err in data["errors"]:
        lines.append(f"  error ({err['source']}): {err['message']} [{err['kind']}]")
    lines.extend(walls.status_lines(snap, now))
    refresh = snap["refresh"]
    states = refresh.get("sources")
    for name, state in sorted(states.items() if isinstance(states, dict) else []):
        until = status_json.backoff_until(state, now)
        if until is not None:
            lines.append(
                f"  {name}: backing off after {state.get('kind') or 'an error'} until "
                f"{formats.format_clock(until, now)} (in {formats.format_duration(until - now)}; "
                "quotaline refresh --force to try now)"
            )
    due = refresh.get("next_due")
    held = status_json.earliest_read(refresh, settings, now)  # every source backing off: no read before
    if isinstance(due, (int, float)) and held is not None:
        due = max(float(due), held)
    if isinstance(due, (int, float)):
        nxt = "now" if due <= now else f"in {formats.format_duration(due - now)}"
        lines.append(f"  next refresh {nxt} (when Claude Code or a segment asks)")
    if settings.problems:
        lines.append("  config problems: " + textsafe.clean("; ".join(settings.problems)) + " (quotaline doctor)")
    return "\n".join(lines) + "\n"


def _epoch(text: Any) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _grant_vars(grant: dict[str, Any], now: float) -> dict[str, str]:
    left, total = grant.get("resets_left"), grant.get("resets_total")
    ends = _epoch(grant.get("ends_at")) if grant.get("ends_at") else None
    clears = " and ".join({"five_hour": "5-hour", "seven_day": "weekly"}.get(c, c) for c in grant.get("clears") or [])
    if grant.get("paused"):
        how = "paused"
    elif grant.get("usable_now"):
        how = f"{grant['command']} refills your {clears} window{'s' if ' and ' in clears else ''} now"
    else:
        how = "not usable yet"
    return {
        "label": str(grant.get("label") or "limit reset"),
        "left": "" if left is None else f"{left} of {total} left" if total is not None else f"{left} left",
        "ends": "" if ends is None else pool.when(ends, now),
        "how": how,
    }


def _breakdown(split: dict[str, Any], now: float) -> str:
    rows = " · ".join(f"{r['label']} {formats.format_pct(float(r['percent']))}" for r in split["rows"])
    as_of = _epoch(split.get("as_of")) if split.get("as_of") else None
    when = "" if as_of is None else formats.format_clock(as_of, now) if now - as_of < 20 * 3600 else time.strftime(
        "%a %d %b %H:%M", time.localtime(as_of)
    )
    return template.render(BREAKDOWN, {"as_of": when, "rows": rows})
