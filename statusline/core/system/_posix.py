"""The POSIX half of the platform seam (Linux, macOS): primitives only, the policy is in ``__init__``.

Imported on the hot path: nothing here is loaded before it is needed (``fcntl`` only to lock,
``select`` only when stdin has nothing yet, ``pwd`` only without a usable ``HOME``).
"""

from __future__ import annotations

from statusline.core.system import fastos


def home() -> str | None:
    """An absolute home directory, or None: ``$HOME``, else the passwd entry (as expanduser does)."""
    home = fastos.getenv("HOME", "")
    if fastos.isabs(home):
        return home
    try:
        import pwd

        home = pwd.getpwuid(fastos.getuid()).pw_dir
    except (ImportError, KeyError, OSError):
        return None
    return home if fastos.isabs(home) and fastos.isdir(home) else None


HOME_HINT = "HOME is unset or relative, and uid {uid} has no passwd entry with an existing home: set HOME"


def local_appdata() -> str | None:  # pragma: no cover - Windows only
    return None


def lock(fd: int, *, wait: bool) -> bool:
    """An exclusive ``flock`` on ``fd`` (the lock filelock takes): False when busy and not waiting."""
    import fcntl  # a shared library: only to lock for a write

    try:
        fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def unlock(fd: int) -> None:
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


def alive(pid: int) -> bool:
    try:
        fastos.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's: alive
        return True
    return True


def read_within(fd: int, timeout: float) -> bytes | None:
    """A chunk of ``fd`` (``b""`` at EOF) once one arrives within ``timeout`` seconds, else None
    (a failed read too). With no time at all, one non-blocking read: no ``select`` loaded."""
    if timeout <= 0:
        return _read_now(fd)
    import select  # only when stdin had nothing at once: a shared library to load

    try:
        if not select.select([fd], [], [], timeout)[0]:
            return None
        return fastos.read(fd, 1 << 16)
    except (OSError, ValueError):
        return None


def _read_now(fd: int) -> bytes | None:
    """The fd is non-blocking only for this one read; None when nothing has arrived yet."""
    try:
        blocking = fastos.get_blocking(fd)
        if blocking:
            fastos.set_blocking(fd, False)
        try:
            return fastos.read(fd, 1 << 16)
        finally:
            if blocking:
                fastos.set_blocking(fd, True)
    except OSError:  # BlockingIOError: nothing yet
        return None


def utf8_output() -> None:
    """POSIX interpreters already write UTF-8 (a C or POSIX locale is coerced to UTF-8)."""


def start_detached(argv: list[str]) -> bool:
    """Start ``argv`` in its own session with no inherited stdio; never waits for it."""
    devnull = fastos.devnull
    actions = [
        (fastos.POSIX_SPAWN_OPEN, 0, devnull, fastos.O_RDONLY, 0),
        (fastos.POSIX_SPAWN_OPEN, 1, devnull, fastos.O_WRONLY, 0),
        (fastos.POSIX_SPAWN_OPEN, 2, devnull, fastos.O_WRONLY, 0),
    ]
    try:
        fastos.posix_spawn(argv[0], argv, dict(fastos.environ()), file_actions=actions, setsid=True)
    except (OSError, AttributeError, NotImplementedError, TypeError):
        return False
    return True


def read_credential(target: str) -> bytes | None:
    """Windows' Credential Manager, which POSIX has not (the refresher asks only on Windows)."""
    raise OSError(f"no Windows Credential Manager on this platform to read {target!r} from")


def fchmod(fd: int, mode: int) -> None:
    """``mode`` on the open file, whatever the umask made of it."""
    import os  # writers only (install, the ledger): never on the hot path

    os.fchmod(fd, mode)


def fsync_dir(path: str) -> None:
    """The directory's entries on disk: a rename in it survives a power cut (OSError if not)."""
    import os  # writers only

    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
