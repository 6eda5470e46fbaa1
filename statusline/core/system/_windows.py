"""The Windows half of the platform seam: primitives only, the policy is in ``__init__``.

Tested on the official Windows CPython (``tests/windows``, under Wine here). ``os`` is loaded on
Windows anyway (``fastos`` is ``os`` there); ``_winapi`` and ``msvcrt`` are built into the
interpreter, so nothing here loads a DLL of its own.
"""

from __future__ import annotations

import os
import sys
import time

import _winapi
import msvcrt

HOME_HINT = "USERPROFILE is unset or relative: set USERPROFILE"
# OpenProcess's right to ask for an exit code, granted even for another user's process.
_QUERY_LIMITED_INFORMATION = 0x1000
_STILL_ACTIVE = 259
_ERROR_ACCESS_DENIED = 5
_POLL_S = 0.002
_DETACHED_PROCESS = 0x00000008
_CREATE_NEW_PROCESS_GROUP = 0x00000200
_CREATE_BREAKAWAY_FROM_JOB = 0x01000000


def home() -> str | None:
    """``ntpath.expanduser``'s home (``USERPROFILE``, else ``HOMEDRIVE`` + ``HOMEPATH``), if absolute."""
    home = os.environ.get("USERPROFILE", "")
    if not home:
        home = os.environ.get("HOMEDRIVE", "") + os.environ.get("HOMEPATH", "")
    return home if _absolute(home) else None


def local_appdata() -> str | None:
    """The local application data folder, as platformdirs finds it: its override variable first,
    then the variable Windows sets from the same known folder."""
    for var in ("WIN_PD_OVERRIDE_LOCAL_APPDATA", "LOCALAPPDATA"):
        value = os.environ.get(var, "").strip()
        if _absolute(value):
            return os.path.normpath(value)
    return None


def _absolute(path: str) -> bool:
    drive, rest = os.path.splitdrive(path)
    return bool(drive) and rest[:1] in ("\\", "/")


def lock(fd: int, *, wait: bool) -> bool:
    """An exclusive lock on ``fd``'s first byte (the lock filelock takes on Windows): False when
    busy and not waiting. ``LK_LOCK`` gives up after ten seconds, so waiting is a loop."""
    delay = _POLL_S
    while True:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            if not wait:
                return False
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def unlock(fd: int) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs. Never ``os.kill(pid, 0)``: on Windows signal 0 is CTRL_C_EVENT."""
    try:
        handle = _winapi.OpenProcess(_QUERY_LIMITED_INFORMATION, False, pid)
    except OSError as exc:
        return getattr(exc, "winerror", None) == _ERROR_ACCESS_DENIED  # there, but not ours to ask
    try:
        return bool(_winapi.GetExitCodeProcess(handle) == _STILL_ACTIVE)
    except OSError:
        return True
    finally:
        _winapi.CloseHandle(handle)


def _pipe_ready(fd: int) -> bool:
    """True when a read would not block: bytes in the pipe, the writer gone, or not a pipe at all
    (a file or NUL never blocks). ``select`` takes only sockets on Windows."""
    try:
        avail = _winapi.PeekNamedPipe(msvcrt.get_osfhandle(fd), 0)[0]
    except BrokenPipeError:  # the writer closed it: the read returns EOF
        return True
    except OSError:
        return True
    return bool(avail)


def read_now(fd: int) -> bytes | None:
    """What ``fd`` holds right now, without waiting: None when nothing has arrived yet."""
    if not _pipe_ready(fd):
        return None
    try:
        return os.read(fd, 1 << 16)
    except OSError:
        return None


def ready(fd: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not _pipe_ready(fd):
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(_POLL_S, left))
    return True


def utf8_output() -> None:
    """Claude Code reads UTF-8, whatever the console's code page (cp1252 turns "≥" into an error)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:  # and "\n" as on POSIX: what Git Bash and Claude Code read line by line expect
                reconfigure(encoding="utf-8", newline="\n")
            except (OSError, ValueError):
                pass


def start_detached(argv: list[str]) -> bool:
    """Start ``argv`` with no console and no inherited handles, in its own process group, out of
    the caller's job where allowed (Node kills its job's processes when it exits)."""
    import subprocess

    flags = _DETACHED_PROCESS | _CREATE_NEW_PROCESS_GROUP
    for extra in (_CREATE_BREAKAWAY_FROM_JOB, 0):
        try:
            subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
                creationflags=flags | extra,
            )
        except OSError:
            continue  # breakaway refused by the job: start inside it
        return True
    return False
