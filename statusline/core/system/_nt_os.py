"""The POSIX names ``fastos`` offers, on Windows: what ``os`` lacks there or does differently.

Imported by ``fastos`` on Windows only (``from os import *`` first, then this). Every file the hot
path opens is binary (no ``\\n`` to ``\\r\\n``) and not inherited by the refresher it may start;
``replace`` waits out a reader that has the target open (Windows refuses to replace a file some
process holds without ``FILE_SHARE_DELETE``, which is how every C runtime opens files).
"""

from __future__ import annotations

import os
import sys
import time

assert sys.platform == "win32"  # Windows only (and mypy checks the rest for win32 alone)

O_NOFOLLOW = 0  # no symlink to follow without the privilege to make one; the lstat checks remain
O_NONBLOCK = 0
_ALWAYS = os.O_BINARY | os.O_NOINHERIT
# A reader holds a snapshot open for well under a millisecond; an antivirus scan for longer.
REPLACE_PATIENCE_S = 0.5

__all__ = ["O_NOFOLLOW", "O_NONBLOCK", "REPLACE_PATIENCE_S", "link", "open", "pread", "replace", "utime"]


def open(path: str, flags: int, mode: int = 0o777) -> int:
    """``os.open``, retried while the file is being replaced: Windows refuses to open a file that
    another process is renaming over (PermissionError) for that instant, and a reader that gave up
    would see no snapshot at all."""
    deadline = time.monotonic() + REPLACE_PATIENCE_S
    delay = 0.001
    while True:
        try:
            return os.open(path, flags | _ALWAYS, mode)
        except PermissionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def pread(fd: int, n: int, offset: int) -> bytes:
    """``os.pread`` (POSIX only): the callers hold the fd alone, so moving its offset is harmless."""
    os.lseek(fd, offset, os.SEEK_SET)
    return os.read(fd, n)


def replace(src: str, dst: str) -> None:
    """``os.replace``, retried while another process holds ``dst`` (PermissionError on Windows)."""
    deadline = time.monotonic() + REPLACE_PATIENCE_S
    delay = 0.001
    while True:
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def link(src: str, dst: str, *, follow_symlinks: bool = True) -> None:
    """``os.link``; CreateHardLink links the entry itself, so ``follow_symlinks`` changes nothing."""
    os.link(src, dst)


def utime(target: int | str, times: tuple[float, float] | None = None) -> None:
    """``os.utime``; on an open fd (which Windows' ``os.utime`` refuses) a write and a truncate
    make the file's modification time now, which is what the callers pass."""
    if isinstance(target, int):
        os.lseek(target, 0, os.SEEK_SET)
        os.write(target, b"\n")
        os.ftruncate(target, 0)
        return
    os.utime(target, times)
