"""Tests for statusline.refresh.usage_payload: the server's usage payload -> window and money dicts."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

import pytest
from helpers.cli import FIXTURES as SHARED_FIXTURES

from statusline.refresh.usage_payload import (
    PayloadError,
    UsageReading,
    parse_overage_spend_limit,
    parse_usage,
)

FIXTURES = SHARED_FIXTURES / "usage"
OBSERVED = 1_790_000_000.5
WINDOW_KEYS = {
    "id",
    "label",
    "used_pct",
    "resets_at",
    "source",
    "observed_at",
    "session",
    "severity",
    "is_active",
}
OPTIONAL_WINDOW_KEYS = {"server_name", "money"}
MONEY_KEYS = {
    "scope",
    "enabled",
    "used",
    "limit",
    "currency",
    "out_of_credits",
    "utilization",
    "disabled_reason",
    "source",
    "observed_at",
}


def epoch(iso: str) -> float:
    """Expected epoch computed independently of the parser (offset-aware ISO strings only)."""
    moment = datetime.fromisoformat(iso)
    assert moment.tzinfo is not None
    return moment.timestamp()


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def parse(data: object, source: str = "oauth") -> UsageReading:
    return parse_usage(data, source=source, observed_at=OBSERVED)


def summary(reading: UsageReading) -> dict[str, tuple[object, ...]]:
    return {
        wid: (w["label"], w["used_pct"], w["resets_at"], w["severity"], w["is_active"])
        for wid, w in reading.windows.items()
    }


def win(pct: object, resets_at: object = None, **extra: object) -> dict[str, object]:
    return {"utilization": pct, "resets_at": resets_at, **extra}


def limit(kind: str, percent: object, resets_at: object = None, scope: object = None, **extra: object) -> Any:
    return {
        "kind": kind,
        "group": "weekly",
        "percent": percent,
        "resets_at": resets_at,
        "scope": scope,
        **extra,
    }


def model_scope(display_name: str | None, model_id: str | None = None) -> dict[str, object]:
    return {"model": {"id": model_id, "display_name": display_name}, "surface": None}


def surface_scope(surface: object) -> dict[str, object]:
    return {"model": None, "surface": surface}


# --------------------------------------------------------------------------------------------
# Fixtures: every captured payload, exact values

ALL_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.json"))

EXPECTED_WINDOWS: dict[str, dict[str, tuple[object, ...]]] = {
    "oauth_2025-11_legacy_minimal.json": {
        "five_hour": ("5h", 6.0, epoch("2025-11-04T04:59:59.943648+00:00"), None, None),
        "seven_day": ("7d", 35.0, epoch("2025-11-06T03:59:59.943679+00:00"), None, None),
        "seven_day:opus": ("Opus", 0.0, None, None, None),
    },
    "oauth_2026-02_legacy_opus_sonnet.json": {
        "five_hour": ("5h", 37.0, epoch("2026-02-08T04:59:59.000000+00:00"), None, None),
        "seven_day": ("7d", 26.0, epoch("2026-02-12T14:59:59.771647+00:00"), None, None),
        "seven_day:opus": ("Opus", 0.0, None, None, None),
        "seven_day:sonnet": ("Sonnet", 12.0, epoch("2026-02-12T14:59:59.771647+00:00"), None, None),
    },
    "oauth_2026-07_usd_extra_compact.json": {
        "five_hour": ("5h", 15.0, epoch("2026-07-19T03:39:59.570750+00:00"), "normal", False),
        "seven_day": ("7d", 48.0, epoch("2026-07-23T14:59:59.570774+00:00"), "normal", False),
        "seven_day:fable": ("Fable", 81.0, epoch("2026-07-23T14:59:59.571131+00:00"), "warning", True),
    },
    "claude_ai_2026-07_eur_extra_usage.json": {
        "five_hour": ("5h", 24.0, epoch("2026-07-27T16:50:00.656766+00:00"), "normal", True),
        "seven_day": ("7d", 16.0, epoch("2026-08-02T11:00:00.656787+00:00"), "normal", False),
        "seven_day:fable": ("Fable", 6.0, epoch("2026-08-02T10:59:59.657051+00:00"), "normal", False),
    },
    "oauth_2026-10_max_codename_bucket.json": {
        "five_hour": ("5h", 6.0, epoch("2026-10-02T13:19:59.614725-06:00"), None, None),
        "seven_day": ("7d", 74.0, epoch("2026-10-02T17:59:59.614747-06:00"), None, None),
        "seven_day:fable": ("Fable", 26.0, epoch("2026-10-02T17:59:59.614945-06:00"), None, None),
    },
    "error_403_permission.json": {},
    "error_429_rate_limit.json": {},
}


def test_fixture_directory_is_found() -> None:
    assert FIXTURES.is_dir(), FIXTURES
    assert len(ALL_FIXTURES) >= 7


@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_every_fixture_parses_into_well_formed_windows(name: str) -> None:
    reading = parse(load(name), source="claude_ai")
    for wid, window in reading.windows.items():
        assert WINDOW_KEYS <= set(window) <= WINDOW_KEYS | OPTIONAL_WINDOW_KEYS
        assert window["id"] == wid
        assert type(window["used_pct"]) is float
        assert window["resets_at"] is None or type(window["resets_at"]) is float
        assert window["source"] == "claude_ai"
        assert window["observed_at"] == OBSERVED
        assert window["session"] is None
        assert isinstance(window["label"], str) and window["label"]
    if reading.extra_usage is not None:
        assert set(reading.extra_usage) == MONEY_KEYS


@pytest.mark.parametrize("name", sorted(EXPECTED_WINDOWS))
def test_fixture_windows_exact(name: str) -> None:
    reading = parse(load(name))
    assert summary(reading) == EXPECTED_WINDOWS[name]


@pytest.mark.parametrize(
    "name", sorted(set(EXPECTED_WINDOWS) - {n for n in EXPECTED_WINDOWS if "error" in n})
)
def test_fixture_payloads_raise_no_problems(name: str) -> None:
    assert parse(load(name)).problems == []


def test_fixture_offsets_minus_six_hours_are_utc_correct() -> None:
    windows = parse(load("oauth_2026-10_max_codename_bucket.json")).windows
    # 13:19:59.614725 at -06:00 is 19:19:59.614725 UTC.
    utc = datetime(2026, 10, 2, 19, 19, 59, 614725, tzinfo=timezone.utc).timestamp()
    assert windows["five_hour"]["resets_at"] == utc
    naive_misread = datetime(2026, 10, 2, 13, 19, 59, 614725, tzinfo=timezone.utc).timestamp()
    assert windows["five_hour"]["resets_at"] != naive_misread


def test_fixture_fable_window_exists_only_from_limits() -> None:
    data = load("oauth_2026-07_usd_extra_compact.json")
    assert "seven_day_fable" not in data
    window = parse(data).windows["seven_day:fable"]
    assert window["label"] == "Fable"
    assert window["used_pct"] == 81.0
    assert window["severity"] == "warning"
    assert window["is_active"] is True


def test_fixture_null_codenamed_buckets_make_no_windows() -> None:
    windows = parse(load("oauth_2026-07_usd_extra_compact.json")).windows
    for key in ("tangelo", "iguana_necktie", "nimbus_quill", "omelette_promotional", "seven_day:opus"):
        assert key not in windows


def test_fixture_eur_money() -> None:
    money = parse(load("claude_ai_2026-07_eur_extra_usage.json"), source="claude_ai").extra_usage
    assert money == {
        "scope": None,  # an individual plan: nobody else's money to tell apart
        "enabled": True,
        "used": 0.35,
        "limit": None,
        "currency": "EUR",
        "out_of_credits": False,
        "utilization": None,
        "disabled_reason": None,
        "source": "claude_ai",
        "observed_at": OBSERVED,
    }


def test_fixture_usd_money_in_major_units() -> None:
    money = parse(load("oauth_2026-07_usd_extra_compact.json")).extra_usage
    assert money is not None
    assert money["used"] == 408.43
    assert money["currency"] == "USD"
    assert money["enabled"] is True
    assert money["limit"] is None
    assert money["utilization"] is None


def test_fixture_usd_money_via_extra_usage_alone() -> None:
    data = load("oauth_2026-07_usd_extra_compact.json")
    del data["spend"]
    money = parse(data).extra_usage
    assert money is not None
    assert (money["used"], money["currency"], money["enabled"]) == (408.43, "USD", True)


def test_fixture_eur_money_via_extra_usage_alone() -> None:
    data = load("claude_ai_2026-07_eur_extra_usage.json")
    del data["spend"]
    money = parse(data).extra_usage
    assert money is not None
    assert (money["used"], money["currency"]) == (0.35, "EUR")


@pytest.mark.parametrize(
    "name", ["oauth_2026-02_legacy_opus_sonnet.json", "oauth_2026-10_max_codename_bucket.json"]
)
def test_fixture_disabled_extra_usage_is_a_dict_not_none(name: str) -> None:
    money = parse(load(name)).extra_usage
    assert money is not None
    assert money["enabled"] is False
    assert money["used"] is None
    assert money["currency"] == "USD"


def test_fixture_without_extra_usage_has_no_money() -> None:
    assert parse(load("oauth_2025-11_legacy_minimal.json")).extra_usage is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [("error_429_rate_limit.json", "rate_limit_error"), ("error_403_permission.json", "permission_error")],
)
def test_fixture_error_bodies_give_nothing_and_say_why(name: str, kind: str) -> None:
    reading = parse(load(name))
    assert reading.windows == {}
    assert reading.extra_usage is None
    assert any(kind in problem for problem in reading.problems)


# --------------------------------------------------------------------------------------------
# Shapes: flat only, limits only, both


def test_flat_only_payload() -> None:
    reading = parse(
        {
            "five_hour": win(12.5, "2026-01-01T05:00:00+00:00"),
            "seven_day": win(40, "2026-01-05T00:00:00+00:00"),
            "seven_day_sonnet": win(3.0, "2026-01-05T00:00:00+00:00"),
            "seven_day_oauth_apps": win(7.0, None),
            "seven_day_cowork": win(8.0, None),
            "seven_day_omelette": win(9.0, None),
        }
    )
    assert summary(reading) == {
        "five_hour": ("5h", 12.5, epoch("2026-01-01T05:00:00+00:00"), None, None),
        "seven_day": ("7d", 40.0, epoch("2026-01-05T00:00:00+00:00"), None, None),
        "seven_day:sonnet": ("Sonnet", 3.0, epoch("2026-01-05T00:00:00+00:00"), None, None),
        "seven_day:oauth_apps": ("OAuth apps", 7.0, None, None, None),
        "seven_day:cowork": ("Cowork", 8.0, None, None, None),
        "seven_day:omelette": ("Omelette", 9.0, None, None, None),
    }


def test_limits_only_payload() -> None:
    reading = parse(
        {
            "limits": [
                limit("session", 20, "2026-01-01T05:00:00+00:00", severity="normal", is_active=False),
                limit("weekly_all", 55, "2026-01-05T00:00:00+00:00", severity="warning", is_active=True),
                limit("weekly_scoped", 70, "2026-01-05T00:00:00+00:00", model_scope("Opus")),
            ]
        }
    )
    assert summary(reading) == {
        "five_hour": ("5h", 20.0, epoch("2026-01-01T05:00:00+00:00"), "normal", False),
        "seven_day": ("7d", 55.0, epoch("2026-01-05T00:00:00+00:00"), "warning", True),
        "seven_day:opus": ("Opus", 70.0, epoch("2026-01-05T00:00:00+00:00"), None, None),
    }


def test_flat_and_limit_for_opus_are_one_window() -> None:
    reset = "2026-01-05T00:00:00+00:00"
    reading = parse(
        {
            "seven_day_opus": win(30.0, reset),
            "limits": [limit("weekly_scoped", 31, reset, model_scope("Opus"), severity="normal")],
        }
    )
    assert list(reading.windows) == ["seven_day:opus"]
    assert reading.windows["seven_day:opus"]["used_pct"] == 31.0
    assert reading.windows["seven_day:opus"]["severity"] == "normal"


def test_merge_same_period_keeps_higher_percent_even_from_flat_key() -> None:
    reading = parse(
        {
            "seven_day_opus": win(44.0, "2026-01-05T00:00:00+00:00"),
            # 4 minutes apart: the same period.
            "limits": [
                limit(
                    "weekly_scoped", 40, "2026-01-05T00:04:00+00:00", model_scope("Opus"), severity="warning"
                )
            ],
        }
    )
    window = reading.windows["seven_day:opus"]
    assert window["used_pct"] == 44.0
    assert window["resets_at"] == epoch("2026-01-05T00:00:00+00:00")
    # The flag of the same period's other reading still applies to this window.
    assert window["severity"] == "warning"


def test_merge_later_period_wins_even_with_lower_percent() -> None:
    reading = parse(
        {
            "seven_day_sonnet": win(90.0, "2026-01-05T00:00:00+00:00"),
            "limits": [limit("weekly_scoped", 2, "2026-01-12T00:00:00+00:00", model_scope("Sonnet"))],
        }
    )
    window = reading.windows["seven_day:sonnet"]
    assert (window["used_pct"], window["resets_at"]) == (2.0, epoch("2026-01-12T00:00:00+00:00"))


def test_merge_flat_key_with_later_period_beats_limit() -> None:
    reading = parse(
        {
            "seven_day": win(3.0, "2026-01-12T00:00:00+00:00"),
            "limits": [limit("weekly_all", 97, "2026-01-05T00:00:00+00:00")],
        }
    )
    assert reading.windows["seven_day"]["used_pct"] == 3.0


def test_merge_six_minutes_apart_is_a_different_period() -> None:
    reading = parse(
        {
            "five_hour": win(80.0, "2026-01-01T05:00:00+00:00"),
            "limits": [limit("session", 10, "2026-01-01T05:06:00+00:00")],
        }
    )
    assert reading.windows["five_hour"]["used_pct"] == 10.0


def test_merge_known_reset_beats_unknown_reset() -> None:
    reading = parse(
        {
            "seven_day_opus": win(0.0, None),
            "limits": [limit("weekly_scoped", 5, "2026-01-05T00:00:00+00:00", model_scope("Opus"))],
        }
    )
    window = reading.windows["seven_day:opus"]
    assert (window["used_pct"], window["resets_at"]) == (5.0, epoch("2026-01-05T00:00:00+00:00"))


def test_flat_surface_and_limit_surface_are_one_window() -> None:
    reset = "2026-01-05T00:00:00+00:00"
    reading = parse(
        {
            "seven_day_cowork": win(11.0, reset),
            "limits": [
                limit("weekly_scoped", 12, reset, surface_scope({"key": "cowork", "display_name": "Cowork"}))
            ],
        }
    )
    assert summary(reading) == {"seven_day:cowork": ("Cowork", 12.0, epoch(reset), None, None)}


# --------------------------------------------------------------------------------------------
# Values: no data, percent scale, rejects


@pytest.mark.parametrize(
    "payload",
    [
        {"five_hour": None, "seven_day": win(5.0)},
        {"five_hour": win(None, "2026-01-01T05:00:00+00:00"), "seven_day": win(5.0)},
        {"five_hour": {}, "seven_day": win(5.0)},
        {"seven_day": win(5.0), "limits": [limit("session", None, "2026-01-01T05:00:00+00:00")]},
    ],
)
def test_windows_without_data_make_no_entry(payload: dict[str, object]) -> None:
    reading = parse(payload)
    assert list(reading.windows) == ["seven_day"]
    assert reading.problems == []


def test_int_utilization_becomes_float() -> None:
    window = parse({"seven_day": win(31)}).windows["seven_day"]
    assert window["used_pct"] == 31.0
    assert type(window["used_pct"]) is float


@pytest.mark.parametrize("value", [1.0, 1, 0.5])
def test_small_percent_is_never_scaled(value: float) -> None:
    reading = parse({"five_hour": win(value), "limits": [limit("weekly_all", value)]})
    assert reading.windows["five_hour"]["used_pct"] == float(value)
    assert reading.windows["seven_day"]["used_pct"] == float(value)


def test_percent_above_100_is_kept() -> None:
    reading = parse({"five_hour": win(104.0), "limits": [limit("weekly_all", 150)]})
    assert reading.windows["five_hour"]["used_pct"] == 104.0
    assert reading.windows["seven_day"]["used_pct"] == 150.0


@pytest.mark.parametrize(
    "bad", [math.nan, math.inf, -math.inf, -1.0, -0.01, "45", "45%", True, False, [], {}]
)
def test_bad_utilization_skips_only_that_window(bad: object) -> None:
    reading = parse(
        {
            "five_hour": win(bad, "2026-01-01T05:00:00+00:00"),
            "seven_day": win(20.0, "2026-01-05T00:00:00+00:00"),
            "iguana_necktie": win(bad),
            "limits": [
                limit("weekly_scoped", bad, None, model_scope("Opus")),
                limit("weekly_scoped", 9, None, model_scope("Sonnet")),
            ],
        }
    )
    assert set(reading.windows) == {"seven_day", "seven_day:sonnet"}
    assert reading.windows["seven_day"]["used_pct"] == 20.0
    assert len(reading.problems) == 2  # a credit pool's percent is not read: it is money (no dollars here)
    assert any("five_hour" in p for p in reading.problems)
    assert any("limits[0]" in p for p in reading.problems)


def test_malformed_entries_do_not_lose_the_rest() -> None:
    reading = parse(
        {
            "five_hour": "broken",
            "seven_day": win(20.0),
            "seven_day_opus": [1, 2],
            "limits": ["nope", None, {"percent": 5}, {"kind": 7, "percent": 5}, limit("session", 33)],
        }
    )
    assert summary(reading) == {
        "seven_day": ("7d", 20.0, None, None, None),
        "five_hour": ("5h", 33.0, None, None, None),
    }
    assert len(reading.problems) == 6


def test_limits_not_a_list_keeps_flat_windows() -> None:
    reading = parse({"five_hour": win(1.0), "limits": {"kind": "session", "percent": 50}})
    assert summary(reading) == {"five_hour": ("5h", 1.0, None, None, None)}
    assert reading.problems == ["limits skipped: not a list"]


# --------------------------------------------------------------------------------------------
# Timestamps


def test_z_timestamp() -> None:
    window = parse({"five_hour": win(1.0, "2026-03-01T10:00:00Z")}).windows["five_hour"]
    assert window["resets_at"] == datetime(2026, 3, 1, 10, tzinfo=timezone.utc).timestamp()


def test_microsecond_timestamp_keeps_fraction() -> None:
    window = parse({"five_hour": win(1.0, "2026-03-01T10:00:00.250000+00:00")}).windows["five_hour"]
    expected = datetime(2026, 3, 1, 10, 0, 0, 250000, tzinfo=timezone.utc).timestamp()
    assert window["resets_at"] == expected
    assert window["resets_at"] % 1 == pytest.approx(0.25)


def test_z_timestamp_with_microseconds_in_limits() -> None:
    window = parse({"limits": [limit("session", 3, "2026-03-01T10:00:00.123456Z")]}).windows["five_hour"]
    assert window["resets_at"] == datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=timezone.utc).timestamp()


def test_positive_offset_timestamp() -> None:
    window = parse({"seven_day": win(1.0, "2026-03-01T10:00:00+05:30")}).windows["seven_day"]
    assert window["resets_at"] == datetime(2026, 3, 1, 4, 30, tzinfo=timezone.utc).timestamp()


def test_timestamp_without_offset_is_read_as_utc() -> None:
    window = parse({"seven_day": win(1.0, "2026-03-01T10:00:00")}).windows["seven_day"]
    assert window["resets_at"] == datetime(2026, 3, 1, 10, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("bad", ["soon", "", 1_790_000_000, True, {"at": 1}])
def test_bad_reset_keeps_the_percent_without_a_reset(bad: object) -> None:
    reading = parse({"seven_day": win(42.0, bad), "five_hour": win(1.0, "2026-03-01T10:00:00Z")})
    assert reading.windows["seven_day"]["used_pct"] == 42.0
    assert reading.windows["seven_day"]["resets_at"] is None
    assert reading.windows["five_hour"]["resets_at"] is not None
    assert len(reading.problems) == 1 and "seven_day" in reading.problems[0]


# --------------------------------------------------------------------------------------------
# limits[] ids, scopes, unknown kinds


@pytest.mark.parametrize(
    ("model", "wid", "label"),
    [
        ({"id": None, "display_name": "Opus"}, "seven_day:opus", "Opus"),
        ({"id": None, "display_name": "Opus 5.5"}, "seven_day:opus", "Opus"),
        ({"id": "claude-opus-5-5", "display_name": None}, "seven_day:opus", "Opus"),
        ({"id": "claude-opus-5-5", "display_name": "オーパス"}, "seven_day:opus", "Opus"),
        # A localized display name must not split one model into two windows: the id wins.
        ({"id": "claude-sonnet-4-5", "display_name": "Soneto 4.5"}, "seven_day:sonnet", "Sonnet"),
        ({"id": None, "display_name": "Fable"}, "seven_day:fable", "Fable"),
        ({"id": "claude-3-5-sonnet-20241022"}, "seven_day:sonnet", "Sonnet"),
        ({"display_name": "Sonnet-4"}, "seven_day:sonnet", "Sonnet"),
        ("claude-haiku-4", "seven_day:haiku", "Haiku"),
    ],
)
def test_model_scope_family(model: object, wid: str, label: str) -> None:
    reading = parse({"limits": [limit("weekly_scoped", 12, None, {"model": model, "surface": None})]})
    assert list(reading.windows) == [wid]
    assert reading.windows[wid]["label"] == label


@pytest.mark.parametrize(
    ("surface", "wid", "label"),
    [
        ("oauth_apps", "seven_day:oauth_apps", "OAuth apps"),
        ("COWORK", "seven_day:cowork", "Cowork"),
        ({"key": "cowork", "display_name": "Coworking"}, "seven_day:cowork", "Cowork"),
        ({"id": "oauth_apps"}, "seven_day:oauth_apps", "OAuth apps"),
        ({"display_name": "Claude Code"}, "seven_day:claude_code", "Claude Code"),
    ],
)
def test_surface_scope(surface: object, wid: str, label: str) -> None:
    reading = parse({"limits": [limit("weekly_scoped", 12, None, surface_scope(surface))]})
    assert summary(reading) == {wid: (label, 12.0, None, None, None)}


def test_weekly_scoped_without_readable_scope_is_kept_apart_from_seven_day() -> None:
    reading = parse(
        {
            "limits": [
                limit("weekly_all", 10),
                limit("weekly_scoped", 60, None, {"model": None, "surface": None}),
            ]
        }
    )
    assert reading.windows["seven_day"]["used_pct"] == 10.0
    assert reading.windows["weekly_scoped"]["used_pct"] == 60.0
    assert len(reading.problems) == 1


@pytest.mark.parametrize(
    ("entry", "wid"),
    [
        (limit("daily", 5), "daily"),
        (limit("monthly_spend", 5, None, model_scope("Opus")), "monthly_spend:opus"),
        (limit("burst", 5, None, surface_scope("cowork")), "burst:cowork"),
        (limit("Hourly Peak", 5), "hourly_peak"),
    ],
)
def test_unknown_kinds_are_kept_under_a_generic_id(entry: dict[str, object], wid: str) -> None:
    reading = parse({"five_hour": win(1.0), "limits": [entry]})
    assert set(reading.windows) == {"five_hour", wid}
    assert reading.windows[wid]["used_pct"] == 5.0
    assert reading.windows[wid]["label"] == wid
    assert reading.problems == []


def test_is_active_false_and_severity_are_carried_not_hidden() -> None:
    reading = parse(
        {
            "limits": [
                limit("weekly_scoped", 81, None, model_scope("Fable"), severity="critical", is_active=False),
                limit("session", 2, None, severity=None, is_active="yes"),
            ]
        }
    )
    fable = reading.windows["seven_day:fable"]
    assert (fable["severity"], fable["is_active"]) == ("critical", False)
    session = reading.windows["five_hour"]
    assert (session["severity"], session["is_active"]) == (None, None)


# --------------------------------------------------------------------------------------------
# Unknown and extra keys


def test_unknown_top_level_keys() -> None:
    reading = parse(
        {
            "tangelo": win(4, "2026-03-01T10:00:00Z"),
            "cedar_ember": {"utilization": 2.5, "resets_at": None, "limit_dollars": None},
            "no_utilization_here": {"resets_at": "2026-03-01T10:00:00Z"},
            "some_list": [win(5.0)],
            "a_number": 5,
            "member_dashboard_available": True,
            "seven_day_breakdown": {
                "as_of": "x",
                "rows": [{"key": "chat", "display_name": "Chats", "percent": 10}],
            },
            "extra_usage": {"is_enabled": True, "utilization": 77.0, "used_credits": 1.0},
        }
    )
    # Code-named buckets are no windows (a credit pool is money: tests/refresh/test_pools_grants.py);
    # cedar_ember holds grants.
    assert summary(reading) == {}
    assert reading.problems == []


def test_unknown_keys_inside_windows_and_limits_are_ignored() -> None:
    reading = parse(
        {
            "five_hour": {"utilization": 8.0, "resets_at": None, "limit_dollars": None, "future": {"x": 1}},
            "limits": [dict(limit("weekly_all", 9), brand_new_field=[1, 2], group=None)],
        }
    )
    assert summary(reading) == {
        "five_hour": ("5h", 8.0, None, None, None),
        "seven_day": ("7d", 9.0, None, None, None),
    }


def test_window_dict_fields_and_source() -> None:
    window = parse_usage({"five_hour": win(8.0)}, source="claude_json", observed_at=123).windows["five_hour"]
    assert window == {
        "id": "five_hour",
        "label": "5h",
        "used_pct": 8.0,
        "resets_at": None,
        "source": "claude_json",
        "observed_at": 123.0,
        "session": None,
        "severity": None,
        "is_active": None,
    }


def test_empty_object_gives_empty_reading() -> None:
    assert parse({}) == UsageReading(windows={}, extra_usage=None, problems=[])


@pytest.mark.parametrize("data", [[], [{"five_hour": win(1.0)}], "{}", None, 3, 2.5, True, b"{}"])
def test_non_object_payload_raises_payload_error(data: object) -> None:
    with pytest.raises(PayloadError):
        parse(data)


def test_payload_error_is_a_value_error() -> None:
    assert issubclass(PayloadError, ValueError)


# --------------------------------------------------------------------------------------------
# Money


def spend(used_minor: object, currency: str | None = "USD", exponent: object = 2, **extra: object) -> Any:
    used: dict[str, object] = {"amount_minor": used_minor, "exponent": exponent}
    if currency is not None:
        used["currency"] = currency
    return {"used": used, "limit": None, "percent": 0, "severity": "normal", "enabled": True, **extra}


def test_spend_preferred_over_extra_usage() -> None:
    money = parse(
        {
            "extra_usage": {
                "is_enabled": True,
                "used_credits": 100.0,
                "currency": "USD",
                "decimal_places": 2,
            },
            "spend": spend(250, "USD"),
        }
    ).extra_usage
    assert money is not None and money["used"] == 2.5


def test_malformed_spend_falls_back_to_extra_usage() -> None:
    reading = parse(
        {
            "extra_usage": {
                "is_enabled": True,
                "used_credits": 100.0,
                "currency": "EUR",
                "decimal_places": 2,
            },
            "spend": {"used": {"amount_minor": "lots"}, "enabled": True},
        }
    )
    assert reading.extra_usage is not None
    assert (reading.extra_usage["used"], reading.extra_usage["currency"]) == (1.0, "EUR")
    assert any(p.startswith("spend") for p in reading.problems)


def test_spend_limit_exponent_and_percent() -> None:
    money = parse(
        {
            "spend": spend(
                1234,
                "JPY",
                0,
                limit={"amount_minor": 5000, "currency": "JPY", "exponent": 0},
                percent=24.68,
                out_of_credits=True,
                disabled_reason="org_paused",
            )
        }
    ).extra_usage
    assert money is not None
    assert (money["used"], money["limit"], money["currency"]) == (1234.0, 5000.0, "JPY")
    assert money["utilization"] == 24.68
    assert money["out_of_credits"] is True
    assert money["disabled_reason"] == "org_paused"


def test_spend_three_decimal_exponent() -> None:
    money = parse({"spend": spend(12345, "KWD", 3)}).extra_usage
    assert money is not None and money["used"] == 12.345


def test_spend_without_exponent_defaults_to_two() -> None:
    data = {"spend": {"used": {"amount_minor": 999, "currency": "GBP"}, "limit": None, "enabled": True}}
    money = parse(data).extra_usage
    assert money is not None and (money["used"], money["currency"]) == (9.99, "GBP")


def test_spend_currency_falls_back_to_extra_usage_currency() -> None:
    money = parse(
        {"spend": spend(500, currency=None), "extra_usage": {"is_enabled": True, "currency": "EUR"}}
    ).extra_usage
    assert money is not None and (money["used"], money["currency"]) == (5.0, "EUR")


def test_extra_usage_limit_and_utilization_in_major_units() -> None:
    money = parse(
        {
            "extra_usage": {
                "is_enabled": True,
                "monthly_limit": 5000,
                "used_credits": 2500.0,
                "utilization": 50.0,
                "currency": "EUR",
                "decimal_places": 2,
                "disabled_reason": None,
                "out_of_credits": False,
            }
        }
    ).extra_usage
    assert money is not None
    assert (money["used"], money["limit"], money["utilization"], money["currency"]) == (
        25.0,
        50.0,
        50.0,
        "EUR",
    )


def test_extra_usage_without_decimal_places_or_currency_defaults() -> None:
    money = parse({"extra_usage": {"is_enabled": True, "used_credits": 40843.0}}).extra_usage
    assert money is not None and (money["used"], money["currency"]) == (408.43, "USD")


def test_extra_usage_disabled_keeps_reason() -> None:
    money = parse(
        {"extra_usage": {"is_enabled": False, "disabled_reason": "out_of_credits", "out_of_credits": True}}
    ).extra_usage
    assert money is not None
    assert money["enabled"] is False
    assert money["disabled_reason"] == "out_of_credits"
    assert money["out_of_credits"] is True


@pytest.mark.parametrize(
    "extra",
    [{"used_credits": 5.0}, {"is_enabled": "yes"}, {"is_enabled": True, "used_credits": -5}, "on", 3],
)
def test_malformed_extra_usage_is_none_with_problem_and_windows_survive(extra: object) -> None:
    reading = parse({"five_hour": win(2.0), "extra_usage": extra})
    assert reading.extra_usage is None
    assert "five_hour" in reading.windows
    assert any("extra_usage" in p for p in reading.problems)


def test_overage_spend_limit_body() -> None:
    money = parse_overage_spend_limit(
        {
            "is_enabled": True,
            "monthly_credit_limit": 5000,
            "currency": "EUR",
            "used_credits": 35,
            "disabled_reason": None,
            "disabled_until": None,
            "out_of_credits": False,
        },
        source="claude_ai",
        observed_at=7.0,
    )
    assert money == {
        "scope": None,
        "enabled": True,
        "used": 0.35,
        "limit": 50.0,
        "currency": "EUR",
        "out_of_credits": False,
        "utilization": None,
        "disabled_reason": None,
        "source": "claude_ai",
        "observed_at": 7.0,
    }


def test_overage_spend_limit_disabled_and_out_of_credits() -> None:
    money = parse_overage_spend_limit(
        {
            "is_enabled": False,
            "used_credits": 40843,
            "out_of_credits": True,
            "disabled_reason": "limit_reached",
        },
        source="claude_ai",
        observed_at=7.0,
    )
    assert money is not None
    assert (money["enabled"], money["used"], money["currency"]) == (False, 408.43, "USD")
    assert (money["out_of_credits"], money["disabled_reason"]) == (True, "limit_reached")


@pytest.mark.parametrize(
    "body", [None, [], "x", {}, {"is_enabled": 1}, {"is_enabled": True, "used_credits": "9"}]
)
def test_overage_spend_limit_malformed_is_none(body: object) -> None:
    assert parse_overage_spend_limit(body, source="claude_ai", observed_at=7.0) is None
