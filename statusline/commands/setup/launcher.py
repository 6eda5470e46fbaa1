"""The launcher: a small Python file that starts quotaline without ``site`` for the hot commands.
Its text is the template ``launcher-tmpl`` beside this module (package data), with an ID line that
says the file is quotaline's whatever version wrote it."""

from __future__ import annotations

import contextlib
import os
import shlex
import string
import sys
from importlib import resources
from typing import Any

from statusline.commands.setup.state import data_dir, make_dirs
from statusline.core import system
from statusline.core.store import paths
from statusline.core.system import fastos

MAX_SHEBANG = 120
HOT_COMMANDS = ("statusline", "hook", "segment")  # the launcher skips `site` for these
DEPENDENCIES = ("httpx", "pydantic", "filelock", "platformdirs")
TEMPLATE = "launcher-tmpl"  # package data (pyproject.toml), like pre-commit's hook-tmpl
# The ID line of the template: a file holding it is quotaline's launcher, whichever version wrote it.
LAUNCHER_ID = "9d1e4c2b7a6f40538e1c5b2a7d3f9e60"
PRIOR_MARKS = ("quotaline launcher",)  # what launchers written before the ID line are known by
# Windows runs no shebang: the launcher is a .py file the interpreter is named before (``program``).
NAME = "quotaline.py" if system.IS_WINDOWS else "quotaline"
# How the interpreter runs the launcher on Windows: no `site`, no environment (as the shebang's -SI).
WINDOWS_FLAGS = ("-I", "-S")


def package_root() -> str:
    """The directory holding the ``statusline`` package being run (site-packages, or a checkout
    installed in editable mode)."""
    import statusline

    return os.path.dirname(os.path.dirname(os.path.abspath(statusline.__file__)))


def dependency_dirs(site_packages: str) -> list[str]:
    """Where this interpreter finds quotaline's dependencies, when that is not ``site_packages`` (an
    editable install: the package is the checkout). The launcher adds them as well: the refresher
    the status line starts inherits its path, without ``site``, and would lack httpx otherwise."""
    import importlib.util

    found: list[str] = []
    for name in DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin or not os.path.isabs(spec.origin):
            continue
        root = os.path.dirname(spec.origin)
        if spec.submodule_search_locations is not None:  # a package: the directory holding it
            root = os.path.dirname(root)
        if root != site_packages and root not in found:
            found.append(root)
    return found


def launcher_text(python: str, site_packages: str, extra: list[str] | None = None) -> str:
    """A launcher that starts Python without ``site`` (-S) or the environment (-I): half the
    status line's start-up time. It adds the install's package directory itself (and ``extra``, the
    dependencies' when elsewhere); commands other than the hot ones run ``site`` after all (the
    installation's .pth files)."""
    return string.Template(_template()).substitute(
        start=_start(python),
        paths="\n".join(f"sys.path.append({path!r})" for path in [site_packages, *(extra or [])]),
        hot=repr([[c] for c in HOT_COMMANDS]),
    )


def _start(python: str) -> str:
    """The launcher's first line(s): how the system starts it with ``python``."""
    if system.IS_WINDOWS:  # no shebang there: settings.json names the interpreter (``program``)
        return f"# run by {python} {' '.join(WINDOWS_FLAGS)}"
    shebang = f"#!{python} -SI"
    if len(shebang) <= MAX_SHEBANG and " " not in python:
        return shebang
    direct = direct_interpreter(python)
    if direct is not None:
        return f"#!{direct} -SI"
    # Long or spaced interpreter paths break shebangs: re-exec through sh (pip's trick).
    return f"#!/bin/sh\n'''exec' {shlex.quote(python)} -SI \"$0\" \"$@\"\n' '''"


def _template() -> str:
    return resources.files(__package__).joinpath(TEMPLATE).read_text(encoding="utf-8")


def direct_interpreter(python: str) -> str | None:
    """A shebang-safe path (no space, short) to the interpreter a virtualenv's ``python`` links
    to, or None. The launcher adds the environment's site-packages itself and skips ``site``, so
    the base interpreter runs it the same, without the re-exec through sh an environment under
    macOS's ``Application Support`` would cost every status line."""
    current = python
    for _ in range(8):  # a venv's python -> python3.13 -> the base interpreter
        try:
            target = os.readlink(current)
        except OSError:
            return None
        current = os.path.join(os.path.dirname(current), target)
        if " " not in current and len(f"#!{current} -SI") <= MAX_SHEBANG and os.access(current, os.X_OK):
            return current
    return None


def choose_launcher(bin_dir: str) -> str:
    """``<bin_dir>/quotaline`` unless something else is there (the entry point pipx, uv or pip put
    on PATH): that stays, and the launcher goes to quotaline's own data dir. On Windows always
    there: the launcher is a .py file nobody types (``quotaline.exe`` is the entry point)."""
    primary = os.path.join(bin_dir, "quotaline")
    if not system.IS_WINDOWS and (not os.path.lexists(primary) or is_our_launcher(primary)):
        return primary
    return own_launcher()


def own_launcher() -> str:
    """The launcher's place in quotaline's data dir."""
    return os.path.join(data_dir(), "bin", NAME)


def interpreter(python: str) -> str:
    """The interpreter the launcher is run by. On Windows a virtualenv's ``python.exe`` (uv's,
    pipx's) only starts the base interpreter as a second process: the launcher adds the
    environment's site-packages itself, so the base interpreter runs it the same, one process fewer.
    Elsewhere the shebang picks (``direct_interpreter``)."""
    base = getattr(sys, "_base_executable", None)
    if system.IS_WINDOWS and python == sys.executable and isinstance(base, str) and os.path.isfile(base):
        return base
    return python


def program(launcher: str, python: str) -> list[str]:
    """The words that start quotaline through the launcher, before its command: the launcher
    itself, or on Windows the interpreter, its flags and the launcher. Claude Code runs these
    through Git Bash there, where a backslash is an escape: paths with forward slashes."""
    if not system.IS_WINDOWS:
        return [launcher]
    return [_forward(python), *WINDOWS_FLAGS, _forward(launcher)]


def _forward(path: str) -> str:
    return path.replace("\\", "/")


def write_launcher(target: str, python: str, site_packages: str, extra: list[str], state: dict[str, Any]) -> bool:
    text = launcher_text(python, site_packages, extra)
    try:
        with open(target, encoding="utf-8", newline="") as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    make_dirs(os.path.dirname(target), state)
    tmp = f"{target}.tmp-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # a killed install's, with this pid
    fd = paths.open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)  # never through a planted link
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
        system.fchmod(handle.fileno(), 0o755)  # whatever the umask
    fastos.replace(tmp, target)  # on Windows: retried while a status line reads the old one
    return True


def is_our_launcher(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return any(mark in head for mark in (LAUNCHER_ID, *PRIOR_MARKS))


def missing_dependencies() -> list[str]:
    import importlib.util

    return [name for name in DEPENDENCIES if importlib.util.find_spec(name) is None]
