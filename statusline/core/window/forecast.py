"""Burn rate and time-to-full forecasts from a window's percent history (kept by ``history_rules``).

Hot path: imports nothing but ``rules`` and ``history_rules`` (``typing`` is slow to import
(docs/import-costs.md), so annotations stay strings thanks to ``from __future__ import annotations``
and ``Forecast`` is a plain class). A run's forecasts per window are ``run.context.Forecasts``, worked out on first use.

Units: times are Unix epoch seconds (floats), percents are 0-100 and may exceed 100.

Forecast
--------
``forecast`` uses only points that

* belong to the current period (same period as ``resets_at``; a window that just reset starts
  from scratch),
* are not in the future (``observed_at <= now + 60 s``) and not older than 60 minutes,
* were not observed before the period began (``resets_at - window_seconds``, with 5 minutes of
  slack), when both are known.

It returns None when fewer than two such points remain, when they span less than 5 minutes, or
when ``now`` / ``current_pct`` are not finite. Input order does not matter.

The burn rate is the Theil-Sen estimator: the median of the slopes between every pair of
points at least 60 s apart (closer pairs are dominated by rounding and source disagreement).
When more than 30 points qualify, 30 evenly spread ones (always the oldest and the newest) are
used, which bounds the work to 435 pairs. The median ignores a single wrong reading and any
one-off jump in the first or last ~40% of the lookback, where a least-squares or end-to-end
slope would follow it; a jump right in the middle splits the pairs evenly and yields about the
hour's average rise (never much more). Percent never decreases within a period, so a negative
slope is reported as 0.

From the rate ``r`` (percent points per hour):

* ``projected_at_reset = current_pct + r * h`` where ``h`` is the hours from ``now`` to
  ``resets_at``; None when there is no reset time or it is not after ``now``;
* ``seconds_to_full = (100 - current_pct) / r * 3600`` when ``r > 0`` and ``current_pct < 100``,
  else None;
* ``hits_full_before_reset``: ``seconds_to_full`` is not None and either there is no reset time
  or ``now + seconds_to_full < resets_at``.
"""

from __future__ import annotations

from statusline.core.window.history_rules import FUTURE_SKEW_S, HOUR, LOOKBACK_S, MINUTE, Point, sorted_points
from statusline.core.window.rules import SAME_PERIOD_S, is_number, same_period

MIN_SPAN_S = 5 * MINUTE
MIN_PAIR_DT_S = MINUTE
MAX_RATE_POINTS = 30

_NUMBER = (int, float)
_INF = float("inf")


_FORECAST_FIELDS = ("rate_per_hour", "projected_at_reset", "seconds_to_full", "hits_full_before_reset")


class Forecast:
    """Where the current burn rate leads; see the module docstring for the exact rules."""

    __slots__ = ("hits_full_before_reset", "projected_at_reset", "rate_per_hour", "seconds_to_full")

    def __init__(
        self,
        rate_per_hour: float,
        projected_at_reset: float | None,
        seconds_to_full: float | None,
        hits_full_before_reset: bool,
    ) -> None:
        self.rate_per_hour = rate_per_hour
        self.projected_at_reset = projected_at_reset
        self.seconds_to_full = seconds_to_full
        self.hits_full_before_reset = hits_full_before_reset

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in _FORECAST_FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Forecast):
            return NotImplemented
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable attributes: unhashable like a list

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in _FORECAST_FIELDS)
        return f"Forecast({args})"


def _finite(value: object) -> float | None:
    return float(value) if is_number(value) else None


# ---------------------------------------------------------------------------------------------
# Forecast


def _current_points(points: object, now: float, resets_at: float | None, window_seconds: float | None) -> list[Point]:
    lo = now - LOOKBACK_S
    if resets_at is not None and window_seconds is not None:
        lo = max(lo, resets_at - window_seconds - SAME_PERIOD_S)
    hi = now + FUTURE_SKEW_S
    if not isinstance(points, list):
        return []
    # Most of a history is older than the lookback: compare its time before parsing a point.
    recent = [raw for raw in points if type(raw) is list and raw and type(raw[0]) in _NUMBER and lo <= raw[0] <= hi]
    return [p for p in sorted_points(recent) if lo <= p[0] <= hi and same_period(p[2], resets_at)]


def _spread(points: list[Point], count: int) -> list[Point]:
    """``count`` points evenly spread over ``points`` by index, always the first and the last."""
    if len(points) <= count:
        return points
    step = (len(points) - 1) / (count - 1)
    return [points[round(i * step)] for i in range(count)]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _theil_sen_per_hour(points: list[Point]) -> float | None:
    """Median pairwise slope in percent points per hour, or None without a usable pair."""
    slopes = [  # a comprehension: faster than appending, on every status line with a forecast
        (p2 - p1) / (t2 - t1)
        for i, (t1, p1, _) in enumerate(points)
        for t2, p2, _ in points[i + 1 :]
        if t2 - t1 >= MIN_PAIR_DT_S
    ]
    return _median(slopes) * HOUR if slopes else None


def burn_rate(
    points: list[list[float | None]],
    *,
    now: float,
    resets_at: float | None,
    window_seconds: float | None = None,
) -> float | None:
    """Percent points per hour (>= 0) over the last hour of the current period, or None."""
    return _rate(_current_points(points, now, resets_at, window_seconds))


def _rate(recent: list[Point]) -> float | None:
    """``burn_rate`` of the points it takes (in time order)."""
    if len(recent) < 2 or recent[-1][0] - recent[0][0] < MIN_SPAN_S:
        return None
    rate = _theil_sen_per_hour(_spread(recent, MAX_RATE_POINTS))
    return None if rate is None else max(rate, 0.0)


def _seconds_to_full(rate: float, current_pct: float) -> float | None:
    if rate <= 0 or current_pct >= 100:
        return None
    seconds = (100 - current_pct) / rate * HOUR
    return seconds if seconds - seconds == 0.0 else None  # not NaN nor infinite


def forecast(
    points: list[list[float | None]],
    *,
    now: float,
    resets_at: float | None,
    current_pct: float,
    window_seconds: float,
) -> Forecast | None:
    """Burn rate and where it leads, or None without enough recent data (see module docstring)."""
    now_f, pct = _finite(now), _finite(current_pct)
    if now_f is None or pct is None:
        return None
    reset, window = _reset_and_window(resets_at, window_seconds)
    return _leads(burn_rate(points, now=now_f, resets_at=reset, window_seconds=window), now_f, pct, reset)


def _reset_and_window(resets_at: float | None, window_seconds: float | None) -> tuple[float | None, float | None]:
    window = _finite(window_seconds)
    return _finite(resets_at), window if window is not None and window > 0 else None


# ---------------------------------------------------------------------------------------------
# The rate, worked out by the writer (see ``memo``)


def memo(
    points: list[list[float | None]], *, now: float, resets_at: float | None, window_seconds: float
) -> list[float | None] | None:
    """``burn_rate`` of ``points`` at ``now`` with the read times it holds for, so that a reader
    of the same points need not parse them: ``[rate, first, last, before, after, reset, window]``.

    The rate depends on ``now`` only through the points it takes: those of the current period
    (``reset``, ``window``) observed within ``[now - LOOKBACK_S, now + FUTURE_SKEW_S]``, a run of
    them in time order, from ``first`` to ``last``. At another time ``t`` it takes the same run,
    hence gives the same rate, exactly when ``first`` and ``last`` are still in the range and the
    points either side of the run (``before``, ``after``) still out of it (``memo_applies``).
    Times are None when there is no such point. None for a ``now`` that is not finite."""
    now_f = _finite(now)
    if now_f is None:
        return None
    reset, window = _reset_and_window(resets_at, window_seconds)
    period = _period_points(points, reset, window)  # in time order
    lo, hi = now_f - LOOKBACK_S, now_f + FUTURE_SKEW_S
    taken = [p for p in period if lo <= p[0] <= hi]  # what _current_points takes at now
    first, last = (taken[0][0], taken[-1][0]) if taken else (None, None)
    before = max((p[0] for p in period if p[0] < (lo if first is None else first)), default=None)
    after = min((p[0] for p in period if p[0] > (hi if last is None else last)), default=None)
    return [_rate(taken), first, last, before, after, reset, window]


def memo_applies(entry: object, *, now: float, resets_at: float | None, window_seconds: float) -> bool:
    """Whether ``burn_rate`` at ``now`` of the points ``entry`` was worked out from is its rate."""
    if type(entry) is not list or len(entry) != 7 or not all(v is None or type(v) in _NUMBER for v in entry):
        return False
    _, first, last, before, after, reset, window = entry
    if (reset, window) != _reset_and_window(resets_at, window_seconds) or not is_number(now):
        return False
    lo, hi = now - LOOKBACK_S, now + FUTURE_SKEW_S  # as _current_points has them
    return (
        (first is None or lo <= first)
        and (last is None or last <= hi)
        and (before is None or before < lo)
        and (after is None or hi < after)
    )


def forecast_from_memo(entry: list[float | None], *, now: float, current_pct: float) -> Forecast | None:
    """``forecast`` from a memo that applies (``memo_applies``): its rate, where it leads now."""
    now_f, pct = _finite(now), _finite(current_pct)
    if now_f is None or pct is None:
        return None
    rate = entry[0]
    return _leads(None if rate is None else float(rate), now_f, pct, entry[5])


def _period_points(points: object, reset: float | None, window: float | None) -> list[Point]:
    """The points ``_current_points`` may take at any time: of the period, not before it began."""
    if not isinstance(points, list):
        return []
    lo = reset - window - SAME_PERIOD_S if reset is not None and window is not None else -_INF
    usable = [raw for raw in points if type(raw) is list and raw and type(raw[0]) in _NUMBER]
    return [p for p in sorted_points(usable) if lo <= p[0] and same_period(p[2], reset)]


def _leads(rate: float | None, now_f: float, pct: float, reset: float | None) -> Forecast | None:
    if rate is None:
        return None
    projected = pct + rate * (reset - now_f) / HOUR if reset is not None and reset > now_f else None
    to_full = _seconds_to_full(rate, pct)
    hits = to_full is not None and (reset is None or now_f + to_full < reset)
    return Forecast(rate, projected, to_full, hits)


# ---------------------------------------------------------------------------------------------
# Money


def money_rate(track: object, *, now: float) -> float | None:
    """Extra usage's pace in money per hour (>= 0) over its track's last hour (``rules.money_track``:
    ``[[observed_at, used], ...]``), by the same estimator as a window's burn rate; None without
    two points 5 minutes apart."""
    if not isinstance(track, list):
        return None
    points = [[p[0], p[1], None] for p in track if isinstance(p, list) and len(p) == 2]
    return burn_rate(points, now=now, resets_at=None)


def seconds_to_limit(rate: float | None, used: float, limit: float | None) -> float | None:
    """Seconds until ``used`` reaches ``limit`` at ``rate`` per hour; None without a pace or a limit."""
    if rate is None or rate <= 0 or limit is None or used >= limit:
        return None
    seconds = (limit - used) / rate * HOUR
    return seconds if seconds - seconds == 0.0 else None
