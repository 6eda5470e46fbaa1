"""Read the new bytes of transcripts and feed their usage lines through dedup into the store.

Two steps. ``extract`` reads one file from an offset and parses it: fixed-size chunks, only complete
lines, so memory does not grow with the file (one line is the largest thing held); substring
searches over each chunk pick the lines worth parsing: ``"usage":{`` (ccusage's own marker) for
usage, ``"role":"user","content":`` followed by text for typed prompts. ``Scanner.apply`` then runs
dedup and the store, in the sorted file order ccusage uses, so ties resolve the same way.

``extract`` is a pure function of the file, so a large catch-up (the first scan) runs it in worker
processes, a few files ahead of ``apply``, like ccusage reads files on several threads.
"""

from __future__ import annotations

import contextlib
import gc
import json
import multiprocessing
import os
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, fields

from statusline.ledger.dedup import Dedup, dedup_hashes, key_hash
from statusline.ledger.index import FileState, fingerprint
from statusline.ledger.parse import (
    API_ERROR_MARKER,
    PROMPT_MARKER,
    SYNTHETIC,
    USAGE_MARKER,
    Entry,
    NotUsage,
    Prompt,
    parse_prompt_line,
    parse_wall_line,
)
from statusline.ledger.roots import Transcript
from statusline.ledger.store import Store

CHUNK = 1 << 20
PARALLEL_MIN_BYTES = 64 << 20
IN_FLIGHT_PER_WORKER = 2
BATCH_BYTES = 8 << 20
PROMPT_HEAD = 2048
ASSISTANT_TYPE = b'"type":"assistant"'


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
    entries: int = 0
    duplicates: int = 0
    replaced_by_larger: int = 0
    prompts: int = 0
    malformed: int = 0
    partial_pending: int = 0
    walls: int = 0
    synthetic: int = 0
    rebuilt: bool = False
    damaged: str = ""  # why the store was unreadable (then every transcript was read again)
    workers: int = 0
    seconds: float = 0.0
    busy: bool = False

    def as_dict(self) -> dict[str, int | float | bool | str]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class Extract:
    """What one file's new bytes hold."""

    state: FileState | None
    entries: list[Entry] = field(default_factory=list)
    prompts: list[Prompt] = field(default_factory=list)
    walls: list[tuple[float, str | None, object, str | None]] = field(default_factory=list)  # parse_wall_line
    bytes_read: int = 0
    malformed: int = 0
    repeats: int = 0
    partial: bool = False
    hashes: list[int | None] | None = None  # per entry, ``dedup_hashes`` (from a worker)
    prompt_hashes: list[int | None] | None = None  # per prompt, its archive hash (from a worker)
    # (ts, session, model) of the newest entry ``_keep`` held back: still an answer, and seen
    dropped: tuple[int, str | None, str] | None = None


def _complete(data: bytes | bytearray) -> bool:
    stripped = data.strip()
    if not stripped.startswith(b"{") or not stripped.endswith(b"}"):
        return False
    try:
        json.loads(stripped)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return True


def _repeat_key(line: bytes, u: int) -> bytes | None:
    """Bytes that identify a streaming repeat without parsing, or None when unsure.

    Claude Code writes one line per content block of a response, with the same ids and usage.
    Two lines of one file with the same request id, session, sidechain flag, model and message id
    (all outside the content) and byte-identical usage have the same key, model and token total,
    so under ccusage's rule the later one can never change what is counted. ``u`` is where the
    usage marker starts; from there to the end of the line goes into the key, except a trailing
    ``"uuid"``/``"timestamp"`` (per line, irrelevant once a request id is present).
    """
    m = line.find(b'"message":{')
    if m < 0 or m > u:
        return None
    c = line.find(b'"content":', m, u)
    if c < 0 or line.find(b'"id":"', m, c) < 0:
        return None
    cut = line.find(b',"uuid":"', u)
    tail = line[u:] if cut < 0 else line[u:cut]
    r = line.find(b'"requestId":"', 0, m)
    if r >= 0:
        r_end = line.find(b'"', r + 13, m)
        if r_end <= r + 13:
            return None
        rid = line[r + 13 : r_end]
    elif tail.find(b'"requestId":"') > 0:
        rid = b""  # the tail, which is in the key, holds it
    else:
        return None
    s = line.find(b'"sessionId":"', 0, m)
    s_end = line.find(b'"', s + 13, m) if s >= 0 else -1
    if s >= 0 and s_end < 0:
        return None
    sid = line[s + 13 : s_end] if s >= 0 else b""
    side = b"1" if line.find(b'"isSidechain":true', 0, m) >= 0 else b"0"
    return b"\x00".join((rid, sid, side, line[m:c], tail))


Rank = tuple[bool, int, bool]  # not a sidechain, token total, has speed: the larger copy wins
SameKey = tuple[str, str, str | None, bool]  # message id, request id, session, sidechain
Seen = tuple[set[bytes], dict[SameKey, Rank]]  # per file: accepted repeat keys, best copy per response


def _keep(entries: list[Entry], ex: Extract, best: dict[SameKey, Rank]) -> None:
    """Add ``entries`` to ``ex`` but those ``Dedup.offer`` would certainly call duplicates.

    Claude Code writes one line per content block of a response, with the same ids and usage. A
    copy of a response seen earlier in this file (same message id, request id, session and
    sidechain flag, so ``Dedup`` finds the same kept record or decides the same way as for the
    earlier copy) that ranks no higher than the best copy sent on can never replace what is
    counted: it stays here. Everything else goes on, in file order, for ``Dedup`` to decide.
    """
    for e in entries:
        mid, rid = e.message_id, e.request_id
        if mid is None or rid is None or (e.model == SYNTHETIC and not e.total):
            ex.entries.append(e)  # keyed by timestamp, or counted apart by ``apply``: its call
            continue
        key = (mid, rid, e.session_id, e.is_sidechain)
        rank = (not e.is_sidechain, e.input_tokens + e.output_tokens + e.cache_creation + e.cache_read, e.has_speed)
        old = best.get(key)
        if old is not None and rank <= old:
            ex.repeats += 1
            if ex.dropped is None or e.ts_ms >= ex.dropped[0]:
                ex.dropped = (e.ts_ms, e.session_id, e.model)
            continue
        if len(best) > 4096:
            best.clear()  # bounded: forgetting only sends more copies on
        best[key] = rank
        ex.entries.append(e)


def _usage_lines(found: list[tuple[bytes, int]], ex: Extract, seen: Seen) -> None:
    """The usage lines of one block, ``(line, where the marker starts)``, decoded together.

    A line whose repeat key (``_repeat_key``) an accepted line of this file had is skipped
    unparsed; a line whose key an earlier line of this block has is decided after that one: a
    repeat once it is accepted, else parsed on its own (as one line at a time would).
    """
    from statusline.ledger.decode import parse_usage_lines  # msgspec, loaded when there is work

    accepted, best = seen
    keys: list[bytes | None] = []
    todo: list[bytes] = []
    firsts: set[bytes] = set()
    for line, u in found:
        key = _repeat_key(line, u)
        keys.append(key)
        if key is None or (key not in accepted and key not in firsts):
            todo.append(line)
            if key is not None:
                firsts.add(key)
    decoded = iter(parse_usage_lines(todo))
    for (line, _), key in zip(found, keys, strict=True):
        if key is None or key in firsts:
            result = next(decoded)
            if key is not None:
                firsts.discard(key)
        elif key in accepted:
            ex.repeats += 1
            continue
        else:
            result = parse_usage_lines([line])[0]  # its first copy was refused: decided alone
        if isinstance(result, list):
            _keep(result, ex, best)
            if key is not None:
                if len(accepted) > 4096:
                    accepted.clear()
                accepted.add(key)
        elif not isinstance(result, NotUsage):
            ex.malformed += 1


def _prompt_candidate(block: bytes | bytearray, at: int) -> bool:
    """After ``"role":"user","content":``: a string, or a list that is not tool results."""
    first = block[at : at + 1]
    if first == b'"':
        return True
    return first == b"[" and not (
        block.startswith(b'{"tool_use_id"', at + 1) or block.startswith(b'{"type":"tool_result"', at + 1)
    )


# The three markers in one search (a regular expression finds them all in about the time
# ``bytes.find`` takes for the usage marker alone). None is a prefix or suffix of another, so no
# match hides one. The prompt marker matches only where ``_prompt_candidate`` holds, so the
# tool-result lines (most of a transcript's bytes) never come back from the search.
_MARKERS = re.compile(b"|".join((
    re.escape(USAGE_MARKER),
    re.escape(API_ERROR_MARKER),
    re.escape(PROMPT_MARKER) + rb'(?="|\[(?!\{"tool_use_id"|\{"type":"tool_result"))',
)))
_U, _A = USAGE_MARKER[1], API_ERROR_MARKER[1]


def _parse_block(block: bytes | bytearray, ex: Extract, seen: Seen, lo: int, hi: int) -> None:
    """Every line of ``block[lo:hi]`` (complete lines); only lines holding a marker are copied out.

    A line holding the usage marker is a usage line; one holding the API error marker a wall
    candidate; one holding neither, whose first prompt marker (``"role":"user","content":``) is
    followed by a string or a list without tool results, a typed prompt candidate (in a line
    longer than ``PROMPT_HEAD`` whose head says it is an assistant's, only a marker inside the
    head counts). So the tool-result lines that make most of a transcript's bytes cost one pass of
    the search, and nothing more.
    """
    view = memoryview(block)
    usage: list[tuple[bytes, int]] = []
    start = end = -1
    usage_at = api_at = prompt_at = -1
    for m in _MARKERS.finditer(block, lo, hi):
        pos = m.start()
        if pos > end:
            if usage_at >= 0:
                usage.append((bytes(view[start:end]), usage_at - start))
            if api_at >= 0 or prompt_at >= 0:
                _line(block, view, ex, start, end, usage_at, api_at, prompt_at)
            start = block.rfind(b"\n", lo, pos) + 1 or lo
            end = block.find(b"\n", pos, hi)
            if end < 0:
                end = hi
            usage_at = api_at = prompt_at = -1
        kind = block[pos + 1]
        if kind == _U:
            if usage_at < 0:
                usage_at = pos
        elif kind == _A:
            api_at = pos
        elif prompt_at < 0:
            prompt_at = pos
    if api_at >= 0 or prompt_at >= 0:
        _line(block, view, ex, start, end, usage_at, api_at, prompt_at)
    if usage_at >= 0:
        usage.append((bytes(view[start:end]), usage_at - start))
    _usage_lines(usage, ex, seen)
    # Does every line start with "{"? One newline search per line.
    odd = 0
    pos = lo
    while pos < hi:
        if block[pos] != 0x7B:
            odd += 1
        pos = block.find(b"\n", pos, hi) + 1
        if not pos:
            break
    if odd:
        # Some line does not start with "{": blank, indented, or garbage. Rare: look closer.
        for line in bytes(view[lo:hi]).split(b"\n"):
            if line[:1] != b"{" and line.strip() and not line.lstrip().startswith(b"{"):
                ex.malformed += 1
    view.release()


def _line(
    block: bytes | bytearray, view: memoryview, ex: Extract, start: int, end: int, usage_at: int, api_at: int,
    prompt_at: int,
) -> None:
    """A line's wall and prompt markers (their first places, -1 for none) into ``ex``; a usage
    line among them is left to the caller, which handles it, whatever else it holds."""
    if api_at >= 0:  # rare: a turn an API error ended
        wall = parse_wall_line(bytes(view[start:end]))
        if wall is not None:
            ex.walls.append(wall)
    if prompt_at >= 0 and usage_at < 0 and block.find(PROMPT_MARKER, start, prompt_at) < 0:
        head = start + PROMPT_HEAD
        if (
            (end <= head or prompt_at + len(PROMPT_MARKER) <= head or block.find(ASSISTANT_TYPE, start, head) < 0)
            and _prompt_candidate(block, prompt_at + len(PROMPT_MARKER))
        ):
            found = parse_prompt_line(bytes(view[start:end]))
            if found is not None:
                ex.prompts.append(found)


def extract(path: str, start: int) -> Extract:
    """Parse the complete lines of ``path`` from byte ``start``; state None if the file vanished.

    Chunks are read into one reused buffer (a fresh ``bytes`` per read costs more than the
    search) and handled in place up to their last newline; only a line that straddles two chunks
    is copied.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return Extract(None)
    ex = Extract(None)
    seen: Seen = (set(), {})
    buf = _buffer()
    try:
        st = os.fstat(fd)
        offset = start
        tail = b""
        pending = bytearray()
        view = memoryview(buf)
        os.lseek(fd, start, os.SEEK_SET)
        while True:
            n = os.readv(fd, [buf])
            if not n:
                break
            ex.bytes_read += n
            lo = 0
            if pending:
                nl = buf.find(b"\n", 0, n)
                if nl < 0:
                    pending += view[:n]  # a bytearray: a long line grows in place
                    continue
                line = bytes(pending + view[: nl + 1])
                _parse_block(line, ex, seen, 0, len(line))
                offset += len(line)
                tail = line[-256:]
                pending = bytearray()
                lo = nl + 1
            last = buf.rfind(b"\n", lo, n)
            if last >= lo:
                _parse_block(buf, ex, seen, lo, last + 1)
                offset += last + 1 - lo
                tail = (tail + buf[max(lo, last + 1 - 256) : last + 1])[-256:]
                pending = bytearray(view[last + 1 : n])
            else:
                pending = bytearray(view[lo:n])
        view.release()
        if pending and _complete(pending):
            # A last line without its newline that is nonetheless whole: ccusage counts it.
            _parse_block(pending, ex, seen, 0, len(pending))
            offset += len(pending)
            tail = (tail + pending)[-256:]
        elif pending:
            ex.partial = True
        if start > 0 and len(tail) < 256:
            tail = os.pread(fd, min(256, offset), offset - min(256, offset))
        fp_len, fp_crc = fingerprint(bytes(tail))
        ex.state = FileState(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, offset, fp_len, fp_crc, 0)
    except OSError:
        return Extract(None)
    finally:
        os.close(fd)
    return ex


_buffers: list[bytearray] = []


def _buffer() -> bytearray:
    """The process's read buffer (extract is not re-entrant, and runs one file at a time)."""
    if not _buffers or len(_buffers[0]) != CHUNK:
        _buffers[:] = [bytearray(CHUNK)]
    return _buffers[0]


Job = tuple[Transcript, int, int, int]  # file, start offset, skip id-less up to (ms), newest seen (ms)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a while: a scan makes hundreds of thousands of small
    objects (entries, records, rows) and no cycles, so each collection would walk them for nothing."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _extract_batch(batch: list[tuple[str, int, str]]) -> list[Extract]:
    with gc_paused():
        out = [extract(path, start) for path, start, _ in batch]
        for ex, (_, _, path_session) in zip(out, batch, strict=True):
            # The archive hashes of each response's keys, here in parallel rather than in the
            # counting process once every file is read (``Dedup.export``).
            ex.hashes = [dedup_hashes(e, path_session) for e in ex.entries]
            ex.prompt_hashes = [None if p.uuid is None else key_hash("prompt", p.uuid) for p in ex.prompts]
            # Plain tuples pickle several times faster than named ones; ``_named`` puts the names back.
            ex.entries = [tuple(e) for e in ex.entries]  # type: ignore[misc]
            ex.prompts = [tuple(p) for p in ex.prompts]  # type: ignore[misc]
    return out


def _named(ex: Extract) -> Extract:
    new = tuple.__new__
    ex.entries = [new(Entry, e) for e in ex.entries]
    ex.prompts = [new(Prompt, p) for p in ex.prompts]
    return ex


def _batches(jobs: list[Job]) -> Iterator[list[Job]]:
    batch: list[Job] = []
    size = 0
    for job in jobs:
        batch.append(job)
        size += max(0, job[0].stat.st_size - job[1])
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def extract_all(jobs: list[Job], workers: int) -> Iterator[tuple[Job, Extract]]:
    """Extracts in job order; with ``workers`` > 1, parsed in processes, a bounded window ahead.

    Work goes out in batches of a few MiB: one message per file would keep the pool's feeder
    thread fighting ``apply`` for the GIL.
    """
    if workers <= 1:
        for job in jobs:
            yield job, extract(job[0].path, job[1])
        return
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
        window: deque[tuple[list[Job], Future[list[Extract]]]] = deque()
        batches = _batches(jobs)

        def submit() -> bool:
            batch = next(batches, None)
            if batch is None:
                return False
            window.append((batch, pool.submit(_extract_batch, [(j[0].path, j[1], j[0].path_session) for j in batch])))
            return True

        while len(window) < workers * IN_FLIGHT_PER_WORKER and submit():
            pass
        while window:
            batch, fut = window.popleft()
            submit()
            for job, ex in zip(batch, fut.result(), strict=True):
                yield job, _named(ex)


class Scanner:
    def __init__(self, store: Store, dedup: Dedup, stats: LedgerStats) -> None:
        self.store = store
        self.dedup = dedup
        self.stats = stats
        # (config dir, at, words, details, session): walls for the snapshot (``ledger.walls``)
        self.walls: list[tuple[str, float, str | None, object, str | None]] = []
        # (config dir, session) -> (time, model) of its newest answer: a request that went through,
        # which ends the walls before it (``ledger.walls``)
        self.answered: dict[tuple[str, str], tuple[float, str]] = {}
        # One string per session id: each unpickled entry brings its own copy, and the dedup
        # records of a first scan keep one each.
        self._sessions: dict[str, str] = {}

    def apply(self, job: Job, ex: Extract) -> FileState | None:
        """Count what ``ex`` holds; the file's new state.

        When a known file is re-read from the start, lines without a message id (which dedup cannot
        recognise) that are not newer than what was read before are skipped.
        """
        t, _, skip_before_ms, newest_ms = job
        stats = self.stats
        store, dedup = self.store, self.dedup
        stats.bytes_read += ex.bytes_read
        stats.malformed += ex.malformed
        stats.duplicates += ex.repeats
        stats.partial_pending += int(ex.partial)
        root, project, path_session = t.root, t.project, t.path_session
        newest = max(newest_ms, skip_before_ms)
        last_cwd = None
        hashes = ex.hashes
        sessions = self._sessions
        answered: tuple[float, str, str] | None = None  # (ts, session, model) of the newest answer
        for i, e in enumerate(ex.entries):
            ts = e.ts_ms
            if ts > newest:
                newest = ts
            if e.message_id is None and ts <= skip_before_ms:
                stats.duplicates += 1
                continue
            if e.model == SYNTHETIC and not e.total:
                # Claude Code's own local message (an API error, "No response requested."): nothing
                # was sent, so it is no response of any model, and no row (ccusage's totals agree).
                stats.synthetic += 1
                continue
            session = e.session_id or path_session
            session = sessions.setdefault(session, session)
            if answered is None or ts >= answered[0]:
                answered = (ts, session, e.model)
            minute = ts // 60000
            key_idx = store.key(root, project, session, e.model, e.branch)
            old, add = dedup.offer(e, session, minute, key_idx, None if hashes is None else hashes[i])
            if old is not None:
                store.add(old[0], old[1], old[2], -1)
                stats.replaced_by_larger += 1
            if add is not None:
                store.add(add[0], add[1], add[2])
                if old is None:
                    stats.entries += 1
            else:
                stats.duplicates += 1
            if e.cwd is not None and e.cwd != last_cwd:
                store.note_cwd(root, project, e.cwd)
                last_cwd = e.cwd
        if ex.dropped is not None:  # as if it had come through this loop, after the rest
            ts, dropped_session, model = ex.dropped
            newest = max(newest, ts)
            if answered is None or ts >= answered[0]:
                answered = (ts, dropped_session or path_session, model)
        if answered is not None and answered[1]:
            key = (str(root), answered[1])
            if answered[0] / 1000.0 > self.answered.get(key, (0.0, ""))[0]:
                self.answered[key] = (answered[0] / 1000.0, answered[2])
        for at, text, details, wall_session in ex.walls:
            self.walls.append((str(root), at, text, details, wall_session or path_session))
        stats.walls += len(ex.walls)
        prompt_hashes = ex.prompt_hashes
        for i, p in enumerate(ex.prompts):
            if p.uuid is None and p.ts_ms <= skip_before_ms:
                continue
            minute = p.ts_ms // 60000
            if dedup.offer_prompt(p.uuid, minute, None if prompt_hashes is None else prompt_hashes[i]):
                store.add_prompt(minute, store.key(root, project, p.session_id or path_session, "", p.branch))
                stats.prompts += 1
                if p.cwd is not None:
                    store.note_cwd(root, project, p.cwd)
        if ex.state is not None:
            ex.state.max_ts_ms = newest
        return ex.state
