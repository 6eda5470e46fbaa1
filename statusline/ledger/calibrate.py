"""How many local tokens move a server window by one percent, learned from the snapshot's history.

A window's history is ``[[observed_at, used_pct, resets_at], ...]``. Within one period (reset times
within 5 minutes of each other) the percent only rises, so the history is read as its running
maximum, with the period's start (reset minus the window's length) as a 0% point. Each rise
between two points is an interval; the tokens this machine sent during it (buckets whose midpoint
falls inside, from the ledger) make a pair (points moved, tokens). Intervals where the percent did
not move are folded into the next rise, because the server's percent is rounded.

Tokens per percent = sum of tokens / sum of points over pairs with tokens (the ratio of sums weighs
long intervals more, where rounding matters less); its spread is the Δpct-weighted quartiles of the
per-pair ratios. The estimate is weak with few pairs, little movement, a wide spread, or when the
server moved while this machine sent nothing (another machine, the browser, the desktop app).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from statusline.core.window.rules import is_number, same_period

MIN_PAIRS = 3
MIN_POINTS_MOVED = 3.0
MAX_IDLE_SHARE = 0.2
MAX_SPREAD = 1.0  # (p75 - p25) / estimate
DOMINANT_SHARE = 0.9


def with_walls(points: Any, walls: Any, window_id: str) -> list[Any]:
    """``points`` plus a 100% point for each wall of ``window_id`` with a known reset: the moment a
    turn was refused, the window was full (a reading no status line or server fetch may have seen)."""
    out = list(points) if isinstance(points, list) else []
    for wall in walls if isinstance(walls, list) else []:
        if not isinstance(wall, dict) or wall.get("window") != window_id:
            continue
        at, reset = wall.get("at"), wall.get("resets_at")
        if is_number(at) and is_number(reset):
            out.append([float(at), 100.0, float(reset)])
    return out


@dataclass(frozen=True)
class Segment:
    t0: float
    t1: float
    moved: float


def _clean(points: Any) -> list[tuple[float, float, float | None]]:
    out: list[tuple[float, float, float | None]] = []
    if not isinstance(points, list):
        return out
    for p in points:
        if not isinstance(p, (list, tuple)) or len(p) < 2:
            continue
        t, pct = p[0], p[1]
        reset = p[2] if len(p) > 2 else None
        if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in (t, pct)):
            continue
        if reset is not None and not (
            isinstance(reset, (int, float)) and not isinstance(reset, bool) and math.isfinite(reset)
        ):
            reset = None
        out.append((float(t), float(pct), None if reset is None else float(reset)))
    out.sort()
    return out


def segments(points: Any, window_seconds: float | None) -> list[Segment]:
    """The rises of a window's history, never across a reset."""
    periods: list[list[tuple[float, float, float | None]]] = []
    for p in _clean(points):
        for period in periods:
            if same_period(period[0][2], p[2]):
                period.append(p)
                break
        else:
            periods.append([p])
    out: list[Segment] = []
    for period in periods:
        reset = period[0][2]
        anchor_t, anchor_pct = period[0][0], period[0][1]
        start = reset - window_seconds if reset is not None and window_seconds is not None else None
        if start is not None and start < anchor_t and anchor_pct > 0:
            out.append(Segment(start, anchor_t, anchor_pct))  # everything since the reset
        for t, pct, _ in period[1:]:
            if pct > anchor_pct:
                out.append(Segment(anchor_t, t, pct - anchor_pct))
                anchor_t, anchor_pct = t, pct
    out.sort(key=lambda s: s.t0)
    return out


@dataclass
class Pair:
    segment: Segment
    tokens: int
    by_family: dict[str, int]


@dataclass
class Calibration:
    tokens_per_pct: float | None
    low: float | None
    high: float | None
    pairs: int
    points_local: float
    points_idle: float
    weak: bool
    why: str
    by_family: dict[str, Calibration] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tokens_per_pct": None if self.tokens_per_pct is None else round(self.tokens_per_pct),
            "low": None if self.low is None else round(self.low),
            "high": None if self.high is None else round(self.high),
            "pairs": self.pairs,
            "points_local": round(self.points_local, 2),
            "points_idle": round(self.points_idle, 2),
            "weak": self.weak,
            "why": self.why,
            "by_family": {f: c.as_dict() for f, c in sorted(self.by_family.items())},
        }


def _weighted_quantile(values: list[tuple[float, float]], q: float) -> float:
    """``values``: (value, weight), weights positive."""
    ordered = sorted(values)
    total = sum(w for _, w in ordered)
    acc = 0.0
    for v, w in ordered:
        acc += w
        if acc >= q * total:
            return v
    return ordered[-1][0]


def human_tokens(n: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f}{unit}".replace(".0" + unit, unit)
    return str(round(n))


def calibrate(pairs: Iterable[Pair]) -> Calibration:
    all_pairs = list(pairs)
    usable = [p for p in all_pairs if p.tokens > 0]
    idle = sum(p.segment.moved for p in all_pairs if p.tokens <= 0)
    moved = sum(p.segment.moved for p in usable)
    if not usable:
        why = "no interval yet where the server's percent rose while this machine sent tokens"
        if idle:
            why += f"; it rose {idle:.0f} points while this machine sent nothing (another machine or the browser)"
        return Calibration(None, None, None, 0, 0.0, idle, True, why)
    k = sum(p.tokens for p in usable) / moved
    ratios = [(p.tokens / p.segment.moved, p.segment.moved) for p in usable]
    low, high = _weighted_quantile(ratios, 0.25), _weighted_quantile(ratios, 0.75)
    reasons = []
    if len(usable) < MIN_PAIRS:
        reasons.append(f"only {len(usable)} interval{'s' if len(usable) != 1 else ''} to learn from")
    if moved < MIN_POINTS_MOVED:
        reasons.append(f"the server moved only {moved:.1f} points while this machine was busy")
    if idle > MAX_IDLE_SHARE * (idle + moved):
        reasons.append(f"the server moved {idle:.0f} points while this machine sent nothing "
                       "(another machine or the browser)")
    if k > 0 and (high - low) / k > MAX_SPREAD:
        reasons.append(f"tokens per percent vary a lot between intervals ({human_tokens(low)}-{human_tokens(high)})")
    basis = (f"{len(usable)} intervals, {moved:.0f} points: about {human_tokens(k)} tokens per percent "
             f"({human_tokens(low)}-{human_tokens(high)})")
    why = "; ".join([*reasons, basis]) if reasons else basis
    return Calibration(k, low, high, len(usable), moved, idle, bool(reasons), why)


def calibrate_window(
    points: Any,
    window_seconds: float | None,
    tokens_in: Callable[[float, float], dict[str, int]],
    *,
    not_after: float,
    not_before: float = 0.0,
) -> Calibration:
    """Calibration for one window; ``tokens_in(t0, t1)`` gives this machine's tokens by family.

    Intervals ending after ``not_after`` (the ledger's freshness) or starting before
    ``not_before`` (where the ledger has only hourly detail) are left out.
    """
    pairs = []
    for seg in segments(points, window_seconds):
        if seg.t1 > not_after or seg.t0 < not_before:
            continue
        fam = tokens_in(seg.t0, seg.t1)
        pairs.append(Pair(seg, sum(fam.values()), fam))
    overall = calibrate(pairs)
    families = {f for p in pairs for f in p.by_family}
    if len(families) > 1:
        for fam_name in sorted(families):
            dominated = [
                Pair(p.segment, p.by_family.get(fam_name, 0), {fam_name: p.by_family.get(fam_name, 0)})
                for p in pairs
                if p.tokens > 0 and p.by_family.get(fam_name, 0) >= DOMINANT_SHARE * p.tokens
            ]
            overall.by_family[fam_name] = calibrate(dominated)
    return overall
