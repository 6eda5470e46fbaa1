"""``rate_limits.spend_limit`` (a Claude gateway budget) from the status line's stdin: a window of
its own with its money; its percent may exceed 100; a broken amount costs only the amount."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from statusline.core.store import snapshot
from statusline.core.system import fastjson
from statusline.core.window import claude_input, merge
from statusline.core.window.rules import label_for, problem

NOW = 1_796_000_000.0


def spend(**entry: Any) -> list[dict[str, Any]]:
    raw = {"session_id": "s", "rate_limits": {"spend_limit": entry}}
    return claude_input.parse(fastjson.dumps(raw)).rate_limit_windows(now=NOW)


def test_a_gateway_budget_is_a_window_with_its_money() -> None:
    (window,) = spend(used_percentage=112.5, resets_at=NOW + 86400, used_usd=56.25, limit_usd=50, period="monthly")
    assert window["id"] == "spend_limit" and window["label"] == label_for("spend_limit") == "Spend"
    assert (window["used_pct"], window["resets_at"]) == (112.5, NOW + 86400)
    assert window["money"] == {"used": 56.25, "limit": 50.0, "currency": "USD", "period": "monthly"}
    snap = snapshot.empty()
    assert merge.apply_windows(snap, [window], now=NOW)
    assert snapshot.normalise(snap, now=NOW)["windows"]["spend_limit"]["money"]["used"] == 56.25


def test_without_money_the_percent_stays() -> None:
    (window,) = spend(used_percentage=40, resets_at=NOW + 3600)
    assert window["money"] == {"used": None, "limit": None, "currency": "USD", "period": None}
    (broken,) = spend(used_percentage=40, resets_at=NOW + 3600, used_usd="lots", limit_usd=-5, period=["x"])
    assert broken["money"] == window["money"] and problem(broken, NOW) is None


def test_a_stored_window_with_hostile_money_is_dropped() -> None:
    (window,) = spend(used_percentage=40, resets_at=NOW + 3600)
    for money in ("x", {"used": float("inf")}, {"limit": 1e12}, {"period": "p" * 100}, {"currency": 5}):
        assert problem({**window, "money": money}, NOW) is not None


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["used_percentage", "resets_at", "used_usd", "limit_usd", "period"]),
        st.one_of(st.none(), st.floats(), st.integers(), st.text(max_size=20), st.booleans()),
    )
)
def test_any_spend_limit_gives_a_plausible_window_or_none_that_merges(entry: dict[str, Any]) -> None:
    snap = snapshot.empty()
    windows = spend(**entry)
    merge.apply_windows(snap, windows, now=NOW, problems=[])
    for stored in snapshot.normalise(snap, now=NOW)["windows"].values():
        assert problem(stored, NOW) is None


@pytest.mark.parametrize("pct", [1_796_000_000, -1])
def test_known_bad_percents_are_refused(pct: float) -> None:
    (window,) = spend(used_percentage=pct, resets_at=NOW + 3600)
    assert problem(window, NOW) is not None
