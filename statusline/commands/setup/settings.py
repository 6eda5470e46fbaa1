"""Claude Code's ``settings.json``, read and written without clobbering it: ``Found`` refuses what
Python would not write back as found; ``settle`` writes a plan on the file as it is at the write,
planning again when Claude Code (or /quotaline:setup inside it) changed it meanwhile; a backup
with a unique name comes before every rewrite."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from statusline.commands.setup import InstallError
from statusline.commands.setup.state import make_dirs
from statusline.core import system
from statusline.core.store import paths
from statusline.core.system import fastos


class Found:
    """settings.json as found: ``text`` None when there is none; ``target`` the file a symlink names."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.target = os.path.realpath(path)
        self.text: str | None = None
        self.raw: bytes | None = None
        self.data: dict[str, Any] | None = None
        self.mode = 0o600
        try:
            raw = paths.read_file(self.target)  # a FIFO there would hang the install
            self.mode = os.stat(self.target).st_mode & 0o7777
        except FileNotFoundError:
            return
        except OSError as exc:
            raise InstallError(f"cannot read {path}: {exc.strerror}; nothing was changed") from None
        self.raw = raw
        try:
            self.text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InstallError(f"{path} is not UTF-8 (byte {exc.start}); nothing was changed") from None
        self.data = parse_settings(self.text, path)

    @property
    def link(self) -> bool:
        return os.path.islink(self.path)


def parse_settings(text: str, path: str) -> dict[str, Any]:
    """The settings object; InstallError for anything Python would not write back as it is."""
    if not text.strip():
        return {}
    fix = "fix it (or move it away) and run `quotaline install` again. Nothing was changed."

    def constant(name: str) -> Any:
        raise InstallError(f"{path} holds {name}, which JSON does not allow and Python would write back as is; {fix}")

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise InstallError(f"{path} holds the number {literal}, beyond a double (Python reads Infinity); {fix}")
        return value

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise InstallError(f"{path} holds the key {key!r} twice; Python would keep only the last; {fix}")
            out[key] = value
        return out

    try:
        data = json.loads(text, parse_constant=constant, parse_float=number, object_pairs_hook=pairs)
    except ValueError as exc:
        raise InstallError(f"{path} is not valid JSON ({exc}); {fix}") from None
    if not isinstance(data, dict):
        raise InstallError(f"{path} does not hold a JSON object; nothing was changed")
    where = _lone_surrogate(data, "")
    if where is not None:
        raise InstallError(f"{path} holds a lone surrogate (an unpaired \\ud8xx escape) at {where or 'the top'}; {fix}")
    return data


def _lone_surrogate(value: Any, where: str) -> str | None:
    """The key path of the first string (or key) that is not valid Unicode, else None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "the top"
        return None
    items: Iterator[tuple[str, Any]]
    if isinstance(value, dict):
        for key in value:
            try:
                key.encode("utf-8")
            except UnicodeEncodeError:
                return f"{where}.{key!a}" if where else f"{key!a}"
        items = ((f"{where}.{k}" if where else k, v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for sub, item in items:
        found = _lone_surrogate(item, sub)
        if found is not None:
            return found
    return None


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_writable(found: Found) -> None:
    """Refuse before anything changes: a read-only file (root could write it anyway) or a directory
    that would not take the new file."""
    if found.text is not None and not found.mode & 0o200:
        raise InstallError(
            f"{found.path} is read-only (mode {found.mode & 0o777:o}): quotaline does not overwrite it. "
            f"Make it writable (chmod u+w {found.target}) and run again, or add the change that "
            "`quotaline install --dry-run` shows by hand. Nothing was changed."
        )
    directory = os.path.dirname(found.target)
    if os.path.isdir(directory) and not os.access(directory, os.W_OK):
        raise InstallError(f"cannot write in {directory}; nothing was changed")


def backup(found: Found) -> str:
    """A copy of the file as found, next to settings.json (not inside a dotfiles repo a link leads
    to), under a name no other backup has."""
    assert found.text is not None
    base = f"{found.path}.quotaline-backup-{time.strftime('%Y%m%d-%H%M%S')}"
    for n in range(1000):
        name = base if n == 0 else f"{base}-{n}"
        try:
            fd = fastos.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | paths.NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(found.raw or b"")
        return name
    raise InstallError(f"cannot find a free backup name next to {found.path}")


T = TypeVar("T")


class Changed(Exception):
    """settings.json is no longer what was read: the edit is made again on what is there now."""


def read_now(target: str) -> bytes | None:
    try:
        return paths.read_file(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InstallError(f"cannot read {target}: {exc.strerror}; nothing was changed") from None


def write_backed_up(f: Found, text: str, state: dict[str, Any], keep: str | None) -> None:
    """``write_through``, dropping ``keep`` (the backup made for this very write) when the file
    changed meanwhile: the caller plans again from what is there now, and backs that up instead."""
    try:
        write_through(f, text, state)
    except Changed:
        if keep:
            os.unlink(keep)
        raise


def write_through(found: Found, text: str, state: dict[str, Any]) -> None:
    """Replace the file (a symlink's target, the link kept) atomically, keeping its mode, if it still
    holds what ``found`` read (``Changed`` otherwise: Claude Code writes it while it runs, and
    /quotaline:setup runs inside it). Checked the instant before the replace; a file that was
    absent is created only if still absent (a hard link, which never replaces)."""
    target = found.target
    if found.text is None:
        make_dirs(os.path.dirname(target), state)
    tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.quotaline-{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    try:
        fd = fastos.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | paths.NOFOLLOW, 0o600)  # binary on Windows too
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:  # the text's own line ends
                handle.write(text)
                system.fchmod(handle.fileno(), found.mode & 0o777 if found.text is not None else 0o600)
                handle.flush()
                os.fsync(handle.fileno())
            if found.text is None:
                try:
                    os.link(tmp, target)
                except FileExistsError:
                    raise Changed from None
                except OSError:  # a filesystem without hard links: the check, then the replace
                    if read_now(target) is not None:
                        raise Changed from None
                    fastos.replace(tmp, target)
            elif read_now(target) != found.raw:
                raise Changed
            else:
                fastos.replace(tmp, target)  # on Windows: retried while Claude Code reads it
            _fsync_dir(os.path.dirname(target))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except OSError as exc:
        raise InstallError(f"cannot write {found.path}: {exc.strerror}") from None


def _fsync_dir(directory: str) -> None:
    with contextlib.suppress(OSError):
        system.fsync_dir(directory)


def settle(
    path: str, found: Found, planned: T, plan: Callable[[Found], T], write: Callable[[Found, T], None]
) -> tuple[Found, T]:
    """``write(found, planned)`` on settings.json as it is at the write: read again just before
    (after the question, which may wait long), planned again (``plan``) when it changed, and again
    when it changes between that read and the replace (``write`` raises ``Changed``)."""
    for _ in range(20):
        now = Found(path)
        if now.raw != found.raw or now.target != found.target:
            found, planned = now, plan(now)
            print(f"quotaline: {path} changed since it was read: the change is made to it as it is now")
        try:
            write(found, planned)
        except Changed:
            continue
        return found, planned
    raise InstallError(f"{path} keeps changing; nothing was changed. Run again when Claude Code is idle.")


def remove_settings(found: Found) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(found.target)


def diff(found: Found, new_text: str | None) -> str:
    import difflib

    old = found.text.splitlines(keepends=True) if found.text is not None else []
    new = new_text.splitlines(keepends=True) if new_text is not None else []
    before = found.path if found.text is not None else "/dev/null"
    after = found.path if new_text is not None else "/dev/null"
    lines = list(difflib.unified_diff(old, new, before, after))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
