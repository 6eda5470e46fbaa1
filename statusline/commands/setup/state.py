"""Install state: where quotaline's files go, ``install-state.json`` (what install found, replaced
and created, and the user's choices), the launcher record, and the lock that lets one install or
uninstall run at a time."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

from statusline.commands.setup import InstallError
from statusline.core import system
from statusline.core.store import paths
from statusline.core.system import fastos

STATE_SCHEMA = 2
LOCK_FD_ENV = "QUOTALINE_INSTALL_LOCK_FD"  # install.sh holds install.lock on this fd across its exec
MADE_DIRS_ENV = "QUOTALINE_INSTALL_MADE_DIRS"  # and names the directories it made before it


def settings_path() -> str:
    return os.path.join(paths.claude_config_dir(), "settings.json")


def data_dir() -> str:
    return paths.user_data_dir()


def state_path() -> str:
    return os.path.join(data_dir(), "install-state.json")


def default_bin_dir() -> str:
    return os.path.join(os.path.expanduser("~"), ".local", "bin")


def make_dirs(path: str, state: dict[str, Any]) -> None:
    """``os.makedirs``, recording each directory it made: uninstall removes those left empty."""
    missing = []
    here = os.path.abspath(path)
    while not os.path.isdir(here):
        missing.append(here)
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory)
        except FileExistsError:
            continue
        except OSError as exc:
            raise InstallError(f"cannot create {directory}: {exc.strerror}") from None
        made = state.setdefault("created_dirs", [])
        if directory not in made:
            made.append(directory)


def read_text(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


# How to start the launcher, for the plugin's hook script and the menu bar plugin (shell scripts that
# cannot read install-state.json), in the data dir: the program's words, one a line (``launcher.program``):
# the launcher's absolute path; on Windows the interpreter, its flags and the launcher, for Git Bash.
LAUNCHER_RECORD = "launcher"


def write_launcher_record(words: list[str], state: dict[str, Any]) -> None:
    record = os.path.join(data_dir(), LAUNCHER_RECORD)
    text = "".join(word + "\n" for word in words)
    if read_text(record) == text:
        return
    make_dirs(data_dir(), state)
    paths.replace_file(record, text.encode("utf-8"), mode=0o644)  # bytes: "\n" for the shell scripts, on Windows too


def load_state() -> dict[str, Any]:
    try:
        with open(state_path(), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    if data.get("schema") != STATE_SCHEMA:  # the first installer's: one record, for the current path
        legacy = {k: data[k] for k in ("replaced_statusline", "created") if k in data}
        data = {"schema": STATE_SCHEMA, "launcher": data.get("launcher"), "settings": {}}
        with contextlib.suppress(paths.DirError):
            data["settings"][settings_path()] = {"found": "unknown", **legacy}
    return data


def save_state(state: dict[str, Any]) -> None:
    paths.replace_file(state_path(), json.dumps(state, indent=2, ensure_ascii=False).encode("utf-8"))


@contextlib.contextmanager
def install_lock(state: dict[str, Any]) -> Iterator[None]:
    """One install or uninstall at a time (install.sh takes the same lock before its venv work and
    hands it over through its exec)."""
    make_dirs(data_dir(), state)
    lock = os.path.join(data_dir(), "install.lock")
    held = os.environ.get(LOCK_FD_ENV, "")
    if held.isdigit():
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(int(held)), os.stat(lock)):
                yield
                return
    fd = fastos.open(lock, os.O_WRONLY | os.O_CREAT | os.O_APPEND | paths.NOFOLLOW, 0o600)
    try:
        if not system.lock(fd, wait=False):
            print("quotaline: waiting for another install to finish", file=sys.stderr)
            system.lock(fd, wait=True)
        yield
    finally:
        os.close(fd)
