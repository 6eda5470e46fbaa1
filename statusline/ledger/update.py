"""``update_ledger``: bring the ledger up to date with the transcripts. Refresher or on demand only.

Files in the ledger dir (0600, dir 0700): ``index.json`` (read positions, the only thing a run with
no change reads), ``store.json`` (aggregates + recent dedup records, one file so they never
disagree), ``archive-YYYY-MM.bin`` (sorted 64-bit hashes of older response keys) and
``ledger.lock`` (``filelock``; one writer at a time, readers never lock).

A store written before branches were recorded (schema 1, and an index without ``store_schema``)
is rebuilt by the first run that sees it: positions and archive dropped, every transcript read
again (a first scan), then the old store's rows for the hours before each root's first rebuilt
hour adopted (``Store.adopt_older``: counts of transcripts Claude Code has deleted since, under
branch ""). A crash midway leaves the schema-1 store in place, so the next run starts over.

Write order: store, archive, index. A crash before the index is written makes the next run read the
same bytes again, and the store already knows those responses, so nothing counts twice (the new
archive hashes travel inside the store until they are merged into their month file).
"""

from __future__ import annotations

import array
import contextlib
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import filelock

from statusline.core.store import paths
from statusline.ledger.dedup import Dedup, month_of_minute
from statusline.ledger.index import INDEX_FILE, FileIndex, still_prefix
from statusline.ledger.roots import Transcript, default_roots, resolve_roots, walk
from statusline.ledger.scan import PARALLEL_MIN_BYTES, Job, LedgerStats, Scanner, extract_all, gc_paused
from statusline.ledger.statefile import ledger_dir, write_bytes_atomic
from statusline.ledger.store import COARSE_DAYS, STORE_FILE, Store, load_store, stamp
from statusline.ledger.store import SCHEMA as STORE_SCHEMA
from statusline.ledger.walls import Answered, Found, record_walls

RECENT_DEDUP_DAYS = 2
DEDUP_CAP = 60_000
LOCK_FILE = "ledger.lock"
ARCHIVE_PREFIX = "archive-"
Progress = Callable[[int, int], None]  # (bytes read so far, bytes to read)


def _archive_path(directory: Path, month: str) -> Path:
    return directory / f"{ARCHIVE_PREFIX}{month}.bin"


def _archived_months(directory: Path) -> list[str]:
    return [p.name[len(ARCHIVE_PREFIX) : -4] for p in directory.glob(f"{ARCHIVE_PREFIX}*.bin")]


def _read_archive(directory: Path, month: str) -> array.array[int]:
    arr = array.array("Q")
    try:
        arr.frombytes(paths.read_file(str(_archive_path(directory, month))))
    except (OSError, ValueError):
        return array.array("Q")
    return arr


def _merge_archive(directory: Path, pending: dict[str, list[int]]) -> None:
    for month, hashes in pending.items():
        if not hashes:
            continue
        merged = set(_read_archive(directory, month))
        merged.update(hashes)
        try:
            data = array.array("Q", sorted(merged)).tobytes()
        except TypeError:  # not all numbers (a hand-edited store): as numbers, then
            data = array.array("Q", sorted({int(h) for h in merged})).tobytes()
        write_bytes_atomic(_archive_path(directory, month), data)


def _drop_archive(directory: Path) -> None:
    for month in _archived_months(directory):
        _archive_path(directory, month).unlink(missing_ok=True)


def _prune_archive(directory: Path, now_minute: int) -> None:
    oldest = month_of_minute(now_minute - COARSE_DAYS * 1440)
    for month in _archived_months(directory):
        if month < oldest:
            with contextlib.suppress(OSError):
                _archive_path(directory, month).unlink()


def _plan(transcripts: list[Transcript], index: FileIndex, stats: LedgerStats) -> list[Job]:
    """(file, start offset, skip id-less lines up to this ms, newest ms seen) for files to read."""
    work: list[Job] = []
    for t in transcripts:
        st = t.stat
        old = index.files.get(t.path)
        if old is None:
            stats.files_new += 1
            work.append((t, 0, 0, 0))
        elif (old.dev, old.ino) != (st.st_dev, st.st_ino):
            stats.files_replaced += 1
            work.append((t, 0, old.max_ts_ms, 0))
        elif old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
            stats.files_unchanged += 1
        elif st.st_size < old.offset:
            stats.files_truncated += 1
            work.append((t, 0, old.max_ts_ms, 0))
        else:
            try:
                fd = os.open(t.path, os.O_RDONLY)
            except OSError:
                continue
            try:
                same = still_prefix(fd, old)
            finally:
                os.close(fd)
            if same:
                stats.files_grown += 1
                work.append((t, old.offset, 0, old.max_ts_ms))
            else:
                stats.files_truncated += 1
                work.append((t, 0, old.max_ts_ms, 0))
    return work


def _deleted(index: FileIndex, roots: Iterable[Path], seen: set[str]) -> list[str]:
    prefixes = tuple(os.path.join(str(r), "projects") + os.sep for r in roots)
    return [p for p in index.files if p.startswith(prefixes) and p not in seen]


DAMAGED_COPY = "store.json.unreadable"


def _store_problem(directory: Path, index: FileIndex) -> str | None:
    """Why the store cannot be the counts of the positions in ``index`` (None: it can, or there is
    none). The store and the index are one unit: the index records the stamp of the store it
    matches, so a run with nothing new reads the store's bytes but parses them only when they
    changed. A store that changed and still parses was written by a run that stopped before its
    index (see the write order above): it knows those bytes, nothing counts twice."""
    if not index.files:
        return None
    try:
        raw = paths.read_file(str(directory / STORE_FILE))
    except FileNotFoundError:
        return None  # gone: its positions are dropped below
    except OSError as exc:
        return f"store.json could not be read ({exc.strerror or type(exc).__name__})"
    if index.store_stamp is not None and stamp(raw) == index.store_stamp:
        return None
    try:
        if Store.from_json(json.loads(raw)).loaded:
            return None
    except (TypeError, ValueError, KeyError, IndexError, RecursionError):
        pass
    return "store.json was unreadable"


def _set_aside(directory: Path, index: FileIndex, reason: str, now: float) -> None:
    """The unreadable store moved aside (kept: it may be repaired by hand), its positions and the
    archive dropped (the archive's hashes would make every old response a duplicate): every
    transcript is read again."""
    copy = directory / DAMAGED_COPY
    with contextlib.suppress(OSError):
        paths.remove_entry(str(copy))  # an older copy (os.replace would not take a directory's place)
    try:
        os.replace(directory / STORE_FILE, copy)
    except OSError:
        with contextlib.suppress(OSError):
            paths.remove_entry(str(directory / STORE_FILE))
    index.files.clear()
    _drop_archive(directory)
    index.store_stamp = None
    index.damaged = {"at": now, "reason": reason, "copy": str(copy)}


def health(state_dir: Path | None = None) -> tuple[bool, str] | None:
    """For doctor: (fine, what to say) about the ledger's store, None when there is no ledger.
    Creates nothing (doctor's dirs check says whether the dir is safe)."""
    directory = Path(state_dir) if state_dir is not None else Path(paths.user_state_dir()) / "ledger"
    if not (directory / INDEX_FILE).exists():
        return None
    index = FileIndex.load(directory)
    problem = _store_problem(directory, index)
    if problem is not None:
        return False, f"{problem}: the next refresh or `quotaline report` counts every transcript again"
    damaged = index.damaged
    if damaged is not None and os.path.lexists(str(damaged.get("copy"))):
        at = damaged.get("at")
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(at)) if isinstance(at, (int, float)) else "?"
        return True, (
            f"counted again from the transcripts at {when}: {damaged.get('reason')}; tokens of transcripts "
            f"Claude Code has deleted since are lost. The old file is {damaged.get('copy')} (remove it)"
        )
    return True, f"{len(index.files)} transcripts counted"


def freshness(state_dir: Path | None = None) -> float | None:
    """When the ledger last caught up with the transcripts (epoch seconds), None if never."""
    try:
        return (ledger_dir(state_dir) / INDEX_FILE).stat().st_mtime
    except OSError:
        return None


def update_ledger(
    roots: list[Path] | None = None,
    state_dir: Path | None = None,
    *,
    now: float | None = None,
    lock_timeout: float = 30.0,
    dedup_cap: int = DEDUP_CAP,
    workers: int | None = None,
    progress: Progress | None = None,
) -> LedgerStats:
    """Read what was appended to the transcripts since the last run; the run's statistics.

    ``roots``: Claude config dirs (or their ``projects/`` dirs); default as ccusage finds them.
    ``state_dir``: where the ledger lives; default ``<user_state_dir>/ledger``.
    ``workers``: processes that parse; default 2 (when 2 CPUs are there) for a catch-up of 64 MiB
    or more, else 1 (in process).
    ``progress(done, todo)``: called with bytes read so far when there are new bytes, after each file.
    """
    started = time.perf_counter()
    directory = ledger_dir(state_dir)
    root_paths = resolve_roots(roots) if roots is not None else default_roots()
    stats = LedgerStats(roots=len(root_paths))
    lock = filelock.FileLock(str(directory / LOCK_FILE), mode=0o600)
    try:
        lock.acquire(timeout=lock_timeout)
    except filelock.Timeout:
        stats.busy = True
        return stats
    now = time.time() if now is None else now
    try:
        found, answered = _update(directory, root_paths, stats, now, dedup_cap, workers, progress)
    finally:
        lock.release()
    if found or answered:
        record_walls(found, now, answered)
    stats.seconds = time.perf_counter() - started
    return stats


def _update(
    directory: Path,
    root_paths: list[Path],
    stats: LedgerStats,
    now: float,
    dedup_cap: int,
    workers: int | None,
    progress: Progress | None,
) -> tuple[list[Found], list[Answered]]:
    """Count the new bytes; the walls (rate-limit error lines) and each session's newest answer
    found in them."""
    index = FileIndex.load(directory)
    found: list[Found] = []
    answered: list[Answered] = []
    problem = _store_problem(directory, index)
    if problem is not None:
        _set_aside(directory, index, problem, now)
        stats.damaged, stats.rebuilt = problem, True
    store_exists = (directory / STORE_FILE).exists()
    if index.files and not store_exists:
        index.files.clear()  # the counts are gone: read everything again
    # Positions written beside an older store: maybe one to rebuild (decided once it is loaded).
    older_store = store_exists and index.store_schema < STORE_SCHEMA
    transcripts = [t for root in root_paths for t in walk(root)]
    transcripts.sort(key=lambda t: t.path)  # ccusage's order, so ties resolve the same way
    stats.files_seen = len(transcripts)
    work = _plan(transcripts, index, stats)
    gone = _deleted(index, root_paths, {t.path for t in transcripts})
    stats.files_deleted = len(gone)
    if not work and not gone and not older_store and problem is None:
        with contextlib.suppress(OSError):
            os.utime(directory / INDEX_FILE)  # the mtime says how fresh the ledger is
        return found, answered
    for path in gone:
        # The tokens stay: they were sent. Claude Code deletes old transcripts on its own.
        del index.files[path]

    now_minute = int(now // 60)
    if work or older_store:
        store = load_store(directory)
        legacy: Store | None = None
        if store.migrated_from is not None:
            # Counted before branches were recorded: count again from the transcripts.
            legacy, store = store, Store()
            index.files.clear()
            _drop_archive(directory)  # its hashes would make every response a duplicate
            stats.files_new = stats.files_grown = stats.files_truncated = stats.files_replaced = 0
            stats.files_unchanged = 0
            stats.rebuilt = True
            work = _plan(transcripts, index, stats)
        elif not store.loaded and index.files:
            # Unreadable counts: read everything again (the archive keeps old copies out).
            index.files.clear()
            stats.files_new = stats.files_grown = stats.files_truncated = stats.files_replaced = 0
            stats.files_unchanged = 0
            work = _plan(transcripts, index, stats)
        _merge_archive(directory, store.archive_pending)
        store.archive_pending = {}
        store.prune(now_minute)
        dedup = Dedup(
            cap=dedup_cap,
            archive_loader=lambda month: _read_archive(directory, month),
            archived_months=_archived_months(directory),
        )
        dedup.restore(store.dedup_state)
        scanner = Scanner(store, dedup, stats)
        todo = sum(max(0, t.stat.st_size - start) for t, start, _, _ in work)
        if workers is None:
            # A catch-up this large is the first scan: parse on two CPUs, the main process counts.
            cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
            workers = min(2, cpus) if todo >= PARALLEL_MIN_BYTES and len(work) > 1 else 1
        stats.workers = workers
        done = 0
        with gc_paused():
            for job, ex in extract_all(work, workers):
                if progress is not None:
                    done += ex.bytes_read
                    progress(done, todo)
                state = scanner.apply(job, ex)
                if state is None:
                    index.files.pop(job[0].path, None)
                else:
                    index.files[job[0].path] = state
            found = scanner.walls
            answered = [(root, at, session, model) for (root, session), (at, model) in scanner.answered.items()]
            if legacy is not None:
                store.adopt_older(legacy)
            store.dedup_state, evicted = dedup.export(now_minute - RECENT_DEDUP_DAYS * 1440)
        store.archive_pending = evicted
        index.store_stamp = store.save(directory)
        _merge_archive(directory, evicted)
        _prune_archive(directory, now_minute)
    for name in ("malformed", "entries", "duplicates", "prompts", "bytes_read"):
        index.counters[name] = index.counters.get(name, 0) + int(getattr(stats, name))
    index.store_schema = STORE_SCHEMA
    index.save(directory)
    return found, answered
