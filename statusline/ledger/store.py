"""Aggregated token counts: what the ledger answers questions from.

Rows are keyed by (time bucket, key) where a key is (root, project, session, model, branch); the
branch is the line's ``gitBranch`` (``parse.branch_of``), "" when it had none. Two tiers:

* ``fine``: one-minute buckets for the last ``FINE_DAYS`` days, enough to line local tokens up with
  the server's history points (kept for 8 days by ``history_rules``);
* ``coarse``: one-hour buckets for ``COARSE_DAYS`` days, for reports and all-time totals.

Each row holds [input, output, cache creation, cache read, responses, prompts]. Prompts (typed user
turns) sit under model "". The size is bounded by the number of active minutes/hours, not by bytes.

Schema 2 added the branch. A schema-1 file (keys of four) is read with every branch "" (so readers
keep working) and marked ``migrated_from = 1``; the next ``update_ledger`` rebuilds it from the
transcripts (see ``update``), keeping the old rows only for hours no transcript covers any more.
"""

from __future__ import annotations

import bisect
import json
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statusline.core.store import paths
from statusline.ledger.parse import model_family
from statusline.ledger.statefile import write_bytes_atomic

SCHEMA = 2
FINE_DAYS = 8
COARSE_DAYS = 400
STORE_FILE = "store.json"

Key = tuple[str, str, str, str, str]  # root, project, session, model, branch ("" = none)
GROUP_FIELDS = ("root", "project", "session", "model", "branch", "family")


@dataclass
class Tokens:
    input: int = 0
    output: int = 0
    cache_creation: int = 0
    cache_read: int = 0
    responses: int = 0
    prompts: int = 0

    @property
    def total(self) -> int:
        return self.input + self.output + self.cache_creation + self.cache_read

    def add_row(self, row: list[int]) -> None:
        self.input += row[0]
        self.output += row[1]
        self.cache_creation += row[2]
        self.cache_read += row[3]
        self.responses += row[4]
        self.prompts += row[5]

    def add(self, other: Tokens) -> None:
        self.add_row(
            [other.input, other.output, other.cache_creation, other.cache_read, other.responses, other.prompts]
        )

    def counts_only(self) -> Tokens:
        """The responses and prompts without their tokens: a model of no known family (a gateway's,
        another vendor's) whose tokens count in no window of Claude's."""
        return Tokens(responses=self.responses, prompts=self.prompts)

    def as_dict(self) -> dict[str, int]:
        return {
            "input": self.input,
            "output": self.output,
            "cache_creation": self.cache_creation,
            "cache_read": self.cache_read,
            "total": self.total,
            "responses": self.responses,
            "prompts": self.prompts,
        }


@dataclass
class Store:
    keys: list[Key] = field(default_factory=list)
    fine: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    coarse: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    cwd: dict[tuple[str, str], str] = field(default_factory=dict)
    fine_from: int = 0  # minute: fine rows before it were dropped
    dedup_state: dict[str, Any] = field(default_factory=dict)
    archive_pending: dict[str, list[int]] = field(default_factory=dict)
    loaded: bool = False  # read from a well-formed file (False: missing or unreadable)
    migrated_from: int | None = None  # the schema read, when older than SCHEMA
    _key_index: dict[Key, int] = field(default_factory=dict)
    _sorted: dict[str, tuple[list[int], list[tuple[int, int]]]] = field(default_factory=dict)
    _families: dict[int, str | None] = field(default_factory=dict)

    # -- building -------------------------------------------------------------------------------

    def key(self, root: str, project: str, session: str, model: str, branch: str = "") -> int:
        k = (root, project, session, model, branch)
        idx = self._key_index.get(k)
        if idx is None:
            idx = len(self.keys)
            self.keys.append(k)
            self._key_index[k] = idx
        return idx

    def _row(self, table: dict[tuple[int, int], list[int]], key: tuple[int, int]) -> list[int]:
        row = table.get(key)
        if row is None:
            row = table[key] = [0, 0, 0, 0, 0, 0]
        return row

    def add(self, minute: int, key_idx: int, counts: tuple[int, int, int, int], sign: int = 1) -> None:
        """Add (or with ``sign`` -1 remove) one response's tokens."""
        if self._sorted:
            self._sorted.clear()
        a, b, c, d = counts
        rows = [self._row(self.coarse, (minute // 60, key_idx))]
        if minute >= self.fine_from:
            rows.append(self._row(self.fine, (minute, key_idx)))
        for row in rows:
            row[0] += sign * a
            row[1] += sign * b
            row[2] += sign * c
            row[3] += sign * d
            row[4] += sign

    def add_prompt(self, minute: int, key_idx: int) -> None:
        if self._sorted:
            self._sorted.clear()
        self._row(self.coarse, (minute // 60, key_idx))[5] += 1
        if minute >= self.fine_from:
            self._row(self.fine, (minute, key_idx))[5] += 1

    def note_cwd(self, root: str, project: str, cwd: str) -> None:
        if self.cwd.get((root, project)) != cwd:
            self.cwd[(root, project)] = cwd

    def prune(self, now_minute: int) -> None:
        self._sorted.clear()
        fine_from = now_minute - FINE_DAYS * 1440
        if fine_from > self.fine_from:
            self.fine_from = fine_from
            self.fine = {k: v for k, v in self.fine.items() if k[0] >= fine_from}
        coarse_from = (now_minute - COARSE_DAYS * 1440) // 60
        self.coarse = {k: v for k, v in self.coarse.items() if k[0] >= coarse_from and any(v)}

    def adopt_older(self, legacy: Store) -> None:
        """Take ``legacy``'s rows for the hours before this store's first counted hour of each root.

        After a rebuild from the transcripts, those hours hold counts of transcripts deleted since
        (Claude Code removes old ones): kept, under their old keys. From a root's first rebuilt
        hour on, the rebuild alone counts, so no response is counted twice. A session the rebuild
        never saw is a deleted transcript too (Claude Code deletes by age of the last write: a
        resumed old session outlives newer ones): all its rows are taken.
        """
        first: dict[str, int] = {}
        for (hour, k), row in self.coarse.items():
            root = self.keys[k][0]
            if any(row) and hour < first.get(root, hour + 1):
                first[root] = hour
        seen = {k[:3] for k in self.keys}  # (root, project, session) the transcripts still hold
        gone = {k for k, key in enumerate(legacy.keys) if key[:3] not in seen}
        remap: dict[int, int] = {}

        def take(table: dict[tuple[int, int], list[int]], bucket: int, k: int, row: list[int]) -> None:
            idx = remap.get(k)
            if idx is None:
                idx = remap[k] = self.key(*legacy.keys[k])
            mine = self._row(table, (bucket, idx))
            for i, v in enumerate(row):
                mine[i] += v

        for (hour, k), row in legacy.coarse.items():
            if k in gone or hour < first.get(legacy.keys[k][0], hour + 1):
                take(self.coarse, hour, k, row)
        for (minute, k), row in legacy.fine.items():
            if self.fine_from <= minute and (k in gone or minute < first.get(legacy.keys[k][0], minute // 60 + 1) * 60):
                take(self.fine, minute, k, row)
        for where, cwd in legacy.cwd.items():
            self.cwd.setdefault(where, cwd)
        self._sorted.clear()

    # -- persistence ----------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "keys": [list(k) for k in self.keys],
            "fine_from": self.fine_from,
            "fine": [[m, k, *v] for (m, k), v in self.fine.items()],
            "coarse": [[h, k, *v] for (h, k), v in self.coarse.items()],
            "cwd": [[r, p, c] for (r, p), c in self.cwd.items()],
            "dedup": self.dedup_state,
            "archive_pending": self.archive_pending,
        }

    @classmethod
    def from_json(cls, data: Any) -> Store:
        store = cls()
        schema = data.get("schema") if isinstance(data, dict) else None
        if schema == 1:
            # Before branches: the same keys under branch "" (indexes unchanged, so dedup's
            # records still point at the right rows); ``update`` rebuilds it.
            store.keys = [(str(a), str(b), str(c), str(d), "") for a, b, c, d in data.get("keys", [])]
            store.migrated_from = 1
        elif schema == SCHEMA:
            store.keys = [(str(a), str(b), str(c), str(d), str(e)) for a, b, c, d, e in data.get("keys", [])]
        else:
            return store
        store._key_index = {k: i for i, k in enumerate(store.keys)}
        store.fine_from = int(data.get("fine_from", 0))
        store.fine = {(int(r[0]), int(r[1])): [int(x) for x in r[2:8]] for r in data.get("fine", [])}
        store.coarse = {(int(r[0]), int(r[1])): [int(x) for x in r[2:8]] for r in data.get("coarse", [])}
        store.cwd = {(str(r), str(p)): str(c) for r, p, c in data.get("cwd", [])}
        dedup = data.get("dedup")
        store.dedup_state = dedup if isinstance(dedup, dict) else {}
        pending = data.get("archive_pending")
        store.archive_pending = pending if isinstance(pending, dict) else {}
        store.loaded = True
        return store

    def save(self, directory: Path) -> str:
        """Write the store; its ``stamp``, which the index records beside the positions it matches."""
        data = json.dumps(self.to_json(), separators=(",", ":")).encode()
        write_bytes_atomic(directory / STORE_FILE, data)
        return stamp(data)

    # -- questions ------------------------------------------------------------------------------

    def _tier(self, t0: float) -> tuple[str, int]:
        """The finest tier that still covers ``t0``, and its bucket length in seconds."""
        if int(t0 // 60) >= self.fine_from and self.fine_from > 0:
            return "fine", 60
        return "coarse", 3600

    def _sorted_rows(self, tier: str) -> tuple[list[int], list[tuple[int, int]]]:
        cached = self._sorted.get(tier)
        if cached is None:
            table = self.fine if tier == "fine" else self.coarse
            rows = sorted(table)
            cached = ([b for b, _ in rows], rows)
            self._sorted[tier] = cached
        return cached

    def rows_between(self, t0: float, t1: float) -> Iterable[tuple[int, list[int]]]:
        """(key index, row) for buckets whose midpoint is in [t0, t1), at the finest tier covering t0."""
        tier, size = self._tier(t0)
        starts, rows = self._sorted_rows(tier)
        table = self.fine if tier == "fine" else self.coarse
        # A bucket belongs to the interval holding its midpoint: adjacent intervals never share one.
        lo = bisect.bisect_left(starts, math.ceil((t0 - size / 2) / size))
        hi = bisect.bisect_left(starts, math.ceil((t1 - size / 2) / size))
        for bucket_key in rows[lo:hi]:
            yield bucket_key[1], table[bucket_key]

    def family(self, key_idx: int) -> str | None:
        if key_idx not in self._families:
            self._families[key_idx] = model_family(self.keys[key_idx][3])
        return self._families[key_idx]

    def group_key(self, key_idx: int, by: tuple[str, ...]) -> tuple[str | None, ...]:
        root, project, session, model, branch = self.keys[key_idx]
        values = {"root": root, "project": project, "session": session, "model": model, "branch": branch}
        return tuple(self.family(key_idx) if f == "family" else values[f] for f in by)

    def tokens(
        self,
        t0: float,
        t1: float,
        *,
        by: tuple[str, ...] = ("family",),
        roots: Iterable[str] | None = None,
        families: Iterable[str] | None = None,
    ) -> dict[tuple[str | None, ...], Tokens]:
        """Tokens sent in [t0, t1) grouped by any of root/project/session/model/branch/family.

        Rows whose model has no family (``<synthetic>``, missing) are still returned (family None);
        ``families`` keeps only the named ones. Prompts are reported under model "" (family None).
        """
        for f in by:
            if f not in GROUP_FIELDS:
                raise ValueError(f"unknown grouping {f!r}")
        root_set = set(roots) if roots is not None else None
        family_set = set(families) if families is not None else None
        out: dict[tuple[str | None, ...], Tokens] = {}
        for key_idx, row in self.rows_between(t0, t1):
            if root_set is not None and self.keys[key_idx][0] not in root_set:
                continue
            if family_set is not None and self.family(key_idx) not in family_set:
                continue
            group = self.group_key(key_idx, by)
            acc = out.get(group)
            if acc is None:
                acc = out[group] = Tokens()
            acc.add_row(row)
        return out

    def all_time_by_model(self) -> dict[str, Tokens]:
        out: dict[str, Tokens] = {}
        for (_, key_idx), row in self.coarse.items():
            model = self.keys[key_idx][3]
            out.setdefault(model, Tokens()).add_row(row)
        return out

    def roots(self) -> list[str]:
        return sorted({k[0] for k in self.keys})


def stamp(data: bytes) -> str:
    """What the store's bytes were: the index keeps it, so that a store changed behind its back
    (damaged, replaced) is noticed without parsing it on every run."""
    return f"{len(data)}:{zlib.crc32(data):08x}"


def read_store(directory: Path) -> tuple[Store, bytes | None]:
    """The store and the bytes it was read from (None: no file, or none that could be read). An
    unreadable file gives an empty store with ``loaded`` False."""
    try:
        raw = paths.read_file(str(directory / STORE_FILE))
    except OSError:
        return Store(), None
    try:
        return Store.from_json(json.loads(raw)), raw
    except (TypeError, ValueError, KeyError, IndexError, RecursionError):
        return Store(), raw


def load_store(directory: Path) -> Store:
    return read_store(directory)[0]
