"""The local ledger beside each server window: tokens in its period, calibration, what is left.

Window periods: ``five_hour`` is the 5 hours before its reset; ``seven_day`` and every
``seven_day:*`` the 7 days before theirs. ``seven_day:<family>`` (opus, sonnet, fable, ...) counts
only that family's tokens; ``seven_day:<surface>`` (oauth_apps, cowork, ...) is fed by other
products, so this machine's Claude Code transcripts say nothing about it. Code-named buckets have no
known length.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statusline.core.store.snapshot import points
from statusline.core.window import walls as core_walls
from statusline.core.window.rules import length_s
from statusline.ledger.calibrate import Calibration, calibrate_window, human_tokens, segments, with_walls
from statusline.ledger.statefile import ledger_dir
from statusline.ledger.store import Store, load_store
from statusline.ledger.update import freshness

HOUR = 3600.0
DAY = 86400.0
KNOWN_FAMILIES = frozenset({"opus", "sonnet", "haiku", "fable"})
PROMPT_AVERAGE_DAYS = 7


@dataclass(frozen=True)
class WindowKind:
    seconds: float | None
    families: frozenset[str] | None  # None: every family
    surface: bool


def window_kind(window_id: str, local_families: frozenset[str] = frozenset()) -> WindowKind:
    seconds = length_s(window_id)
    base, _, suffix = window_id.partition(":")
    if base != "seven_day" or not suffix:
        return WindowKind(seconds, None, False)
    suffix = suffix.lower()
    if suffix in KNOWN_FAMILIES or suffix in local_families:
        return WindowKind(seconds, frozenset({suffix}), False)
    return WindowKind(seconds, None, True)


def account_roots(store: Store, snapshot: dict[str, Any]) -> list[str] | None:
    """The ledger roots of the snapshot's Claude config dir; None (all roots) when it is not one."""
    account = snapshot.get("account")
    config_dir = account.get("config_dir") if isinstance(account, dict) else None
    if not isinstance(config_dir, str) or not config_dir:
        return None
    wanted = os.path.abspath(os.path.expanduser(config_dir))
    matches = [r for r in store.roots() if os.path.abspath(r) == wanted]
    return matches or None


class Ledger:
    """Read-only questions on a loaded store, filtered to some roots."""

    def __init__(self, store: Store, roots: list[str] | None, fresh_at: float, walls: Any = None) -> None:
        self.store = store
        self.roots = roots
        self.fresh_at = fresh_at
        self.walls = walls  # the snapshot's walls: each a 100% anchor for calibration
        self.local_families = frozenset(
            f for f in (store.family(i) for i in range(len(store.keys))) if f is not None
        )

    def named(self, families: frozenset[str] | None) -> frozenset[str]:
        """``families``, or every model family seen (tokens under no model were not sent anywhere known)."""
        return families if families is not None else self.local_families

    def project_path(self, project: str) -> str | None:
        """The working directory a project's transcripts named (its dir name is that path, mangled)."""
        return next(
            (c for (r, p), c in self.store.cwd.items() if p == project and (self.roots is None or r in self.roots)),
            None,
        )

    def by_family(self, t0: float, t1: float, families: frozenset[str] | None = None) -> dict[str, int]:
        rows = self.store.tokens(t0, t1, by=("family",), roots=self.roots, families=self.named(families))
        return {k[0]: v.total for k, v in rows.items() if k[0] is not None and v.total}

    def tokens_per_prompt(self, now: float) -> float | None:
        rows = self.store.tokens(now - PROMPT_AVERAGE_DAYS * DAY, now, by=("family",), roots=self.roots)
        prompts = sum(v.prompts for v in rows.values())
        tokens = sum(v.total for k, v in rows.items() if k[0] is not None)
        return tokens / prompts if prompts and tokens else None

    def calibration(self, window_id: str, history: Any, kind: WindowKind) -> Calibration:
        fine_from = self.store.fine_from * 60.0
        return calibrate_window(
            with_walls(history, self.walls, window_id),
            kind.seconds,
            lambda t0, t1: self.by_family(t0, t1, kind.families),
            not_after=self.fresh_at + 60.0,
            not_before=fine_from,
        )


def open_ledger(
    snapshot: dict[str, Any] | None, now: float, state_dir: Path | None = None
) -> Ledger:
    directory = ledger_dir(state_dir)
    store = load_store(directory)
    roots = account_roots(store, snapshot) if snapshot else None
    fresh = freshness(directory)
    walls = snapshot.get("walls") if snapshot else None
    return Ledger(store, roots, min(now, fresh) if fresh is not None else 0.0, walls)


NOT_BUILT = "the local ledger has not been built yet (the refresher or `quotaline report` builds it)"


def _column(ledger: Ledger, window_id: str, window: dict[str, Any], history: Any, now: float) -> dict[str, Any]:
    kind = window_kind(window_id, ledger.local_families)
    out: dict[str, Any] = {"tokens": 0, "by_family": {}, "tokens_left_estimate": None, "turns_left_estimate": None,
                           "tokens_per_pct": None, "weak": True, "why": "", "period_start": None}
    resets_at = window.get("resets_at")
    if ledger.fresh_at == 0.0:
        # Not "0 tokens": nothing has been counted yet (the first scan may be running right now).
        out["tokens"] = None
        out["why"] = NOT_BUILT
        return out
    if kind.surface:
        out["why"] = f"{window_id} counts another surface; Claude Code transcripts on this machine don't feed it"
        return out
    if kind.seconds is None or not isinstance(resets_at, (int, float)) or isinstance(resets_at, bool):
        out["why"] = "unknown period for this window"
        return out
    start = float(resets_at) - kind.seconds
    fam = ledger.by_family(start, now + 60, kind.families)
    out.update(tokens=sum(fam.values()), by_family=dict(sorted(fam.items())), period_start=start)
    cal = ledger.calibration(window_id, history, kind)
    out["tokens_per_pct"] = None if cal.tokens_per_pct is None else round(cal.tokens_per_pct)
    out["weak"] = cal.weak
    used = window.get("used_pct")
    if cal.tokens_per_pct is not None and isinstance(used, (int, float)) and not isinstance(used, bool):
        left = max(0.0, 100.0 - float(used)) * cal.tokens_per_pct
        out["tokens_left_estimate"] = round(left)
        per_turn = ledger.tokens_per_prompt(now)
        if per_turn:
            out["turns_left_estimate"] = int(left // per_turn)
        turns = "" if not per_turn else f" (about {int(left // per_turn)} turns like your average)"
        out["why"] = f"about {human_tokens(left)} tokens{turns} left before 100%; {cal.why}"
    else:
        out["why"] = cal.why
    return out


def local_column(
    snapshot: dict[str, Any], now: float, *, state_dir: Path | None = None
) -> dict[str, dict[str, Any]]:
    """Window id -> this machine's side: tokens in the window's period (``by_family`` too), the
    estimated tokens left before 100% (None when unknown), and whether that estimate is weak and why.

    Reads the ledger as it is; the refresher (or ``update_ledger``) keeps it current.
    """
    windows = snapshot.get("windows")
    if not isinstance(windows, dict) or not windows:
        return {}
    ledger = open_ledger(snapshot, now, state_dir)
    return {
        wid: _column(ledger, wid, w, points(snapshot, wid), now)
        for wid, w in sorted(windows.items())
        if isinstance(w, dict)
    }


def attribute(
    ledger: Ledger, window_id: str, history: Any, t0: float, t1: float, by: tuple[str, ...] = ("project", "session")
) -> tuple[dict[tuple[str, ...], float], float, Calibration | None]:
    """Split the window's rises between ``t0`` and ``t1`` over groups ``by`` (store fields: project,
    session, branch, ...) by share of the local tokens of the window's families sent during each
    rise; the part local tokens cannot explain goes to "other machines / surfaces".

    With a calibration, an interval's local share is at most tokens / tokens-per-percent; without
    one, an interval with any local tokens is all local and one without is all other.
    """
    kind = window_kind(window_id, ledger.local_families)
    if kind.surface or kind.seconds is None:
        return {}, 0.0, None
    cal = ledger.calibration(window_id, history, kind)
    k = cal.tokens_per_pct if not cal.weak else None
    shares: dict[tuple[str, ...], float] = {}
    other = 0.0
    for seg in segments(history, kind.seconds):
        if seg.t1 <= t0 or seg.t1 > t1:
            continue
        rows = ledger.store.tokens(seg.t0, seg.t1, by=by, roots=ledger.roots, families=ledger.named(kind.families))
        local = {tuple(map(str, group)): v.total for group, v in rows.items() if v.total}
        total = sum(local.values())
        explained = 0.0 if total == 0 else (seg.moved if k is None else min(seg.moved, total / k))
        other += seg.moved - explained
        for key, n in local.items():
            shares[key] = shares.get(key, 0.0) + explained * n / total
    return shares, other, cal


def wall_rows(ledger: Ledger, snapshot: dict[str, Any] | None, since: float) -> list[dict[str, Any]]:
    """The walls since ``since``, each with this machine's tokens in the stopping window's period up
    to the wall (None when the period is unknown or the window counts another surface)."""
    rows = []
    for wall in core_walls.recent(snapshot or {}, since):
        window, at, reset = str(wall["window"]), float(wall["at"]), wall.get("resets_at")
        kind = window_kind(window, ledger.local_families)
        start = float(reset) - kind.seconds if isinstance(reset, (int, float)) and kind.seconds else None
        fam = ledger.by_family(start, at, kind.families) if start is not None and not kind.surface else None
        rows.append(
            {
                "at": at,
                "window": window,
                "name": core_walls.name(wall),
                "said": wall.get("said"),
                "resets_at": reset,
                "period_start": start,
                "tokens": None if fam is None else sum(fam.values()),
                "by_family": dict(sorted((fam or {}).items())),
            }
        )
    return rows
