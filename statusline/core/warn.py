"""The pre-prompt hook's decision: which windows deserve a warning now, and whether to block.

No nagging: a window warns once per level and period per session (``hook.repeat = "level"``),
again when it climbs a level or its period changes; ``"every"`` warns on every prompt.
"""

from __future__ import annotations

from statusline.core import levels
from statusline.core.config_fast import Settings
from statusline.core.levels import FULL, NORMAL, WARN
from statusline.core.render import select_windows
from statusline.core.snapshot import Snapshot
from statusline.core.windows import Window, human_name, same_period

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up; annotations are strings anyway
    from typing import Any

    from statusline.core.forecast import Forecasts

# The forecast warning's own level: above none, below the warning level.
FORECAST = 0.5


class Decision:
    __slots__ = ("block_reason", "message", "warned")

    def __init__(self, message: str | None, block_reason: str | None, warned: dict[str, Any]) -> None:
        self.message = message
        self.block_reason = block_reason
        self.warned = warned  # this session's new dedupe state


def decide(
    snap: Snapshot,
    settings: Settings,
    *,
    session_id: str | None,
    family: str | None,
    now: float,
    forecasts: Forecasts | None = None,
) -> Decision:
    warn_at = float(settings.get("levels", "warn"))
    critical_at = float(settings.get("levels", "critical"))
    stale_after = float(settings.get("stale_after_minutes")) * 60
    horizon = float(settings.get("hook", "forecast_minutes")) * 60
    previous = said_before(snap, session_id)
    repeat_every = settings.get("hook", "repeat") == "every"
    warned: dict[str, Any] = {}
    lines: list[str] = []
    selectors = list(settings.get("hook", "windows"))
    for window in select_windows(snap, selectors, family, warn_at, now):
        if levels.is_past_reset(window, now):
            continue
        pct = float(window["used_pct"])
        lvl: float = levels.level(pct, warn_at, critical_at)
        forecast = (forecasts or {}).get(window["id"])
        soon = _fills_soon(forecast, horizon)
        if lvl == NORMAL and soon:
            lvl = FORECAST
        if lvl == NORMAL:
            continue
        state = {"level": lvl, "period": window.get("resets_at")}
        warned[window["id"]] = state
        old = previous.get(window["id"]) if isinstance(previous, dict) else None
        if repeat_every or not _already_said(old, state):
            lines.append(_message(window, pct, lvl, forecast if soon else None, now, stale_after, snap))
    extra_line = _extra_message(snap, warn_at)
    if extra_line:
        key = "extra_usage"
        state = {"level": WARN, "period": extra_line}
        warned[key] = state
        if repeat_every or not _already_said(previous.get(key) if isinstance(previous, dict) else None, state):
            lines.append(extra_line)
    return Decision("; ".join(lines) or None, _block_reason(snap, settings, family, now), warned)


def said_before(snap: Snapshot, session_id: str | None) -> dict[str, Any]:
    """What this session was already told: ``{window id: {"level", "period"}}``."""
    entry = snap["warned"].get(session_id) if session_id else None
    windows = entry.get("windows") if isinstance(entry, dict) else None
    return windows if isinstance(windows, dict) else {}


def _fills_soon(forecast: Any, horizon: float) -> bool:
    return bool(
        forecast is not None
        and forecast.hits_full_before_reset
        and forecast.seconds_to_full is not None
        and forecast.seconds_to_full <= horizon
    )


def _already_said(old: Any, state: dict[str, Any]) -> bool:
    if not isinstance(old, dict):
        return False
    return _same_period(old.get("period"), state["period"]) and _level(old) >= float(state["level"])


def _same_period(old: Any, new: Any) -> bool:
    # Reset times jitter by seconds between payloads and sources (the merge keeps the newest):
    # a period the merge calls the same must not count as a new one, or the user hears it again.
    numbers = (int, float)
    if (old is None or isinstance(old, numbers)) and (new is None or isinstance(new, numbers)):
        return not isinstance(old, bool) and not isinstance(new, bool) and same_period(old, new)
    return bool(old == new)


def _level(old: dict[str, Any]) -> float:
    level = old.get("level", 0)
    return float(level) if isinstance(level, (int, float)) else 0.0


def _when(window: Window, now: float) -> str:
    reset = window.get("resets_at")
    if not isinstance(reset, (int, float)):
        return ""
    return f", resets {levels.format_clock(reset, now)} (in {levels.format_duration(reset - now)})"


def _message(
    window: Window, pct: float, lvl: float, forecast: Any, now: float, stale_after: float, snap: Snapshot
) -> str:
    name = human_name(window)
    name = name[0].upper() + name[1:]
    shown = levels.format_pct(pct)
    age = levels.age_s(window, now)
    as_of = f" (as of {levels.format_duration(age)} ago)" if age > stale_after else ""
    if lvl >= FULL:
        text = f"{name} is used up ({shown}): Claude will refuse prompts until it resets"
        when = _when(window, now)
        text += when.replace(", resets", " at", 1) if when else ""
        extra = snap.get("extra_usage")
        if isinstance(extra, dict) and extra.get("enabled"):
            used = extra.get("used")
            money = levels.format_money(float(used or 0), str(extra.get("currency") or "USD"))
            text += f"; extra usage is billing ({money} so far this month)"
        return text + as_of
    if lvl == FORECAST and forecast is not None:
        eta = levels.format_duration(forecast.seconds_to_full)
        return f"{name} at {shown} will hit 100% in about {eta} at this pace{_when(window, now)}{as_of}"
    return f"{name} at {shown}{_when(window, now)}{as_of}"


def _extra_message(snap: Snapshot, warn_at: float) -> str | None:
    extra = snap.get("extra_usage")
    if not isinstance(extra, dict) or not extra.get("enabled"):
        return None
    currency = str(extra.get("currency") or "USD")
    used = float(extra.get("used") or 0)
    if extra.get("out_of_credits"):
        return f"Extra usage is out of credits ({levels.format_money(used, currency)} used)"
    limit = extra.get("limit")
    if isinstance(limit, (int, float)) and limit > 0 and 100 * used / limit >= warn_at:
        pct = levels.format_pct(100 * used / float(limit))
        return (
            f"Extra usage at {pct} of its limit "
            f"({levels.format_money(used, currency)} of {levels.format_money(float(limit), currency)})"
        )
    return None


def _block_reason(snap: Snapshot, settings: Settings, family: str | None, now: float) -> str | None:
    block_at = float(settings.get("hook", "block_at"))
    if block_at <= 0:
        return None
    selectors = list(settings.get("hook", "windows"))
    for window in select_windows(snap, selectors, family, 0.0, now):
        pct = float(window["used_pct"])
        if pct >= block_at and not levels.is_past_reset(window, now):
            name = human_name(window)
            return (
                f"quotaline: {name} at {levels.format_pct(pct)} (block_at = {levels.format_pct(block_at)})"
                f"{_when(window, now)}. Raise hook.block_at or set it to 0 to continue."
            )
    return None
