"""Metrics for Prometheus in the text format, for node_exporter's textfile collector.

After each refresh the refresher writes ``<dir>/quotaline.prom`` (``quotaline-<key>.prom`` for
another Claude config dir), atomically: a temp file in the same dir (not named ``*.prom``, so the
collector never reads half of one), then a rename. Every figure comes from the pieces' facts, the
ones the status line draws; the account is a label (no secret, no e-mail unless opted in).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator
from typing import Any

from statusline.core import levels, status_json
from statusline.core.config_fast import Settings
from statusline.core.context import Context
from statusline.core.pieces import pool, window
from statusline.core.textsafe import clean
from statusline.core.windows import display_order, is_number
from statusline.refresh.sources import claude_json

Labels = dict[str, str]
# name -> (help, type); every series below is one of these.
METRICS: dict[str, tuple[str, str]] = {
    "quotaline_window_used_ratio": ("Share of the window used, as the server said it (1 = 100%).", "gauge"),
    "quotaline_window_resets_at_timestamp_seconds": ("When the window resets (Unix time).", "gauge"),
    "quotaline_window_observed_at_timestamp_seconds": ("When the number was read (Unix time).", "gauge"),
    "quotaline_window_age_seconds": ("How old the number was when this file was written.", "gauge"),
    "quotaline_window_stale": ("1 when the number is older than stale_after_minutes or of an ended period.", "gauge"),
    "quotaline_window_level": ("0 normal, 1 warn, 2 critical, 3 full (the percent's level).", "gauge"),
    "quotaline_window_rate_per_hour_ratio": ("Current pace, share of the window per hour.", "gauge"),
    "quotaline_window_projected_at_reset_ratio": ("Share used at the reset at the current pace.", "gauge"),
    "quotaline_window_seconds_to_full": ("Seconds until 100% at the current pace, when before the reset.", "gauge"),
    "quotaline_window_info": ("A window's label and the source of its number.", "gauge"),
    "quotaline_extra_usage_enabled": ("1 when extra usage (billing beyond the plan) is on.", "gauge"),
    "quotaline_extra_usage_used": ("Extra usage billed this month, in the currency's major unit.", "gauge"),
    "quotaline_extra_usage_limit": ("The monthly extra usage limit, in the currency's major unit.", "gauge"),
    "quotaline_extra_usage_out_of_credits": ("1 when extra usage is out of credits.", "gauge"),
    "quotaline_pool_remaining": ("Money left in a credit pool, in the currency's major unit.", "gauge"),
    "quotaline_pool_used": ("Money spent from a credit pool, in the currency's major unit.", "gauge"),
    "quotaline_pool_limit": ("A credit pool's amount, in the currency's major unit.", "gauge"),
    "quotaline_pool_resets_at_timestamp_seconds": ("When a credit pool resets (Unix time).", "gauge"),
    "quotaline_pool_state": ("0 plenty left, 1 nearly used up, 3 used up (a credit pool never blocks).", "gauge"),
    "quotaline_account_info": ("The account these numbers belong to.", "gauge"),
    "quotaline_refresh_last_attempt_timestamp_seconds": ("The refresher's last run (Unix time).", "gauge"),
    "quotaline_refresh_last_success_timestamp_seconds": ("The refresher's last good read (Unix time).", "gauge"),
    "quotaline_refresh_next_due_timestamp_seconds": ("When the next read is due (Unix time).", "gauge"),
    "quotaline_refresh_backing_off": ("1 while every enabled network source waits out a backoff.", "gauge"),
    "quotaline_refresh_source_failures": ("Failures in a row of a source.", "gauge"),
    "quotaline_refresh_source_backoff_until_timestamp_seconds": ("A source's backoff end; 0 when none.", "gauge"),
    "quotaline_refresh_source_last_ok_timestamp_seconds": ("A source's last good read (Unix time).", "gauge"),
    "quotaline_export_timestamp_seconds": ("When quotaline wrote this file (Unix time).", "gauge"),
}


def target_dir(settings: Settings) -> str:
    """The configured textfile dir (``~`` expanded), or "" when the export is off (or relative)."""
    configured = os.path.expanduser(str(settings.get("export", "prometheus_textfile_dir")).strip())
    return configured if os.path.isabs(configured) else ""  # relative: ignored, like every *_DIR


def file_name(snapshot_name: str) -> str:
    """``snapshot-default.json`` -> ``quotaline.prom``; another config dir's -> ``quotaline-cfg-....prom``."""
    key = snapshot_name.removeprefix("snapshot-").removesuffix(".json")
    return "quotaline.prom" if key == "default" else f"quotaline-{key}.prom"


def escape(value: str) -> str:
    """A label value in the text format; a server's label cannot end the line or the quotes."""
    return clean(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def number(value: float) -> str:
    return repr(float(value)) if math.isfinite(value) else ("+Inf" if value > 0 else "-Inf" if value < 0 else "NaN")


def account_labels(ctx: Context, account: str | None) -> Labels:
    settings = ctx.settings
    stored = ctx.snap.get("account") or {}
    name = str(settings.get("export", "account")) or account or stored.get("uuid") or "unknown"
    labels = {"account": str(name)}
    if settings.get("export", "include_email"):  # opted in: the e-mail names the account for people
        data = claude_json.load()
        oauth = data.get("oauthAccount") if data else None
        email = oauth.get("emailAddress") if isinstance(oauth, dict) else None
        if isinstance(email, str) and email:
            labels["email"] = email
    return labels


def render(ctx: Context, account: str | None) -> str:
    series: dict[str, list[tuple[Labels, float]]] = {name: [] for name in METRICS}
    for name, labels, value in _series(ctx, account_labels(ctx, account)):
        series[name].append((labels, value))
    out: list[str] = []
    for name, rows in series.items():
        if not rows:
            continue
        help_text, kind = METRICS[name]
        out += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, value in rows:
            inner = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
            out.append(f"{name}{{{inner}}} {number(value)}")
    return "\n".join(out) + "\n"


def _series(ctx: Context, account: Labels) -> Iterator[tuple[str, Labels, float]]:
    snap, now = ctx.snap, ctx.now
    yield "quotaline_account_info", dict(account), 1.0
    only = {"account": account["account"]}
    for wid in sorted(snap["windows"], key=display_order):
        piece = window.piece(ctx, snap["windows"][wid])
        facts: window.Facts = piece.facts
        w, labels = facts.window, {**only, "window": wid}
        yield "quotaline_window_used_ratio", labels, facts.pct / 100
        if is_number(w.get("resets_at")):
            yield "quotaline_window_resets_at_timestamp_seconds", labels, float(w["resets_at"])
        if is_number(w.get("observed_at")):
            yield "quotaline_window_observed_at_timestamp_seconds", labels, float(w["observed_at"])
            yield "quotaline_window_age_seconds", labels, levels.age_s(w, now)
        yield "quotaline_window_stale", labels, float(facts.stale)
        yield "quotaline_window_level", labels, float(facts.pct_level)
        fc = facts.forecast
        if fc is not None and not facts.past:
            yield "quotaline_window_rate_per_hour_ratio", labels, float(fc.rate_per_hour) / 100
            if fc.projected_at_reset is not None:
                yield "quotaline_window_projected_at_reset_ratio", labels, float(fc.projected_at_reset) / 100
        if facts.seconds_to_full is not None:
            yield "quotaline_window_seconds_to_full", labels, facts.seconds_to_full
        info = {**labels, "label": piece.variables["label"], "source": piece.variables["source"]}
        yield "quotaline_window_info", info, 1.0
    yield from _extra(snap.get("extra_usage"), only)
    yield from _pools(ctx, only)
    yield from _refresh(ctx, only)
    yield "quotaline_export_timestamp_seconds", only, now


def _extra(extra: Any, only: Labels) -> Iterator[tuple[str, Labels, float]]:
    enabled = isinstance(extra, dict) and bool(extra.get("enabled"))
    yield "quotaline_extra_usage_enabled", only, float(enabled)
    if not enabled:
        return
    money = {**only, "currency": str(extra.get("currency") or "USD").upper()}
    if is_number(extra.get("used")):
        yield "quotaline_extra_usage_used", money, float(extra["used"])
    if is_number(extra.get("limit")) and extra["limit"] > 0:
        yield "quotaline_extra_usage_limit", money, float(extra["limit"])
    yield "quotaline_extra_usage_out_of_credits", only, float(bool(extra.get("out_of_credits")))


def _pools(ctx: Context, only: Labels) -> Iterator[tuple[str, Labels, float]]:
    """Credit pools by their human label (never a code name), in money: no ratio, no level."""
    for found in pool.pools(ctx):
        credit = pool.piece(ctx, found)
        labels = {**only, "pool": credit.variables["label"], "currency": str(found.get("currency") or "USD")}
        if is_number(credit.facts["left"]):
            yield "quotaline_pool_remaining", labels, float(credit.facts["left"])
        for key, name in (("used", "quotaline_pool_used"), ("limit", "quotaline_pool_limit")):
            if is_number(found.get(key)):
                yield name, labels, float(found[key])
        if is_number(found.get("resets_at")):
            yield "quotaline_pool_resets_at_timestamp_seconds", labels, float(found["resets_at"])
        yield "quotaline_pool_state", labels, float(credit.level)


def _refresh(ctx: Context, only: Labels) -> Iterator[tuple[str, Labels, float]]:
    refresh = ctx.snap.get("refresh") or {}
    for key in ("last_attempt", "last_success", "next_due"):
        if is_number(refresh.get(key)):
            yield f"quotaline_refresh_{key}_timestamp_seconds", only, float(refresh[key])
    backing_off = status_json.earliest_read(refresh, ctx.settings, ctx.now) is not None
    yield "quotaline_refresh_backing_off", only, float(backing_off)
    states = refresh.get("sources")
    for source, state in sorted(states.items() if isinstance(states, dict) else []):
        if not isinstance(state, dict):
            continue
        labels = {**only, "source": str(source)}
        failures = state.get("failures")
        count = float(failures) if isinstance(failures, int) and not isinstance(failures, bool) else 0.0
        yield "quotaline_refresh_source_failures", labels, count
        until = status_json.backoff_until(state, ctx.now)
        yield "quotaline_refresh_source_backoff_until_timestamp_seconds", labels, until or 0.0
        if is_number(state.get("last_ok")):
            yield "quotaline_refresh_source_last_ok_timestamp_seconds", labels, float(state["last_ok"])


def write(directory: str, snapshot_name: str, text: str) -> str:
    """``text`` into ``directory`` atomically; readable by node_exporter's user (no secret in it)."""
    path = os.path.join(directory, file_name(snapshot_name))
    tmp = os.path.join(directory, f".{file_name(snapshot_name)}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path
