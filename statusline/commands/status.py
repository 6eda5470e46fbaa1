"""``quotaline status``: every window for people (bars, resets, forecast, source, age), or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from statusline.core import config_fast, levels, paths, snapshot, status_json, textsafe, walls
from statusline.core.forecast import all_forecasts

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
    settings = config_fast.load()
    snap = textsafe.clean_tree(snapshot.read(paths.snapshot_path()))  # whatever the server or a file said
    forecasts = all_forecasts(snap, now)
    data = status_json.build(snap, settings, now, forecasts)
    if as_json:
        data["local"] = _local_column(snap, now)
        return json.dumps(data, indent=2) + "\n"
    return people(data, snap, settings, now, colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR"))


def _local_column(snap: snapshot.Snapshot, now: float) -> dict[str, Any] | None:
    from statusline.ledger.side import local_column  # a broken install fails loudly, never as "no ledger"

    try:
        return dict(textsafe.clean_tree(dict(local_column(snap, now))))
    except Exception:
        return None


def _bar(pct: float) -> str:
    filled = max(0, min(BAR, round(pct / 100 * BAR)))
    return "█" * filled + "░" * (BAR - filled)


def people(
    data: dict[str, Any], snap: snapshot.Snapshot, settings: config_fast.Settings, now: float, *, colour: bool
) -> str:
    lines = [f"quotaline — {paths.snapshot_path()}"]
    if not data["windows"]:
        lines.append("  no data yet: run Claude Code once, or `quotaline refresh`")
    local = _local_column(snap, now) or {}
    unbuilt = ""
    for w in data["windows"]:
        raw = snap["windows"][w["id"]]
        pct = w["used_pct"]
        head = f"  {w['label']:<12} {_bar(pct)} {levels.format_pct(pct):>7}"
        if colour:
            head = f"\033[{COLOURS[w['level']]}m{head}\033[0m"
        reset = raw.get("resets_at")
        when = "no reset time"
        if isinstance(reset, (int, float)):
            when = (
                "reset passed"
                if reset <= now
                else (f"resets {levels.format_clock(reset, now)} (in {levels.format_duration(reset - now)})")
            )
        age = levels.format_duration(w["age_seconds"]) if w["age_seconds"] is not None else "?"
        stale = "  STALE" if w["stale"] else ""
        lines.append(f"{head}  {when}  · {w['source']}, {age} ago{stale}")
        fc = w.get("forecast")
        if fc:
            text = f"{fc['rate_per_hour']:.1f}%/h"
            if fc["hits_full_before_reset"] and fc["seconds_to_full"] is not None:
                text += f", hits 100% in {levels.format_duration(fc['seconds_to_full'])} — before it resets"
            elif fc["projected_at_reset"] is not None:
                text += f", about {levels.format_pct(round(fc['projected_at_reset'], 1))} at reset"
            lines.append(f"  {'':<12} pace: {text}")
        col = local.get(w["id"]) if isinstance(local, dict) else None
        if isinstance(col, dict) and col.get("tokens") is not None:
            lines.append(f"  {'':<12} this machine: {col['tokens']:,} tokens this period{_left(col)}")
        elif isinstance(col, dict) and col.get("why") and not unbuilt:
            unbuilt = str(col["why"])
    if unbuilt:
        lines.append(f"  this machine: {unbuilt}")
    extra = snap.get("extra_usage")
    if isinstance(extra, dict):
        if extra.get("enabled"):
            used = levels.format_money(float(extra.get("used") or 0), str(extra.get("currency") or "USD"))
            limit = extra.get("limit")
            cap = f" of {levels.format_money(float(limit), str(extra.get('currency') or 'USD'))}" if limit else ""
            out = "  OUT OF CREDITS" if extra.get("out_of_credits") else ""
            lines.append(f"  extra usage  {used}{cap} this month{out}")
        else:
            lines.append("  extra usage  off")
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
                f"{levels.format_clock(until, now)} (in {levels.format_duration(until - now)}; "
                "quotaline refresh --force to try now)"
            )
    due = refresh.get("next_due")
    if isinstance(due, (int, float)):
        nxt = "now" if due <= now else f"in {levels.format_duration(due - now)}"
        lines.append(f"  next refresh {nxt} (when Claude Code or a segment asks)")
    if settings.problems:
        lines.append("  config problems: " + textsafe.clean("; ".join(settings.problems)) + " (quotaline doctor)")
    return "\n".join(lines) + "\n"


def _left(col: dict[str, Any]) -> str:
    left = col.get("tokens_left_estimate")
    if not isinstance(left, (int, float)):
        return ""
    weak = " (weak estimate)" if col.get("weak") else ""
    return f"; about {int(left):,} tokens left before 100%{weak}"
