"""Levels and the small formatters every surface shares."""

from __future__ import annotations

import pytest

from statusline.core.draw.formats import format_pct
from statusline.core.window.levels import CRITICAL, WARN, level


@pytest.mark.parametrize(
    ("pct", "shown"),
    [
        (42, "42%"),
        (42.0, "42%"),
        (23.5, "23.5%"),
        (0.25, "0.25%"),
        (0.29, "0.29%"),
        (42.1, "42.1%"),
        (104.5, "104.5%"),
        (99.995, "99.99%"),  # cut, not rounded: never a 100% that the level disagrees with
        (99.999, "99.99%"),
        (79.999, "79.99%"),
        (-0.0, "0%"),
        (99.9999999, "99.99%"),  # a hair below 100 is not 100 (the level says critical)
        (79.99999999, "79.99%"),
        (0.29 * 100, "29%"),  # float noise in a computed percent is not a digit of it
    ],
)
def test_a_percent_is_shown_as_given_and_never_above_it(pct: float, shown: str) -> None:
    assert format_pct(pct) == shown


def test_the_shown_percent_and_its_level_agree_at_the_thresholds() -> None:
    assert level(79.999, 80, 95) < WARN and not format_pct(79.999).startswith("80")
    assert level(99.995, 80, 95) == CRITICAL and format_pct(99.995) != "100%"
