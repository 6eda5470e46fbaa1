"""A window's percent history: the points kept per window, and the rules that keep them bounded.

Hot path: imports nothing but ``rules``. The forecast from these points is ``forecast``'s.

Units: times are Unix epoch seconds (floats), percents are 0-100 and may exceed 100.

History
-------
Per window id the snapshot keeps a list of points ``[observed_at, used_pct, resets_at]``
(``resets_at`` may be None). Malformed points (not a list, fewer than two items, non-numbers,
NaN/inf) are skipped everywhere. Two points are in the **same period** when both reset times are
None, or both are numbers at most 5 minutes apart.

``add_point`` returns a new, time-sorted list (the input is never mutated), its times truncated to
whole seconds (the status line parses every stored digit):

* drops points older than 8 days, and points more than 60 s in the future (clock skew);
* collapses equal consecutive points: a point with the same percent and period as the previous
  kept point, observed less than 60 s after it, is dropped (the earlier one stays, so a flat
  stretch still shows how long it has been flat);
* keeps every point of the last 2 hours; between 2 hours and 1 day keeps one point per
  15-minute bucket, older ones one per 2-hour bucket (buckets are aligned on the epoch so
  repeated calls thin stably). Within a bucket the latest point wins, and a bucket keeps the
  latest point of each period it contains, so the peak of a finished period is never lost;
* never returns more than 300 points: if the tiers above still leave more (e.g. two sources
  alternating slightly different readings every few seconds), the last 2 hours are thinned to
  one point per minute, then the older tiers to coarser buckets, and as a last resort only the
  newest 300 points are kept.
"""

from __future__ import annotations

from statusline.core.window.rules import is_number, same_period

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

FUTURE_SKEW_S = MINUTE

MAX_AGE_S = 8 * DAY
FULL_RES_S = 2 * HOUR
MID_RES_S = DAY
COLLAPSE_S = MINUTE
MAX_POINTS = 300
# Bucket sizes (last 2 h, 2 h-1 d, older) tried in order until the history fits MAX_POINTS.
# Each size divides the next level's so thinning a thinned list again changes nothing.
THINNING_LEVELS: tuple[tuple[float, float, float], ...] = (
    (0.0, 15 * MINUTE, 2 * HOUR),
    (MINUTE, 15 * MINUTE, 2 * HOUR),
    (MINUTE, 30 * MINUTE, 4 * HOUR),
    (MINUTE, HOUR, 8 * HOUR),
)
# The recent points a forecast reads: the snapshot keeps them at hand (``snapshot.RECENT_S``).
LOOKBACK_S = HOUR

Point = tuple[float, float, float | None]


def _parse(raw: object) -> Point | None:
    """A clean ``(t, pct, resets_at)`` from one stored point, or None when it is malformed."""
    if not isinstance(raw, (list, tuple)) or len(raw) < 2:
        return None
    t, pct = raw[0], raw[1]
    if not (is_number(t) and is_number(pct)):  # not _finite: a call less per point, on every forecast
        return None
    reset = raw[2] if len(raw) > 2 else None
    if reset is None:
        return (float(t), float(pct), None)
    return (float(t), float(pct), float(reset)) if is_number(reset) else None


def sorted_points(points: object) -> list[Point]:
    if not isinstance(points, list):
        return []
    parsed = [_parse(raw) for raw in points]
    return sorted((p for p in parsed if p is not None), key=lambda p: p[0])


# ---------------------------------------------------------------------------------------------
# History


def _bucket_size(age: float, level: tuple[float, float, float]) -> float:
    recent, mid, old = level
    if age <= FULL_RES_S:
        return recent
    return mid if age <= MID_RES_S else old


def _thin(points: list[Point], now: float, level: tuple[float, float, float]) -> list[Point]:
    """One point per (bucket, period): the latest. Size 0 keeps every point. Input sorted."""
    kept: list[Point] = []
    last_key: tuple[float, int] | None = None
    for point in points:
        size = _bucket_size(now - point[0], level)
        key = (size, _floor(point[0] / size)) if size else None
        if key is not None and key == last_key and same_period(kept[-1][2], point[2]):
            kept[-1] = point
        else:
            kept.append(point)
        last_key = key
    return kept


def _floor(value: float) -> int:
    """``math.floor`` of a finite float."""
    whole = int(value)
    return whole - 1 if value < whole else whole


def _collapse(points: list[Point]) -> list[Point]:
    kept: list[Point] = []
    for point in points:
        if kept:
            prev = kept[-1]
            if point[1] == prev[1] and same_period(prev[2], point[2]) and point[0] - prev[0] < COLLAPSE_S:
                continue
        kept.append(point)
    return kept


def add_point(
    points: list[list[float | None]],
    t: float,
    pct: float,
    resets_at: float | None,
    *,
    now: float,
) -> list[list[float | None]]:
    """Append a point and keep the history bounded (rules in the module docstring).

    Returns a new time-sorted list; ``points`` is not modified. An invalid new point (NaN, a
    non-number) is ignored but the existing history is still cleaned and bounded.
    """
    parsed = sorted_points(points)
    new = _parse([t, pct, resets_at])
    if new is not None:
        # Inserted after existing points with the same time, so an exact duplicate collapses.
        parsed.append(new)
        parsed.sort(key=lambda p: p[0])
    return _bound(parsed, now)


def bounded(points: list[list[float | None]], *, now: float) -> list[list[float | None]]:
    """The history as ``add_point`` leaves it, without adding a point: cleaned, sorted, bounded."""
    return _bound(sorted_points(points), now)


def _bound(parsed: list[Point], now: float) -> list[list[float | None]]:
    lo, hi = now - MAX_AGE_S, now + FUTURE_SKEW_S
    kept = _collapse([p for p in parsed if lo <= p[0] <= hi])
    for level in THINNING_LEVELS:
        kept = _thin(kept, now, level)
        if len(kept) <= MAX_POINTS:
            break
    # Whole seconds: a history point needs no finer time, and the status line parses every digit.
    return [[int(p[0]), p[1], None if p[2] is None else int(p[2])] for p in kept[-MAX_POINTS:]]
