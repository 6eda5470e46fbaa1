"""The part of :mod:`os` the hot path uses, without importing :mod:`os`.

``import os`` is slow to import (docs/import-costs.md): it builds ``os.environ`` on
``collections.abc`` and imports ``posixpath``, ``stat`` and ``genericpath``. The status line needs
a dozen of its functions, and those are the built-in ``posix`` module's, which ``os`` re-exports:
the same objects. What ``os`` adds in Python (``os.path``'s string functions, ``makedirs``, the
environment as text) is here, to the letter of ``posixpath`` (``tests/core/test_fastos.py``
compares them). The environment is read through ``os.environ`` whenever ``os`` is loaded (tests,
the refresher), so a value a caller set there is the one read.
"""

from __future__ import annotations

import sys

if sys.platform == "win32":  # pragma: no cover - Windows: tests/windows runs it on the Windows CPython
    # No ``posix`` there: ``os`` itself (its start-up cost is part of every Windows interpreter's),
    # with the few POSIX names the hot path uses filled in (``statusline.core.system._nt_os``).
    from os import *  # noqa: F403
    from os import environ as _environ_b

    from statusline.core.system._nt_os import *  # noqa: F403
else:
    from posix import (
        O_APPEND,
        O_CREAT,
        O_EXCL,
        O_NOFOLLOW,
        O_NONBLOCK,
        O_RDONLY,
        O_RDWR,
        O_WRONLY,
        POSIX_SPAWN_OPEN,
        chmod,
        close,
        fstat,
        get_blocking,
        getcwd,
        geteuid,
        getpid,
        getuid,
        isatty,
        kill,
        link,
        listdir,
        lstat,
        mkdir,
        open,
        posix_spawn,
        pread,
        read,
        rename,
        replace,
        set_blocking,
        stat,
        stat_result,
        unlink,
        utime,
        write,
    )
    from posix import environ as _environ_b

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from collections.abc import Mapping

__all__ = [
    "O_APPEND",
    "O_CREAT",
    "O_EXCL",
    "O_NOFOLLOW",
    "O_NONBLOCK",
    "O_RDONLY",
    "O_RDWR",
    "O_WRONLY",
    "POSIX_SPAWN_OPEN",
    "chmod",
    "close",
    "fstat",
    "get_blocking",
    "getcwd",
    "geteuid",
    "getpid",
    "getuid",
    "isatty",
    "kill",
    "link",
    "listdir",
    "lstat",
    "mkdir",
    "open",
    "posix_spawn",
    "pread",
    "read",
    "rename",
    "replace",
    "set_blocking",
    "stat",
    "stat_result",
    "unlink",
    "utime",
    "write",
]

devnull = "/dev/null"
_DIR, _LINK, _KIND = 0o040000, 0o120000, 0o170000


def environ() -> Mapping[str, str]:
    """The environment as text: ``os.environ`` once ``os`` is loaded, else decoded as ``os`` does."""
    os = sys.modules.get("os")
    if os is not None:
        return os.environ  # type: ignore[no-any-return]
    return {_decode(k): _decode(v) for k, v in _environ_b.items()}


class _Getter:
    """``get`` of the environment, decoding one value at a time (``environ()`` decodes them all)."""

    @staticmethod
    def get(name: str, default: str | None = None) -> str | None:
        value = _getenv(name)
        return default if value is None else value


env = _Getter()


def getenv(name: str, default: str = "") -> str:
    value = _getenv(name)
    return default if value is None else value


def _getenv(name: str) -> str | None:
    os = sys.modules.get("os")
    if os is not None:
        return os.environ.get(name)  # type: ignore[no-any-return]
    value = _environ_b.get(name.encode(_ENCODING, "surrogateescape"))
    return None if value is None else _decode(value)


_ENCODING = sys.getfilesystemencoding()


def _decode(value: bytes) -> str:
    return value.decode(_ENCODING, "surrogateescape")


# posixpath's string functions, for str paths.


def isabs(path: str) -> bool:
    return path.startswith("/")


def join(first: str, *rest: str) -> str:
    path = first
    for part in rest:
        if part.startswith("/"):
            path = part
        elif not path or path.endswith("/"):
            path += part
        else:
            path += "/" + part
    return path


def dirname(path: str) -> str:
    head = path[: path.rfind("/") + 1]
    if head and head != "/" * len(head):
        head = head.rstrip("/")
    return head


def normpath(path: str) -> str:
    if not path:
        return "."
    initial = len(path) - len(path.lstrip("/"))
    if initial > 2:  # POSIX keeps exactly two leading slashes, makes one of three or more
        initial = 1
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part != ".." or (not initial and not parts) or (parts and parts[-1] == ".."):
            parts.append(part)
        elif parts:
            parts.pop()
    return "/" * initial + "/".join(parts) or "."


def abspath(path: str) -> str:
    return normpath(path if isabs(path) else join(getcwd(), path))


def expanduser(path: str) -> str:
    if not path.startswith("~"):
        return path
    end = path.find("/", 1)
    end = len(path) if end < 0 else end
    if end == 1:
        home = _getenv("HOME")
        if home is None:
            import pwd

            try:
                home = pwd.getpwuid(getuid()).pw_dir
            except KeyError:
                return path
    else:
        import pwd

        try:
            home = pwd.getpwnam(path[1:end]).pw_dir
        except KeyError:
            return path
    home = home.rstrip("/")
    return (home + path[end:]) or "/"


def exists(path: str) -> bool:
    try:
        stat(path)
    except (OSError, ValueError):
        return False
    return True


def lexists(path: str) -> bool:
    try:
        lstat(path)
    except (OSError, ValueError):
        return False
    return True


def isdir(path: str) -> bool:
    try:
        return stat(path).st_mode & _KIND == _DIR
    except (OSError, ValueError):
        return False


def islink(path: str) -> bool:
    try:
        return lstat(path).st_mode & _KIND == _LINK
    except (OSError, ValueError, AttributeError):
        return False


def makedirs(path: str, mode: int = 0o777, exist_ok: bool = False) -> None:
    """``os.makedirs``: the parents with the default mode, ``path`` itself with ``mode``."""
    head = dirname(path.rstrip("/") or path)
    tail = path.rstrip("/").rpartition("/")[2]
    if head and tail and not exists(head):
        try:  # noqa: SIM105 - contextlib is not imported on the hot path
            makedirs(head, exist_ok=exist_ok)
        except FileExistsError:  # made meanwhile
            pass
        if tail == ".":
            return
    try:
        mkdir(path, mode)
    except OSError:
        if not exist_ok or not isdir(path):
            raise


if sys.platform == "win32":  # pragma: no cover - ntpath's rules: drive letters, both separators
    import ntpath as _nt
    import os as _os

    abspath, dirname, expanduser, isabs, join, normpath = (
        _nt.abspath, _nt.dirname, _nt.expanduser, _nt.isabs, _nt.join, _nt.normpath
    )
    makedirs = _os.makedirs
    devnull = "nul"
