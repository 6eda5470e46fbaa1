"""This machine's column: tokens in the window's period and what is left, from the ledger."""

from __future__ import annotations

from helpers.piece_renderer import Scene

from statusline.core.draw.pieces import local


def piece(column: object) -> dict[str, str] | None:
    scene = Scene()
    scene.local = {"five_hour": column}
    found = local.piece(scene.context(), "five_hour")
    return None if found is None else found.variables


def test_tokens_and_what_is_left() -> None:
    assert piece({"tokens": 1234567, "tokens_left_estimate": 2500.7, "weak": False}) == {
        "tokens": "1,234,567", "left": "2,500", "weak": "", "why": ""
    }


def test_weak_belongs_to_the_estimate_of_what_is_left() -> None:
    assert piece({"tokens": 10, "tokens_left_estimate": None, "weak": True})["weak"] == ""  # type: ignore[index]
    assert piece({"tokens": 10, "tokens_left_estimate": 5, "weak": True})["weak"] == "weak estimate"  # type: ignore[index]


def test_no_tokens_says_why() -> None:
    why = "ledger not built yet"
    assert piece({"tokens": None, "why": why}) == {"tokens": "", "left": "", "weak": "", "why": why}


def test_nothing_for_a_window_the_ledger_does_not_know() -> None:
    assert piece(None) is None and piece("garbage") is None
    assert local.piece(Scene().context(), "five_hour") is None
