"""Count each API response once, the way ccusage 20.0.24 does, across files and across runs.

ccusage's rule (verified against the binary, see ``tests/ledger/test_ccusage_parity.py``):

* key = message id + request id, across sessions and projects (Claude Code copies responses into
  resumed sessions); without a request id the key is message id + session + timestamp; without a
  message id nothing is deduplicated (every such line counts);
* a line whose key was seen replaces the kept one when it has a larger token total;
* a sidechain line (``isSidechain: true``, e.g. ``/btw`` logs under ``subagents/``) with the same
  message id and session as a kept line but another request id is a replay: the non-sidechain copy
  is kept whatever the totals;
* ties keep the first, unless only the newcomer carries ``usage.speed``. (ccusage 20.0.24 breaks
  ties by cost, from its price table; copies of one response share model and input/cache counts,
  so in transcripts equal totals mean equal counts and the choice cannot matter.)

Memory is bounded: at most ``cap`` full records live in memory, evicted first-in-first-out (a
streaming duplicate sits a few lines away, a sidechain replay in the next file of the sorted walk).
Evicted and old records leave a 64-bit hash per key in an archive partitioned by month, so a copy of
an old response (a resumed session, a re-read file) is still recognised; a copy can no longer
*replace* an archived record, which matters only if it is larger, and copies are identical.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any

from statusline.ledger.parse import Entry

ExactKey = tuple[Any, ...]
ReplayKey = tuple[str, str]


class Record:
    """What a kept response contributed, so a better copy can take its place."""

    __slots__ = (
        "cache_creation", "cache_read", "exact_keys", "has_speed", "hashes", "input_tokens", "key_idx",
        "message_id", "minute", "output_tokens", "replay_keys", "request_id", "session", "side", "ts_ms",
    )

    def __init__(self, entry: Entry, session: str, minute: int, key_idx: int, hashes: int | None = None) -> None:
        self.exact_keys: list[ExactKey] = []
        self.replay_keys: list[ReplayKey] = []
        self.hashes = hashes  # ``dedup_hashes`` of the entry that made it: its first keys' archive hashes
        # ``assign``, unrolled: one Record per response of a first scan.
        (self.ts_ms, _, message_id, request_id, _, self.side, self.has_speed, self.input_tokens,
         self.output_tokens, self.cache_creation, self.cache_read) = entry[:11]
        self.message_id: str = message_id or ""
        self.request_id: str | None = request_id
        self.session = session
        self.minute = minute
        self.key_idx = key_idx

    def assign(self, entry: Entry, session: str, minute: int, key_idx: int) -> None:
        self.message_id = entry.message_id or ""
        self.request_id = entry.request_id
        self.session = session
        self.ts_ms = entry.ts_ms
        self.side = entry.is_sidechain
        self.has_speed = entry.has_speed
        self.minute = minute
        self.key_idx = key_idx
        self.input_tokens = entry.input_tokens
        self.output_tokens = entry.output_tokens
        self.cache_creation = entry.cache_creation
        self.cache_read = entry.cache_read

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation + self.cache_read

    def counts(self) -> tuple[int, int, int, int]:
        return self.input_tokens, self.output_tokens, self.cache_creation, self.cache_read

    def to_json(self) -> list[Any]:
        return [
            self.message_id, self.request_id, self.session, self.ts_ms, int(self.side), int(self.has_speed),
            self.minute, self.key_idx, self.input_tokens, self.output_tokens, self.cache_creation,
            self.cache_read, [list(k) for k in self.exact_keys], [list(k) for k in self.replay_keys],
        ]

    @classmethod
    def from_json(cls, row: list[Any]) -> Record:
        rec = cls.__new__(cls)
        rec.hashes = None
        (rec.message_id, rec.request_id, rec.session, rec.ts_ms, side, speed, rec.minute, rec.key_idx,
         rec.input_tokens, rec.output_tokens, rec.cache_creation, rec.cache_read, exact, replay) = row
        rec.side = bool(side)
        rec.has_speed = bool(speed)
        rec.exact_keys = [tuple(k) for k in exact]
        rec.replay_keys = [(str(k[0]), str(k[1])) for k in replay]
        return rec


def exact_key(message_id: str, request_id: str | None, session: str, ts_ms: int) -> ExactKey:
    if request_id is not None:
        return ("r", message_id, request_id)
    return ("t", message_id, session, ts_ms)


def key_hash(*parts: Any) -> int:
    """Stable across processes (``hash()`` of a str is salted per process)."""
    raw = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return int.from_bytes(_blake2b(raw, digest_size=8).digest(), "little")


_blake2b = hashlib.blake2b
_MASK64 = (1 << 64) - 1


def dedup_hashes(entry: Entry, path_session: str) -> int | None:
    """``key_hash`` of the exact key and of the replay key a ``Record`` made from ``entry`` starts
    with (the session: the line's, else the path's), as one number; None without a message id."""
    message_id = entry.message_id
    if message_id is None:
        return None
    session = entry.session_id or path_session
    request_id = entry.request_id
    exact = key_hash("r", message_id, request_id) if request_id is not None else key_hash(
        "t", message_id, session, entry.ts_ms)
    return exact << 64 | key_hash("replay", message_id, session)


_months: dict[int, str] = {}


def month_of_minute(minute: int) -> str:
    day = minute // 1440
    month = _months.get(day)
    if month is None:
        t = time.gmtime(day * 86400)
        month = _months[day] = f"{t.tm_year:04d}-{t.tm_mon:02d}"
    return month


def _should_replace(entry: Entry, rec: Record) -> bool:
    if entry.is_sidechain != rec.side:
        return rec.side
    total = entry.total
    if total != rec.total:
        return total > rec.total
    return entry.has_speed and not rec.has_speed


Contribution = tuple[int, int, tuple[int, int, int, int]]  # minute, key index, token counts


class Dedup:
    """The decision for each entry: new, better copy (replace), or duplicate."""

    def __init__(
        self,
        cap: int = 60_000,
        archive_loader: Callable[[str], Iterable[int]] | None = None,
        archived_months: Iterable[str] = (),
    ) -> None:
        self.cap = cap
        self.exact: dict[ExactKey, Record] = {}
        self.replay: dict[ReplayKey, list[Record]] = {}
        self.live: dict[int, Record] = {}  # insertion order = eviction order
        self.prompts: dict[str, int] = {}  # prompt uuid -> minute
        self._prompt_hashes: dict[str, int] = {}  # prompt uuid -> its archive hash, made by a worker
        self.archive: set[int] = set()
        self.evicted: dict[str, list[int]] = {}  # month -> hashes to persist
        self._loader = archive_loader
        self._unloaded_months = set(archived_months)
        self.duplicates = 0
        self.replaced = 0

    # -- archive --------------------------------------------------------------------------------

    def _archive_may_hold(self, minute: int) -> bool:
        if self._unloaded_months:
            month = month_of_minute(minute)
            if month in self._unloaded_months:
                self._load_month(month)
        return bool(self.archive)

    def _load_month(self, month: str) -> None:
        self._unloaded_months.discard(month)
        if self._loader is not None:
            self.archive.update(self._loader(month))

    def _archive_hashes(self, rec: Record, remember: bool = True) -> None:
        known = rec.hashes
        if known is None or not rec.exact_keys or not rec.replay_keys:
            hashes = [key_hash(*k) for k in rec.exact_keys]
            hashes += [key_hash("replay", *k) for k in rec.replay_keys]
        else:  # the first two were computed beside the parse
            hashes = [known >> 64, known & _MASK64]
            hashes += [key_hash(*k) for k in rec.exact_keys[1:]]
            hashes += [key_hash("replay", *k) for k in rec.replay_keys[1:]]
        if rec.side:
            hashes += [key_hash("replay-side", *k) for k in rec.replay_keys]
        if remember:
            self.archive.update(hashes)
        self.evicted.setdefault(month_of_minute(rec.minute), []).extend(hashes)

    def _archive_record(self, rec: Record) -> None:
        self._archive_hashes(rec)
        for k in rec.exact_keys:
            if self.exact.get(k) is rec:
                del self.exact[k]
        for rk in rec.replay_keys:
            lst = self.replay.get(rk)
            if lst is not None:
                lst[:] = [r for r in lst if r is not rec]
                if not lst:
                    del self.replay[rk]

    def _evict_overflow(self) -> None:
        while len(self.live) > self.cap:
            first = next(iter(self.live))
            self._archive_record(self.live.pop(first))

    # -- decisions ------------------------------------------------------------------------------

    def _index(self, rec: Record, key: ExactKey, replay_key: ReplayKey) -> None:
        if self.exact.get(key) is not rec:
            self.exact[key] = rec
            rec.exact_keys.append(key)
        lst = self.replay.setdefault(replay_key, [])
        if rec not in lst:
            lst.append(rec)
            rec.replay_keys.append(replay_key)

    def _find(self, entry: Entry, message_id: str, session: str, key: ExactKey) -> Record | None:
        rec = self.exact.get(key)
        if rec is not None and rec.message_id == message_id and rec.request_id == entry.request_id and (
            entry.request_id is not None or (rec.session == session and rec.ts_ms == entry.ts_ms)
        ):
            return rec
        for cand in self.replay.get((message_id, session), ()):
            if cand.message_id == message_id and (entry.is_sidechain or cand.side):
                return cand
        return None

    def _archived(self, entry: Entry, message_id: str, session: str, key: ExactKey) -> bool:
        if key_hash(*key) in self.archive:
            return True
        domain = "replay" if entry.is_sidechain else "replay-side"
        return key_hash(domain, message_id, session) in self.archive

    def offer(
        self, entry: Entry, session: str, minute: int, key_idx: int, hashes: int | None = None
    ) -> tuple[Contribution | None, Contribution | None]:
        """(contribution to remove, contribution to add); (None, None) for a duplicate.

        ``hashes``: ``dedup_hashes(entry, ...)`` when known, so archiving it later costs nothing."""
        add: Contribution = (minute, key_idx, (entry.input_tokens, entry.output_tokens,
                                               entry.cache_creation, entry.cache_read))
        message_id = entry.message_id
        if message_id is None:
            return None, add
        request_id = entry.request_id
        key: ExactKey = ("r", message_id, request_id) if request_id is not None else (
            "t", message_id, session, entry.ts_ms)
        replay_key = (message_id, session)
        known = key in self.exact or replay_key in self.replay
        rec = self._find(entry, message_id, session, key) if known else None
        if rec is None:
            if (self.archive or self._unloaded_months) and self._archive_may_hold(minute) and self._archived(
                entry, message_id, session, key
            ):
                self.duplicates += 1
                return None, None
            rec = Record(entry, session, minute, key_idx, hashes)
            self.live[id(rec)] = rec
            # ``_index`` for a record nothing points to yet
            self.exact[key] = rec
            rec.exact_keys.append(key)
            same = self.replay.get(replay_key)
            if same is None:
                self.replay[replay_key] = [rec]
            else:
                same.append(rec)
            rec.replay_keys.append(replay_key)
            if len(self.live) > self.cap:
                self._evict_overflow()
            return None, add
        if not _should_replace(entry, rec):
            self.duplicates += 1
            return None, None
        old: Contribution = (rec.minute, rec.key_idx, rec.counts())
        rec.assign(entry, session, minute, key_idx)
        self._index(rec, key, (message_id, session))
        self.replaced += 1
        return old, add

    def offer_prompt(self, uuid: str | None, minute: int, known: int | None = None) -> bool:
        """True when this prompt was not counted before. ``known``: its ``key_hash("prompt", uuid)``,
        when a worker made it already."""
        if uuid is None:
            return True
        if uuid in self.prompts:
            return False
        if self._archive_may_hold(minute) and (key_hash("prompt", uuid) if known is None else known) in self.archive:
            return False
        self.prompts[uuid] = minute
        if known is not None:
            self._prompt_hashes[uuid] = known
        while len(self.prompts) > self.cap:
            old_uuid = next(iter(self.prompts))
            old_minute = self.prompts.pop(old_uuid)
            h = self._prompt_hash(old_uuid)
            self.archive.add(h)
            self.evicted.setdefault(month_of_minute(old_minute), []).append(h)
        return True

    def _prompt_hash(self, uuid: str) -> int:
        known = self._prompt_hashes.pop(uuid, None)
        return key_hash("prompt", uuid) if known is None else known

    # -- persistence ----------------------------------------------------------------------------

    def export(self, keep_from_minute: int) -> tuple[dict[str, Any], dict[str, list[int]]]:
        """(recent state to persist as JSON, new archive hashes per month) — older records archived."""
        old = [rec for rec in self.live.values() if rec.minute < keep_from_minute]
        if len(old) * 2 > len(self.live):
            # Most of it (a first scan): archive without unlinking each record, then index the rest.
            # The hashes go to the caller only: export ends a run, and a set of them all would
            # be the run's largest object.
            live = self.live = {i: rec for i, rec in self.live.items() if rec.minute >= keep_from_minute}
            evicted = self.evicted
            by_day: dict[int, list[int]] = {}  # the month's list of ``evicted``, per day
            for rec in old:
                known = rec.hashes
                if known is not None and not rec.side and len(rec.exact_keys) == 1 and len(rec.replay_keys) == 1:
                    # ``_archive_hashes`` for the common record, inline: its two hashes are known.
                    hashes = by_day.get(rec.minute // 1440)
                    if hashes is None:
                        hashes = by_day[rec.minute // 1440] = evicted.setdefault(month_of_minute(rec.minute), [])
                    hashes += (known >> 64, known & _MASK64)
                else:
                    self._archive_hashes(rec, remember=False)
            if not live:
                self.exact, self.replay = {}, {}
            else:
                self.exact = {k: rec for k, rec in self.exact.items() if id(rec) in live}
                replay = ((rk, [rec for rec in lst if id(rec) in live]) for rk, lst in self.replay.items())
                self.replay = {rk: lst for rk, lst in replay if lst}
        else:
            for rec in old:
                self.live.pop(id(rec))
                self._archive_record(rec)
        for uuid, minute in list(self.prompts.items()):
            if minute < keep_from_minute:
                del self.prompts[uuid]
                h = self._prompt_hash(uuid)
                self.archive.add(h)
                self.evicted.setdefault(month_of_minute(minute), []).append(h)
        state = {
            "records": [rec.to_json() for rec in self.live.values()],
            "prompts": [[u, m] for u, m in self.prompts.items()],
        }
        evicted, self.evicted = self.evicted, {}
        return state, evicted

    def restore(self, state: dict[str, Any]) -> None:
        for row in state.get("records", []):
            rec = Record.from_json(row)
            self.live[id(rec)] = rec
            for k in rec.exact_keys:
                self.exact[k] = rec
            for rk in rec.replay_keys:
                self.replay.setdefault(rk, []).append(rec)
        for uuid, minute in state.get("prompts", []):
            self.prompts[str(uuid)] = int(minute)
