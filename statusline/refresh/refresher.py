"""The background refresher: one fetch per interval for every session on the machine.

Holds ``<snapshot>.refresh.lock`` (filelock) for the whole run, so concurrent starts exit at once;
re-checks the cadence under that lock; reads the sources; then merges into the snapshot under the
snapshot's own lock, briefly, so status lines are never kept waiting on the network.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any

import filelock
import httpx

from statusline.core.run import spawn
from statusline.core.run.context import Context
from statusline.core.settings import loader
from statusline.core.settings.defaults import refresh_interval
from statusline.core.store import paths, snapshot
from statusline.core.warn import before_prompt, notify
from statusline.core.window import merge, select
from statusline.refresh import backoff, credentials, prometheus
from statusline.refresh.http import FetchError, make_client, run_budget, scrub, user_agent
from statusline.refresh.sources import claude_ai, claude_json, oauth
from statusline.refresh.usage_payload import UsageReading

NETWORK_SOURCES = ("oauth", "claude_ai")
SNAPSHOT_LOCK_WAIT_S = 5.0
# Failures that only new credentials end: the status line starts a refresher as soon as
# paths.credentials_stamp() changes (a login, a refreshed token), whatever the backoff.
CREDENTIAL_KINDS = ("auth_expired", "no_credentials")


@dataclass
class Outcome:
    ran: bool = True
    fetched: list[str] = field(default_factory=list)
    failed: dict[str, FetchError] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    # Per source read: the parts of its payload that could not be used (schema drift, implausible).
    problems: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.fetched) and not self.failed

    def summary(self) -> str:
        if not self.ran:
            return "not due yet (another refresh ran recently)"
        drift = {s: f", {drift_summary(p)}" for s, p in self.problems.items()}
        parts = [f"{s}: ok{drift.get(s, '')}" for s in self.fetched]
        parts += [f"{s}: {e.message}" for s, e in self.failed.items()]
        parts += [f"{s}: {why}" for s, why in self.skipped.items()]
        return "; ".join(parts) or "no source enabled"



def refresh(
    *,
    force: bool = False,
    background: bool = False,
    transport: httpx.BaseTransport | None = None,
    lock_wait: float = 0.0,
) -> Outcome:
    path = paths.snapshot_path()
    paths.ensure_private_dir(os.path.dirname(path))
    lock_file = spawn.refresh_lock_path(path)
    paths.clear_way(lock_file)  # a directory or a link there would fail every run
    lock = filelock.FileLock(lock_file, timeout=lock_wait, mode=0o600)
    try:
        lock.acquire()
    except filelock.Timeout:
        return Outcome(ran=False)
    except OSError as exc:  # still in the way (planted again, or not ours to remove): say what and where
        raise paths.DirError(f"cannot lock {lock_file} ({exc.strerror or exc}): remove it and run again") from None
    try:
        outcome = _refresh_locked(path, force=force, background=background, transport=transport)
    except Exception as exc:  # a bug or an odd snapshot: record it (with a backoff), never just die
        outcome = _record_crash(path, exc)
    finally:
        lock.release()
    if background and outcome.ran:
        # After the release: a first scan can take a while, and the next refresh must not wait for it.
        _update_ledger()
    return outcome


def _record_crash(path: str, exc: Exception) -> Outcome:
    outcome = Outcome(failed={"refresher": internal_error(exc)})
    with contextlib.suppress(Exception):  # the store itself may be what fails: then the log is all
        _store(path, loader.load(), outcome, {}, None, time.time())
    return outcome


def _refresh_locked(path: str, *, force: bool, background: bool, transport: httpx.BaseTransport | None) -> Outcome:
    settings = loader.load()
    now = time.time()
    snap = snapshot.read(path)
    if background and not spawn.is_due(snap, now):
        return Outcome(ran=False)
    outcome = Outcome()
    local = claude_json.load()  # also names the account, whichever sources are on
    account = claude_json.account_uuid(local)
    readings: dict[str, UsageReading] = {}
    state = _dict(snap["refresh"].get("sources"))
    held_local = _held_back(_dict(state.get("claude_json")), now, "claude_json")
    if held_local and not force:
        outcome.skipped["claude_json"] = held_local
    elif settings.get("refresh", "claude_json"):
        try:
            cached = claude_json.reading(local, account, credentials.file_plan())
        except Exception as exc:  # a local file must not stop the network sources
            outcome.failed["claude_json"] = internal_error(exc)
            cached = None
        if cached is not None:
            readings["claude_json"] = cached
            outcome.fetched.append("claude_json")
    latest = select.latest_session(snap, having="version")
    version = latest["version"] if latest else None
    agent = user_agent(str(settings.get("refresh", "user_agent")), version)
    with make_client(transport) as client, run_budget():
        for source in NETWORK_SOURCES:
            if not settings.get("refresh", source):
                continue
            held = _held_back(_dict(state.get(source)), now, source)
            if held and not force:
                outcome.skipped[source] = held
                continue
            try:
                readings[source] = _fetch(source, client, agent, settings, local)
                outcome.fetched.append(source)
            except FetchError as exc:
                outcome.failed[source] = exc
            except Exception as exc:  # never die without a record (and a backoff)
                outcome.failed[source] = internal_error(exc)
    _store(path, settings, outcome, readings, account, now)
    return outcome


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _update_ledger() -> None:
    """Keep the local token ledger current for `status` and `report`; never at the cost of a refresh."""
    try:
        from statusline.ledger import update_ledger

        with contextlib.suppress(OSError, AttributeError):
            os.nice(10)  # a first scan takes both CPUs for seconds: Claude Code goes first
        update_ledger(lock_timeout=0)  # busy: another refresher is at it already
    except Exception as exc:  # the ledger is a side dish: log and go on
        from statusline.core.run.guard import log_exception

        log_exception(exc)


def internal_error(exc: BaseException) -> FetchError:
    """An exception nobody classified: logged in full to error.log, stored as its type alone (a
    message could carry a secret), with a transient backoff."""
    from statusline.core.run.guard import log_exception

    log_exception(exc)
    return FetchError("internal", f"internal error ({type(exc).__name__}); details in error.log")


MAX_DRIFT_SHOWN = 3
MAX_DRIFT_TEXT = 240


def drift_summary(problems: list[str]) -> str:
    """``2 parts unreadable: five_hour skipped: ...; limits skipped: not a list``, kept short."""
    count = len(problems)
    head = f"{count} part{'s' if count != 1 else ''} unreadable: "
    tail = f"; {count - MAX_DRIFT_SHOWN} more" if count > MAX_DRIFT_SHOWN else ""
    # Secrets out before anything is cut short (a cut would leave part of one unrecognised).
    shown = "; ".join(" ".join(scrub(p, []).split())[:100] for p in problems[:MAX_DRIFT_SHOWN])
    room = MAX_DRIFT_TEXT - len(head) - len(tail)
    return head + (shown if len(shown) <= room else shown[: room - 1] + "…") + tail


def _fetch(
    source: str, client: httpx.Client, agent: str, settings: loader.Settings, local: dict[str, Any] | None
) -> UsageReading:
    single_seat = claude_json.single_seat_team(local)
    if source == "oauth":
        return oauth.fetch(client, agent, single_seat)
    key = claude_ai.session_key(_secret_session_key())
    org = str(settings.get("refresh", "claude_ai_org"))
    return claude_ai.fetch(client, agent, key, org, credentials.file_plan(), single_seat)


def _secret_session_key() -> str:
    """The sessionKey from the config file; read here, never cached (config_fast drops it)."""
    from statusline.core.settings import toml_file

    data, _ = toml_file.parse_file(paths.config_file()) if os.path.exists(paths.config_file()) else ({}, [])
    value = data.get("refresh", {}).get("claude_ai_session_key", "")
    return value if isinstance(value, str) else ""


def _held_back(state: dict[str, Any], now: float, source: str) -> str:
    """Why ``source`` must wait, or "" when it may fetch now."""
    until = state.get("backoff_until")
    if not isinstance(until, (int, float)) or not now < until <= now + backoff.MAX_WAIT + 60:
        return ""  # over, or beyond any wait we set (an older version's uncapped one): read now
    waits = source == "oauth" and state.get("kind") in CREDENTIAL_KINDS
    if waits and state.get("auth_stamp") != paths.credentials_stamp():
        return ""  # new credentials (a login after install, a refreshed token): try them now
    wait = backoff_text(until - now)
    return f"backing off ({state.get('kind', 'error')}) for {wait}"


def backoff_text(seconds: float) -> str:
    from statusline.core.draw.formats import format_duration

    return format_duration(seconds)


def _store(
    path: str,
    settings: loader.Settings,
    outcome: Outcome,
    readings: dict[str, UsageReading],
    account: str | None,
    now: float,
) -> None:
    paths.clear_way(snapshot.lock_path(path))
    lock = filelock.FileLock(snapshot.lock_path(path), timeout=SNAPSHOT_LOCK_WAIT_S, mode=0o600)
    with lock:
        snap = snapshot.read(path)
        merge.switch_account(snap, account, config_dir=paths.claude_config_dir())
        whole: dict[str, tuple[Any, float]] = {}  # the replies read whole: each its source's whole word
        for source, reading in readings.items():
            problems = list(reading.problems)
            try:
                merge.apply_windows(snap, list(reading.windows.values()), now=now, problems=problems)
                merge.apply_extra(snap, reading.extra_usage, now=now, problems=problems)
                merge.apply_server(snap, reading.server, source=source, now=now, problems=problems)
            except Exception as exc:  # one source's odd reading must not cost the others
                outcome.fetched.remove(source)
                outcome.failed[source] = internal_error(exc)
                continue
            if problems:
                outcome.problems[source] = problems
                merge.add_error(snap, "schema_drift", drift_summary(problems), source=source, now=now)
            else:
                merge.clear_errors(snap, source)
                if reading.observed_at is not None:
                    whole[source] = (set(reading.windows), reading.observed_at)
        merge.forget_unsaid(snap, whole)
        _update_refresh_state(snap, settings, outcome, now)
        merge.prune(snap, now=now)
        pending = _notifications_due(snap, settings, now) if outcome.fetched else []
        snapshot.write_atomic(path, snap)
    _sweep_temp_files(path, now)
    # After the lock is released: a slow notifier or a slow disk must not hold up status lines.
    _send_notifications(pending)
    _export(path, snap, settings, now, account)


def _notifications_due(snap: snapshot.Snapshot, settings: loader.Settings, now: float) -> list[before_prompt.Alert]:
    """Decided under the snapshot lock, so two refreshers never say the same thing twice."""
    if not settings.get("notify", "enabled"):
        return []
    ctx = Context(snap, settings, now, family=select.latest_family(snap))
    alerts, state = notify.due(ctx)
    notify.remember(snap, state, now)
    return alerts


def _send_notifications(alerts: list[before_prompt.Alert]) -> None:
    try:
        from statusline.refresh import notify as notify_send

        problems = notify_send.send(alerts)
    except Exception as exc:  # a courtesy: never at the cost of the refresh
        internal_error(exc)
        return
    if problems:
        internal_error(RuntimeError("desktop notification not sent: " + "; ".join(problems)))


def _export(
    path: str, snap: snapshot.Snapshot, settings: loader.Settings, now: float, account: str | None
) -> None:
    ctx = Context(snap, settings, now)
    target = prometheus.target_dir(settings)
    text = None
    if target:
        try:
            text = prometheus.render(ctx, account)
            prometheus.write(target, os.path.basename(path), text)
        except Exception as exc:  # a metrics file must not cost the refresh
            internal_error(exc)
    try:
        from statusline.refresh import otlp, push

        outcomes = {"pushgateway": push.to_gateway(ctx, account, text), "otlp": otlp.to_collector(ctx, account)}
        if any(outcomes.values()):
            _record_push(path, {way: done for way, done in outcomes.items() if done})
    except Exception as exc:  # nor a push
        internal_error(exc)


def _record_push(path: str, outcomes: dict[str, Any]) -> None:
    """The pushes' outcomes beside the refresher's health (``refresh.push``), for doctor; written
    after them, so the snapshot the status line reads never waited on a push."""
    lock = filelock.FileLock(snapshot.lock_path(path), timeout=SNAPSHOT_LOCK_WAIT_S, mode=0o600)
    with lock:
        snap = snapshot.read(path)
        snap["refresh"]["push"] = outcomes
        snapshot.write_atomic(path, snap)


def _update_refresh_state(
    snap: snapshot.Snapshot, settings: loader.Settings, outcome: Outcome, now: float
) -> None:
    refresh = snap["refresh"]
    sources = refresh.get("sources")
    if not isinstance(sources, dict):
        sources = refresh["sources"] = {}
    refresh["last_attempt"] = now
    if outcome.fetched:
        refresh["last_success"] = now
    for source in outcome.fetched:
        if source in NETWORK_SOURCES:
            sources[source] = {"failures": 0, "last_ok": now, "last_status": 200}
        else:
            sources.pop(source, None)  # a local source keeps no state once it reads again
    for source, error in outcome.failed.items():
        merge.add_error(snap, error.kind, error.message, source=source, now=now)
        if source == "refresher":  # not a source: the cadence below keeps it from looping
            continue
        old = _dict(sources.get(source))
        count = old.get("failures")
        count = count if isinstance(count, int) and not isinstance(count, bool) and 0 <= count < 1000 else 0
        failures = count + 1 if old.get("kind") == error.kind else 1
        wait = backoff.wait_for(error.kind, failures, error.retry_after)
        sources[source] = {
            "failures": failures,
            "kind": error.kind,
            "last_status": error.status,
            "backoff_until": now + wait,
            "last_ok": old.get("last_ok"),
        }
        if source == "oauth" and error.kind in CREDENTIAL_KINDS:  # "none" when there was no file
            sources[source]["auth_stamp"] = paths.credentials_stamp()
    interval = refresh_interval(float(settings.get("refresh", "interval_seconds")))
    refresh["next_due"] = now + interval
    if "refresher" not in outcome.failed:  # a run that did not crash clears the last crash
        merge.clear_errors(snap, "refresher")
    auth = [s.get("auth_stamp") for s in sources.values() if isinstance(s, dict) and s.get("auth_stamp")]
    refresh["auth_stamp"] = auth[0] if auth else None


def _sweep_temp_files(path: str, now: float) -> None:
    """Temp files of writers killed mid-write (``paths.sweep_leftovers``) beside the snapshot at
    ``path`` (each write sweeps there too) and among the hook's parked entries."""
    for place in (os.path.dirname(path), snapshot.parked_dir(path)):
        paths.sweep_leftovers(place, now)
