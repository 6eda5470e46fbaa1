"""The pre-prompt hook's decision: which windows deserve a warning now, and whether to block.

No nagging: a window warns once per level and period per session (``hook.repeat = "level"``),
again when it climbs a level or its period changes; ``"every"`` warns on every prompt.
"""

from __future__ import annotations

from statusline.core.draw import formats, template
from statusline.core.draw.pieces import Piece, extra, window
from statusline.core.run.context import Context
from statusline.core.window import select
from statusline.core.window.levels import FULL, NORMAL, WARN
from statusline.core.window.rules import (
    CLAUDE_CODE_WRAP_UP_FEATURE,
    PER_MODEL_FAMILIES,
    claude_code_shows,
    claude_code_wraps_up,
    gates,
    same_period,
    weekly_id,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

    from statusline.core.store.snapshot import Snapshot

# The forecast warning's own level: above none, below the warning level.
FORECAST = 0.5

# The hook's sentences, drawn from the pieces' variables (``pieces/window.py``, ``pieces/extra.py``;
# ``$extra_*`` are extra usage's). ``( ... )`` vanishes when empty; ``\\(`` is a parenthesis.
WHEN = "(, resets $resets_at \\(in $reset\\))"
AS_OF = "( \\($as_of\\))"
USED_UP = (
    "$name is used up \\($percent\\): Claude will refuse prompts until it resets( at $resets_at \\(in $reset\\))"
    "(; extra usage is billing \\($extra_used so far this month( · $extra_whose)\\))" + AS_OF
)
FILLS_SOON = "$name at $percent will hit 100% in about $to_full at this pace" + WHEN + AS_OF
# The same, after Claude Code showed this window's percent itself: only what it did not say.
FILLS_SOON_PACE_ONLY = "At this pace the $name will hit 100% in about $to_full" + WHEN + AS_OF
AT_LEVEL = "$name at $percent" + WHEN + AS_OF
# ``$whose``: "organisation's total" on Team and Enterprise plans, "yours" for a member's own, else empty.
OUT_OF_CREDITS = "Extra usage( \\($whose\\)) is out of credits \\($used used\\)"
AT_SPEND_LIMIT = "Extra usage( \\($whose\\)) stopped at its spend limit \\($used used\\)"
NEAR_LIMIT = "Extra usage( \\($whose\\)) at $pct of its limit \\($used of $limit\\)"
# Money billed while the bars stand still (``rules.money_moved``), said once, within a day of it.
MONEY_MOVED = (
    "Extra usage( \\($whose\\)) rose by $rose to $used while no window is full \\($plan\\): it bills beyond the plan"
)
MOVED_SAID_FOR_S = 86400.0
# When a window that gates this session is full and extra usage bills: how fast, and when it stops.
MONEY_PACE = (
    "At this pace extra usage bills about $rate( and reaches its $limit limit in about $to_limit \\(at $limit_at\\))"
)
# A dollar credit pool nearly or wholly spent: money, never a percent, never a block.
POOL_LOW = "$label is nearly used up: $left left of $limit( · resets $resets_at)"
POOL_USED_UP = "$label is used up \\($used of $limit\\)( · resets $resets_at)"
# A limit-reset grant usable now while a window it clears is full or will fill before its reset.
GRANT = "$command refills your $windows now; it spends $cost \\($label( · use by $ends)\\)"
BLOCKED = (
    "quotaline: $name at $percent \\(block_at = $block_at\\)" + WHEN
    + ". Raise hook.block_at or set it to 0 to continue."
)


# The briefing for Claude itself (``hook.briefing``, off by default): context the model reads with
# the prompt, one factual sentence; near the wall, the request to wrap up.
BRIEF = (
    "Usage limit note from quotaline: the $name is at $percent( and at this pace fills in about $to_full"
    " \\(around $full_at\\))(; it resets $resets_at \\(in $reset\\))."
)
WRAP_UP = " It is near its limit: finish the current step, then leave a short note of what remains to be done."
# Near the wall: this full, or this close to full at the current pace.
NEAR_WALL_PCT = 98.0
NEAR_WALL_S = 600.0


class Decision:
    __slots__ = ("block_reason", "context", "message", "warned")

    def __init__(
        self, message: str | None, block_reason: str | None, warned: dict[str, Any], context: str | None = None
    ) -> None:
        self.message = message
        self.block_reason = block_reason
        self.warned = warned  # this session's new dedupe state
        self.context = context  # the briefing for the model (additionalContext), when due


def decide(ctx: Context, *, session_id: str | None) -> Decision:
    settings = ctx.settings
    horizon = float(settings.get("hook", "forecast_minutes")) * 60
    previous = said_before(ctx.snap, session_id)
    repeat_every = settings.get("hook", "repeat") == "every"
    warned: dict[str, Any] = {}
    lines: list[str] = []
    money = extra.piece(ctx)
    every_warning = bool(settings.get("hook", "all_warnings"))
    families = select.families_seen(ctx.snap)
    claude_code_said = None if every_warning else claude_code_shows(ctx.snap["windows"], ctx.now)
    full: list[Alert] = []
    for alert in alerts(ctx, list(settings.get("hook", "windows")), horizon, previous, money):
        if not gates(alert.window_id, ctx.family, families):
            continue  # another model's week cannot stop this session: the status line still shows it
        if alert.level >= FULL:
            full.append(alert)
        warned[alert.window_id] = alert.state
        if not (repeat_every or alert.new):
            continue
        text = alert.text
        if alert.window_id == claude_code_said:  # Claude Code showed this very number after its last reply
            if alert.plain:
                continue  # (docs/claude-code-warnings.md)
            if alert.level < FULL:
                text = _sentence(FILLS_SOON_PACE_ONLY, alert.piece, money)
        lines.append(text + _advice(ctx, alert))
    moved = money.facts.get("moved") if money is not None else None
    if money is not None and isinstance(moved, dict) and ctx.now - float(moved["at"]) <= MOVED_SAID_FOR_S:
        # A text period: compared exactly (reset times within minutes count as one period; rises do not).
        said: dict[str, Any] = {"level": WARN, "period": f"moved at {float(moved['at'])}"}
        warned["extra_moved"] = said
        if repeat_every or not already_said(previous.get("extra_moved"), said):
            lines.append(template.render(MONEY_MOVED, money.variables))
    pace_line = _money_pace(money, full, horizon)
    if pace_line is not None:
        line, state = pace_line
        warned["extra_pace"] = state
        if repeat_every or not already_said(previous.get("extra_pace"), state):
            lines.append(line)
    for key, line, state in _pool_lines(ctx) + _grant_lines(ctx):
        warned[key] = state
        if repeat_every or not already_said(previous.get(key), state):
            lines.append(line)
    extra_line = _extra_message(money)
    if extra_line:
        key = "extra_usage"
        state = {"level": WARN, "period": extra_line}
        warned[key] = state
        if repeat_every or not already_said(previous.get(key), state):
            lines.append(extra_line)
    brief = _briefing(ctx, horizon, previous) if settings.get("hook", "briefing") else None
    context = None
    if brief is not None:
        key, text, state = brief
        warned[key] = state
        if repeat_every or not already_said(previous.get(key), state):
            context = text
    return Decision("; ".join(lines) or None, _block_reason(ctx), warned, context)


def _briefing(ctx: Context, horizon_s: float, previous: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """The briefing for the model: ``(dedupe key, sentence, state)`` about the gating window nearest
    its wall, when one is at the critical level or will fill within ``horizon_s``; None otherwise,
    and None when Claude Code's own wrap-up mode says the same (``rules.claude_code_wraps_up``)."""
    families = select.families_seen(ctx.snap)
    best: tuple[tuple[float, float], Piece] | None = None
    for w in select.windows(ctx.snap, list(ctx.settings.get("hook", "windows")), ctx.family, 0.0, ctx.now):
        if not gates(str(w["id"]), ctx.family, families):
            continue
        piece = window.piece(ctx, w)
        facts = piece.facts
        to_full = facts.seconds_to_full
        soon = to_full is not None and to_full <= horizon_s
        if facts.past or not (facts.pct >= ctx.critical_at or soon):
            continue
        rank = (facts.pct, -(to_full if to_full is not None else horizon_s * 10))
        if best is None or rank > best[0]:
            best = (rank, piece)
    if best is None:
        return None
    piece = best[1]
    facts = piece.facts
    if claude_code_wraps_up(facts.window, _wrap_up_feature_on()):
        return None
    to_full = facts.seconds_to_full
    near = facts.pct >= NEAR_WALL_PCT or (to_full is not None and to_full <= NEAR_WALL_S)
    variables = dict(piece.variables)
    variables["full_at"] = "" if to_full is None else formats.format_clock(ctx.now + to_full, ctx.now)
    text = template.render(BRIEF, variables) + (WRAP_UP if near else "")
    state = {"level": 2 if near else 1, "period": facts.window.get("resets_at")}
    return f"brief:{piece.variables['id']}", text, state


def _wrap_up_feature_on() -> bool:
    """Claude Code's wrap-up feature as it cached it (``cachedGrowthBookFeatures`` in ``.claude.json``);
    read only when a briefing is due for the window it covers. False when unreadable."""
    from statusline.core.store import paths
    from statusline.core.system import fastjson, fastos

    try:
        configured = fastos.getenv("CLAUDE_CONFIG_DIR", "").strip()
        path = fastos.join(paths.claude_config_dir() if configured else fastos.expanduser("~"), ".claude.json")
        data = fastjson.loads(paths.read_file(path))  # never waits on a FIFO, reads a regular file only
    except Exception:  # missing, unreadable, not JSON: Claude Code's wrap-up is not known to be on
        return False
    features = data.get("cachedGrowthBookFeatures") if isinstance(data, dict) else None
    return isinstance(features, dict) and features.get(CLAUDE_CODE_WRAP_UP_FEATURE) is True


class Alert:
    """A window worth saying something about now: its sentence, its dedupe state, and whether
    that was not said yet (in this level and period)."""

    __slots__ = ("level", "new", "piece", "plain", "state", "text", "window_id")

    def __init__(self, piece: Piece, level: float, text: str, previous: dict[str, Any], *, plain: bool) -> None:
        self.piece = piece
        self.window_id = str(piece.variables["id"])
        self.level = level
        self.text = text
        self.plain = plain  # a bare threshold ("at 93%"), no pace, not full: what Claude Code says too
        self.state = {"level": level, "period": piece.facts.window.get("resets_at")}
        self.new = not already_said(previous.get(self.window_id), self.state)


def alert_level(facts: window.Facts, horizon_s: float) -> float:
    """What a window is worth saying: its percent's level, FORECAST when it will fill within
    ``horizon_s`` below the warning level, NORMAL (nothing) past its reset."""
    if facts.past:
        return NORMAL
    to_full = facts.seconds_to_full
    if facts.pct_level == NORMAL and to_full is not None and to_full <= horizon_s:
        return FORECAST
    return facts.pct_level


def alerts(
    ctx: Context, selectors: list[str], horizon_s: float, previous: dict[str, Any], money: Piece | None
) -> list[Alert]:
    """The selected windows worth a word now (the hook's rule; the desktop notifications' too)."""
    found: list[Alert] = []
    for w in select.windows(ctx.snap, selectors, ctx.family, ctx.warn_at, ctx.now):
        piece = window.piece(ctx, w)
        lvl = alert_level(piece.facts, horizon_s)
        if lvl == NORMAL:
            continue
        to_full = piece.facts.seconds_to_full
        soon = to_full is not None and to_full <= horizon_s
        sentence = _window_sentence(lvl, soon)
        found.append(Alert(piece, lvl, _sentence(sentence, piece, money), previous, plain=sentence == AT_LEVEL))
    return found


def _window_sentence(lvl: float, soon: bool) -> str:
    if lvl >= FULL:
        return USED_UP
    return FILLS_SOON if soon else AT_LEVEL  # the pace is what neither the bar nor Claude Code says


# When this session's model week is high and another family's has room: the command that helps.
ADVICE = " · $label weekly $percent" + AS_OF + ": /model $family"


def _advice(ctx: Context, alert: Alert) -> str:
    if ctx.family is None or alert.window_id != weekly_id(ctx.family) or alert.level < WARN:
        return ""
    best: Piece | None = None
    for family in sorted(PER_MODEL_FAMILIES - {ctx.family}):
        other = ctx.snap["windows"].get(weekly_id(family))
        if not isinstance(other, dict):
            continue
        piece = window.piece(ctx, other)
        if piece.facts.past or piece.facts.pct >= ctx.warn_at:
            continue
        if best is None or piece.facts.pct < best.facts.pct:
            best = piece
    if best is None:
        return ""
    return template.render(ADVICE, dict(best.variables, family=str(best.variables["id"]).partition(":")[2]))


def _sentence(text: str, piece: Piece, money: Piece | None) -> str:
    variables = dict(piece.variables)
    if money is not None:
        variables.update({"extra_" + k: v for k, v in money.variables.items()})
    said = template.render(text, variables)
    return said[:1].upper() + said[1:]


def said_before(snap: Snapshot, session_id: str | None) -> dict[str, Any]:
    """What this session was already told: ``{window id: {"level", "period"}}``."""
    entry = snap["warned"].get(session_id) if session_id else None
    windows = entry.get("windows") if isinstance(entry, dict) else None
    return windows if isinstance(windows, dict) else {}


def already_said(old: Any, state: dict[str, Any]) -> bool:
    """``state`` (``{"level", "period"}``) was said before: same period, at that level or higher."""
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


def _money_pace(money: Piece | None, full: list[Alert], horizon_s: float) -> tuple[str, dict[str, Any]] | None:
    """The pace line and its dedupe state while a gating window is full and extra usage bills: said
    once per full stretch, again when the limit comes within the forecast horizon."""
    if money is None or not full or not money.variables["rate"]:
        return None
    to_limit = money.facts.get("seconds_to_limit")
    level = FULL if to_limit is not None and to_limit <= horizon_s else WARN
    # The stretch ends when the first full window resets (a number: reset times jitter by seconds).
    period = min((a.state["period"] for a in full), key=lambda r: float("inf") if r is None else float(r))
    return template.render(MONEY_PACE, money.variables), {"level": level, "period": period}


def _extra_message(money: Piece | None) -> str | None:
    if money is None:
        return None
    extra_usage: dict[str, Any] = money.facts
    if extra_usage.get("out_of_credits"):
        return template.render(OUT_OF_CREDITS, money.variables)
    if extra_usage.get("disabled_reason") == "spend_limit_reached":
        return template.render(AT_SPEND_LIMIT, money.variables)
    if money.variables["pct"] and money.level >= WARN:  # the piece's percent: the server's when it gives one
        return template.render(NEAR_LIMIT, money.variables)
    return None


def _pool_lines(ctx: Context) -> list[tuple[str, str, dict[str, Any]]]:
    """A sentence per credit pool nearly or wholly spent, once per pool, state and reset."""
    server = ctx.snap.get("server")
    stored = server.get("pools") if isinstance(server, dict) else None
    if not (isinstance(stored, dict) and stored):
        return []
    from statusline.core.draw.pieces import pool  # only when some is stored: no module for what is not shown

    found = []
    for key, raw in sorted(stored.items()):
        if not isinstance(raw, dict):
            continue
        credit = pool.piece(ctx, raw)
        if credit.level <= NORMAL or credit.stale:
            continue
        text = template.render(POOL_USED_UP if credit.level >= FULL else POOL_LOW, credit.variables)
        found.append((f"pool:{key}", text, {"level": credit.level, "period": raw.get("resets_at")}))
    return found


CLEARS_WORDS = {"five_hour": "5-hour", "seven_day": "weekly"}


def _grant_lines(ctx: Context) -> list[tuple[str, str, dict[str, Any]]]:
    """The grant to use, once per grant and period of the window it would clear: when a window it
    clears is full, or at this pace will fill before its reset, and the grant is usable now
    (started, not paused, not spent)."""
    server = ctx.snap.get("server")
    if not (isinstance(server, dict) and server.get("grants")):
        return []
    from statusline.core.draw.pieces import pool  # only when some is stored: no module for what is not shown
    from statusline.core.window import truth

    found = []
    for grant in truth.usable_grants(server, ctx.now):
        if not grant["started"] or grant.get("paused") is True or grant.get("usable_now") is not True:
            continue
        pressed = []
        for wid in grant.get("clears") or []:
            w = ctx.snap["windows"].get(wid)
            if not isinstance(w, dict):
                continue
            facts = window.piece(ctx, w).facts
            if not facts.past and (facts.pct >= 100.0 or facts.seconds_to_full is not None):
                pressed.append(w)
        if not pressed:
            continue
        ends = grant.get("ends_at")
        variables = {
            "command": truth.GRANT_COMMAND,
            "windows": " and ".join(CLEARS_WORDS.get(str(wid), str(wid)) for wid in grant["clears"])
            + (" windows" if len(grant["clears"]) > 1 else " window"),
            "label": str(grant.get("label") or "limit reset"),
            "cost": "a limit reset" if grant.get("left") is None else f"1 of your {grant['left']} limit resets",
            "ends": "" if not isinstance(ends, (int, float)) else pool.when(float(ends), ctx.now),
        }
        if grant.get("left") == 1:
            variables["cost"] = "your last limit reset of this grant"
        text = template.render(GRANT, variables)
        period = min(float(w["resets_at"]) if isinstance(w.get("resets_at"), (int, float)) else 0.0 for w in pressed)
        found.append((f"grant:{grant['key']}", text[:1].upper() + text[1:], {"level": WARN, "period": period}))
    return found


def _block_reason(ctx: Context) -> str | None:
    block_at = float(ctx.settings.get("hook", "block_at"))
    if block_at <= 0:
        return None
    families = select.families_seen(ctx.snap)
    for w in select.windows(ctx.snap, list(ctx.settings.get("hook", "windows")), ctx.family, 0.0, ctx.now):
        if not gates(str(w["id"]), ctx.family, families):
            continue  # another model's week cannot refuse this session's prompts
        piece = window.piece(ctx, w)
        if piece.facts.pct >= block_at and not piece.facts.past:
            return template.render(BLOCKED, dict(piece.variables, block_at=formats.format_pct(block_at)))
    return None
