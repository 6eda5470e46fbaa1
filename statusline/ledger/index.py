"""Per-file read positions, so a second run reads only the bytes appended since the first.

For each transcript: device, inode, size, mtime (ns), the offset just past the last line consumed,
a CRC of the (up to) 256 bytes before that offset, and the newest timestamp seen in it. A file is
read again from the start when its inode changed (replaced), when it is shorter than the offset
(truncated), or when the bytes before the offset are no longer the ones we read (rewritten in place,
even if it grew past the old offset meanwhile). A half-written last line stays unread until its
newline arrives.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statusline.ledger.statefile import read_json, write_json_atomic

SCHEMA = 1
INDEX_FILE = "index.json"
FP_LEN = 256


@dataclass(slots=True)
class FileState:
    dev: int
    ino: int
    size: int
    mtime_ns: int
    offset: int
    fp_len: int
    fp_crc: int
    max_ts_ms: int

    def to_json(self) -> list[int]:
        return [self.dev, self.ino, self.size, self.mtime_ns, self.offset, self.fp_len, self.fp_crc,
                self.max_ts_ms]

    @classmethod
    def from_json(cls, row: Any) -> FileState | None:
        if not isinstance(row, list) or len(row) != 8 or not all(type(x) is int for x in row):
            return None
        return cls(*row)


def fingerprint(tail: bytes) -> tuple[int, int]:
    tail = tail[-FP_LEN:]
    return len(tail), zlib.crc32(tail)


def still_prefix(fd: int, state: FileState) -> bool:
    """Are the bytes before ``state.offset`` the ones we consumed last time?"""
    if state.fp_len == 0:
        return True
    try:
        data = os.pread(fd, state.fp_len, state.offset - state.fp_len)
    except OSError:
        return False
    return len(data) == state.fp_len and zlib.crc32(data) == state.fp_crc


@dataclass
class FileIndex:
    files: dict[str, FileState]
    counters: dict[str, int]
    store_schema: int = 1  # the store's schema when these positions were written (1: before it was said)
    store_stamp: str | None = None  # ``store.stamp`` of the store these positions belong to
    damaged: dict[str, Any] | None = None  # the last rebuild after an unreadable store: when, why, the copy

    @classmethod
    def load(cls, directory: Path) -> FileIndex:
        data = read_json(directory / INDEX_FILE)
        files: dict[str, FileState] = {}
        counters: dict[str, int] = {}
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            for path, row in (data.get("files") or {}).items():
                state = FileState.from_json(row)
                if state is not None:
                    files[str(path)] = state
            raw = data.get("counters")
            if isinstance(raw, dict):
                counters = {str(k): int(v) for k, v in raw.items() if type(v) is int}
            store_schema = data.get("store_schema", 1)
            store_stamp, damaged = data.get("store_stamp"), data.get("damaged")
            return cls(
                files, counters, store_schema if type(store_schema) is int else 1,
                store_stamp if isinstance(store_stamp, str) else None, damaged if isinstance(damaged, dict) else None,
            )
        return cls(files, counters)

    def save(self, directory: Path) -> None:
        write_json_atomic(directory / INDEX_FILE, {
            "schema": SCHEMA,
            "store_schema": self.store_schema,
            "store_stamp": self.store_stamp,
            "damaged": self.damaged,
            "files": {p: s.to_json() for p, s in self.files.items()},
            "counters": self.counters,
        })
