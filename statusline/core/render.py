"""Windows to text: which windows a surface shows, and each one drawn through its template.

A surface (status line, tmux, Starship, plain) gets the same pieces; only the colour markup
differs, like a Starship module rendering one context.
"""

from __future__ import annotations

from statusline.core import levels
from statusline.core.config_fast import Settings
from statusline.core.levels import CRITICAL, FULL, NORMAL, WARN
from statusline.core.snapshot import Snapshot
from statusline.core.textsafe import for_style
from statusline.core.windows import Window

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up; annotations are strings anyway
    from typing import Any

    from statusline.core.forecast import Forecasts

ANSI = {NORMAL: "32", WARN: "33", CRITICAL: "31", FULL: "1;31", "stale": "2"}
TMUX = {NORMAL: "green", WARN: "yellow", CRITICAL: "red", FULL: "red,bold", "stale": "colour244"}
NO_DATA = "quotaline: waiting for first reply"


class Piece:
    __slots__ = ("level", "stale", "text", "window")

    def __init__(self, text: str, level: int, stale: bool, window: Window | None) -> None:
        self.text = text
        self.level = level
        self.stale = stale
        self.window = window


def select_windows(snap: Snapshot, selectors: list[str], family: str | None, warn: float, now: float) -> list[Window]:
    """The windows a surface shows, in selector order, each once; ``!id`` leaves a window out."""
    windows: dict[str, Window] = snap["windows"]
    chosen: list[Window] = []
    seen: set[str] = {s[1:] for s in selectors if s[:1] == "!"}

    def take(wid: str) -> None:
        if wid in windows and wid not in seen:
            seen.add(wid)
            chosen.append(windows[wid])

    for selector in selectors:
        if selector == "model":
            if family:
                take(f"seven_day:{family}")
        elif selector == "alerts":
            for wid in sorted(windows):
                window = windows[wid]
                if float(window["used_pct"]) >= warn and not levels.is_past_reset(window, now):
                    take(wid)
        elif selector != "extra" and selector[:1] != "!":
            take(selector)
    return chosen


def window_vars(window: Window, now: float, *, stale: bool, forecast: Any = None) -> dict[str, str]:
    """The named template variables for one window."""
    past = levels.is_past_reset(window, now)
    pct = float(window["used_pct"])
    reset = window.get("resets_at")
    eta = ""
    if forecast is not None and forecast.hits_full_before_reset and forecast.seconds_to_full is not None:
        eta = f"→100% in {levels.format_duration(forecast.seconds_to_full)}"
    age = levels.age_s(window, now)
    return {
        "label": str(window.get("label") or window["id"]),
        "pct": "reset" if past else ("≥" if stale else "") + levels.format_pct(pct),
        "reset": "" if past or reset is None else levels.format_duration(float(reset) - now),
        "resets_at": "" if reset is None else levels.format_clock(float(reset), now),
        "eta": (" " + eta) if eta and not past else "",
        "source": str(window.get("source", "")),
        "age": levels.format_duration(age) if age != float("inf") else "?",
    }


def fill(template: str, variables: dict[str, str]) -> str:
    # Longest names first so $reset does not eat $resets_at.
    for name in sorted(variables, key=len, reverse=True):
        template = template.replace("$" + name, variables[name])
    return " ".join(template.split())


def window_piece(window: Window, settings: Settings, surface: str, now: float, forecast: Any = None) -> Piece:
    stale_after = float(settings.get("stale_after_minutes")) * 60
    past = levels.is_past_reset(window, now)
    stale = past or levels.is_stale(window, now, stale_after)
    text = fill(settings.get(surface, "template"), window_vars(window, now, stale=stale, forecast=forecast))
    lvl = NORMAL if past else levels.level(float(window["used_pct"]), *_levels(settings))
    if forecast is not None and forecast.hits_full_before_reset and lvl < WARN:
        lvl = WARN
    return Piece(text, lvl, stale, window)


def extra_piece(extra: Any, settings: Settings) -> Piece | None:
    """``+$408.43`` while extra usage is enabled; None otherwise."""
    if not isinstance(extra, dict) or not extra.get("enabled"):
        return None
    used = extra.get("used")
    currency = str(extra.get("currency") or "USD")
    text = "+" + levels.format_money(float(used) if isinstance(used, (int, float)) else 0.0, currency)
    limit = extra.get("limit")
    lvl = NORMAL
    if isinstance(limit, (int, float)) and limit > 0:
        text += "/" + levels.format_money(float(limit), currency)
        lvl = levels.level(100.0 * float(used or 0) / float(limit), *_levels(settings))
    if extra.get("out_of_credits"):
        text += " out of credits"
        lvl = FULL
    return Piece(text, lvl, False, None)


def _levels(settings: Settings) -> tuple[float, float]:
    return float(settings.get("levels", "warn")), float(settings.get("levels", "critical"))


def pieces(
    snap: Snapshot,
    settings: Settings,
    surface: str,
    family: str | None,
    now: float,
    forecasts: Forecasts | None = None,
) -> list[Piece]:
    selectors = list(settings.get(surface, "windows"))
    chosen = select_windows(snap, selectors, family, _levels(settings)[0], now)
    out = [window_piece(w, settings, surface, now, (forecasts or {}).get(w["id"])) for w in chosen]
    if "extra" in selectors:
        extra = extra_piece(snap.get("extra_usage"), settings)
        if extra is not None:
            out.append(extra)
    return out


def paint(piece: Piece, style: str, colors: bool) -> str:
    # The one exit for a piece's text (labels, ids, sources, currency and the template, from the
    # server, stdin and files): cleaned before quotaline adds its own colour codes.
    text = for_style(piece.text, style)
    if not colors or style == "plain":
        return text
    if style == "tmux":
        colour = TMUX["stale"] if piece.stale else TMUX[piece.level]
        return f"#[fg={colour}]{text}#[default]"
    code = ANSI["stale"] + ";" + ANSI[piece.level] if piece.stale else ANSI[piece.level]
    return f"\033[{code}m{text}\033[0m"


def line(
    snap: Snapshot,
    settings: Settings,
    *,
    surface: str,
    style: str,
    family: str | None,
    now: float,
    forecasts: Forecasts | None = None,
) -> str:
    """The whole one-line rendering; never empty."""
    drawn = pieces(snap, settings, surface, family, now, forecasts)
    colors = bool(settings.get("colors"))
    if drawn:
        text = for_style(str(settings.get(surface, "separator")), style).join(paint(p, style, colors) for p in drawn)
    else:
        text = for_style(NO_DATA + _error_hint(snap), style)
    if settings.problems:
        text += " !cfg"
    return text


def _error_hint(snap: Snapshot) -> str:
    # What the status line's own stdin lacked is for `status`: the user cannot act on it here.
    errors = [e for e in snap.get("errors", []) if isinstance(e, dict) and e.get("message")]
    errors = [e for e in errors if e.get("source") != "statusline"]
    return f" ({errors[-1]['message']})" if errors else ""
