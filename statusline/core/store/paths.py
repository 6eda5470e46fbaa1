"""Where quotaline keeps its files, by platformdirs' rules, without importing platformdirs.

The status line cannot afford platformdirs' import (docs/import-costs.md); ``tests/core/test_snapshot.py`` proves these
functions and platformdirs agree. ``QUOTALINE_STATE_DIR`` / ``QUOTALINE_CONFIG_DIR`` override.

Every directory quotaline reads state from or writes to passes ``check_dir`` first (``state_dir``
for the state dir): it must be ours and closed to others, or ``DirError`` says why and how to fix
it. Files in it are opened with ``open_private``: no symlink followed, no FIFO waited on, nothing
kept that is not a plain file of ours.
"""

from __future__ import annotations

from statusline.core import system
from statusline.core.system import fastos

APP = "quotaline"
NOFOLLOW = getattr(fastos, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(fastos, "O_NONBLOCK", 0)


class DirError(OSError):
    """A directory quotaline must not use (or cannot find); the message names it and the fix.

    An ``OSError`` so that every "a write may fail" handler already treats it as a failed write;
    the commands catch it first to say so."""


def _home_or_none() -> str | None:
    """An absolute home directory, or None: never "~" or a path relative to the cwd."""
    return system.home()


def _no_home() -> DirError:
    return DirError(
        f"no home directory ({system.HOME_HINT.format(uid=_uid())}, "
        "or QUOTALINE_STATE_DIR and QUOTALINE_CONFIG_DIR to absolute paths)"
    )


def _home(sub: str) -> str:
    home = _home_or_none()
    if home is None:
        raise _no_home()
    return fastos.join(home, sub)


def _absolute(var: str) -> str:
    """``$var`` when it is an absolute path (relative values are ignored, as the XDG spec says)."""
    value = fastos.expanduser(fastos.getenv(var, "").strip())
    return value if fastos.isabs(value) else ""


def _user_dir(override: str, kind: str) -> str:
    """``$override`` when absolute, else platformdirs' answer for this platform (``system.user_dir``)."""
    value = _absolute(override) if override else ""
    if value:
        return value
    try:
        return system.user_dir(kind)
    except system.NoHome:
        raise _no_home() from None


def user_state_dir() -> str:
    return _user_dir("QUOTALINE_STATE_DIR", "state")


def user_config_dir() -> str:
    return _user_dir("QUOTALINE_CONFIG_DIR", "config")


def user_data_dir() -> str:
    return _user_dir("", "data")


def claude_config_dir() -> str:
    """Claude Code's config dir: ``$CLAUDE_CONFIG_DIR`` or ``~/.claude``."""
    value = fastos.getenv("CLAUDE_CONFIG_DIR", "").strip()
    return fastos.abspath(fastos.expanduser(value)) if value else _home(".claude")


def credentials_file() -> str:
    # Claude Code keeps its login under CLAUDE_SECURESTORAGE_CONFIG_DIR when that is set (empty: ~/.claude).
    store = fastos.getenv("CLAUDE_SECURESTORAGE_CONFIG_DIR", "\0")  # no environment value holds a NUL
    base = claude_config_dir() if store == "\0" else fastos.abspath(store) if store else _home(".claude")
    return fastos.join(base, ".credentials.json")


def credentials_stamp() -> str:
    """Changes when Claude Code's credentials change; holds nothing secret (a CRC of the env token
    at most), so the status line can notice new credentials after a 401 without reading them.
    "none" (no token, no file) is a stamp too: logging in after installing is noticed at once."""
    token = fastos.getenv("CLAUDE_CODE_OAUTH_TOKEN", "")
    if token:
        import zlib  # a shared library to load: only for those who need it

        return f"env:{zlib.crc32(token.encode()):08x}"
    try:
        st = fastos.stat(credentials_file())
        return f"file:{st.st_mtime_ns}:{st.st_size}"
    except OSError:
        return "none"


def account_key(claude_dir: str) -> str:
    """Snapshot key: one snapshot per Claude config dir (one account at a time lives there)."""
    home = _home_or_none()
    if home is None or claude_dir == fastos.join(home, ".claude"):
        return "default"
    import zlib  # a shared library to load (docs/import-costs.md): not for the default config dir

    return f"cfg-{zlib.crc32(claude_dir.encode('utf-8', 'surrogateescape')):08x}"


def state_dir() -> str:
    """The state dir, created (0700) when missing, once it is known to be safe to use.

    The one gate for quotaline's state: the snapshot, its locks and marker, the config cache,
    error.log and the ledger all live here, so every reader and writer comes through this.
    Raises ``DirError``."""
    path = user_state_dir()
    ensure_private_dir(path)
    return path


def snapshot_path(claude_dir: str | None = None) -> str:
    """The snapshot file in the checked state dir; raises ``DirError``."""
    if claude_dir is None:
        try:
            claude_dir = claude_config_dir()
        except DirError:  # no home: state and config overrides still name a usable place
            claude_dir = ""
    directory = state_dir()
    return fastos.join(directory, f"snapshot-{account_key(claude_dir) if claude_dir else 'default'}.json")


def config_file() -> str:
    return fastos.join(user_config_dir(), "config.toml")


def _uid() -> int:
    return fastos.geteuid() if hasattr(fastos, "geteuid") else -1


def check_dir(path: str, st: fastos.stat_result | None = None) -> None:
    """Raise ``DirError`` unless ``path`` is a directory owned by us that no one else may write.

    A dir that was ever open to others may hold planted files (a snapshot that hides real use, an
    error.log symlink into the user's files), so a too-open dir is refused, never silently
    tightened: the user looks at it and fixes it. The symlink to the dir is followed on purpose
    (a user may keep state on another disk); the dir it names is what gets checked."""
    if st is None:
        try:
            st = fastos.stat(path)
        except OSError as exc:
            raise DirError(f"cannot use {path}: {exc.strerror}") from None
    uid = _uid()
    if uid < 0:  # pragma: no cover - Windows: no owners to compare
        return
    if st.st_uid != uid:
        raise DirError(
            f"{path} belongs to uid {st.st_uid}, not to you (uid {uid}): quotaline will not use it; "
            "remove it, or point QUOTALINE_STATE_DIR / QUOTALINE_CONFIG_DIR at a directory of yours"
        )
    if not (st.st_mode & 0o170000 == 0o040000):
        raise DirError(f"{path} is not a directory: remove it")
    if st.st_mode & 0o022:
        raise DirError(
            f"{path} is writable by others (mode {st.st_mode & 0o777:o}): anyone could have planted files "
            f"in it; check its files, remove what you did not create, then chmod 700 {path}"
        )


def own_subdir(path: str, *, create: bool) -> bool:
    """True when ``path`` (inside a dir already checked) is a real directory of ours, closed to
    others: never a link. With ``create``, a link or file there is removed (the entry, never its
    target) and the directory made; another process making it at the same moment is fine."""
    removed = False
    for _ in range(3):  # at most: remove what is there, make the directory, look at it
        try:
            st = fastos.lstat(path)
        except FileNotFoundError:
            if not create:
                return False
            try:
                fastos.mkdir(path, 0o700)
            except FileExistsError:
                pass  # another process made it just now: look again
            except OSError:
                return False
            continue
        except OSError:
            return False
        if st.st_mode & 0o170000 == 0o040000:  # a directory, not a link to one
            uid = _uid()  # < 0 on Windows: no owners, and mode bits that always say "writable by all"
            return uid < 0 or (st.st_uid == uid and not st.st_mode & 0o022)
        if not create or removed:
            return False
        try:
            fastos.unlink(path)
        except OSError:
            return False
        removed = True
    return False


def ensure_private_dir(path: str) -> None:
    """Create ``path`` (0700) if missing, then ``check_dir`` it. Raises ``DirError``.

    A dir of ours that others may only read (an older install's 0755) is tightened: nothing can
    have been planted in it."""
    try:
        st = fastos.stat(path)
    except FileNotFoundError:
        try:
            fastos.makedirs(path, mode=0o700, exist_ok=True)
            st = fastos.stat(path)
        except OSError as exc:
            raise DirError(f"cannot create {path}: {exc.strerror}") from None
    except OSError as exc:
        raise DirError(f"cannot use {path}: {exc.strerror}") from None
    check_dir(path, st)
    if st.st_mode & 0o077:
        try:
            fastos.chmod(path, 0o700)
        except OSError:  # a courtesy: the dir is safe to use either way
            return


def _is_ours(st: fastos.stat_result) -> bool:
    uid = _uid()
    # a hard link (nlink > 1) would make an append or a touch land in another of the user's files
    return st.st_mode & 0o170000 == 0o100000 and st.st_nlink <= 1 and (uid < 0 or st.st_uid == uid)


def remove_entry(path: str) -> None:
    """Remove what sits at ``path`` in a dir of ours: a file or link is unlinked, a directory
    (debris, or planted where a file belongs) is moved aside, since it may hold anything."""
    try:
        fastos.unlink(path)
    except (IsADirectoryError, PermissionError):
        if not fastos.isdir(path) or fastos.islink(path):
            raise
        fastos.rename(path, f"{path}.in-the-way-{fastos.getpid()}")


def clear_way(path: str) -> None:
    """Before something else (``fastos.replace``, filelock) puts a file at ``path``: a directory there
    would fail it every time, so it is moved aside; a symlink (filelock refuses to follow one) is
    removed, never what it points to. One ``lstat`` when the way is clear."""
    try:
        kind = fastos.lstat(path).st_mode & 0o170000
        if kind == 0o040000 or kind == 0o120000:
            remove_entry(path)
    except OSError:
        pass


class NotAFileError(OSError):
    """What ``read_file`` found is not a regular file (a FIFO, a device, a directory)."""


def read_file(path: str) -> bytes:
    """The bytes of a file quotaline reads but does not own (settings.json, the credentials, the
    ledger's state): never waits on a FIFO (opened without blocking) and reads nothing but a
    regular file (``NotAFileError`` otherwise). Follows a symlink: settings.json may be one into a
    dotfiles repo. Files in quotaline's own dir go through ``open_private``."""
    fd = fastos.open(path, fastos.O_RDONLY | _NONBLOCK)
    try:
        if fastos.fstat(fd).st_mode & 0o170000 != 0o100000:
            raise NotAFileError(0, "not a regular file (a FIFO, a device or a directory)", path)
        chunks: list[bytes] = []
        while True:
            chunk = fastos.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        fastos.close(fd)


def open_private(path: str, flags: int, mode: int = 0o600) -> int:
    """Open (creating when ``flags`` has ``O_CREAT``) a file quotaline writes in its own dir.

    Never follows a symlink, never blocks on a FIFO, and never keeps a descriptor on something
    that is not a plain, singly linked file of ours: such an entry (debris, or planted while the
    dir was open) is removed and the file created afresh, so the next write repairs it."""
    flags |= NOFOLLOW | _NONBLOCK
    for attempt in (0, 1):
        try:
            fd = fastos.open(path, flags, mode)
        except OSError:
            if attempt or not fastos.lexists(path) or not flags & fastos.O_CREAT:
                raise
        else:
            try:
                if _is_ours(fastos.fstat(fd)):
                    return fd
            except OSError:
                pass
            fastos.close(fd)
            if not flags & fastos.O_CREAT or attempt:
                raise DirError(f"{path} is not a plain file of yours: remove it")
        remove_entry(path)  # the entry itself, never what a link points to
        flags |= fastos.O_EXCL
    raise AssertionError("unreachable")  # pragma: no cover


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[fastos.write(fd, view) :]


def replace_file(path: str, data: bytes, *, mode: int = 0o600, durable: bool = False) -> None:
    """Replace ``path`` with ``data`` through this process's temp file beside it (``temp_name``):
    a reader sees the old file or the new one, never a part. The temp file is opened as
    ``open_private`` opens (no link followed, a planted entry removed); ``fastos.replace`` puts it
    in place (on Windows, retried while a reader holds the old one) and replaces a link itself,
    never what it points to. ``durable``: the data and then the rename are on disk before this
    returns (fsync of the file, then of its directory), so that a power cut leaves one whole file
    under the name; the hot path never asks it (writers only)."""
    tmp = temp_name(path)
    fd = open_private(tmp, fastos.O_WRONLY | fastos.O_CREAT | fastos.O_EXCL, mode)
    try:
        try:
            write_all(fd, data)
            if durable:
                import os  # writers only

                os.fsync(fd)
        finally:
            fastos.close(fd)
        clear_way(path)
        fastos.replace(tmp, path)
    except BaseException:  # a full disk, an interrupt: no temp file left behind
        try:  # noqa: SIM105 - contextlib is not imported on the hot path
            fastos.unlink(tmp)
        except OSError:
            pass
        raise
    if durable:
        system.fsync_dir(fastos.dirname(path))


# Temp files (``<file>.quotaline-<pid>.tmp``, the hook's ``<file>.quotaline-<pid>.done`` claims) are
# renamed into place or removed by the writer that made them; one killed mid-write leaves its own
# behind. The state dir may be shared (``QUOTALINE_STATE_DIR``): only names of this pattern, which
# no other program writes, are ever swept.
TEMP_TAG = ".quotaline-"
LEFTOVER_SUFFIXES = (".tmp", ".done")
LEFTOVER_MAX_AGE_S = 3600.0  # a live pid that old is another process now (pids are reused)


def temp_name(path: str, suffix: str = ".tmp") -> str:
    """The name of this process's temp file (or claim) for ``path``: the one pattern the sweep takes."""
    return f"{path}{TEMP_TAG}{fastos.getpid()}{suffix}"


def sweep_leftovers(directory: str, now: float) -> None:
    """Remove the temp files writers killed mid-write left in ``directory`` (``temp_name``'s, no
    other): those whose pid is gone (at once), or that are older than ``LEFTOVER_MAX_AGE_S``. One
    ``listdir``, and a ``stat`` for each temp file only: cheap enough for every write. Never raises."""
    try:
        names = fastos.listdir(directory)
    except OSError:
        return
    for name in names:
        if not name.endswith(LEFTOVER_SUFFIXES):
            continue
        stem, tag, pid = name.rpartition(".")[0].rpartition(TEMP_TAG)
        if not (stem and tag and pid.isdigit() and pid.isascii() and 0 < int(pid) < 1 << 22):
            continue  # not a name quotaline gives: another program's file
        path = fastos.join(directory, name)
        try:
            if fastos.lstat(path).st_mtime > now - LEFTOVER_MAX_AGE_S and _alive(int(pid)):
                continue
            fastos.unlink(path)
        except OSError:
            continue


def _alive(pid: int) -> bool:
    return system.alive(pid)

