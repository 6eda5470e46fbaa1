"""What quotaline exports: every metric, its names and unit, and the series a snapshot gives.

One model for every way out: the Prometheus textfile and the Pushgateway render it in the text
format (``prometheus``), OTLP sends it as gauges (``otlp``). Every figure comes from the pieces'
facts, the ones the status line draws; the account is a label (no secret, no e-mail unless opted
in). Each metric has a Prometheus name (``_ratio``, ``_seconds``, ``_timestamp_seconds`` suffixes)
and an OpenTelemetry name (dotted, ``quotaline.`` prefix) with a UCUM unit: ``1`` for ratios and
0/1 flags, ``s`` for durations and Unix times, ``{...}`` annotations for counts and money (whose
currency is the ``currency`` attribute).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from statusline.core.draw import status_json
from statusline.core.draw.pieces import pool, window
from statusline.core.draw.textsafe import clean
from statusline.core.run.context import Context
from statusline.core.window import levels
from statusline.core.window.rules import display_order, is_number
from statusline.refresh.sources import claude_json

Labels = dict[str, str]


@dataclass(frozen=True)
class Metric:
    help: str
    otel_name: str
    unit: str
    kind: str = "gauge"


@dataclass(frozen=True)
class Sample:
    name: str  # the Prometheus name, a key of METRICS
    labels: Labels
    value: float


# Prometheus name -> the metric; every sample is one of these, and they come in this order.
METRICS: dict[str, Metric] = {
    "quotaline_window_used_ratio": Metric(
        "Share of the window used, as the server said it (1 = 100%).", "quotaline.window.used", "1"
    ),
    "quotaline_window_resets_at_timestamp_seconds": Metric(
        "When the window resets (Unix time).", "quotaline.window.resets_at", "s"
    ),
    "quotaline_window_observed_at_timestamp_seconds": Metric(
        "When the number was read (Unix time).", "quotaline.window.observed_at", "s"
    ),
    "quotaline_window_age_seconds": Metric(
        "How old the number was when this file was written.", "quotaline.window.age", "s"
    ),
    "quotaline_window_stale": Metric(
        "1 when the number is older than stale_after_minutes or of an ended period.", "quotaline.window.stale", "1"
    ),
    "quotaline_window_level": Metric(
        "0 normal, 1 warn, 2 critical, 3 full (the percent's level).", "quotaline.window.level", "{level}"
    ),
    "quotaline_window_rate_per_hour_ratio": Metric(
        "Current pace, share of the window per hour.", "quotaline.window.rate", "1/h"
    ),
    "quotaline_window_projected_at_reset_ratio": Metric(
        "Share used at the reset at the current pace.", "quotaline.window.projected_at_reset", "1"
    ),
    "quotaline_window_seconds_to_full": Metric(
        "Seconds until 100% at the current pace, when before the reset.", "quotaline.window.time_to_full", "s"
    ),
    "quotaline_window_info": Metric("A window's label and the source of its number.", "quotaline.window.info", "1"),
    "quotaline_extra_usage_enabled": Metric(
        "1 when extra usage (billing beyond the plan) is on.", "quotaline.extra_usage.enabled", "1"
    ),
    "quotaline_extra_usage_used": Metric(
        "Extra usage billed this month, in the currency's major unit.", "quotaline.extra_usage.used", "{currency}"
    ),
    "quotaline_extra_usage_limit": Metric(
        "The monthly extra usage limit, in the currency's major unit.", "quotaline.extra_usage.limit", "{currency}"
    ),
    "quotaline_extra_usage_out_of_credits": Metric(
        "1 when extra usage is out of credits.", "quotaline.extra_usage.out_of_credits", "1"
    ),
    "quotaline_pool_remaining": Metric(
        "Money left in a credit pool, in the currency's major unit.", "quotaline.pool.remaining", "{currency}"
    ),
    "quotaline_pool_used": Metric(
        "Money spent from a credit pool, in the currency's major unit.", "quotaline.pool.used", "{currency}"
    ),
    "quotaline_pool_limit": Metric(
        "A credit pool's amount, in the currency's major unit.", "quotaline.pool.limit", "{currency}"
    ),
    "quotaline_pool_resets_at_timestamp_seconds": Metric(
        "When a credit pool resets (Unix time).", "quotaline.pool.resets_at", "s"
    ),
    "quotaline_pool_state": Metric(
        "0 plenty left, 1 nearly used up, 3 used up (a credit pool never blocks).", "quotaline.pool.state", "{level}"
    ),
    "quotaline_account_info": Metric("The account these numbers belong to.", "quotaline.account.info", "1"),
    "quotaline_refresh_last_attempt_timestamp_seconds": Metric(
        "The refresher's last run (Unix time).", "quotaline.refresh.last_attempt", "s"
    ),
    "quotaline_refresh_last_success_timestamp_seconds": Metric(
        "The refresher's last good read (Unix time).", "quotaline.refresh.last_success", "s"
    ),
    "quotaline_refresh_next_due_timestamp_seconds": Metric(
        "When the next read is due (Unix time).", "quotaline.refresh.next_due", "s"
    ),
    "quotaline_refresh_backing_off": Metric(
        "1 while every enabled network source waits out a backoff.", "quotaline.refresh.backing_off", "1"
    ),
    "quotaline_refresh_source_failures": Metric(
        "Failures in a row of a source.", "quotaline.refresh.source.failures", "{failure}"
    ),
    "quotaline_refresh_source_backoff_until_timestamp_seconds": Metric(
        "A source's backoff end; 0 when none.", "quotaline.refresh.source.backoff_until", "s"
    ),
    "quotaline_refresh_source_last_ok_timestamp_seconds": Metric(
        "A source's last good read (Unix time).", "quotaline.refresh.source.last_ok", "s"
    ),
    "quotaline_export_timestamp_seconds": Metric(
        "When quotaline wrote this file (Unix time).", "quotaline.export.time", "s"
    ),
}


def account_labels(ctx: Context, account: str | None) -> Labels:
    """The account label: the configured name, else the account's uuid; the e-mail only when opted in."""
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


def samples(ctx: Context, account: Labels) -> Iterator[Sample]:
    """Every series of the snapshot, grouped by metric in ``METRICS``' order."""
    found: dict[str, list[Sample]] = {name: [] for name in METRICS}
    for name, labels, value in _series(ctx, account):
        found[name].append(Sample(name, labels, value))
    for rows in found.values():
        yield from rows


def _unique(text: str, taken: set[str]) -> str:
    """``text``, else ``text~2``, ``text~3``...: two window ids that clean to the same text stay two
    series (one identity twice is a scrape error that loses the whole file)."""
    n, out = 1, text
    while out in taken:
        n += 1
        out = f"{text}~{n}"
    taken.add(out)
    return out


def _series(ctx: Context, account: Labels) -> Iterator[tuple[str, Labels, float]]:
    snap, now = ctx.snap, ctx.now
    yield "quotaline_account_info", dict(account), 1.0
    only = {"account": account["account"]}
    shown: set[str] = set()
    for wid in sorted(snap["windows"], key=display_order):
        piece = window.piece(ctx, snap["windows"][wid])
        facts: window.Facts = piece.facts
        w, labels = facts.window, {**only, "window": _unique(clean(wid), shown)}
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
    """Credit pools by their human label (never a code name), in money: no ratio, no window level."""
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
