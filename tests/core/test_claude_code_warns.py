"""``rules.claude_code_warns`` against what the real Claude Code 2.1.330 showed
(docs/claude-code-warnings.md, facts table rows in brackets)."""

from __future__ import annotations

import pytest

from statusline.core.window.rules import claude_code_warns

NOW = 1_796_000_000.0
H, D = 3600.0, 86400.0


@pytest.mark.parametrize(
    ("wid", "pct", "reset_in", "shown"),
    [
        ("five_hour", 80.0, 3 * H, False),  # [1]
        ("five_hour", 90.0, 3 * H, True),  # [1]
        ("five_hour", 99.0, 3 * H, True),  # [1]
        ("five_hour", 95.0, 0.5 * H, False),  # [4] late in the window
        ("five_hour", 95.0, 1.4 * H, True),  # 72% elapsed: the edge
        ("seven_day", 70.0, 4 * D, False),  # [2]
        ("seven_day", 75.0, 4 * D, True),  # [2]
        ("seven_day", 80.0, 1 * D, False),  # [7]
        ("seven_day", 55.0, 6 * D, False),  # [8] the 50% tier never shows
        ("seven_day:opus", 99.0, 4 * D, False),  # [12] no per-model warning
        ("five_hour", 95.0, -60.0, False),  # a finished period
    ],
)
def test_claude_code_warns_as_measured(wid: str, pct: float, reset_in: float, shown: bool) -> None:
    window = {"id": wid, "used_pct": pct, "resets_at": NOW + reset_in}
    assert claude_code_warns(window, NOW) is shown


@pytest.mark.parametrize("window", [{}, {"id": "five_hour"}, {"id": "five_hour", "used_pct": "95", "resets_at": NOW}])
def test_claude_code_warns_not_on_broken_windows(window: dict[str, object]) -> None:
    assert claude_code_warns(window, NOW) is False
