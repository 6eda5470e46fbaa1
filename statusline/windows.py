"""Window records: what counts as a valid reading, and how readings of one window merge.

A window is a plain dict (see docs/ARCHITECTURE.md) so the hot path can read and write it
without a model library.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up; annotations are strings anyway
    from typing import Any

    Window = dict[str, Any]
else:
    Window = dict

# Two readings whose reset times are this close describe the same period: the server's
# reset times jitter by a few seconds between payloads and sources.
SAME_PERIOD_S = 300.0
MAX_PCT = 100.5

LABELS = {"five_hour": "5h", "seven_day": "7d"}
HUMAN_NAMES = {"five_hour": "5-hour window", "seven_day": "7-day window"}


def valid_reading(pct: Any, resets_at: Any) -> tuple[float, float | None] | None:
    """``(percent, reset epoch)`` for a plausible status-line reading, else None.

    Rejects non-numbers, NaN, negatives, values above 100.5, and the known bad reading where the
    percent equals the reset epoch.
    """
    if isinstance(pct, bool) or not isinstance(pct, (int, float)):
        return None
    value = float(pct)
    if value != value or value < 0 or value > MAX_PCT:
        return None
    reset: float | None = None
    if resets_at is not None:
        if isinstance(resets_at, bool) or not isinstance(resets_at, (int, float)):
            return None
        reset = float(resets_at)
        if reset != reset or reset <= 0 or reset in (float("inf"), float("-inf")):
            return None
        if value == reset or pct == resets_at:
            return None
    return value, reset


def same_period(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= SAME_PERIOD_S


def merge_window(old: Window | None, new: Window) -> Window | None:
    """The window to keep after seeing ``new``, or None when ``old`` stays as it is.

    Same period: keep the higher percent (sessions that sat idle pass older, lower values).
    A later period replaces; an earlier period is ignored. A reading without a reset time
    only fills a gap or refreshes a reading that has none either.
    """
    if old is None:
        return new
    old_reset, new_reset = old.get("resets_at"), new.get("resets_at")
    if same_period(old_reset, new_reset):
        old_pct, new_pct = float(old.get("used_pct", 0.0)), float(new["used_pct"])
        if new_pct > old_pct:
            return new
        if new_pct == old_pct and float(new.get("observed_at", 0)) > float(old.get("observed_at", 0)):
            return new
        return None
    if old_reset is None:
        return new
    if new_reset is None:
        return None
    return new if new_reset > old_reset else None


def model_family(model_id: str | None, display_name: str | None = None) -> str | None:
    """``claude-opus-5-5`` / ``Opus 5.5`` -> ``opus``; None when nothing usable."""
    if model_id:
        parts = model_id.lower().split("-")
        if parts[0] == "claude" and len(parts) > 1 and parts[1].isalpha():
            return parts[1]
        for part in parts:
            if part.isalpha() and part != "claude":
                return part
    if display_name:
        word = display_name.strip().split(" ")[0].lower()
        word = "".join(ch for ch in word if ch.isalnum())
        if word:
            return word
    return None


def label_for(window_id: str) -> str:
    if window_id in LABELS:
        return LABELS[window_id]
    if window_id.startswith("seven_day:"):
        scope = window_id.split(":", 1)[1]
        if scope == "oauth_apps":
            return "OAuth apps"
        return scope.replace("_", " ").capitalize()
    return window_id


def human_name(window: Window) -> str:
    wid = str(window.get("id", ""))
    if wid in HUMAN_NAMES:
        return HUMAN_NAMES[wid]
    label = str(window.get("label") or label_for(wid))
    if wid.startswith("seven_day:"):
        return f"{label} weekly window"
    return f"{label} limit"
