"""The launcher: a small Python file that starts quotaline without ``site`` for the hot commands.
Its text is the template ``launcher-tmpl`` beside this module (package data), with an ID line that
says the file is quotaline's whatever version wrote it."""

from __future__ import annotations

import contextlib
import os
import shlex
import string
from importlib import resources
from typing import Any

from statusline.commands.setup.state import data_dir, make_dirs
from statusline.core import paths

MAX_SHEBANG = 120
HOT_COMMANDS = ("statusline", "hook", "segment")  # the launcher skips `site` for these
DEPENDENCIES = ("httpx", "pydantic", "filelock", "platformdirs")
TEMPLATE = "launcher-tmpl"  # package data (pyproject.toml), like pre-commit's hook-tmpl
# The ID line of the template: a file holding it is quotaline's launcher, whichever version wrote it.
LAUNCHER_ID = "9d1e4c2b7a6f40538e1c5b2a7d3f9e60"
PRIOR_MARKS = ("quotaline launcher",)  # what launchers written before the ID line are known by


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
    on PATH): that stays, and the launcher goes to quotaline's own data dir."""
    primary = os.path.join(bin_dir, "quotaline")
    if not os.path.lexists(primary) or is_our_launcher(primary):
        return primary
    return os.path.join(data_dir(), "bin", "quotaline")


def write_launcher(target: str, python: str, site_packages: str, extra: list[str], state: dict[str, Any]) -> bool:
    text = launcher_text(python, site_packages, extra)
    try:
        with open(target, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    make_dirs(os.path.dirname(target), state)
    tmp = f"{target}.tmp-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # a killed install's, with this pid
    fd = paths.open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)  # never through a planted link
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        os.fchmod(handle.fileno(), 0o755)  # whatever the umask
    os.replace(tmp, target)
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
