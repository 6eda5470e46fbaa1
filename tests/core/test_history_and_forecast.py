"""window.history_rules and window.forecast: history bounding, burn-rate forecasts, durations worded."""

from __future__ import annotations

import math
import random

import pytest

from statusline.core.draw import formats
from statusline.core.window import forecast, history_rules

NOW = 1_800_000_000.0
RESET = NOW + 3 * 3600
FIVE_HOURS = 5 * 3600.0

History = list[list[float | None]]


def steady(
    rate_per_hour: float,
    *,
    start_pct: float = 10.0,
    minutes: int = 60,
    every: float = 60.0,
    resets_at: float | None = RESET,
    end: float = NOW,
) -> History:
    """Points every ``every`` seconds over the last ``minutes``, rising at ``rate_per_hour``."""
    count = int(minutes * 60 / every)
    start = end - count * every
    return [
        [start + i * every, start_pct + rate_per_hour * i * every / 3600, resets_at] for i in range(count + 1)
    ]


def run_forecast(
    points: History, *, current_pct: float | None = None, resets_at: float | None = RESET, now: float = NOW
) -> forecast.Forecast | None:
    if current_pct is None:
        current_pct = max((p[1] for p in points if isinstance(p[1], float)), default=0.0)
    return forecast.forecast(
        points, now=now, resets_at=resets_at, current_pct=current_pct, window_seconds=FIVE_HOURS
    )


def checked(result: forecast.Forecast | None) -> forecast.Forecast:
    assert result is not None
    return result


# ---------------------------------------------------------------------------------------------
# Forecast: rates


def test_steady_burn_gives_exact_rate_and_projections() -> None:
    result = checked(run_forecast(steady(6.0), current_pct=16.0))

    assert result.rate_per_hour == pytest.approx(6.0)
    assert result.projected_at_reset == pytest.approx(16.0 + 6.0 * 3)
    assert result.seconds_to_full == pytest.approx((100 - 16) / 6.0 * 3600)
    assert result.hits_full_before_reset is False


def test_fast_burn_hits_full_before_reset() -> None:
    reset = NOW + 2 * 3600
    points = steady(30.0, start_pct=50.0, resets_at=reset)  # ends at 80 %
    result = checked(run_forecast(points, current_pct=80.0, resets_at=reset))

    assert result.rate_per_hour == pytest.approx(30.0)
    assert result.seconds_to_full == pytest.approx(2400.0)
    assert result.projected_at_reset == pytest.approx(140.0)
    assert result.hits_full_before_reset is True


def test_irregular_sampling_still_gives_exact_rate() -> None:
    rng = random.Random(7)
    times = sorted(NOW - rng.uniform(0, 3600) for _ in range(25))
    points: History = [[t, 20.0 + 12.0 * (t - NOW + 3600) / 3600, RESET] for t in times]

    assert checked(run_forecast(points)).rate_per_hour == pytest.approx(12.0)


def test_projection_uses_current_pct_not_last_point() -> None:
    result = checked(run_forecast(steady(6.0), current_pct=50.0))

    assert result.projected_at_reset == pytest.approx(50.0 + 18.0)
    assert result.seconds_to_full == pytest.approx(50 / 6.0 * 3600)


def test_without_reset_time_there_is_no_projection_but_full_is_before_reset() -> None:
    result = checked(run_forecast(steady(6.0, resets_at=None), current_pct=16.0, resets_at=None))

    assert result.rate_per_hour == pytest.approx(6.0)
    assert result.projected_at_reset is None
    assert result.seconds_to_full == pytest.approx(84 / 6.0 * 3600)
    assert result.hits_full_before_reset is True


def test_reset_in_the_past_gives_no_projection_and_no_hit() -> None:
    past = NOW - 60
    result = checked(run_forecast(steady(30.0, resets_at=past), current_pct=60.0, resets_at=past))

    assert result.rate_per_hour == pytest.approx(30.0)
    assert result.projected_at_reset is None
    assert result.hits_full_before_reset is False


def test_at_or_above_full_has_no_time_to_full() -> None:
    result = checked(run_forecast(steady(6.0), current_pct=100.0))

    assert result.rate_per_hour == pytest.approx(6.0)
    assert result.seconds_to_full is None
    assert result.hits_full_before_reset is False


def test_flat_history_has_zero_rate_and_no_eta() -> None:
    result = checked(run_forecast(steady(0.0, start_pct=42.0), current_pct=42.0))

    assert result.rate_per_hour == 0.0
    assert result.seconds_to_full is None
    assert result.hits_full_before_reset is False
    assert result.projected_at_reset == pytest.approx(42.0)


def test_decreasing_readings_count_as_zero_rate() -> None:
    result = checked(run_forecast(steady(-5.0, start_pct=40.0), current_pct=35.0))

    assert result.rate_per_hour == 0.0
    assert result.seconds_to_full is None


def test_integer_percent_readings_give_close_rate() -> None:
    points = [[p[0], float(math.floor(p[1] or 0.0)), p[2]] for p in steady(6.0)]

    assert checked(run_forecast(points)).rate_per_hour == pytest.approx(6.0, rel=0.1)


# ---------------------------------------------------------------------------------------------
# Forecast: robustness


@pytest.mark.parametrize("offset", [+25.0, -8.0])
def test_single_outlier_point_does_not_move_the_rate(offset: float) -> None:
    points = steady(6.0)
    points[40][1] = float(points[40][1] or 0.0) + offset

    assert checked(run_forecast(points, current_pct=16.0)).rate_per_hour == pytest.approx(6.0)


def test_outlier_as_latest_point_does_not_move_the_rate() -> None:
    points = steady(6.0)
    points[-1][1] = 40.0  # another source briefly reported far more

    assert checked(run_forecast(points, current_pct=16.0)).rate_per_hour == pytest.approx(6.0)


@pytest.mark.parametrize("jump_minute", [5, 15, 45, 55])
def test_one_jump_away_from_the_middle_is_ignored(jump_minute: int) -> None:
    points = steady(6.0)
    for point in points[jump_minute:]:
        point[1] = float(point[1] or 0.0) + 10.0

    # End-to-end slope would be 16 %/h, least squares 7-21 %/h depending on the position.
    assert checked(run_forecast(points)).rate_per_hour == pytest.approx(6.0)


def test_one_jump_never_pushes_the_rate_much_beyond_the_hours_rise() -> None:
    hour_rise = 6.0 + 10.0
    for jump_minute in range(1, 60):
        points = steady(6.0)
        for point in points[jump_minute:]:
            point[1] = float(point[1] or 0.0) + 10.0

        rate = checked(run_forecast(points)).rate_per_hour
        assert 6.0 - 1e-9 <= rate <= hour_rise * 1.1, jump_minute


def test_uses_at_most_thirty_points_but_keeps_the_full_span() -> None:
    # 1 point every 10 s: 361 points; an evenly spread subset must still see the exact slope.
    assert checked(run_forecast(steady(9.0, every=10.0))).rate_per_hour == pytest.approx(9.0)


# ---------------------------------------------------------------------------------------------
# Forecast: which points count


def test_points_of_previous_period_are_ignored() -> None:
    old_reset = NOW - 20 * 60
    old = steady(60.0, start_pct=20.0, minutes=40, end=NOW - 20 * 60, resets_at=old_reset)
    fresh = steady(3.0, start_pct=1.0, minutes=20, resets_at=RESET)

    result = checked(run_forecast(old + fresh, current_pct=2.0))

    assert result.rate_per_hour == pytest.approx(3.0)


def test_just_reset_window_with_too_little_fresh_data_has_no_forecast() -> None:
    old_reset = NOW - 4 * 60
    old = steady(60.0, start_pct=20.0, minutes=56, end=NOW - 4 * 60, resets_at=old_reset)
    fresh = steady(3.0, start_pct=1.0, minutes=4, resets_at=RESET)  # 4 minutes only

    assert run_forecast(old + fresh, current_pct=1.2) is None


def test_reset_times_within_five_minutes_are_the_same_period() -> None:
    points = steady(6.0)
    for i, point in enumerate(points):
        point[2] = RESET + (120.0 if i % 2 else -120.0)

    assert checked(run_forecast(points)).rate_per_hour == pytest.approx(6.0)


def test_reset_time_more_than_five_minutes_off_is_another_period() -> None:
    points = steady(6.0, resets_at=RESET + 400)

    assert run_forecast(points) is None


def test_none_reset_points_only_match_a_none_reset() -> None:
    unknown = steady(6.0, resets_at=None)
    known = steady(6.0)

    assert run_forecast(unknown, resets_at=RESET) is None
    assert run_forecast(known, resets_at=None) is None


def test_points_observed_before_the_period_began_are_ignored() -> None:
    reset = NOW + FIVE_HOURS - 10 * 60  # the period began 10 minutes ago
    before = steady(60.0, start_pct=0.0, minutes=50, end=NOW - 10 * 60 - 301, resets_at=reset)
    after = steady(6.0, start_pct=50.0, minutes=10, resets_at=reset)

    result = checked(run_forecast(before + after, resets_at=reset, current_pct=51.0))

    assert result.rate_per_hour == pytest.approx(6.0)


def test_future_points_are_ignored_and_slight_skew_tolerated() -> None:
    points = steady(6.0)
    points += [[NOW + 120, 99.0, RESET], [NOW + 3600, 99.0, RESET]]

    assert checked(run_forecast(points, current_pct=16.0)).rate_per_hour == pytest.approx(6.0)

    skewed = steady(6.0, minutes=10, end=NOW + 30)  # latest point 30 s ahead still counts
    assert checked(run_forecast(skewed, current_pct=11.0)).rate_per_hour == pytest.approx(6.0)


def test_unsorted_input_gives_the_same_forecast() -> None:
    points = steady(6.0)
    points[30][1] = 30.0
    shuffled = list(points)
    random.Random(3).shuffle(shuffled)

    assert run_forecast(shuffled, current_pct=16.0) == run_forecast(points, current_pct=16.0)
    assert checked(run_forecast(shuffled, current_pct=16.0)).rate_per_hour == pytest.approx(6.0)


def test_only_the_last_hour_counts() -> None:
    older = steady(60.0, start_pct=0.0, minutes=60, end=NOW - 3601)
    recent = steady(6.0, start_pct=61.0, minutes=30)

    assert checked(run_forecast(older + recent, current_pct=64.0)).rate_per_hour == pytest.approx(6.0)


@pytest.mark.parametrize(
    "points",
    [
        [],
        [[NOW - 600, 10.0, RESET]],
        [[NOW - 240, 10.0, RESET], [NOW, 11.0, RESET]],  # 4 minutes span
        [[NOW - 7200, 10.0, RESET], [NOW - 3700, 11.0, RESET], [NOW - 60, 12.0, RESET]],
        [[NOW + 600, 10.0, RESET], [NOW + 1200, 11.0, RESET], [NOW, 12.0, RESET]],
    ],
    ids=["empty", "one-point", "short-span", "one-recent-point", "future-only"],
)
def test_too_little_data_gives_no_forecast(points: History) -> None:
    assert run_forecast(points, current_pct=12.0) is None


def test_five_minute_span_is_enough() -> None:
    points: History = [[NOW - 300, 10.0, RESET], [NOW, 11.0, RESET]]

    assert checked(run_forecast(points)).rate_per_hour == pytest.approx(12.0)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "junk",
        [NOW - 900],
        [NOW - 900, True, RESET],
        [NOW - 900, "1", RESET],
        [NOW - 900, float("nan"), RESET],
        [float("nan"), 1.0, RESET],
        [NOW - 900, 1.0, "soon"],
    ],
)
def test_malformed_points_are_skipped(bad: object) -> None:
    # With only three points, accepting a reading of 1 % (or NaN) 15 minutes ago would change
    # the median slope; the two good points alone give 6 %/h.
    points: list[object] = [bad, [NOW - 600, 10.0, RESET], [NOW, 11.0, RESET]]

    result = forecast.forecast(points, now=NOW, resets_at=RESET, current_pct=11.0, window_seconds=FIVE_HOURS)  # type: ignore[arg-type]

    assert checked(result).rate_per_hour == pytest.approx(6.0)


def test_non_finite_now_or_percent_gives_no_forecast() -> None:
    points = steady(6.0)
    nan = float("nan")

    assert run_forecast(points, now=nan, current_pct=16.0) is None
    assert run_forecast(points, current_pct=nan) is None


# ---------------------------------------------------------------------------------------------
# add_point


def feed(minutes: int, *, end: float = NOW, step: float = 60.0, reset_every: float | None = None) -> History:
    """Feed one point per ``step`` seconds up to ``end``, as the hot path would; check the cap."""
    history: History = []
    count = int(minutes * 60 / step)
    for i in range(count + 1):
        t = end - (count - i) * step
        resets_at = None if reset_every is None else (math.floor(t / reset_every) + 1) * reset_every
        history = history_rules.add_point(history, t, 0.001 * i, resets_at, now=t)
        assert len(history) <= history_rules.MAX_POINTS
    return history


@pytest.fixture(scope="module")
def eight_days() -> History:
    return feed(8 * 1440 + 120)


@pytest.mark.slow
def test_eight_days_of_minutes_stay_bounded(eight_days: History) -> None:
    assert 150 < len(eight_days) <= history_rules.MAX_POINTS
    times = [float(p[0] or 0.0) for p in eight_days]
    assert times == sorted(times)


@pytest.mark.slow
def test_last_two_hours_keep_full_resolution(eight_days: History) -> None:
    recent = [p for p in eight_days if float(p[0] or 0.0) >= NOW - 2 * 3600]

    assert len(recent) == 121
    assert recent[-1] == [NOW, pytest.approx(0.001 * (8 * 1440 + 120)), None]


@pytest.mark.slow
def test_points_older_than_eight_days_are_dropped(eight_days: History) -> None:
    oldest = float(eight_days[0][0] or 0.0)

    assert oldest >= NOW - 8 * 86400
    assert oldest <= NOW - 7.5 * 86400  # the old tail is thinned, not discarded


@pytest.mark.slow
def test_older_points_are_downsampled(eight_days: History) -> None:
    def count(lo: float, hi: float) -> int:
        return sum(1 for p in eight_days if NOW - hi < float(p[0] or 0.0) <= NOW - lo)

    assert count(2 * 3600, 86400) <= 22 * 4 + 1  # one per 15 minutes
    assert count(86400, 8 * 86400) <= 7 * 12 + 1  # one per 2 hours
    assert count(86400, 8 * 86400) >= 7 * 12 - 2


def test_last_reading_of_each_finished_period_survives_downsampling() -> None:
    history = feed(3 * 1440, reset_every=FIVE_HOURS)
    last_seen: dict[float, float] = {}
    for t, _, resets_at in history:
        assert t is not None and resets_at is not None
        last_seen[resets_at] = t
    finished = [r for r in last_seen if r <= NOW]

    assert len(finished) >= 13
    assert all(last_seen[r] == r - 60 for r in finished)  # fed every minute: its peak reading


@pytest.mark.slow
def test_flood_of_alternating_readings_keeps_the_cap_and_the_old_history(eight_days: History) -> None:
    history = eight_days
    for i in range(3600):  # two sources disagreeing, one reading every 2 s for 2 hours
        t = NOW + 2 * (i + 1)
        history = history_rules.add_point(history, t, 50.0 + 0.3 * (i % 2), None, now=t)
        assert len(history) <= history_rules.MAX_POINTS

    end = NOW + 7200
    assert history[-1][0] == end
    assert float(history[0][0] or 0.0) < end - 7 * 86400


def test_equal_consecutive_points_within_a_minute_collapse_to_the_earlier() -> None:
    history: History = []
    for t in (0.0, 20.0, 59.0, 60.0, 90.0, 130.0):
        history = history_rules.add_point(history, NOW - 300 + t, 40.0, RESET, now=NOW)

    assert [p[0] for p in history] == [NOW - 300, NOW - 240, NOW - 170]


def test_points_differing_in_percent_or_period_do_not_collapse() -> None:
    history: History = [[NOW - 30, 40.0, RESET]]
    history = history_rules.add_point(history, NOW - 20, 40.5, RESET, now=NOW)
    history = history_rules.add_point(history, NOW - 10, 40.5, RESET + 3600, now=NOW)
    history = history_rules.add_point(history, NOW, 40.5, None, now=NOW)

    assert len(history) == 4


def test_add_point_returns_a_new_sorted_list_and_leaves_input_alone() -> None:
    original: History = [[NOW - 60, 11.0, RESET], [NOW - 120, 10.0, RESET]]
    snapshot = [list(p) for p in original]

    result = history_rules.add_point(original, NOW - 90, 10.5, RESET, now=NOW)

    assert original == snapshot
    assert result is not original
    assert result == [[NOW - 120, 10.0, RESET], [NOW - 90, 10.5, RESET], [NOW - 60, 11.0, RESET]]


def test_add_point_drops_future_and_malformed_points_and_bad_new_point() -> None:
    history: list[object] = [
        [NOW - 60, 10.0, RESET],
        [NOW + 3600, 90.0, RESET],
        [NOW - 30, float("nan"), RESET],
        "junk",
        [NOW - 50, True, RESET],
        [NOW - 40, 10.1, False],
        [NOW - 20, 10.2],
    ]

    result = history_rules.add_point(history, NOW, float("nan"), RESET, now=NOW)  # type: ignore[arg-type]

    assert result == [[NOW - 60, 10.0, RESET], [NOW - 20, 10.2, None]]


# ---------------------------------------------------------------------------------------------
# format_duration


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-5.0, "0m"),
        (0.0, "0m"),
        (0.5, "0m"),
        (float("nan"), "0m"),
        (1.0, "1s"),
        (45.0, "45s"),
        (59.9, "59s"),
        (60.0, "1m"),
        (38 * 60 + 59.9, "38m"),
        (3599.0, "59m"),
        (3600.0, "1h"),
        (3660.0, "1h1m"),
        (7980.0, "2h13m"),
        (7200.0, "2h"),
        (86399.0, "23h59m"),
        (86400.0, "1d"),
        (90000.0, "1d1h"),
        (273600.0, "3d4h"),
        (3 * 86400 + 3599.0, "3d"),
        (30 * 86400.0, "30d"),
        (float("inf"), "∞"),
    ],
)
def test_format_duration(seconds: float, expected: str) -> None:
    assert formats.format_duration(seconds) == expected


# ---------------------------------------------------------------------------------------------
# The writer's memo of the rate: whenever it applies, exactly the rate a reader works out

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from statusline.core.system import fastjson  # noqa: E402

_OTHER_PERIOD = RESET + 3600.0
_times = st.one_of(
    st.integers(min_value=int(NOW) - 6000, max_value=int(NOW) + 200),
    st.floats(min_value=NOW - 6000, max_value=NOW + 200),
)
_points = st.lists(
    st.one_of(
        st.tuples(
            _times, st.floats(min_value=0, max_value=120), st.sampled_from([RESET, RESET + 60, _OTHER_PERIOD, None])
        ).map(list),
        st.sampled_from([[], "x", [NOW, "5"], [True, 4.0, None], [math.nan, 1.0, RESET]]),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    points=_points,
    written=st.floats(min_value=NOW - 600, max_value=NOW + 600),
    later=st.one_of(st.floats(min_value=-4000, max_value=4000), st.sampled_from([0.0, 60.0, -60.0, 3600.0, -3600.0])),
    edge=st.booleans(),
    reset=st.sampled_from([RESET, None]),
    window=st.sampled_from([FIVE_HOURS, 0.0]),
    pct=st.floats(min_value=0, max_value=120),
)
def test_a_memo_that_applies_gives_the_forecast_the_points_give(
    points: History, written: float, later: float, edge: bool, reset: float | None, window: float, pct: float
) -> None:
    memo = forecast.memo(points, now=written, resets_at=reset, window_seconds=window)
    memo = fastjson.loads(fastjson.dumps(memo))
    assert forecast.memo_applies(memo, now=written, resets_at=reset, window_seconds=window)
    times = [p[0] for p in points if type(p) is list and p and type(p[0]) in (int, float)]
    # read at an arbitrary time, or right on a bound where a point enters or leaves the hour
    now = written + later
    if edge and times:
        now = float(times[int(abs(later)) % len(times)]) + (3600.0 if later > 0 else -60.0)
    expected = forecast.forecast(points, now=now, resets_at=reset, current_pct=pct, window_seconds=window)
    if forecast.memo_applies(memo, now=now, resets_at=reset, window_seconds=window):
        assert forecast.forecast_from_memo(memo, now=now, current_pct=pct) == expected
    assert not forecast.memo_applies(memo, now=now, resets_at=None if reset else RESET, window_seconds=window)


def test_a_memo_holds_until_the_oldest_point_of_the_hour_leaves_it() -> None:
    points = steady(12.0, minutes=90, every=60.0, end=NOW - 30)  # the hour's oldest at NOW - 3570
    memo = forecast.memo(points, now=NOW, resets_at=RESET, window_seconds=FIVE_HOURS)
    assert memo is not None and memo[0] == pytest.approx(12.0)
    assert forecast.memo_applies(memo, now=NOW + 29, resets_at=RESET, window_seconds=FIVE_HOURS)
    # a point left
    assert not forecast.memo_applies(memo, now=NOW + 31, resets_at=RESET, window_seconds=FIVE_HOURS)
    assert not forecast.memo_applies(memo, now=NOW - 31, resets_at=RESET, window_seconds=FIVE_HOURS)  # one came in
    for bad in (None, [], [1.0] * 6, ["x", *memo[1:]], [*memo[:6], True]):
        assert not forecast.memo_applies(bad, now=NOW, resets_at=RESET, window_seconds=FIVE_HOURS)


def test_a_memo_stops_the_moment_a_point_observed_ahead_enters_the_hour() -> None:
    points = [*steady(12.0, minutes=30, every=60.0), [NOW + 120.0, 90.0, RESET]]  # a clock ahead by two minutes
    memo = forecast.memo(points, now=NOW, resets_at=RESET, window_seconds=FIVE_HOURS)
    assert memo is not None and memo[0] == pytest.approx(12.0)
    assert forecast.memo_applies(memo, now=NOW + 59.5, resets_at=RESET, window_seconds=FIVE_HOURS)
    assert not forecast.memo_applies(memo, now=NOW + 60, resets_at=RESET, window_seconds=FIVE_HOURS)  # it is in
