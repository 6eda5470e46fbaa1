"""Read the new bytes of one transcript and feed its usage lines through dedup into the store.

Streaming: fixed-size chunks, only complete lines are handled, so memory does not grow with the size
of a file (a single line is the largest thing held). A cheap byte test picks the lines worth parsing:
``"usage":{`` (ccusage's own marker) for usage, ``"type":"user"`` without ``"tool_use_id"`` for
typed prompts; every other line costs one substring search.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields

from statusline.ledger.dedup import Dedup
from statusline.ledger.index import FileState, fingerprint
from statusline.ledger.parse import (
    TOOL_RESULT_MARKER,
    USAGE_MARKER,
    USER_MARKER,
    Rejected,
    parse_prompt_line,
    parse_usage_line,
)
from statusline.ledger.roots import Transcript
from statusline.ledger.store import Store

CHUNK = 1 << 20


@dataclass
class LedgerStats:
    """What one ``update_ledger`` run did (counts are for this run only)."""

    roots: int = 0
    files_seen: int = 0
    files_unchanged: int = 0
    files_new: int = 0
    files_grown: int = 0
    files_truncated: int = 0
    files_replaced: int = 0
    files_deleted: int = 0
    bytes_read: int = 0
    lines: int = 0
    entries: int = 0
    duplicates: int = 0
    replaced_by_larger: int = 0
    prompts: int = 0
    malformed: int = 0
    partial_pending: int = 0
    seconds: float = 0.0
    busy: bool = False

    def as_dict(self) -> dict[str, int | float | bool]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Scanner:
    def __init__(self, store: Store, dedup: Dedup, stats: LedgerStats) -> None:
        self.store = store
        self.dedup = dedup
        self.stats = stats

    def read(self, t: Transcript, start: int, skip_before_ms: int = 0, newest_ms: int = 0) -> FileState | None:
        """Consume complete lines from ``start``; the file's new state, or None if it vanished.

        ``skip_before_ms``: when a known file is re-read from the start, lines without a message id
        (which dedup cannot recognise) that are not newer than what we read before are skipped.
        ``newest_ms``: the newest timestamp already seen in this file.
        """
        try:
            fd = os.open(t.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            offset = start
            tail = b""
            max_ts = max(newest_ms, skip_before_ms)
            pending = b""
            with os.fdopen(os.dup(fd), "rb", buffering=0) as fh:
                fh.seek(start)
                while True:
                    chunk = fh.read(CHUNK)
                    if not chunk:
                        break
                    self.stats.bytes_read += len(chunk)
                    cut = chunk.rfind(b"\n")
                    if cut < 0:
                        pending += chunk
                        continue
                    block = pending + chunk[: cut + 1] if pending else chunk[: cut + 1]
                    pending = chunk[cut + 1 :]
                    max_ts = max(max_ts, self._lines(block, t, skip_before_ms))
                    offset += len(block)
                    tail = block[-256:]
            if pending and self._complete(pending):
                # A last line without its newline that is nonetheless whole: ccusage counts it.
                max_ts = max(max_ts, self._lines(pending, t, skip_before_ms))
                offset += len(pending)
                tail = (tail + pending)[-256:]
            elif pending:
                self.stats.partial_pending += 1
            if start > 0 and len(tail) < 256:
                tail = os.pread(fd, min(256, offset), offset - min(256, offset))
            fp_len, fp_crc = fingerprint(tail)
            return FileState(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, offset, fp_len, fp_crc, max_ts)
        finally:
            os.close(fd)

    @staticmethod
    def _complete(data: bytes) -> bool:
        stripped = data.strip()
        if not stripped.startswith(b"{") or not stripped.endswith(b"}"):
            return False
        try:
            json.loads(stripped)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return False
        return True

    def _lines(self, block: bytes, t: Transcript, skip_before_ms: int) -> int:
        """Handle every line of ``block``; the newest usage timestamp seen."""
        stats = self.stats
        store = self.store
        dedup = self.dedup
        root, project, path_session = t.root, t.project, t.path_session
        newest = 0
        lines = block.split(b"\n")
        stats.lines += len(lines) - (1 if block.endswith(b"\n") else 0)
        for line in lines:
            if USAGE_MARKER in line:
                try:
                    entries = parse_usage_line(line)
                except Rejected:
                    stats.malformed += 1
                    continue
                for e in entries:
                    ts = e.ts_ms
                    if ts > newest:
                        newest = ts
                    if e.message_id is None and ts <= skip_before_ms:
                        stats.duplicates += 1
                        continue
                    session = e.session_id or path_session
                    minute = ts // 60000
                    key_idx = store.key(root, project, session, e.model)
                    old, add = dedup.offer(e, session, minute, key_idx)
                    if old is not None:
                        store.add(old[0], old[1], old[2], -1)
                        stats.replaced_by_larger += 1
                    if add is not None:
                        store.add(add[0], add[1], add[2])
                        if old is None:
                            stats.entries += 1
                    else:
                        stats.duplicates += 1
                    if e.cwd is not None:
                        store.note_cwd(root, project, e.cwd)
            elif USER_MARKER in line and TOOL_RESULT_MARKER not in line:
                prompt = parse_prompt_line(line)
                if prompt is None:
                    continue
                minute = prompt.ts_ms // 60000
                if prompt.ts_ms <= skip_before_ms and prompt.uuid is None:
                    continue
                if dedup.offer_prompt(prompt.uuid, minute):
                    store.add_prompt(minute, store.key(root, project, prompt.session_id or path_session, ""))
                    stats.prompts += 1
                    if prompt.cwd is not None:
                        store.note_cwd(root, project, prompt.cwd)
            elif line[:1] != b"{" and line.strip() and not line.lstrip().startswith(b"{"):
                stats.malformed += 1
        return newest
