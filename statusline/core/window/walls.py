"""The wall: a turn Claude Code ended because a limit was reached, recorded as an event.

Two sources tell of one: the ``StopFailure`` hook (matcher ``rate_limit``; input ``error``,
``error_details``, ``last_assistant_message``) and the transcript's API error line, which the
ledger finds (``statusline/ledger``). Both become the same record, merged by ``merge.record_wall``:

    {"at": t, "window": "seven_day:opus" | ... | "unknown", "said": "You've hit your Opus limit",
     "resets_at": t | None, "source": "hook" | "transcript", "session": id | None,
     "how": "text" | "details" | "full" | "unknown"}

Which window: the one Claude Code's words name (``rules.window_in_text``), else the one the error
details name, else the windows at or over 100% in the snapshot (the highest), else "unknown".
Standard library only: the status line and the hook read it.
"""

from __future__ import annotations

from statusline.core.draw import formats, template
from statusline.core.draw.textsafe import clean
from statusline.core.settings.defaults import WALL_TEMPLATE
from statusline.core.store.snapshot import Snapshot
from statusline.core.window import levels, select
from statusline.core.window.rules import (
    MAX_ID_LEN,
    SAME_PERIOD_S,
    claim_window,
    gates,
    human_name,
    is_number,
    label_for,
    length_s,
    window_in_text,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from collections.abc import Callable
    from typing import Any

UNKNOWN = "unknown"
MAX_SAID = 300
LIST_DAYS = 30
# A wall of a window quotaline has no reading of is shown this long (the user learns of it from
# Claude Code's own line at once; the status line keeps it in view for about one prompt-and-wait
# cycle): nothing else could ever say it is over.
UNKNOWN_RESET_SHOW_S = 3600.0
# error_details keys that may carry Claude Code's rate-limit state (its ``claudeAiLimits`` names).
_DETAIL_CLAIMS = ("rateLimitType", "rate_limit_type", "representativeClaim", "representative_claim", "claim")
_DETAIL_RESETS = ("resetsAt", "resets_at", "reset")


def said(text: Any) -> str | None:
    """Claude Code's words, cleaned for any terminal and capped; None when there are none."""
    if not isinstance(text, str):
        return None
    text = " ".join(clean(text[: MAX_SAID * 4]).split())
    return text[:MAX_SAID] or None


def from_stop_failure(data: dict[str, Any], snap: Snapshot, *, now: float, session: str | None) -> dict[str, Any]:
    """The wall a ``StopFailure`` hook's input tells of (any field may be missing or of any type)."""
    message = said(data.get("last_assistant_message")) or said(data.get("error"))
    details = data.get("error_details")
    return build(snap, now=now, at=now, text=message, details=details, source="hook", session=session)


def build(
    snap: Snapshot,
    *,
    now: float,
    at: float,
    text: str | None,
    details: Any = None,
    source: str,
    session: str | None,
) -> dict[str, Any]:
    """A wall record: which window (see the module doc), and its reset time when known."""
    window, how = window_in_text(text), "text"
    if window is None:
        window, how = _window_in_details(details), "details"
    if window is None:
        window, how = _full_window(snap, at), "full"
    if window is None:
        window, how = UNKNOWN, UNKNOWN
    return {
        "at": at,
        "window": window,
        "said": text,
        "resets_at": _reset(details, snap, window, at),
        "source": source,
        "session": session[:MAX_ID_LEN] if isinstance(session, str) else None,
        "how": how,
    }


def _window_in_details(details: Any) -> str | None:
    if isinstance(details, str):
        return claim_window(details) or window_in_text(details)
    if not isinstance(details, dict):
        return None
    for key in _DETAIL_CLAIMS:
        found = claim_window(details.get(key))
        if found:
            return found
    return window_in_text(details.get("message")) if isinstance(details.get("message"), str) else None


def _full_window(snap: Snapshot, at: float) -> str | None:
    """The fullest window at or over 100% in a period that holds ``at``."""
    best: tuple[float, str] | None = None
    for wid, window in snap["windows"].items():
        pct, reset, length = window.get("used_pct"), window.get("resets_at"), length_s(wid)
        if not is_number(pct) or pct < 100 or not gates(wid, None):
            continue  # not full, or a Cowork/chats window: it stops no Claude Code session
        if is_number(reset) and (reset <= at or (length is not None and reset - length > at)):
            continue
        if best is None or pct > best[0]:
            best = (float(pct), wid)
    return best[1] if best else None


def _reset(details: Any, snap: Snapshot, window: str, at: float) -> float | None:
    """When the stopping window resets: the details' time, else the stored window's, if after ``at``."""
    candidates: list[Any] = []
    if isinstance(details, dict):
        candidates.extend(details.get(k) for k in _DETAIL_RESETS)
    stored = snap["windows"].get(window)
    if isinstance(stored, dict):
        candidates.append(stored.get("resets_at"))
    horizon = at + (length_s(window) or 31 * 86400.0) + 3600.0
    for value in candidates:
        if is_number(value) and value > 1e11:
            value = value / 1000.0  # milliseconds (JavaScript's Date.now())
        if is_number(value) and at < value <= horizon:
            return float(value)
    return None


# --------------------------------------------------------------------------- surfaces


def name(wall: dict[str, Any]) -> str:
    """``Opus weekly``, ``5-hour``, ``7-day``, ``extra usage``, ``a limit`` (unknown)."""
    window = str(wall.get("window") or UNKNOWN)
    if window == UNKNOWN:
        return "a limit"
    if window == "extra_usage":
        return "extra usage"
    text = human_name({"id": window, "label": label_for(window)})
    return text.removesuffix(" window").removesuffix(" limit")


def recent(snap: Snapshot, since: float) -> list[dict[str, Any]]:
    """The walls since ``since``, oldest first."""
    return [w for w in snap.get("walls", []) if isinstance(w, dict) and is_number(w.get("at")) and w["at"] >= since]


def _last_days(now: float, days: float = LIST_DAYS) -> float:
    return now - days * 86400.0


def current(snap: Snapshot, now: float, family: str | None, session: str | None = None) -> dict[str, Any] | None:
    """The newest wall still standing (``standing``) for ``session``, a session of ``family``: a
    wall that session recorded is its own whatever its window (opusplan sends Opus requests from a
    session whose model reads Sonnet); another session's, when its window gates ``family``."""
    for wall in reversed(recent(snap, _last_days(now, 8))):
        window = str(wall.get("window"))
        own = session is not None and wall.get("session") == session
        if not own and not gates(window, family, select.families_seen(snap)):
            continue
        if standing(wall, snap, now):
            return dict(wall)
    return None


def standing(wall: dict[str, Any], snap: Snapshot, now: float) -> bool:
    """Invariant 2 for walls: a wall stands only while something still says so. It ends when a
    later turn succeeds (``ended``, set by ``merge.turn_succeeded``), when its window's period
    ends (the stored reading's reset, or the claimed one if sooner; a reading of a period that began
    after the wall ends it too), or, for a window quotaline has no reading of that period (an
    unknown limit, a model's week no source reads, extra usage), ``UNKNOWN_RESET_SHOW_S`` after it."""
    if is_number(wall.get("ended")):
        return False
    return now < _stands_until(wall, snap)


def _stands_until(wall: dict[str, Any], snap: Snapshot) -> float:
    at, claimed = float(wall["at"]), wall.get("resets_at")
    window = str(wall.get("window"))
    stored = snap["windows"].get(window)
    reset = stored.get("resets_at") if isinstance(stored, dict) else None
    if not (is_number(reset) and reset > at):  # no reading of the wall's period
        until = at + UNKNOWN_RESET_SHOW_S
    else:
        length = length_s(window)
        if length is not None and reset - length > at + SAME_PERIOD_S:
            return at  # the stored period began after the wall: the wall's one is over
        if length is None and isinstance(stored, dict) and _reads_free(stored, wall):
            return at
        until = float(reset)
    return min(until, float(claimed)) if is_number(claimed) else until


def _reads_free(window: dict[str, Any], wall: dict[str, Any]) -> bool:
    """A window of unknown length read after the wall below 100% in a later period (it reset)."""
    observed, reset, pct = window.get("observed_at"), window.get("resets_at"), window.get("used_pct")
    if not (is_number(observed) and observed > wall["at"] and is_number(pct) and pct < 100):
        return False
    wall_reset = wall.get("resets_at")
    return is_number(reset) and is_number(wall_reset) and reset > wall_reset + SAME_PERIOD_S


def stopped_vars(
    snap: Snapshot, now: float, family: str | None, session: str | None = None
) -> dict[str, str] | None:
    """The status line's variables for the standing wall, or None: ``window`` (id), ``name``
    (``Opus weekly``), ``resets_at`` (``Sat 18:48``, empty when unknown), ``reset`` (``2d4h``)
    and ``text``: ``stopped: Opus weekly · resets Sat 18:48`` (the default ``wall_template``)."""
    wall = current(snap, now, family, session)
    if wall is None:
        return None
    reset = wall.get("resets_at")
    found = {
        "window": str(wall["window"]),
        "name": name(wall),
        "resets_at": formats.format_clock(float(reset), now) if is_number(reset) else "",
        "reset": formats.format_duration(float(reset) - now) if is_number(reset) else "",
    }
    found["text"] = template.render(WALL_TEMPLATE, found)  # one wording: the template's
    return found


def hook_notice(
    snap: Snapshot, now: float, family: str | None, said_before: Any, session: str | None = None
) -> tuple[str, str, dict[str, Any]] | None:
    """The next prompt's one sentence about the standing wall: ``(dedupe key, message, state)``,
    or None when there is no wall or this session was told of it (``said_before``: the hook's
    dedupe entry, ``before_prompt.said_before``). The state goes into the session's dedupe table."""
    wall = current(snap, now, family, session)
    if wall is None:
        return None
    key = f"wall:{wall['window']}"
    state = {"level": levels.FULL, "period": float(wall["at"])}
    old = said_before.get(key) if isinstance(said_before, dict) else None
    reset = wall.get("resets_at")
    when = time_of(float(wall["at"]), now)
    text = f"Stopped at {when} by the {name(wall)} limit"
    if name(wall) == "a limit":
        text = f"Stopped at {when} by a usage limit (Claude Code did not say which)"
    if is_number(reset):
        text += (
            f"; it resets {formats.format_clock(float(reset), now)} (in {formats.format_duration(float(reset) - now)})"
        )
    if isinstance(old, dict) and old.get("period") == state["period"]:
        return key, "", state  # told already: keep the entry, say nothing
    link = more_usage_url(snap)
    if link:  # the organisation's own way past the wall (the server's ``kind_fountain_url``)
        text += f"; to ask your organisation for more usage: {link}"
    return key, text + ".", state


def more_usage_url(snap: Snapshot) -> str | None:
    """The organisation's "request more usage" link, as text, when the server sent one (checked and
    cleaned by ``truth.request_url``: https, off Claude's and Anthropic's domains, ASCII)."""
    from statusline.core.window.truth import request_url

    server = snap.get("server")
    link = server.get("more_usage_url") if isinstance(server, dict) else None
    return request_url(link.get("url")) if isinstance(link, dict) else None


def time_of(epoch: float, now: float) -> str:
    """``14:05`` within a day, ``Tue 14:05`` further back."""
    import time

    return time.strftime("%H:%M" if now - epoch < 20 * 3600 else "%a %H:%M", time.localtime(epoch))


def _date(epoch: float) -> str:
    import time

    return time.strftime("%a %d %b %H:%M", time.localtime(epoch))


def json_list(snap: Snapshot, now: float, iso: Callable[[Any], str | None]) -> list[dict[str, Any]]:
    """``status --json``'s ``walls``: the last 30 days, oldest first, times through ``iso``
    (``status_json.iso``, passed in: that module calls this one)."""
    return [
        {
            "at": iso(w["at"]),
            "window": w.get("window"),
            "name": name(w),
            "said": w.get("said"),
            "resets_at": iso(w.get("resets_at")),
            "source": w.get("source"),
            "how": w.get("how"),
            "standing": current({**snap, "walls": [w]}, now, None) is not None,
        }
        for w in recent(snap, _last_days(now))
    ]


def status_lines(snap: Snapshot, now: float) -> list[str]:
    """``quotaline status``'s lines for the walls of the last 30 days (none: no lines)."""
    walls = recent(snap, _last_days(now))
    if not walls:
        return []
    lines = [f"  walls (last {LIST_DAYS} days): {len(walls)}"]
    for w in walls:
        reset = w.get("resets_at")
        until = ""
        if is_number(reset):
            until = f", resets {formats.format_clock(reset, now)}" if reset > now else f", reset {_date(reset)}"
        quote = f' — "{w["said"]}"' if w.get("said") else ""
        lines.append(f"    {_date(float(w['at']))}  {name(w)}{until}{quote}")
    return lines
