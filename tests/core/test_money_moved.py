"""Money that moves while the plan bars do not: recorded at the merge, said once by the hook."""

from __future__ import annotations

from typing import Any

from helpers.piece_renderer import NOW, Scene
from hypothesis import given
from hypothesis import strategies as st

from statusline.core.store import snapshot
from statusline.core.warn import before_prompt
from statusline.core.window import merge

SAID = "Extra usage rose by $12.40 to $112.40 while no window is full (5h 13% · 7d 20%): it bills beyond the plan"


def money(used: float, at: float, **more: Any) -> dict[str, Any]:
    return {"enabled": True, "used": used, "limit": 500.0, "currency": "USD", "observed_at": at, **more}


def bars(five: float = 13, seven: float = 20) -> Scene:
    return Scene().window("five_hour", five, resets_in=4 * 3600).window("seven_day", seven, resets_in=5 * 86400)


def told(scene: Scene, session: str = "s1") -> before_prompt.Decision:
    decision = before_prompt.decide(scene.context(), session_id=session)
    scene.snap["warned"][session] = {"at": scene.now, "windows": decision.warned}
    return decision


def test_a_rise_while_no_window_is_full_is_said_once() -> None:
    scene = bars()
    merge.apply_extra(scene.snap, money(100.0, NOW - 300), now=NOW - 300)
    merge.apply_extra(scene.snap, money(112.4, NOW), now=NOW)
    assert scene.snap["extra_usage"]["moved"] == {
        "from": 100.0, "to": 112.4, "at": NOW, "windows": {"five_hour": 13.0, "seven_day": 20.0}
    }
    assert told(scene).message == SAID
    assert told(scene).message is None  # the same movement: not again
    merge.apply_extra(scene.snap, money(112.4, NOW + 60), now=NOW + 60)  # no rise: kept, still said
    assert scene.snap["extra_usage"]["moved"]["at"] == NOW and told(scene).message is None
    scene.now = NOW + 120
    merge.apply_extra(scene.snap, money(120.0, NOW + 120), now=NOW + 120)  # a new rise: said again
    assert told(scene).message == SAID.replace("$12.40 to $112.40", "$7.60 to $120.00")


def test_no_alarm_when_a_window_is_full_or_a_month_begins() -> None:
    full = bars(five=100)
    merge.apply_extra(full.snap, money(100.0, NOW - 300), now=NOW - 300)
    merge.apply_extra(full.snap, money(150.0, NOW), now=NOW)
    assert "moved" not in full.snap["extra_usage"]  # billing at 100% is what extra usage is for
    month = bars()
    merge.apply_extra(month.snap, money(400.0, NOW - 300), now=NOW - 300)
    merge.apply_extra(month.snap, money(3.0, NOW), now=NOW)
    assert "moved" not in month.snap["extra_usage"]
    cent = bars()
    merge.apply_extra(cent.snap, money(100.0, NOW - 300), now=NOW - 300)
    merge.apply_extra(cent.snap, money(100.004, NOW), now=NOW)
    assert "moved" not in cent.snap["extra_usage"]  # rounding of the server's amounts


def test_an_old_movement_is_not_said() -> None:
    scene = bars()
    merge.apply_extra(scene.snap, money(100.0, NOW - 300), now=NOW - 300)
    merge.apply_extra(scene.snap, money(112.4, NOW), now=NOW)
    scene.now = NOW + 2 * 86400
    assert told(scene).message is None


@given(st.one_of(st.none(), st.integers(), st.text(max_size=5), st.dictionaries(
    st.sampled_from(["from", "to", "at", "windows", "x"]),
    st.one_of(st.floats(allow_nan=True), st.integers(), st.text(max_size=3),
              st.dictionaries(st.sampled_from(["five_hour", "seven_day", "opus"]), st.floats(allow_nan=True))),
)))
def test_a_stored_movement_of_any_shape_costs_only_itself(moved: Any) -> None:
    snap = snapshot.normalise({"schema": snapshot.SCHEMA, "extra_usage": money(10.0, NOW - 60, moved=moved)}, now=NOW)
    extra = snap["extra_usage"]
    assert extra is not None and extra["used"] == 10.0  # the money itself stays
    if "moved" in extra:
        assert extra["moved"] == moved
        scene = bars()
        scene.snap["extra_usage"] = extra
        before_prompt.decide(scene.context(), session_id="s1")  # drawing it never raises
