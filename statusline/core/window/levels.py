"""Levels and staleness: how close a window is to its limit, and whether its reading is too old.

The words and numbers a surface draws from them are ``draw.formats``'s."""

from __future__ import annotations

from statusline.core.window.rules import Window

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

NORMAL, WARN, CRITICAL, FULL = 0, 1, 2, 3


def level(pct: float, warn: float, critical: float) -> int:
    if pct >= 100:
        return FULL
    if pct >= critical:
        return CRITICAL
    if pct >= warn:
        return WARN
    return NORMAL


def is_past_reset(window: Window, now: float) -> bool:
    reset = window.get("resets_at")
    return isinstance(reset, (int, float)) and reset <= now


def age_s(window: Window | dict[str, Any], now: float) -> float:
    observed = window.get("observed_at")
    return max(0.0, now - float(observed)) if isinstance(observed, (int, float)) else float("inf")


def is_stale(window: Window | dict[str, Any], now: float, stale_after_s: float) -> bool:
    return age_s(window, now) > stale_after_s
