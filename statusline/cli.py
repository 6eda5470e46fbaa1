"""``quotaline`` command dispatch. Each command's module is imported only when it runs, so the
status line and the hook pay for nothing but themselves.

Started as the launcher starts Python (``-I -S``), a hot command imports the hot path from one
file. Importing the hot path's small modules one by one is slow, next to the interpreter's own start:
each is looked up on ``sys.path``, its ``.pyc`` opened, checked and read. ``install_bundle`` puts a
finder first on ``sys.meta_path`` that serves ``statusline.commands.*``, ``statusline.core.*``
(and ``__future__``) from ``statusline/__pycache__/hot.<cache tag>.bundle``: one read, each
module's code unmarshalled only when it is imported, and only while its source has the mtime and
size recorded with it (the ``.pyc`` rule, to the nanosecond). Each entry names the served modules
its body imports; they are loaded first, straight into ``sys.modules`` (``_preload``), so that
importlib's own machinery (module locks, the meta path, spec and attributes, a fair share of
the hot path's import time) runs only for the first hot module and for lazy imports. A
module missing or stale there is
imported the usual way, and ``save_bundle`` writes the bundle again after the command's output,
keeping the entries still valid. Whatever the file holds, the worst case is the usual import: a
bundle that does not load is ignored. It lives beside the ``.pyc`` files, so it is exactly as
trusted as they are, and it is not written when Python writes no ``.pyc`` (``-B``) or cannot.

No ``from __future__ import annotations`` here (annotations that need it are strings): the hot
path's modules import ``__future__`` from the bundle.
"""

import gc
import marshal
import sys

# The operating system's own module (what ``os`` wraps), imported by the interpreter at start: the
# bundle is read before anything of quotaline's, so before the platform seam (core/system), and
# ``os`` would cost a module more. posix on Linux and macOS, nt on Windows.
try:
    import posix as _os
except ImportError:  # pragma: no cover - tests/windows runs this on the Windows CPython
    import nt as _os  # type: ignore[no-redef]

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md)
    from types import ModuleType
    from typing import Any

    # origin, is a package, the source's mtime_ns and size, the marshalled code's offset and length,
    # the served modules its body imports (see _imports), the code's checksum (_checksum)
    Entry = tuple[str, bool, int, int, int, int, tuple[str, ...], int]

USAGE = """\
usage: quotaline <command> [options]

Claude Code wiring (read stdin, exit 0, never touch the network):
  statusline                 status-line JSON on stdin -> the status line
  hook                       hook JSON on stdin -> a warning (systemMessage) or nothing;
                             StopFailure (rate_limit) -> the wall recorded

Setup:
  install [--dry-run] [--yes] [--force] [--no-hook]   wire Claude Code's settings.json (again after upgrades)
  uninstall [--dry-run] [--yes] [--purge]             remove it, putting back what it replaced

For people and scripts:
  status [--json] [--watch]  every window, its source, age and forecast
  segment --format tmux|starship|plain|json|waybar|swiftbar [--windows ...] [--template ...]
  refresh [--force]          read the server now (foreground)
  doctor                     check credentials, endpoint, snapshot, settings, config, timing
  config path|init|show      the config file
  report [--by project|branch] [--since 7d] [--json]
                             local tokens beside the server's percent
  version
"""


HOT = ("statusline", "hook", "segment")


def launch() -> None:
    """The launcher's entry point: ``main``, then, for a hot command, exit without the interpreter's
    teardown (freeing every module and object one by one is slow: docs/import-costs.md). Nothing of
    theirs needs it: their files are written through raw descriptors, closed as they go, no thread
    or ``atexit`` handler is theirs; stdout and stderr are flushed here."""
    args = sys.argv[1:]
    code = main(args)
    if not args or args[0] not in HOT:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - contextlib is not imported on the hot path
            stream.flush()
        except Exception:  # a reader that went away: nothing more to tell it
            pass
    _os._exit(code & 0xFF if isinstance(code, int) else 1)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    # Started as the launcher starts it (-I): not a test or a tool calling main. Not -S as well: the
    # Windows embeddable build's ._pth file imports site whatever the flags say.
    if command not in HOT or not sys.flags.isolated:
        return _command(command, args[1:])
    # No cyclic garbage collection: importing the hot path creates thousands of objects, and the
    # collections they trigger are slow (docs/import-costs.md); a hot command lives for
    # milliseconds, makes next to no cycles (bounded input, JSON parses into trees) and leaves
    # with os._exit, so nothing it keeps matters.
    gc.disable()
    install_bundle()  # the hot path's modules in one read
    try:
        return _command(command, args[1:])
    finally:
        save_bundle()


HOT_USAGE = {
    "statusline": "usage: quotaline statusline   (Claude Code's status-line JSON on stdin; settings.json runs it)\n",
    "hook": "usage: quotaline hook [EVENT]   (Claude Code's hook JSON on stdin; settings.json runs it)\n",
}


def _command(command: str, rest: list[str]) -> int:
    if command in HOT_USAGE and ("--help" in rest or "-h" in rest):  # a person asking, not Claude Code
        sys.stdout.write(HOT_USAGE[command])
        return 0
    if command == "statusline":
        from statusline.commands import statusline as statusline_cmd

        _utf8_output()
        return statusline_cmd.run()
    if command == "hook":
        from statusline.commands import hook as hook_cmd

        # stdin's hook_event_name decides; an unknown event from a newer hooks.json exits 0 silently.
        _utf8_output()
        return hook_cmd.run(rest[0] if rest else "")
    if command == "segment":
        from statusline.commands import segment as segment_cmd

        _utf8_output()
        return segment_cmd.run(rest)
    if command in ("version", "--version", "-V"):
        from statusline.commands import version as version_cmd

        return version_cmd.run()
    if command in ("", "help", "-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if command else 2
    return _people_command(command, rest)


def _utf8_output() -> None:
    """Claude Code reads UTF-8 whatever the console's code page (Windows). Called once the command's
    modules are loaded (the hot ones from the bundle), so the seam is already imported."""
    from statusline.core import system

    system.utf8_output()


def _people_command(command: str, rest: list[str]) -> int:
    from statusline.core.store.paths import DirError

    _utf8_output()
    try:
        return _dispatch(command, rest)
    except DirError as exc:  # an unsafe or missing state dir: a sentence, never a traceback
        sys.stderr.write(f"quotaline: {exc}\n")
        return 1


def _dispatch(command: str, rest: list[str]) -> int:
    if command == "status":
        from statusline.commands import status as status_cmd

        return status_cmd.run(rest)
    if command == "refresh":
        from statusline.commands import refresh as refresh_cmd

        try:
            return refresh_cmd.run(rest)
        finally:
            _sweep_bundle_dir()  # the background refresher runs every few minutes: no hot run pays
    if command == "doctor":
        from statusline.commands import doctor as doctor_cmd

        return doctor_cmd.run(rest)
    if command == "config":
        from statusline.commands import config as config_cmd

        return config_cmd.run(rest)
    if command in ("install", "uninstall"):
        from statusline.commands import install as install_cmd

        return install_cmd.run(command, rest)
    if command == "report":
        from statusline.commands import report as report_cmd
        from statusline.core.store import paths, snapshot

        return report_cmd.run(rest, snapshot=snapshot.read(paths.snapshot_path()))
    sys.stderr.write(f"quotaline: unknown command {command!r}\n\n{USAGE}")
    return 2


# ---------------------------------------------------------------------------------------------
# The bundle




# Path separators: Windows takes both, and its paths may mix them (a sys.path entry written with
# "/", the names importlib joins with "\\"); on POSIX a backslash is an ordinary character.
_SEPS = "/" if _os.__name__ == "posix" else "/\\"
_BINARY = getattr(_os, "O_BINARY", 0)  # Windows: no newline translation
_READ_FLAGS = _os.O_RDONLY | getattr(_os, "O_NONBLOCK", 0) | _BINARY
_CREATE_FLAGS = _os.O_WRONLY | _os.O_CREAT | _os.O_EXCL | getattr(_os, "O_NOFOLLOW", 0) | _BINARY


def _dirname(path: str) -> str:
    return path[: max(path.rfind(sep) for sep in _SEPS)]


# statusline/cli.py -> statusline/
_PACKAGE_DIR = _dirname(__file__)
_SERVED = ("statusline.commands", "statusline.core", "__future__")
_bootstrap = sys.modules["_frozen_importlib"]
_external = sys.modules["_frozen_importlib_external"]
# The file: a 4-byte length, the head's 8-byte checksum, the head (the marshalled (key, {name: Entry},
# stamp)), then each module's marshalled code. marshal trusts its input (a flipped bit can crash the
# process): nothing is unmarshalled before its checksum matched. The head always is checked; a
# module's code is, unless the file is still the one its writer made: the stamp is the file's inode,
# the mtime its writer gave it last and the code's length, and any write or copy changes one of them
# (checking every module would cost the status line a few percent of its time).
_entries: "dict[str, Entry]" = {}
_codes = memoryview(b"")
_dirty = False  # the file needs writing even if no module was added: missing, foreign, or stale
_trusted = False  # the file is as its writer left it (the stamp matches): its modules' code is not checked


def _is_served(name: str) -> bool:
    return any(name == top or name.startswith(top + ".") for top in _SERVED)


def bundle_path() -> str:
    return f"{_PACKAGE_DIR}/__pycache__/hot.{sys.implementation.cache_tag}.bundle"


def _key() -> bytes:
    # The format's version ("3": checksums), the bytecode's, the package's place.
    return b"3" + bytes(_external.MAGIC_NUMBER) + _PACKAGE_DIR.encode("utf-8", "surrogateescape")


def _checksum(data: "bytes | memoryview") -> int:
    """The bytes as one number, modulo a prime: any flipped bit changes it (2**k is never a multiple
    of a prime). An int's hash is exactly that (modulo sys.hash_info.modulus, the same in every
    process, unlike a str's or bytes' hash), taken in one pass in C; no import (zlib and hashlib
    are shared libraries the hot path does not load)."""
    return hash(int.from_bytes(data, "little"))


def install_bundle() -> None:
    """Serve hot modules from the bundle from now on (or note that it needs writing)."""
    global _codes, _dirty, _trusted
    if sys.implementation.cache_tag is None or _Finder in sys.meta_path:
        return
    sys.meta_path.insert(0, _Finder)
    _dirty = True  # until the bundle read proves current
    try:
        # Never waiting on a FIFO, nor reading a device (paths.open_file's rule, before paths is loaded).
        fd = _os.open(bundle_path(), _READ_FLAGS)
        try:
            st = _os.fstat(fd)
            if st.st_mode & 0o170000 != 0o100000:
                raise OSError("not a regular file")
            raw = memoryview(_os.read(fd, min(st.st_size, 4 << 20)))
        finally:
            _os.close(fd)
        end = 12 + int.from_bytes(raw[:4], "little")
        head = raw[12:end]
        if len(head) != end - 12 or _checksum(head) != int.from_bytes(raw[4:12], "little"):
            raise ValueError("damaged")
        key, entries, stamp = marshal.loads(head)
    except Exception:  # missing, unreadable, damaged or from another Python: imported the usual way, written anew
        return
    if key == _key() and type(entries) is dict:
        _entries.update(entries)  # each entry is checked when its module is imported
        _codes = raw[end:]
        _dirty = False
        _trusted = stamp == (st.st_ino, st.st_mtime_ns, len(_codes)) and st.st_size == len(raw)
        _dirty = not _trusted  # a copy, or changed since: written again (stamped), so checked this once


def _source_stamp(origin: str) -> "tuple[int, int] | None":
    try:
        st = _os.stat(origin)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


class _Finder:
    """A meta path finder and loader for the bundle's modules (the importlib protocol)."""

    @staticmethod
    def find_spec(name: str, path: "Any" = None, target: "Any" = None) -> "Any":
        return _spec(name)

    @staticmethod
    def create_module(spec: "Any") -> None:
        return None

    @staticmethod
    def exec_module(module: "ModuleType") -> None:
        spec: Any = module.__spec__
        _preload(_entries[spec.name][6] if spec.name in _entries else ())
        exec(spec.loader_state, module.__dict__)


def _spec(name: str) -> "Any":
    """The module's spec with its code (``loader_state``), or None: not served, or stale."""
    global _dirty
    entry = _entries.get(name)
    if entry is None:
        return None  # not a hot module, or one the bundle lacks: the next save adds it
    try:
        origin, is_package, mtime_ns, size, offset, length, imports, check = entry
        if type(origin) is not str or type(imports) is not tuple or _source_stamp(origin) != (mtime_ns, size):
            raise ValueError("edited since")
        data = _codes[offset : offset + length]
        if len(data) != length or (not _trusted and _checksum(data) != check):
            raise ValueError("damaged")
        code = marshal.loads(data)
        if type(code) is not _CODE:
            raise ValueError("not code")
    except Exception:  # edited since, or unreadable: imported from its source, saved anew
        del _entries[name]
        _dirty = True
        return None
    spec = _bootstrap.ModuleSpec(name, _Finder, origin=origin, is_package=bool(is_package), loader_state=code)
    spec.has_location = True  # __file__ is set, as for a module read from its source
    spec.cached = bundle_path()  # where its code came from (importlib would derive a .pyc's name)
    if is_package:
        spec.submodule_search_locations = [_dirname(origin)]
    return spec


def _preload(names: "tuple[str, ...]") -> None:
    """Load the served modules a module's body is about to import, each after its own imports,
    as importlib would (the same attributes, ``sys.modules``, the package's attribute), so that the
    body's import statements find them there. Loading one a little before its import statement
    changes nothing: hot modules have no side effects at import and no circles (a test checks).
    Whatever goes wrong is left to the import statement itself, which raises where it would have."""
    for name in names:
        if type(name) is not str or name in sys.modules:
            continue
        parent, _, child = name.rpartition(".")
        package = sys.modules.get(parent) if parent else sys
        spec = _spec(name) if package is not None else None
        if spec is None:
            continue  # its package not loaded yet, or not served: the import statement does it
        module = _new_module(spec, parent)
        sys.modules[name] = module
        try:
            _Finder.exec_module(module)
        except Exception:
            del sys.modules[name]
            continue
        if parent:
            setattr(package, child, module)


_CODE = type(_source_stamp.__code__)
_MODULE = type(sys)


def _new_module(spec: "Any", parent: str) -> "Any":
    """``importlib.util.module_from_spec`` for a spec ``_spec`` built: the attributes it sets, set
    the same, without the checks a spec from anywhere needs (every hot module is preloaded, so
    they would run for each one at every start)."""
    module: Any = _MODULE(spec.name)
    module.__loader__ = _Finder
    package = spec.submodule_search_locations
    module.__package__ = parent if package is None else spec.name
    module.__spec__ = spec
    if package is not None:
        module.__path__ = package
    module.__file__ = spec.origin
    module.__cached__ = spec.cached
    return module


def save_bundle() -> None:
    """Write the bundle again when a hot module was imported the usual way. Never raises."""
    if _Finder not in sys.meta_path or sys.flags.dont_write_bytecode:
        return
    try:
        if not _dirty:
            # Every hot module came from the bundle, which is current: nothing to add, and no
            # reason to copy its modules' code (``_collect``) only to find that out.
            for name in list(sys.modules):
                if name not in _entries and name.startswith(_SERVED):  # a superset of _is_served
                    break
            else:
                return
        found = _collect()
        if _dirty or len(found) > len(_entries):
            _write(found)
    except Exception:  # a read-only install, a full disk: the usual import next time too
        pass


def _collect() -> "dict[str, tuple[Entry, bytes]]":
    """The bundle's valid entries and every hot module this process imported from its source."""
    found: dict[str, tuple[Entry, bytes]] = {}
    for name, entry in _entries.items():
        try:
            data = bytes(_codes[entry[4] : entry[4] + entry[5]])
            if len(data) != entry[5] or (not _trusted and _checksum(data) != entry[7]):
                continue  # damaged: left out, compiled from its source when next imported
            found[name] = (entry, data)
        except Exception:  # malformed: left out
            continue
    for name, module in list(sys.modules.items()):
        if name in found or not _is_served(name):
            continue
        spec: Any = getattr(module, "__spec__", None)
        loader: Any = getattr(spec, "loader", None)
        origin = getattr(spec, "origin", None)
        ours = isinstance(origin, str) and origin[: len(_PACKAGE_DIR) + 1].rstrip(_SEPS) == _PACKAGE_DIR
        if not isinstance(origin, str) or not origin.endswith(".py") or not (ours or name == "__future__"):
            continue
        stamp = _source_stamp(origin)
        if stamp is None or not hasattr(loader, "get_data"):
            continue
        # Without docstrings (optimize=2: the hot path reads no __doc__ and asserts nothing):
        # a seventh less to unmarshal at every start.
        # The source's bytes: compile reads their coding (get_source would import tokenize and re).
        code = compile(loader.get_data(origin), origin, "exec", dont_inherit=True, optimize=2)
        if _source_stamp(origin) != stamp:  # edited meanwhile: not this time
            continue
        is_package = spec.submodule_search_locations is not None
        found[name] = ((origin, is_package, stamp[0], stamp[1], 0, 0, _imports(code), 0), marshal.dumps(code))
    return found


def _imports(code: "Any") -> "tuple[str, ...]":
    """The served modules a module's body imports, in order: ``import a.b`` names ``a.b``,
    ``from a import b`` names ``a`` and ``a.b`` (when ``b`` is a module: the preload skips the
    rest). Read from the bytecode (no ``dis``, whose imports cost more than this): each
    IMPORT_NAME and the constant loaded just before it, its fromlist. Imports inside functions
    are not in the body's code; those under ``if TYPE_CHECKING:`` are, and load a module early
    that the hot path imports anyway."""
    import opcode  # only when the bundle is written

    ops = opcode.opmap
    raw = code.co_code
    names: list[str] = []
    arg = 0
    last: Any = None  # the constant of the instruction before, when it was a LOAD_CONST
    for i in range(0, len(raw) - 1, 2):
        op = raw[i]
        if op == ops.get("CACHE", -1):
            continue  # inline caches (3.11+) sit between instructions
        arg = arg << 8 | raw[i + 1]
        if op == opcode.EXTENDED_ARG:
            continue
        if op == ops["IMPORT_NAME"]:
            module = code.co_names[arg]
            # Its packages first (``statusline.core`` before ``statusline.core.window``): the
            # preload loads a module only once its package is loaded.
            parts = module.split(".")
            names.extend(".".join(parts[:k]) for k in range(2, len(parts)))
            names.append(module)
            if isinstance(last, tuple):
                names.extend(f"{module}.{item}" for item in last if isinstance(item, str) and item != "*")
        last = code.co_consts[arg] if op == ops["LOAD_CONST"] else None
        arg = 0
    return tuple(dict.fromkeys(name for name in names if _is_served(name)))


def _sweep_bundle_dir() -> None:
    """Temp files of runs killed while writing the bundle (``paths.sweep_leftovers``)."""
    import time

    from statusline.core.store import paths

    paths.sweep_leftovers(_dirname(bundle_path()), time.time())


def _write(found: "dict[str, tuple[Entry, bytes]]") -> None:
    index: dict[str, Entry] = {}
    offset = 0
    for name, (entry, code) in found.items():
        imports = tuple(n for n in entry[6] if n in found)
        index[name] = (*entry[:4], offset, len(code), imports, _checksum(code))
        offset += len(code)
    path = bundle_path()
    tmp = f"{path}.quotaline-{_os.getpid()}.tmp"  # paths.temp_name's pattern: the sweep takes it
    fd = _os.open(tmp, _CREATE_FLAGS, 0o644)
    stamped = False
    try:
        st = _os.fstat(fd)
        head = marshal.dumps((_key(), index, (st.st_ino, st.st_mtime_ns, offset)))
        data = len(head).to_bytes(4, "little") + _checksum(head).to_bytes(8, "little") + head
        view = memoryview(data + b"".join(code for _, code in found.values()))
        while view:
            view = view[_os.write(fd, view) :]
        try:
            _os.utime(fd, ns=(st.st_mtime_ns, st.st_mtime_ns))  # the stamp's mtime, which any later write changes
            stamped = True
        except (NotImplementedError, TypeError, OSError):  # Windows: no utime on a descriptor
            pass
    finally:
        _os.close(fd)
    try:
        if not stamped:  # by name then, closed (a write still pending would move the mtime again)
            try:  # noqa: SIM105 - contextlib is not imported on the hot path
                _os.utime(tmp, ns=(st.st_mtime_ns, st.st_mtime_ns))
            except OSError:  # no stamp: every module's checksum is checked, and the file written again
                pass
        _os.replace(tmp, path)
    except OSError:  # Windows: a reader holds the bundle open; the next run writes it
        _os.unlink(tmp)
        raise
    _sweep_bundle_dir()  # another run killed while writing it
