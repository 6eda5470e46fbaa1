"""What Claude Code sends on stdin: the status line's JSON and the hooks' JSON.

Every field is optional and may have any type: Claude Code versions differ, and a broken or
empty stdin must still give a line.
"""

from __future__ import annotations

from statusline.core.system import fastjson
from statusline.core.window.rules import (
    MAX_ID_LEN,
    MAX_TEXT_LEN,
    SPEND_LIMIT,
    Window,
    is_number,
    label_for,
    model_family,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

# stdin rate_limits keys -> window ids (``spend_limit``: behind a Claude gateway, with money)
RATE_LIMIT_KEYS = ("five_hour", "seven_day", SPEND_LIMIT)


class ClaudeInput:
    __slots__ = ("cwd", "model_id", "model_name", "raw", "session_id", "version")

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        # Claude Code's ids are UUIDs: anything far longer is not worth a snapshot's space.
        self.session_id = _str(raw.get("session_id"), MAX_ID_LEN)
        model = raw.get("model")
        if isinstance(model, dict):
            self.model_id = _str(model.get("id"), MAX_ID_LEN)
            self.model_name = _str(model.get("display_name"), MAX_TEXT_LEN)
        else:  # SessionStart hooks send the model id as a plain string
            self.model_id = _str(model, MAX_ID_LEN)
            self.model_name = None
        self.version = _str(raw.get("version"), MAX_ID_LEN)
        self.cwd = _str(raw.get("cwd"), 4096)

    @property
    def family(self) -> str | None:
        return model_family(self.model_id, self.model_name)

    def session_info(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "model_name": self.model_name,
            "version": self.version,
            "cwd": self.cwd,
        }

    def rate_limit_windows(self, *, now: float) -> list[Window]:
        """The ``rate_limits`` windows, as window records from source ``statusline``.

        Not checked here: ``merge.apply_windows`` holds every reading to ``rules.problem``.
        """
        limits = self.raw.get("rate_limits")
        if not isinstance(limits, dict):
            return []
        found: list[Window] = []
        for key in RATE_LIMIT_KEYS:
            entry = limits.get(key)
            if not isinstance(entry, dict):
                continue
            pct, reset = entry.get("used_percentage"), entry.get("resets_at")
            if is_number(reset) and reset <= now:
                continue  # already over: the number describes a finished period
            window: Window = {
                "id": key,
                "label": label_for(key),
                "used_pct": float(pct) if is_number(pct) else pct,
                "resets_at": float(reset) if is_number(reset) else reset,
                "source": "statusline",
                "observed_at": now,
                "session": self.session_id,
            }
            if key == SPEND_LIMIT:
                window["money"] = _spend_money(entry)
            found.append(window)
        return found


def _spend_money(entry: dict[str, Any]) -> dict[str, Any]:
    """``spend_limit``'s money: Claude Code sends ``used_usd``/``limit_usd`` (dollars) and the
    budget's ``period`` only when it knows them."""
    return {
        "used": _amount(entry.get("used_usd")),
        "limit": _amount(entry.get("limit_usd")),
        "currency": "USD",
        "period": _str(entry.get("period"), 16),
    }


def _amount(value: Any) -> float | None:
    """Dollars, or None: a broken amount must not cost the window its percent."""
    return float(value) if is_number(value) and 0 <= value <= 1e9 else None


def _str(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def parse(text: str | bytes) -> ClaudeInput:
    """Parse stdin; never raises. Empty, not JSON or not an object: no fields, no readings."""
    if not text or not text.strip():
        return ClaudeInput({})
    try:
        data = fastjson.loads(text)
    except Exception:  # any failure to parse means no readings, never a lost line
        return ClaudeInput({})
    return ClaudeInput(data if isinstance(data, dict) else {})
