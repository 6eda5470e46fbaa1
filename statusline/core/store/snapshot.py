"""The snapshot file: one JSON document per Claude config dir, the only state quotaline shares.

Writers take an exclusive ``flock`` on ``<snapshot>.lock`` (the lock ``filelock.FileLock`` takes,
so the refresher's FileLock and the status line exclude each other), re-read, change, and
replace the file atomically. Readers never lock: ``fastos.replace`` means they see the old or the new
document, never a torn one. Anything unreadable counts as empty and is rewritten by the next writer.
"""

from __future__ import annotations

import time

from statusline.core import system
from statusline.core.settings.defaults import MAX_REFRESH_INTERVAL_S
from statusline.core.store import paths
from statusline.core.system import fastjson, fastos
from statusline.core.window import forecast, history_rules
from statusline.core.window.rules import (
    EPOCH_FLOOR,
    FUTURE_SKEW_S,
    MAX_ID_LEN,
    RETIRED_WINDOW_IDS,
    is_number,
    length_s,
    money_problem,
    moved_problem,
    problem,
    track_problem,
)

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from collections.abc import Callable
    from typing import Any

    Snapshot = dict[str, Any]
else:
    Snapshot = dict

SCHEMA = 1
# Far above what the bounded sections can reach (64 windows of 300 history points, 64 sessions):
# anything bigger was not written by quotaline and is not worth reading on every status line.
MAX_BYTES = 4 << 20
# Bounds that keep the snapshot (and the status line's time) flat after months of use: the writers
# (``merge``) keep to them, and a file that holds more is cut to them when read.
MAX_WINDOWS = 64
MAX_SESSIONS = 64
MAX_ERRORS = 10
MAX_SOURCES = 16
# Walls (a turn stopped by a limit, see ``walls``): the last 30 days are listed, a few more kept.
MAX_WALLS = 32
WALLS_KEEP_S = 35 * 86400.0
# No wait quotaline sets is longer (the refresh interval, a backoff): a later time in the file was
# not written by it (or the clock jumped back), and would stop refreshes for good.
MAX_DUE_S = MAX_REFRESH_INTERVAL_S + 3600.0
# The refresher caps every backoff at an hour.
MAX_BACKOFF_S = 2 * 3600.0
_unreadable: set[str] = set()

_SECTIONS: dict[str, type] = {
    "windows": dict,
    "sessions": dict,
    "history": dict,
    "refresh": dict,
    "errors": list,
    "warned": dict,
    "account": dict,
    "walls": list,
    "server": dict,  # pools, grants, the week's split, the request link (core/window/truth.py)
}



def empty() -> Snapshot:
    snap: Snapshot = {"schema": SCHEMA, "extra_usage": None}
    for key, kind in _SECTIONS.items():
        snap[key] = kind()
    snap["history"] = History()
    return snap


def normalise(data: Any, now: float | None = None) -> Snapshot:
    """A well-formed snapshot from whatever was on disk.

    Wrong types become empty sections; a stored window or extra usage that fails the plausibility
    rule (``rules.problem``: an older version may have stored it) is dropped, with its history.
    """
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        return empty()
    now = time.time() if now is None else now
    snap = empty()
    for key, kind in _SECTIONS.items():  # a key of no section is dropped: nobody reads it
        value = data.get(key)
        if isinstance(value, kind):
            snap[key] = value
    snap["extra_usage"] = data.get("extra_usage")
    windows = {k: w for k, w in snap["windows"].items() if problem(w, now) is None and w["id"] == k}
    windows = {k: w for k, w in windows.items() if k not in RETIRED_WINDOW_IDS}  # a pool drawn as a window
    snap["windows"] = newest(windows, MAX_WINDOWS, lambda w: (w["id"] in _KEPT_FIRST, w["observed_at"]))
    history = snap["history"]
    if not isinstance(history, History):  # stored in the snapshot itself: the format before the history file
        snap["history"] = History({k: v for k, v in history.items() if k in snap["windows"]}, legacy="history" in data)
    elif any(k not in snap["windows"] for k in history):
        for k in [k for k in history if k not in snap["windows"]]:
            dict.__delitem__(history, k)
    recent = data.get("recent")
    if isinstance(recent, dict) and not snap["history"].legacy:
        snap["history"].recent = {k: v for k, v in recent.items() if k in snap["windows"]}
        rates = data.get("rates")  # checked where used (forecast.memo_applies)
        if isinstance(rates, dict):
            snap["history"].rates = {k: v for k, v in rates.items() if k in snap["windows"]}
    if snap.get("extra_usage") is not None and money_problem(snap["extra_usage"], now) is not None:
        snap["extra_usage"] = None
    extra = snap["extra_usage"]
    if isinstance(extra, dict) and "moved" in extra and moved_problem(extra["moved"], now) is not None:
        snap["extra_usage"] = extra = {k: v for k, v in extra.items() if k != "moved"}  # the money itself stays
    if isinstance(extra, dict) and "track" in extra and track_problem(extra["track"], now) is not None:
        snap["extra_usage"] = {k: v for k, v in extra.items() if k != "track"}  # the pace starts again
    snap["refresh"] = _sane_times(snap["refresh"], now)
    if "sources" in snap["refresh"]:
        sources = snap["refresh"]["sources"]
        sources = sources if isinstance(sources, dict) else {}
        sources = {k: _sane_times(v, now) for k, v in sources.items() if isinstance(v, dict)}
        snap["refresh"]["sources"] = dict(list(sources.items())[:MAX_SOURCES])
    sessions = {k: v for k, v in snap["sessions"].items() if _sane_entry(k, v, "last_seen", now)}
    snap["sessions"] = newest(sessions, MAX_SESSIONS, lambda v: v["last_seen"])
    warned = {k: v for k, v in snap["warned"].items() if _sane_warned(k, v, now)}
    snap["warned"] = newest(warned, MAX_SESSIONS, lambda v: v["at"])
    snap["errors"] = [e for e in snap["errors"] if _sane_error(e, now)][-MAX_ERRORS:]
    snap["walls"] = sane_walls(snap["walls"], now)
    if snap["server"]:  # the server's truth beyond windows: its rules are loaded only when some is kept
        from statusline.core.window import truth

        snap["server"] = truth.sane(snap["server"], now)
    return snap


_KEPT_FIRST = ("five_hour", "seven_day")


def newest(table: dict[str, Any], limit: int, rank: Callable[[Any], Any]) -> dict[str, Any]:
    """``table`` when within ``limit``, else its ``limit`` highest-ranked entries (one rule for
    every bounded section, whether it is being read or written)."""
    if len(table) <= limit:
        return table
    return dict(sorted(table.items(), key=lambda item: rank(item[1]), reverse=True)[:limit])


def _sane_time(value: Any, now: float, ahead: float) -> bool:
    return is_number(value) and EPOCH_FLOOR <= value <= now + ahead


def _sane_times(section: dict[str, Any], now: float) -> dict[str, Any]:
    """The refresh state without values that fail ``_sane_value``: the code that reads each has a default."""
    return {key: value for key, value in section.items() if _sane_value(key, value, now)}


def _sane_value(key: str, value: Any, now: float) -> bool:
    """Times in the future within the longest wait quotaline sets (``*_due``: the refresh interval,
    ``*_until``: a backoff), past ones (``last_*``) up to now, a failure counter a small int, a
    credentials stamp a string."""
    if key.endswith("_due"):
        return _sane_time(value, now, MAX_DUE_S)
    if key.endswith("_until"):
        return _sane_time(value, now, MAX_BACKOFF_S)
    if key.startswith("last_") and key != "last_status":
        return value is None or _sane_time(value, now, FUTURE_SKEW_S)
    if key == "failures":
        return type(value) is int and 0 <= value < 1_000_000
    return key != "auth_stamp" or isinstance(value, str)


def _sane_entry(key: Any, entry: Any, stamp: str, now: float) -> bool:
    """A session or dedupe entry: a short id, a dict with a sane time, string fields short."""
    if not isinstance(key, str) or len(key) > MAX_ID_LEN or not isinstance(entry, dict):
        return False
    if not _sane_time(entry.get(stamp), now, FUTURE_SKEW_S):
        return False
    for value in entry.values():  # noqa: SIM110 - a loop, not all() over a generator: 64 sessions a read
        if isinstance(value, str) and len(value) > 4096:
            return False
    return True


def _sane_warned(key: Any, entry: Any, now: float) -> bool:
    if not _sane_entry(key, entry, "at", now) or not isinstance(entry.get("windows"), dict):
        return False
    for value in entry["windows"].values():
        if not isinstance(value, dict) or not is_number(value.get("level")):
            return False
    return True


def _sane_error(error: Any, now: float) -> bool:
    if not isinstance(error, dict) or not _sane_time(error.get("at"), now, FUTURE_SKEW_S):
        return False
    return all(isinstance(error.get(k), str) and len(error[k]) <= 1000 for k in ("kind", "message", "source"))


def sane_walls(walls: list[Any], now: float) -> list[Any]:
    """The walls worth keeping, oldest first: well-formed (known keys only), at most
    ``WALLS_KEEP_S`` old, the newest ``MAX_WALLS`` (the one bound for reading and writing)."""
    kept = [w for w in (_sane_wall(w, now) for w in walls) if w is not None]
    kept.sort(key=lambda w: w["at"])
    return kept[-MAX_WALLS:]


_WALL_TEXTS = ("window", "said", "source", "session", "how")


def _sane_wall(wall: Any, now: float) -> dict[str, Any] | None:
    if not isinstance(wall, dict) or not _sane_time(wall.get("at"), now, FUTURE_SKEW_S):
        return None
    at = wall["at"]
    reset = wall.get("resets_at")
    if at < now - WALLS_KEEP_S or not (
        reset is None or (is_number(reset) and EPOCH_FLOOR <= reset <= at + WALLS_KEEP_S)
    ):
        return None
    texts = {k: wall.get(k) for k in _WALL_TEXTS}
    if not all(v is None or (isinstance(v, str) and len(v) <= 1000) for v in texts.values()):
        return None
    window = texts["window"]
    if not window or len(window) > MAX_ID_LEN:
        return None
    kept = {"at": at, "resets_at": reset, **texts}
    ended = wall.get("ended")  # when a later turn went through (``merge.turn_succeeded``)
    if ended is not None:
        if not (is_number(ended) and at <= ended <= now + FUTURE_SKEW_S):
            return None
        kept["ended"] = ended
    return kept


def read(path: str) -> Snapshot:
    """The snapshot at ``path``; empty when missing, unreadable, oversized or corrupt. Never raises.

    An unreadable file is remembered, so the next write in this process keeps a copy of it
    (``<path>.corrupt``, for doctor) before replacing it.
    """
    try:
        raw = _read_bytes(path)
    except Exception:  # missing, or not a plain file of ours: nothing worth a copy
        return _from(path, empty())
    try:
        snap = normalise(_parse(raw))
    except Exception:  # any failure to parse means "unreadable": the next writer replaces it
        _unreadable.add(path)
        return _from(path, empty())
    _unreadable.discard(path)
    return _from(path, snap)


def _from(path: str, snap: Snapshot) -> Snapshot:
    """``snap`` as read from ``path``: its history is the file beside it (unless the snapshot held
    one itself, the older format, which the next write moves there)."""
    snap["history"].path = history_path(path)
    return snap


def unreadable_reason(path: str) -> str | None:
    """Why ``read`` finds the file at ``path`` unreadable, or None (for doctor; never raises)."""
    try:
        _parse(_read_bytes(path))
    except FileNotFoundError:
        return None
    except Exception as exc:
        return str(exc)[:160] if isinstance(exc, (ValueError, paths.DirError)) else type(exc).__name__
    return None


def _read_bytes(path: str) -> bytes:
    # Not through a link, not a FIFO (it would hang), not a file another user planted.
    fd = paths.open_private(path, fastos.O_RDONLY)
    try:
        raw = b""
        # Its size and a byte more first: a read of MAX_BYTES would allocate (and map) 4 MiB for a
        # file of a few KB. More only if it has more (a file of another writer's, growing).
        want = min(fastos.fstat(fd).st_size, MAX_BYTES) + 1
        while len(raw) <= MAX_BYTES:
            more = fastos.read(fd, (want if len(raw) < want else MAX_BYTES + 1) - len(raw))
            if not more:
                break
            raw += more
        return raw
    finally:
        fastos.close(fd)


def _parse(raw: bytes) -> Any:
    if len(raw) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES} bytes")
    return fastjson.loads(raw)


def corrupt_copy_path(path: str) -> str:
    return path + ".corrupt"


def _keep_unreadable_copy(path: str) -> None:
    if path not in _unreadable:
        return
    _unreadable.discard(path)
    copy = corrupt_copy_path(path)
    try:
        if fastos.lexists(copy):
            fastos.unlink(copy)
        fastos.link(path, copy, follow_symlinks=False)
    except OSError:
        pass


def points(snap: Snapshot, window_id: str, since: float | None = None) -> list[Any]:
    """A window's history points (``[[observed_at, used_pct, resets_at], ...]``, see ``history_rules``).

    ``since``: the caller needs no point observed earlier (a forecast: the last hour), so only the
    history file's tail is read. Points that do not parse are left out.
    """
    history = snap.get("history")
    if not isinstance(history, History):
        history = snap["history"] = History(history if isinstance(history, dict) else {})
    return history.points(window_id, since)


def add_point(snap: Snapshot, window_id: str, t: float, pct: float, resets_at: float | None, *, now: float) -> None:
    """Record a point of a window's history (written, appended, with the snapshot)."""
    snap["history"].add(window_id, t, pct, resets_at, now=now)


def rate_memo(snap: Snapshot, window_id: str) -> Any:
    """The writer's memo of a window's burn rate over its recent points (``forecast.memo``), or None:
    none stored, or this run has points of the window that the memo did not see."""
    history = snap.get("history")
    if not isinstance(history, History) or not history.from_file or history.recent is None:
        return None
    if window_id in history.dropped or any(line[0] == window_id for line in history.pending):
        return None
    return history.rates.get(window_id)


def needs_write(snap: Snapshot) -> bool:
    """The snapshot must be written although nothing changed: it holds its history (the older format)."""
    history = snap.get("history")
    return isinstance(history, History) and history.legacy


# The history file: ``<snapshot>.history``, one line per point, ``["<window id>",t,pct,reset]``,
# appended under the snapshot's lock by every write that adds points, so a write costs the same
# whatever the history's size. An append that takes the file past HISTORY_MAX_BYTES (or a write
# that drops a window) rewrites it bounded by ``history_rules``'s rules (``history_rules.bounded``), atomically.
HISTORY_MAX_BYTES = 1 << 20
# Lines are appended in about the order of their times (a reading is stamped when it is fetched,
# seconds before it is stored): a reader of the points since t reads back to a line before t - this.
HISTORY_ORDER_SLACK_S = 600.0
_BLOCK = 1 << 15
# The snapshot itself keeps each window's points of this long before its last write ("recent"): all a
# forecast reads (the last hour, see history_rules), so the status line reads no history file.
RECENT_S = history_rules.LOOKBACK_S + HISTORY_ORDER_SLACK_S


def history_path(path: str) -> str:
    return path + ".history"


class History(dict):  # type: ignore[type-arg]
    """A snapshot's history: ``window id -> points`` (a list, or the JSON text of one) for the
    points held in memory; ``path`` is the history file behind them.

    Without ``path`` (a new snapshot, another account's), or ``legacy`` (read from a snapshot that
    held its history), the dict is the whole history and a write replaces the file with it.
    Otherwise the file is, and ``pending`` holds the points to append; ``pop``/``del`` of a window
    drops its points from the file at the next write. ``recent``: the snapshot's own copy of each
    window's last ``RECENT_S`` (JSON text or list), which serves the points asked for since then.
    """

    def __init__(self, items: dict[str, Any] | None = None, *, legacy: bool = False) -> None:
        super().__init__(items or {})
        self.path: str | None = None
        self.legacy = legacy
        self.pending: list[list[Any]] = []
        self.dropped: set[str] = set()
        self._text = b""  # whole lines of the file, read back to ``_since`` (-inf: all of it)
        self._since: float | None = None
        self._parsed: dict[str, list[list[Any]]] = {}  # per window, its lines of ``_text``
        self.recent: dict[str, Any] | None = None  # None: the snapshot had none (the file's tail serves)
        self.rates: dict[str, Any] = {}  # per window, forecast.memo of its recent points

    @property
    def from_file(self) -> bool:
        return self.path is not None and not self.legacy

    def points(self, wid: str, since: float | None = None) -> list[Any]:
        if not self.from_file:
            raw = self.get(wid)
            if isinstance(raw, str):
                try:
                    raw = fastjson.loads(raw)
                except ValueError:
                    raw = []
                dict.__setitem__(self, wid, raw)
            return raw if isinstance(raw, list) else []
        if wid in self.dropped:
            return []
        if since is not None and self.recent is not None:
            found = self._recent(wid)
            if found is not None:
                return [p for p in found if p[0] >= since] + [line[1:] for line in self.pending if line[0] == wid]
        since = -_INF if since is None else since
        self._load(since)
        lines = self._parsed.get(wid)
        if lines is None:  # only this window's lines are parsed: found by their start, as written
            lines = _parse_lines(_lines_of(self._text, b"\n[" + fastjson.dumps(wid).encode("utf-8") + b","))
            self._parsed[wid] = lines = [line for line in lines if line[0] == wid]
        found = [line[1:] for line in lines if line[1] >= since]  # False for NaN
        return found + [line[1:] for line in self.pending if line[0] == wid]

    def _recent(self, wid: str) -> list[Any] | None:
        """The snapshot's recent points of ``wid``, or None when they do not parse (the file serves)."""
        assert self.recent is not None
        raw = self.recent.get(wid, [])
        if isinstance(raw, str):
            try:
                raw = self.recent[wid] = fastjson.loads(raw)
            except ValueError:
                return None
        if not isinstance(raw, list) or not all(type(p) is list and p and type(p[0]) in _TIME for p in raw):
            return None
        return raw

    def add(self, wid: str, t: float, pct: float, resets_at: float | None, *, now: float) -> None:
        if not self.from_file:
            dict.__setitem__(self, wid, history_rules.add_point(self.points(wid), t, pct, resets_at, now=now))
            return
        # pace's rules for one point (whole seconds; none from the far past or the future)
        self.pending.extend([wid, *point] for point in history_rules.add_point([], t, pct, resets_at, now=now))

    def pop(self, wid: str, *default: Any) -> Any:
        self._drop(wid)
        return super().pop(wid, *default)

    def __delitem__(self, wid: str) -> None:
        self._drop(wid)
        super().__delitem__(wid)

    def _drop(self, wid: str) -> None:
        if self.from_file:
            self.dropped.add(wid)
            self.pending = [line for line in self.pending if line[0] != wid]

    def _load(self, since: float) -> None:
        if self.path is None or (self._since is not None and self._since <= since):
            return
        self._text = b"\n" + _read_tail(self.path, since)
        self._since, self._parsed = since, {}

    def write(self, path: str, windows: dict[str, Any], now: float) -> None:
        """Store the history beside the snapshot at ``path`` (under its lock), and keep the recent
        points the snapshot itself holds (``recent_texts``)."""
        since = now - RECENT_S
        recent = {wid: self.points(wid, since) for wid in windows} if self.from_file else {}
        # A window's memo read with the snapshot stands while it applies, if the window has no new
        # point: its recent points are the ones it was worked out from, less older ones.
        added = {line[0] for line in self.pending}
        kept = {wid: memo for wid, memo in self.rates.items() if wid not in added and self._recent(wid) is not None}
        rewritten = self._write(path, windows, now)
        if rewritten is not None:  # the points as the file has them now: bounded, whole seconds
            recent, kept = {}, {}
            for line in rewritten:
                recent.setdefault(line[0], []).append(line[1:])
        cap = history_rules.MAX_POINTS
        recent = {wid: [p for p in points if p[0] >= since][-cap:] for wid, points in recent.items()}
        self.recent = {wid: points for wid, points in recent.items() if points}
        # The burn rate each reader would work out from them, for as long as it would (forecast.memo).
        self.rates = {}
        for wid, points in self.recent.items():
            window = windows.get(wid)
            if isinstance(window, dict):
                reset, seconds = window.get("resets_at"), length_s(wid) or 0.0
                memo = kept.get(wid)
                if not forecast.memo_applies(memo, now=now, resets_at=reset, window_seconds=seconds):
                    memo = forecast.memo(points, now=now, resets_at=reset, window_seconds=seconds)
                self.rates[wid] = memo

    def recent_texts(self) -> dict[str, str]:
        """The ``recent`` section as stored: one JSON text per window (a reader parses the ones it draws)."""
        return {k: v if isinstance(v, str) else fastjson.dumps(v) for k, v in (self.recent or {}).items()}

    def _write(self, path: str, windows: dict[str, Any], now: float) -> list[list[Any]] | None:
        """Append, or rewrite (then the lines written)."""
        target = history_path(path)
        if self.from_file and self.path == target and not self.dropped:
            if self.pending:
                size = _append_lines(target, self.pending)
                self.pending, self._since = [], None  # read again when asked
                if size > HISTORY_MAX_BYTES:
                    return self._rewrite(target, windows, now)
            return None
        return self._rewrite(target, windows, now)

    def _rewrite(self, target: str, windows: dict[str, Any], now: float) -> list[list[Any]]:
        lines: list[list[Any]] = []
        # A snapshot holding its history that was written after the history file (an older version
        # ran meanwhile, its history begun afresh): the file's points are kept beside its.
        kept = b"\n" + _read_tail(target, -_INF) if self.legacy else b""
        for wid in windows:
            points = self.points(wid)
            if kept:
                key = b"\n[" + fastjson.dumps(wid).encode("utf-8") + b","
                points = [line[1:] for line in _parse_lines(_lines_of(kept, key)) if line[0] == wid] + points
            lines += ([wid, *point] for point in history_rules.bounded(points, now=now))
        lines.sort(key=lambda line: line[1])  # in time order, as appends leave it: tails read back by time
        if lines or fastos.lexists(target):  # no empty file for a history never kept
            paths.replace_file(target, "".join(fastjson.dumps(line) + "\n" for line in lines).encode("utf-8"))
        dict.clear(self)
        self.path, self.legacy = target, False
        self.pending, self.dropped = [], set()
        self._since = None
        return lines


_INF = float("inf")


def _read_tail(path: str, since: float) -> bytes:
    """The history file's whole lines from one observed before ``since`` minus the slack to its end
    (all of them for ``-inf``). Never raises: nothing when it cannot be read."""
    try:
        fd = paths.open_private(path, fastos.O_RDONLY)
    except OSError:  # none yet, or debris that the next rewrite replaces
        return b""
    try:
        end = fastos.fstat(fd).st_size
        floor = max(0, end - 2 * HISTORY_MAX_BYTES)  # more was not written by quotaline
        start = floor if since == -_INF else end
        text = fastos.pread(fd, end - start, start) if start < end else b""
        while start > floor:
            step = max(floor, start - _BLOCK)
            text = fastos.pread(fd, start - step, step) + text
            start = step
            first = text.find(b"\n") + 1 if start else 0  # the first whole line
            line = _parse_lines(text[first : text.find(b"\n", first) + 1])
            if line and line[0][1] < since - HISTORY_ORDER_SLACK_S:
                break
    except OSError:
        return b""
    finally:
        fastos.close(fd)
    return text[text.find(b"\n") + 1 :] if start else text


def _lines_of(text: bytes, key: bytes) -> bytes:
    """The lines of ``text`` (which starts with a newline) that start as ``key`` says after it."""
    found: list[bytes] = []
    at = text.find(key)
    while at >= 0:
        end = text.find(b"\n", at + 1)
        end = len(text) if end < 0 else end
        found.append(text[at + 1 : end])
        at = text.find(key, end)
    return b"\n".join(found)


def _parse_lines(text: bytes) -> list[list[Any]]:
    """The lines of ``text`` that are ``[window id, t, pct, reset]`` lists (their numbers are checked
    where they are used, by ``history_rules``, as for a history of any origin)."""
    body = text.strip().replace(b"\n", b",")
    if not body:
        return []
    try:
        lines = fastjson.loads(b"[" + body + b"]")
    except ValueError:  # a torn or garbled line: the others still count
        lines = []
        for raw in text.split(b"\n"):
            try:
                lines.append(fastjson.loads(raw))
            except ValueError:
                continue
    return [line for line in lines if type(line) is list and len(line) == 4 and type(line[1]) in _TIME]


_TIME = (int, float)


def _append_lines(path: str, lines: list[list[Any]]) -> int:
    """Append ``lines``; the file's size after. A last line left without its end (a crash) is ended first."""
    data = "".join(fastjson.dumps(line) + "\n" for line in lines).encode("utf-8")
    fd = paths.open_private(path, fastos.O_RDWR | fastos.O_CREAT | fastos.O_APPEND)
    try:
        size = fastos.fstat(fd).st_size
        if size and fastos.pread(fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        paths.write_all(fd, data)
        return size + len(data)
    finally:
        fastos.close(fd)


def write_atomic(path: str, snap: Snapshot) -> None:
    """Replace ``path`` with ``snap`` (0600), after storing its history beside it (appended, or
    the file replaced when the snapshot's history is not that file's: see ``History``)."""
    directory, now = fastos.dirname(path), time.time()
    paths.ensure_private_dir(directory)
    history = snap.get("history")
    if not isinstance(history, History):
        history = snap["history"] = History(history if isinstance(history, dict) else {})
    history.write(path, snap.get("windows") or {}, now)
    doc = {k: v for k, v in snap.items() if k != "history"}
    doc["recent"] = history.recent_texts()
    doc["rates"] = history.rates
    data = fastjson.dumps(doc).encode("utf-8")
    _keep_unreadable_copy(path)
    paths.replace_file(path, data)
    paths.sweep_leftovers(directory, now)  # temp files of writers killed before their replace


def lock_path(path: str) -> str:
    return path + ".lock"


def parked_dir(path: str) -> str:
    """Where the hook parks dedupe entries it could not write for want of the lock."""
    return path + ".warned.d"


def try_lock(path: str) -> int | None:
    """A held exclusive lock's fd, or None when another process holds it (never waits)."""
    paths.ensure_private_dir(fastos.dirname(path))
    fd = paths.open_private(path, fastos.O_RDWR | fastos.O_CREAT)  # a planted link or foreign file is replaced
    if not system.lock(fd, wait=False):  # flock / msvcrt: the lock filelock takes on each platform
        fastos.close(fd)
        return None
    return fd


def unlock(fd: int) -> None:
    try:
        system.unlock(fd)
    finally:
        fastos.close(fd)


def is_locked(path: str) -> bool:
    """True when another process holds the lock at ``path`` right now."""
    fd = try_lock(path)
    if fd is None:
        return fastos.exists(path)
    unlock(fd)
    return False


def update(path: str, mutate: Callable[[Snapshot], bool]) -> bool:
    """Lock without waiting, re-read, apply ``mutate``, write if it changed anything.

    Returns False when the lock was busy or the write failed: a later run records it.
    """
    try:
        fd = try_lock(lock_path(path))
    except OSError:
        return False
    if fd is None:
        return False
    try:
        snap = read(path)
        if not mutate(snap) and not needs_write(snap):
            return True
        write_atomic(path, snap)
        return True
    except OSError:
        return False
    finally:
        unlock(fd)
