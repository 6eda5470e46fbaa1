"""The hot path's compiled modules in one file, so a hot command imports them with one read.

Importing ~20 small modules one by one costs about as long as the interpreter's own start: each is
looked up on ``sys.path``, its ``.pyc`` opened, checked and read (~0.2 ms apiece on a slow machine).
``install`` puts a finder first on ``sys.meta_path`` that serves ``statusline.*`` modules from
``__pycache__/hot.<cache tag>.bundle`` in this package: one read, each module's code unmarshalled
only when it is imported, and only while its source has the mtime and size recorded with it (the
``.pyc`` rule, to the nanosecond). A module missing or stale there is imported the usual way, and
``save`` writes the bundle again after the command's output, keeping the entries still valid.

Whatever the file holds, the worst case is the usual import: a bundle that does not load is
ignored. It lives beside the ``.pyc`` files, so it is exactly as trusted as they are, and it is not
written when Python writes no ``.pyc`` (``-B``) or the directory is read-only.
"""

from __future__ import annotations

import marshal
import sys

try:
    import posix
except ImportError:  # pragma: no cover - Windows: the usual import
    posix = None  # type: ignore[assignment]

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~3 ms of start-up; annotations are strings anyway
    from types import ModuleType
    from typing import Any

    # origin, is a package, the source's mtime_ns and size, the marshalled code
    Entry = tuple[str, bool, int, int, bytes]

# statusline/core/bundle.py -> statusline/
_PACKAGE_DIR = __file__.rpartition("/")[0].rpartition("/")[0]
_SERVED = ("statusline.cli", "statusline.commands", "statusline.core")
_bootstrap = sys.modules["_frozen_importlib"]
_external = sys.modules["_frozen_importlib_external"]
_entries: dict[str, Entry] = {}
_dirty = False  # the file needs writing even if no module was added: missing, foreign, or stale


def _is_served(name: str) -> bool:
    return any(name == top or name.startswith(top + ".") for top in _SERVED)


def bundle_path() -> str:
    return f"{_PACKAGE_DIR}/__pycache__/hot.{sys.implementation.cache_tag}.bundle"


def _key() -> bytes:
    return bytes(_external.MAGIC_NUMBER) + _PACKAGE_DIR.encode("utf-8", "surrogateescape")


def install() -> None:
    """Serve hot modules from the bundle from now on (or note that it needs writing)."""
    global _dirty
    if posix is None or sys.implementation.cache_tag is None or _Finder in sys.meta_path:
        return
    _dirty = True  # until the bundle read proves current
    try:
        fd = posix.open(bundle_path(), posix.O_RDONLY)
        try:
            raw = posix.read(fd, 4 << 20)
        finally:
            posix.close(fd)
        key, entries = marshal.loads(raw)
    except Exception:  # missing, unreadable or from another Python: imported the usual way, written anew
        sys.meta_path.insert(0, _Finder)
        return
    if key == _key() and isinstance(entries, dict):
        _entries.update((k, v) for k, v in entries.items() if _well_formed(k, v))
        _dirty = len(_entries) != len(entries)
    sys.meta_path.insert(0, _Finder)


def _well_formed(name: Any, entry: Any) -> bool:
    if type(name) is not str or not _is_served(name) or type(entry) is not tuple or len(entry) != 5:
        return False
    return all(type(v) is t for v, t in zip(entry, (str, bool, int, int, bytes), strict=True))


def _source_stamp(origin: str) -> tuple[int, int] | None:
    try:
        st = posix.stat(origin)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class _Finder:
    """A meta path finder and loader for the bundle's modules (the importlib protocol)."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> Any:
        global _dirty
        entry = _entries.get(name)
        if entry is None:
            return None  # not a hot module, or one the bundle lacks: the next save adds it
        try:
            if _source_stamp(entry[0]) != (entry[2], entry[3]):
                raise ValueError("edited since")
            code = marshal.loads(entry[4])
        except Exception:  # edited since, or unreadable: imported from its source, saved anew
            del _entries[name]
            _dirty = True
            return None
        origin, is_package = entry[0], entry[1]
        spec = _bootstrap.ModuleSpec(name, _Finder, origin=origin, is_package=is_package, loader_state=code)
        spec.has_location = True  # __file__ is set, as for a module read from its source
        if is_package:
            spec.submodule_search_locations = [origin.rpartition("/")[0]]
        return spec

    @staticmethod
    def create_module(spec: Any) -> None:
        return None

    @staticmethod
    def exec_module(module: ModuleType) -> None:
        exec(module.__spec__.loader_state, module.__dict__)  # type: ignore[union-attr]


def save() -> None:
    """Write the bundle again when a hot module was imported the usual way. Never raises."""
    if _Finder not in sys.meta_path or sys.flags.dont_write_bytecode:
        return
    try:
        entries = _collect()
        if _dirty or len(entries) > len(_entries):
            _write(entries)
    except Exception:  # a read-only install, a full disk: the usual import next time too
        pass


def _collect() -> dict[str, Entry]:
    """The bundle's valid entries and every hot module this process imported from its source."""
    entries = dict(_entries)
    for name, module in list(sys.modules.items()):
        if name in entries or name == __name__ or not _is_served(name):
            continue
        spec: Any = getattr(module, "__spec__", None)
        loader: Any = getattr(spec, "loader", None)
        origin = getattr(spec, "origin", None)
        if not isinstance(origin, str) or not origin.startswith(_PACKAGE_DIR + "/") or not origin.endswith(".py"):
            continue
        if not hasattr(loader, "get_code"):
            continue
        stamp = _source_stamp(origin)
        if stamp is None:
            continue
        code = loader.get_code(name)  # from the .pyc just checked, or compiled from the source
        if code is None or _source_stamp(origin) != stamp:  # edited meanwhile: not this time
            continue
        entries[name] = (origin, spec.submodule_search_locations is not None, stamp[0], stamp[1], marshal.dumps(code))
    return entries


def _write(entries: dict[str, Entry]) -> None:
    data = marshal.dumps((_key(), entries))
    path = bundle_path()
    tmp = f"{path}.{posix.getpid()}.tmp"
    flags = posix.O_WRONLY | posix.O_CREAT | posix.O_EXCL | posix.O_NOFOLLOW
    fd = posix.open(tmp, flags, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[posix.write(fd, view) :]
    finally:
        posix.close(fd)
    try:
        posix.replace(tmp, path)
    except OSError:
        posix.unlink(tmp)
        raise
