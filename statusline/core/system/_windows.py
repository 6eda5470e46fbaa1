"""The Windows half of the platform seam: primitives only, the policy is in ``__init__``.

Tested on the official Windows CPython (``tests/windows``, under Wine here). ``os`` is loaded on
Windows anyway (``fastos`` is ``os`` there); ``_winapi`` and ``msvcrt`` are built into the
interpreter, so nothing here loads a DLL of its own, but ``read_credential`` (ctypes, advapi32),
which only the refresher and doctor call.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any

# Windows only (mypy checks the rest for win32 alone, as typeshed declares these modules).
assert sys.platform == "win32"

import _winapi  # noqa: E402
import msvcrt  # noqa: E402

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


_FILE_TYPE_PIPE = 3
_readers: dict[int, Any] = {}


def read_within(fd: int, timeout: float) -> bytes | None:
    """A chunk of ``fd`` (``b""`` at EOF) once one arrives within ``timeout`` seconds, else None.

    ``select`` takes only sockets on Windows. A pipe is peeked at (``PeekNamedPipe``) until it
    holds bytes or its writer is gone; where peeking is refused (Wine's pipes), a thread reads
    and this waits on it. A file or NUL never blocks."""
    reader = _readers.get(fd)
    if reader is not None:
        return _from_thread(reader, timeout)
    try:
        handle = msvcrt.get_osfhandle(fd)
        if _winapi.GetFileType(handle) != _FILE_TYPE_PIPE:
            return os.read(fd, 1 << 16)
    except OSError:
        return None
    deadline = time.monotonic() + timeout
    while True:
        try:
            avail = _winapi.PeekNamedPipe(handle, 0)[0]
        except BrokenPipeError:  # the writer closed it: the read returns EOF
            avail = 1
        except OSError:  # this pipe cannot be peeked at
            return _from_thread(_start_reader(fd), max(0.0, deadline - time.monotonic()))
        if avail:
            try:
                return os.read(fd, 1 << 16)
            except OSError:
                return None
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(_POLL_S, left))


def _start_reader(fd: int) -> Any:
    import queue
    import threading

    chunks: Any = queue.SimpleQueue()

    def pump() -> None:
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                chunk = b""
            chunks.put(chunk)
            if not chunk:
                return

    threading.Thread(target=pump, daemon=True).start()
    _readers[fd] = chunks
    return chunks


def _from_thread(chunks: Any, timeout: float) -> bytes | None:
    import queue

    try:
        chunk: bytes = chunks.get(timeout=timeout) if timeout > 0 else chunks.get_nowait()
    except queue.Empty:
        return None
    if not chunk:
        chunks.put(b"")  # EOF stays EOF for the next caller
    return chunk


def utf8_output() -> None:
    """Claude Code reads UTF-8, whatever the console's code page (cp1252 turns "≥" into an error)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            # and "\n" as on POSIX: what Git Bash and Claude Code read line by line expect
            with contextlib.suppress(OSError, ValueError):
                reconfigure(encoding="utf-8", newline="\n")


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


_CRED_TYPE_GENERIC = 1
_ERROR_NOT_FOUND = 1168


def read_credential(target: str) -> bytes | None:
    """The blob of the generic credential named ``target`` in the Credential Manager (``CredReadW``
    of advapi32, freed with ``CredFree``): None when there is none, OSError when it cannot be read.

    ctypes is loaded here only: the refresher and doctor read credentials, the status line never."""
    import ctypes
    from ctypes import wintypes

    class Credential(ctypes.Structure):  # CREDENTIALW, as wincred.h lays it out
        _fields_ = [
            ("Flags", wintypes.DWORD),
            ("Type", wintypes.DWORD),
            ("TargetName", wintypes.LPWSTR),
            ("Comment", wintypes.LPWSTR),
            ("LastWritten", wintypes.FILETIME),
            ("CredentialBlobSize", wintypes.DWORD),
            ("CredentialBlob", ctypes.POINTER(ctypes.c_ubyte)),
            ("Persist", wintypes.DWORD),
            ("AttributeCount", wintypes.DWORD),
            ("Attributes", ctypes.c_void_p),
            ("TargetAlias", wintypes.LPWSTR),
            ("UserName", wintypes.LPWSTR),
        ]

    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)
    cred_read = advapi32.CredReadW
    cred_read.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.DWORD, ctypes.POINTER(ctypes.POINTER(Credential))]
    cred_read.restype = wintypes.BOOL
    cred_free = advapi32.CredFree
    cred_free.argtypes = [ctypes.c_void_p]
    cred_free.restype = None
    found = ctypes.POINTER(Credential)()
    if not cred_read(target, _CRED_TYPE_GENERIC, 0, ctypes.byref(found)):
        error = ctypes.get_last_error()
        if error == _ERROR_NOT_FOUND:
            return None
        raise ctypes.WinError(error)
    try:
        item = found.contents
        if not item.CredentialBlob or not item.CredentialBlobSize:
            return b""
        return ctypes.string_at(item.CredentialBlob, item.CredentialBlobSize)
    finally:
        cred_free(found)


def fchmod(fd: int, mode: int) -> None:
    """Nothing: Windows' mode bits say only read-only (and ``os.fchmod`` exists there only from
    3.13); a file in the user's profile is private by the folder's access list."""


def fsync_dir(path: str) -> None:
    """Nothing: a directory cannot be opened as a file there, and NTFS journals its entries."""
