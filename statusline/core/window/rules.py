"""What a window is: its length, the plausibility rule, the period rule, the merge rule, its label,
and the model family of a model id or display name. The one home of these rules: every source
(stdin, Claude Code's cache, the usage endpoints) and every reader (history, forecast, ledger,
hook, surfaces) calls them.

A window is a plain dict (see docs/ARCHITECTURE.md) so the hot path can read and write it without
a model library.

Self-healing rests on two rules here. ``problem`` rejects a reading that no later reading could
outvote (a reset time centuries ahead, a percent in the wrong unit) before it is stored, and every
stored window is checked again when read. ``merge_window`` lets the newest observation overrule a
stored period that it contradicts, so a wrong-but-plausible reading lasts at most until the next
good one.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any, TypeGuard

    Window = dict[str, Any]
else:
    Window = dict

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
FIVE_HOUR_S = 5 * HOUR
WEEK_S = 7 * DAY
# Code-named buckets have no published length; one seen reset 34 days after it was read.
UNKNOWN_LENGTH_HORIZON_S = 92 * DAY

# Two readings whose reset times are this close describe the same period: the server's
# reset times jitter by a few seconds between payloads and sources.
SAME_PERIOD_S = 300.0
# A reset may lie this much beyond one window length after the observation: clocks of this machine
# and the server disagree, and a period may start a little before the first reading of it.
RESET_SLACK_S = HOUR
# An equal percent refreshes the stored observation time only when that is this old: a status line
# every 10 s must not rewrite the snapshot for a number that did not move.
RESTAMP_AFTER_S = MINUTE
# An observation this far in this machine's future is a clock or unit error, not a reading.
FUTURE_SKEW_S = 5 * MINUTE
# Plausible epoch seconds start here (2020): smaller numbers are another unit or garbage.
EPOCH_FLOOR = 1_577_836_800.0
# The server's percent may exceed 100 (spend limits), never by orders of magnitude; the known bad
# reading where the percent is the reset epoch lies far above.
MAX_PCT = 1000.0
MAX_ID_LEN = 128
MAX_TEXT_LEN = 200

# Readings whose observation time is when the server said it (a fetch). Claude Code's status-line
# input is stamped when it arrives, and an idle session keeps passing an older, lower value.
SERVER_SOURCES = frozenset({"oauth", "claude_ai", "claude_json"})
# The usage endpoint rounds to whole percents where Claude Code's headers carry a decimal: a
# difference this small is rounding, not a wrong reading.
ROUNDING_PTS = 1.0

BASE_LABELS = {"five_hour": "5h", "seven_day": "7d"}
# Scopes quotaline has its own short name for: the server's display name ("Claude Opus 4.5",
# a localised one) does not replace these; any other scope is labelled by the server's name.
SCOPE_LABELS = {
    "opus": "Opus", "sonnet": "Sonnet", "haiku": "Haiku", "oauth_apps": "OAuth apps",
    "claude_code": "Claude Code", "cowork": "Cowork", "chat": "Chats", "chats": "Chats",
}  # fmt: skip
# A label drawn from the server's display name is cut to this many characters: it shares one line.
MAX_LABEL_LEN = 24
# Surfaces whose limits count only use outside Claude Code (claude.ai's chats, Cowork): a window
# scoped to one never stops a Claude Code session. Claude Code's own and unknown surfaces do.
OTHER_SURFACES = frozenset({"cowork", "chat", "chats"})
# A "Claude gateway" budget (stdin's ``rate_limits.spend_limit``): a window with money, whose
# percent may exceed 100 and whose period (daily, weekly, monthly) the budget sets.
SPEND_LIMIT = "spend_limit"
OTHER_LABELS = {SPEND_LIMIT: "Spend"}
HUMAN_NAMES = {"five_hour": "5-hour window", "seven_day": "7-day window", SPEND_LIMIT: "spend limit"}


def is_number(value: Any) -> TypeGuard[float]:
    """A finite int or float (a JSON bool is not a number)."""
    kind = type(value)
    if kind is float:
        return bool(value - value == 0.0)  # False for NaN and the infinities
    return kind is int and -(2**62) < value < 2**62


def length_s(window_id: str) -> float | None:
    """The window's length in seconds: 5 hours, 7 days (every ``seven_day:*``), else unknown."""
    base = window_id.partition(":")[0]
    if base == "five_hour":
        return FIVE_HOUR_S
    if base == "seven_day":
        return WEEK_S
    return None


def problem(window: Any, now: float) -> str | None:
    """Why ``window`` is not a plausible reading at ``now``, or None when it is.

    Finite numbers; a percent in [0, MAX_PCT]; an observation time in plausible epoch seconds and
    not in the future; a reset time (when known) after the observation's period could have begun
    and no more than one window length (plus slack) after it was observed.
    """
    if not isinstance(window, dict):
        return "not an object"
    wid = window.get("id")
    if not isinstance(wid, str) or not wid or len(wid) > MAX_ID_LEN:
        return "no usable window id"
    for key in ("label", "source", "session", "severity", "server_name"):
        text = window.get(key)
        if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT_LEN):
            return f"{key} is not a short string"
    pct = window.get("used_pct")
    if not is_number(pct) or not 0 <= pct <= MAX_PCT:
        return f"percent {pct!r} is not a number in 0-{MAX_PCT:g}"
    observed = window.get("observed_at")
    if not is_number(observed) or not EPOCH_FLOOR <= observed <= now + FUTURE_SKEW_S:
        return f"observation time {observed!r} is not a time up to now"
    if window.get("money") is not None:
        why = window_money_problem(window["money"])
        if why:
            return why
    reset = window.get("resets_at")
    if reset is None:
        return None
    length = length_s(wid)
    horizon = (length or UNKNOWN_LENGTH_HORIZON_S) + RESET_SLACK_S
    if not is_number(reset) or not observed - (length or horizon) < reset <= observed + horizon:
        return f"reset time {reset!r} is not within one window length of the observation"
    return None


def window_money_problem(money: Any) -> str | None:
    """A window's own money (``spend_limit``: ``{"used", "limit", "currency", "period"}``, major units)."""
    if not isinstance(money, dict):
        return "money is not an object"
    for key in ("used", "limit"):
        value = money.get(key)
        if value is not None and (not is_number(value) or not 0 <= value <= 1e9):
            return f"money {key} {value!r} is not a plausible amount"
    for key in ("currency", "period"):
        text = money.get(key)
        if text is not None and (not isinstance(text, str) or not 0 < len(text) <= 16):
            return f"money {key} is not a short string"
    return None


# Whose extra usage it is (``extra_usage.scope``): on Team and Enterprise plans the usage payload's
# money is the organisation's total; claude.ai's ``/usage/spend`` is the member's own; None: not
# known (an individual plan has no one else's to tell apart), and nothing is said.
ORG = "organization"
MEMBER = "member"
MONEY_SCOPES = (ORG, MEMBER, None)
ORG_PLANS = frozenset({"team", "enterprise"})


def money_scope(plan: Any, single_seat: Any = None) -> str | None:
    """The scope of the usage payload's money on plan ``plan`` (the credentials' subscriptionType):
    the organisation's on Team and Enterprise plans (a team of one seat: that member's), else None."""
    if not isinstance(plan, str) or plan.strip().lower() not in ORG_PLANS:
        return None
    return MEMBER if single_seat is True else ORG


def money_problem(extra: Any, now: float) -> str | None:
    """Why an extra-usage dict (major units) is not plausible, or None."""
    if not isinstance(extra, dict):
        return "not an object"
    if not isinstance(extra.get("enabled"), bool):
        return "enabled is not a boolean"
    for key in ("used", "limit", "utilization"):
        value = extra.get(key)
        if value is not None and (not is_number(value) or not 0 <= value <= 1e9):
            return f"{key} {value!r} is not a plausible amount"
    currency = extra.get("currency")
    if currency is not None and (not isinstance(currency, str) or not 0 < len(currency) <= 8):
        return "currency is not a short code"
    if extra.get("scope") not in MONEY_SCOPES:
        return "scope is not organization, member or unknown"
    observed = extra.get("observed_at")
    if observed is not None and (not is_number(observed) or not EPOCH_FLOOR <= observed <= now + FUTURE_SKEW_S):
        return f"observation time {observed!r} is not a time up to now"
    return None


def same_period(a: float | None, b: float | None) -> bool:
    """Two reset times (None: unknown) describe the same period."""
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= SAME_PERIOD_S


def merge_window(old: Window | None, new: Window) -> Window | None:
    """The window to keep after seeing ``new``, or None when ``old`` stays as it is.

    Same period: keep the higher percent (sessions that sat idle pass older, lower values), and
    the newer observation when equal (once it is ``RESTAMP_AFTER_S`` newer); a newer reading from
    the server itself (``SERVER_SOURCES``) replaces one higher by more than rounding, since within
    a period the server's percent never falls. A later period replaces. An earlier period is
    ignored, unless ``new`` is the newer observation and its period had not ended when it was
    made: two periods of one window never overlap, so the stored reading was wrong. A reading
    without a reset time only fills a gap or refreshes a reading that has none either.
    """
    if old is None:
        return new
    old_reset, new_reset = old.get("resets_at"), new.get("resets_at")
    new_seen, old_seen = float(new.get("observed_at", 0)), float(old.get("observed_at", 0))
    if same_period(old_reset, new_reset):
        old_pct, new_pct = float(old.get("used_pct", 0.0)), float(new["used_pct"])
        if new_pct > old_pct or (new_pct == old_pct and new_seen >= old_seen + RESTAMP_AFTER_S):
            return new
        if new_pct < old_pct - ROUNDING_PTS and new.get("source") in SERVER_SOURCES and new_seen > old_seen:
            return new  # the server's own newer word: the higher number was wrong
        return None
    if old_reset is None:
        return new
    if new_reset is None:
        return None
    if new_reset > old_reset:
        return new
    return new if new_seen > old_seen and new_reset > new_seen else None


def unsaid(window: Window, source: str, said: Any, observed_at: float) -> bool:
    """Whether a complete reply of ``source`` observed at ``observed_at``, naming the window ids in
    ``said``, takes back ``window``: a server source's reply is its whole word, so a window whose
    last word came from ``source`` and which its newer reply no longer names (left out, or sent as
    null) is no longer said. Claude Code's stdin is no such word (not in ``SERVER_SOURCES``): it
    carries only five_hour and seven_day, and leaves a window out at start-up and after its reset,
    so what it omits it has not taken back."""
    if source not in SERVER_SOURCES or window.get("source") != source or window.get("id") in said:
        return False
    seen = window.get("observed_at")
    return is_number(seen) and seen <= observed_at


def _deaccent(text: str) -> str:
    import unicodedata  # only for non-ASCII names: a C module, but not free

    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _words(text: str) -> list[str]:
    lowered = text.lower()
    if not lowered.isascii():
        lowered = _deaccent(lowered)
    out: list[str] = []
    word: list[str] = []
    for ch in lowered + " ":
        if ch.isalnum():
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    return out


# Vendor, region and routing words in model ids (Bedrock ``us.anthropic.claude-opus-4-1``,
# Vertex ``claude-opus-4@2025``, gateways ``anthropic/claude-sonnet-4``) that name no family.
_NOT_A_FAMILY = frozenset({"claude", "anthropic", "us", "eu", "apac", "global", "fast", "latest", "model"})


def _family_in(text: Any) -> str | None:
    if not text or not isinstance(text, str):  # a corrupt file may hold any type here
        return None
    for word in _words(text):
        if word.isalpha() and word not in _NOT_A_FAMILY:
            return word
    return None


def model_family(model_id: str | None, display_name: str | None = None) -> str | None:
    """``claude-opus-5-5`` / ``us.anthropic.claude-opus-4-1`` / ``Opus 5.5`` / ``Ópus`` -> ``opus``.

    The id first (display names may be localised), then the display name; None when neither names
    a family.
    """
    return _family_in(model_id) or _family_in(display_name)


def clean_name(text: Any, limit: int = MAX_LABEL_LEN) -> str | None:
    """A display name from the server as a label: one line of printable text, at most ``limit``
    characters (cut with "…"), or None when nothing printable is left. Never raises."""
    if not isinstance(text, str) or not text:
        return None
    from statusline.core.draw.textsafe import clean

    name: str = text[: limit * 8]  # a hostile name costs nothing to clean
    if not name.isprintable():
        # Format characters (zero-width joiners, bidi marks) and unassigned or private code points
        # draw nothing or something else in each terminal: they go, like control characters.
        import unicodedata

        kept = {"Z": " ", "C": ""}
        name = "".join(kept.get(unicodedata.category(ch)[0], ch) for ch in clean(name))
    name = " ".join(name.split())
    if not name:
        return None
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def label_for(window_id: str, names: dict[str, str] | None = None) -> str:
    """``5h``, ``7d``, ``Opus``, ``OAuth apps``, ``5h Claude Code``, ``Fable · Claude Code``; a
    code-named bucket keeps its key. ``names``: the server's display names of the id's scope parts
    (``{"fable": "Fable", "claude_code": "Claude Code"}``), used for every part quotaline has no
    short name of its own for (``SCOPE_LABELS``)."""
    if window_id in BASE_LABELS:
        return BASE_LABELS[window_id]
    if window_id in OTHER_LABELS:
        return OTHER_LABELS[window_id]
    base, sep, scope = window_id.partition(":")
    if not sep or base not in BASE_LABELS:
        return clean_name((names or {}).get(window_id)) or window_id
    parts = [
        SCOPE_LABELS.get(part) or clean_name((names or {}).get(part)) or part.replace("_", " ").capitalize()
        for part in scope.split(":")
    ]
    scope_label = clean_name(" · ".join(parts), 2 * MAX_LABEL_LEN) or scope
    return scope_label if base == "seven_day" else f"{BASE_LABELS[base]} {scope_label}"


def human_name(window: Window) -> str:
    wid = str(window.get("id", ""))
    if wid in HUMAN_NAMES:
        return HUMAN_NAMES[wid]
    label = str(window.get("label") or label_for(wid))
    if wid.startswith("seven_day:"):
        return f"{label} weekly window"
    return f"{label} limit"


def weekly_id(family: str) -> str:
    """The weekly window of a model family: ``opus`` -> ``seven_day:opus``."""
    return f"seven_day:{family}"


def display_order(window_id: str) -> tuple[int, str]:
    """Every list of windows reads the same way: 5-hour, 7-day, per-model weeks, the rest."""
    rank = {"five_hour": 0, "seven_day": 1}
    return rank.get(window_id, 2 if window_id.startswith("seven_day:") else 3), window_id


# Claude Code's own names for windows: the rate-limit claims of its API replies
# (``anthropic-ratelimit-unified-representative-claim``) and the words of its messages
# ("You've hit your Opus limit", "You've used 93% of your 5-hour limit"). Claude Code 2.1.330 calls
# the ``seven_day_overage_included`` window "Fable limit" and the ``overage`` one "usage credit limit".
CLAIM_IDS = {
    "five_hour": "five_hour",
    "seven_day": "seven_day",
    "seven_day_opus": "seven_day:opus",
    "seven_day_sonnet": "seven_day:sonnet",
    "seven_day_overage_included": "seven_day:fable",
    "overage": "extra_usage",
}
# Words before "limit" in Claude Code's messages that name no model family.
_NOT_A_LIMIT_NAME = frozenset(
    {"your", "the", "a", "this", "rate", "usage", "hit", "reached", "spend", "daily", "monthly", "org", "group", "plan"}
)


def claim_window(claim: Any) -> str | None:
    """The window id of a rate-limit claim (``seven_day_opus`` -> ``seven_day:opus``), or None."""
    return CLAIM_IDS.get(claim.strip().lower()) if isinstance(claim, str) and len(claim) <= MAX_ID_LEN else None


def window_in_text(text: Any) -> str | None:
    """The window a Claude Code message names, or None: "5-hour limit" -> ``five_hour``, "weekly
    limit" -> ``seven_day``, "Opus limit" -> ``seven_day:opus`` (any family ``model_family`` knows),
    "usage credit limit" -> ``extra_usage``; "usage limit" names none. Never raises."""
    if not isinstance(text, str) or not text:
        return None
    words = _words(text[:2000])
    for i in range(1, len(words)):
        if words[i] not in ("limit", "limits"):
            continue
        before = words[i - 1]
        if (before == "hour" and i >= 2 and words[i - 2] in ("5", "five")) or before == "session":
            return "five_hour"
        if before in ("weekly", "week"):
            return "seven_day"
        if before in ("credit", "credits"):
            return "extra_usage"
        family = None if before in _NOT_A_LIMIT_NAME else _family_in(before)
        if family:
            return f"seven_day:{family}"
    return None


# Claude Code 2.1.330's own early warning, as measured (docs/claude-code-warnings.md): a window at
# least this full while at most this share of it has elapsed. Its other tiers (50%, 25%) are
# below the 70% under which it shows nothing; per-model windows have no warning before the wall.
CLAUDE_CODE_WARNS = {"five_hour": (90.0, 0.72), "seven_day": (75.0, 0.60)}


def claude_code_warns(window: Window, now: float) -> bool:
    """Whether Claude Code itself shows "You've used N% of your ... limit" for ``window`` at ``now``
    (from the headers of its own replies; the server's ``-surpassed-threshold`` header, which
    quotaline never sees, can make it warn at other times too)."""
    rule = CLAUDE_CODE_WARNS.get(str(window.get("id")))
    pct, reset = window.get("used_pct"), window.get("resets_at")
    length = length_s(str(window.get("id")))
    if rule is None or length is None or not is_number(pct) or not is_number(reset) or reset <= now:
        return False
    elapsed = min(1.0, max(0.0, (now - (reset - length)) / length))
    return pct >= rule[0] and elapsed <= rule[1]


def claude_code_shows(windows: dict[str, Window], now: float) -> str | None:
    """The one window Claude Code's own warning is about now, if any: it shows one at a time, the
    first of 5-hour and weekly that ``claude_code_warns`` (both high: only the 5-hour one)."""
    for wid in CLAUDE_CODE_WARNS:
        window = windows.get(wid)
        if isinstance(window, dict) and claude_code_warns(window, now):
            return wid
    return None


# Claude Code's own wrap-up mode (2.1.330: off unless its ``tengu_vellum_anchor`` feature is on,
# cached in ``.claude.json``'s ``cachedGrowthBookFeatures``): at this share of the 5-hour window it
# tells the model "[Usage limit approaching. Checkpoint now: finish the current step, ...]".
CLAUDE_CODE_WRAP_UP = ("five_hour", 95.0)
CLAUDE_CODE_WRAP_UP_FEATURE = "tengu_vellum_anchor"


def claude_code_wraps_up(window: Window, feature_on: bool) -> bool:
    """Whether Claude Code's own wrap-up mode already asks the model to wrap up for ``window``."""
    wid, pct = CLAUDE_CODE_WRAP_UP
    used = window.get("used_pct")
    return feature_on and window.get("id") == wid and is_number(used) and used >= pct


# Model families with a weekly window of their own (Claude Code's claims name them).
PER_MODEL_FAMILIES = frozenset(w.partition(":")[2] for w in CLAIM_IDS.values() if w.startswith("seven_day:"))


def gates(window_id: str, family: str | None, families_seen: set[str] | frozenset[str] = frozenset()) -> bool:
    """Whether ``window_id`` can stop a Claude Code session of model ``family``: a window scoped to
    a surface other than Claude Code (``OTHER_SURFACES``: Cowork, chats) stops none; an Opus week
    does not stop a Sonnet session; every other window (5-hour, weekly, Claude Code's or an unknown
    surface's, money) stops every session, and without a known family every such window counts.
    ``families_seen``: families of sessions seen, whose weekly windows are per-model too."""
    base, _, scope = window_id.partition(":")
    parts = scope.split(":") if scope and base in BASE_LABELS else []
    if any(part in OTHER_SURFACES for part in parts):
        return False
    if base != "seven_day" or not parts or family is None or parts[0] == family:
        return True
    return not (parts[0] in PER_MODEL_FAMILIES or parts[0] in families_seen)


# Extra usage billed while no window is full: a routing change that charges the card while the bars
# show 13%. Smaller rises are rounding of the server's amounts.
MONEY_MOVED_MIN = 0.01
PLAN_WINDOWS = ("five_hour", "seven_day")


def same_figure(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Two extra-usage readings count the same money: one currency, and both a member's own or
    both a total (a total of unknown scope is a total: the claude_json source on a Mac cannot read
    the plan from the Keychain, and the oauth source can)."""
    if (old.get("currency") or "USD") != (new.get("currency") or "USD"):
        return False
    return (old.get("scope") == MEMBER) == (new.get("scope") == MEMBER)


def money_moved(old: Any, new: dict[str, Any], windows: dict[str, Window], now: float) -> dict[str, Any] | None:
    """``{"from", "to", "at", "windows": {id: pct}}`` when extra usage rose from ``old`` to ``new``
    while every window still in its period is below 100%; None otherwise (a full window bills
    extra usage by design, and a new month starts lower)."""
    if not (isinstance(old, dict) and old.get("enabled") and new.get("enabled")):
        return None
    before, after = old.get("used"), new.get("used")
    if not (is_number(before) and is_number(after) and after - before >= MONEY_MOVED_MIN):
        return None
    if not same_figure(old, new):
        return None  # another currency, or the organisation's total beside a member's own: no rise
    current = [w for w in windows.values() if not (is_number(w.get("resets_at")) and w["resets_at"] <= now)]
    if not any(w["id"] in PLAN_WINDOWS for w in current) or any(float(w["used_pct"]) >= 100 for w in current):
        return None
    shown = {w["id"]: float(w["used_pct"]) for w in current if w["id"] in PLAN_WINDOWS}
    return {"from": float(before), "to": float(after), "at": float(now), "windows": shown}


# Extra usage's recent amounts, for its pace (``forecast.money_rate``): ``[[observed_at, used], ...]``,
# oldest first, the last hour's (the lookback of a window's forecast) and at most this many.
MONEY_TRACK_POINTS = 12
MONEY_TRACK_S = HOUR


def money_track(old: Any, new: dict[str, Any]) -> list[list[float]] | None:
    """``new``'s track: ``old``'s points of the last hour, then ``new``'s amount; None when extra
    usage is off or ``new`` has no amount or time. A lower amount, another currency or another
    scope (the organisation's total, a member's own) is a new month or another figure: the track
    starts again from ``new``."""
    used, at = new.get("used"), new.get("observed_at")
    if not (new.get("enabled") and is_number(used) and is_number(at)):
        return None
    points: list[list[float]] = []
    if isinstance(old, dict) and same_figure(old, new):
        stored = old.get("track")
        points = [p for p in stored if p[0] >= at - MONEY_TRACK_S] if isinstance(stored, list) else []
        if points and (points[-1][1] > used or points[-1][0] > at):
            points = []
    if points and at - points[-1][0] < MINUTE and points[-1][1] == used:
        return points  # the same amount again within a minute: the older point says as much
    points = [*points, [float(at), float(used)]]
    if len(points) > MONEY_TRACK_POINTS:  # keep the oldest (the span) and the newest
        points = [points[0], *points[len(points) - MONEY_TRACK_POINTS + 1 :]]
    return points


def track_problem(track: Any, now: float) -> str | None:
    """Why a stored ``extra_usage.track`` is not plausible, or None."""
    if not isinstance(track, list) or not 0 < len(track) <= MONEY_TRACK_POINTS:
        return "not a money track"
    last_t, last_used = 0.0, 0.0
    for point in track:
        if not (isinstance(point, list) and len(point) == 2 and all(is_number(v) for v in point)):
            return "not a money track"
        t, used = point
        if not (EPOCH_FLOOR <= t <= now + FUTURE_SKEW_S and 0 <= used <= 1e9):
            return "a point out of range"
        if t < last_t or used < last_used:
            return "points out of order"
        last_t, last_used = t, used
    return None


def moved_problem(moved: Any, now: float) -> str | None:
    """Why a stored ``extra_usage.moved`` is not plausible, or None."""
    if not isinstance(moved, dict) or set(moved) != {"from", "to", "at", "windows"}:
        return "not a money movement"
    if not all(is_number(moved[k]) and 0 <= moved[k] <= 1e9 for k in ("from", "to")):
        return "amounts out of range"
    if not (is_number(moved["at"]) and EPOCH_FLOOR <= moved["at"] <= now + FUTURE_SKEW_S):
        return "not a time up to now"
    shown = moved["windows"]
    if not isinstance(shown, dict) or len(shown) > len(PLAN_WINDOWS):
        return "windows are not the plan's"
    if not all(k in PLAN_WINDOWS and is_number(v) and 0 <= v <= MAX_PCT for k, v in shown.items()):
        return "windows are not the plan's"
    return None


# Dollar credit pools: code-named buckets that carry money (``limit_dollars``, ``used_dollars``,
# ``remaining_dollars``): a credit to spend, not a rate window. A pool never blocks a prompt, is
# never an alert percent and never "what stopped you"; it warns when nearly used up. Its code name
# is the snapshot's key and nothing more: every surface names it by ``POOL_LABELS`` or the server's
# own ``label``, else ``POOL_LABEL``.
POOL_LABELS = {
    "iguana_necktie": "Cloud session credit",
    "cinder_cove": "Claude Code and Cowork credit",  # Claude Code's own title for it
}
POOL_LABEL = "Credit"  # what Claude Code calls a pool without a label of its own
# Code-named buckets quotaline knows as pools: one sent without any amount is no window either.
KNOWN_POOLS = frozenset({*POOL_LABELS, "wattle_ember"})
# A pool with this share or less of its amount left warns (or when the server sends its notice).
POOL_LOW_SHARE = 0.1
POOL_MAX_DOLLARS = 1e9
# Stored windows of these ids were written by versions that drew pools as percent windows.
RETIRED_WINDOW_IDS = KNOWN_POOLS | {"nimbus_quill", "cedar_ember"}


def pool_label(key: str, server_label: Any = None) -> str:
    """A pool's human name: the server's ``label`` (cleaned), quotaline's own name for a known
    pool, else "Credit": never the code name."""
    return clean_name(server_label, 2 * MAX_LABEL_LEN) or POOL_LABELS.get(key) or POOL_LABEL


def pool_problem(pool: Any, now: float) -> str | None:
    """Why a stored pool (``{"label", "used", "limit", "remaining", "currency", "resets_at",
    "observed_at", "source"}``, dollars) is not plausible, or None."""
    if not isinstance(pool, dict):
        return "not an object"
    label = pool.get("label")
    if not isinstance(label, str) or not 0 < len(label) <= MAX_TEXT_LEN:
        return "no label"
    amounts = [pool.get(k) for k in ("used", "limit", "remaining")]
    for value in amounts:
        if value is not None and (not is_number(value) or not 0 <= value <= POOL_MAX_DOLLARS):
            return f"amount {value!r} is not a plausible amount"
    if all(value is None for value in amounts):
        return "no amount"
    for key in ("currency", "source"):
        text = pool.get(key)
        if text is not None and (not isinstance(text, str) or not 0 < len(text) <= 16):
            return f"{key} is not a short string"
    observed = pool.get("observed_at")
    if not is_number(observed) or not EPOCH_FLOOR <= observed <= now + FUTURE_SKEW_S:
        return f"observation time {observed!r} is not a time up to now"
    reset = pool.get("resets_at")
    if reset is not None and not (is_number(reset) and observed - UNKNOWN_LENGTH_HORIZON_S < reset
                                  <= observed + UNKNOWN_LENGTH_HORIZON_S + RESET_SLACK_S):  # fmt: skip
        return f"reset time {reset!r} is not within a pool's length of the observation"
    return None


def pool_left(pool: dict[str, Any]) -> float | None:
    """Dollars left in a pool: the server's ``remaining`` when sent, else limit less used."""
    left, limit, used = pool.get("remaining"), pool.get("limit"), pool.get("used")
    if is_number(left):
        return float(left)
    if is_number(limit) and is_number(used):
        return max(0.0, float(limit) - float(used))
    return None


def pool_state(pool: dict[str, Any]) -> str:
    """"used up" (nothing left of a limit), "low" (``POOL_LOW_SHARE`` of it or less left) or ""."""
    left, limit = pool_left(pool), pool.get("limit")
    if left is None or not is_number(limit) or limit <= 0:
        return ""
    if left <= 0.0:
        return "used up"
    return "low" if left <= POOL_LOW_SHARE * float(limit) else ""
