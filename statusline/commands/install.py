"""``quotaline install`` / ``quotaline uninstall``: the fast launcher and three entries in Claude
Code's ``settings.json``, from whatever installed quotaline (uv tool, pipx, pip, install.sh's venv).

Standard library only, so ``./install.sh --uninstall`` works even when every environment is gone.

Leave the user's setup as it was:
- ``settings.json`` is written through a symlink (the link stays, its target is replaced
  atomically), never when read-only, never when Python would not write it back as found (NaN,
  Infinity, 1e400, a lone surrogate, a key twice); a backup with a unique name comes first.
- ``install-state.json`` records what was found (the file's bytes, or that there was none), what
  was replaced, which keys and directories were created, and the user's choices (``--no-hook``,
  ``--bin-dir``) for later runs. ``uninstall`` puts back exactly that: the bytes as found when
  nothing else changed since, else quotaline's entries taken out of whatever the file now holds.
- Only a command that is quotaline's own (``<path>/quotaline statusline``) counts as ours: a
  status line that merely mentions quotaline (``bash -c 'ccstatusline; quotaline segment'``) is
  the user's, replaced only with ``--force`` and never removed.
- ``--purge`` removes the files quotaline writes, and a directory only when quotaline made it.

Upgrades: install.sh makes a fresh environment per install (``envs/<n>``) and passes
``--envs-dir``; replacing the launcher is the one switch point. Afterwards every environment but
the new one and the one the old launcher ran is removed: processes started from the old version
(a refresher from ``spawn``) keep theirs until the next install.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import re
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from statusline.core import paths

HOOK_TIMEOUT_S = 5
# Claude Code re-runs the status line on this timer besides its own events: the numbers the refresher
# fetched at start-up show within seconds, not after the first reply (a run is cheap: docs/import-costs.md).
STATUSLINE_REFRESH_S = 10
MAX_SHEBANG = 120
LEGACY_ENV = "venv"  # install.sh's one environment before envs/, upgraded in place; a sibling of envs/
STATE_SCHEMA = 2
# (event, matcher): one hook command for both; `quotaline hook` reads the event from stdin.
HOOK_EVENTS: tuple[tuple[str, str | None], ...] = (
    ("UserPromptSubmit", None),
    ("StopFailure", "rate_limit"),
    ("Stop", None),  # a turn went through: the walls it could have met are over
)
LOCK_FD_ENV = "QUOTALINE_INSTALL_LOCK_FD"  # install.sh holds install.lock on this fd across its exec
MADE_DIRS_ENV = "QUOTALINE_INSTALL_MADE_DIRS"  # and names the directories it made before it
HOT_COMMANDS = ("statusline", "hook", "segment")  # the launcher skips `site` for these
DEPENDENCIES = ("httpx", "pydantic", "filelock", "platformdirs")
# `<program>/quotaline statusline`, `... hook`, `... hook user-prompt-submit`, the program maybe quoted.
_OURS_ARGS = (["statusline"], ["hook"], ["hook", "user-prompt-submit"])


class InstallError(Exception):
    """Stops the install with a message and no change."""


# ---------------------------------------------------------------------------- places


def settings_path() -> str:
    return os.path.join(paths.claude_config_dir(), "settings.json")


def data_dir() -> str:
    return paths.user_data_dir()


def state_path() -> str:
    return os.path.join(data_dir(), "install-state.json")


# Where the launcher is, for the plugin's hook script and the menu bar plugin (shell scripts that
# cannot read install-state.json): its absolute path and a newline, in the data dir.
LAUNCHER_RECORD = "launcher"


def write_launcher_record(launcher: str, state: dict[str, Any]) -> None:
    record = os.path.join(data_dir(), LAUNCHER_RECORD)
    text = launcher + "\n"
    if _read(record) == text:
        return
    make_dirs(data_dir(), state)
    tmp = f"{record}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, record)


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


# ---------------------------------------------------------------------------- the launcher


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
    """A launcher that starts Python without ``site`` (-S) or the environment (-I): much of the
    status line's start-up time. It adds the install's package directory itself (and ``extra``, the
    dependencies' when elsewhere); commands other than the hot ones run ``site`` after all (the
    installation's .pth files)."""
    added = "".join(f"sys.path.append({path!r})\n" for path in [site_packages, *(extra or [])])
    body = (
        "# quotaline launcher, written by `quotaline install`. Starting without `site` halves the\n"
        "# start-up time of the status line; the package's own directory is added by hand.\n"
        "import sys\n"
        f"{added}"
        f"if sys.argv[1:2] not in {[[c] for c in HOT_COMMANDS]!r}:\n"
        "    import site\n"
        "    site.main()\n"
        "from statusline.cli import launch\n"
        "launch()\n"
    )
    shebang = f"#!{python} -SI"
    if len(shebang) <= MAX_SHEBANG and " " not in python:
        return shebang + "\n" + body
    direct = direct_interpreter(python)
    if direct is not None:
        return f"#!{direct} -SI\n" + body
    # Long or spaced interpreter paths break shebangs: re-exec through sh (pip's trick).
    return f"#!/bin/sh\n'''exec' {shlex.quote(python)} -SI \"$0\" \"$@\"\n' '''\n" + body


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
            return "quotaline launcher" in handle.read(4096)
    except OSError:
        return False


def missing_dependencies() -> list[str]:
    import importlib.util

    return [name for name in DEPENDENCIES if importlib.util.find_spec(name) is None]


# ---------------------------------------------------------------------------- install.sh's environments


def env_candidates(envs_dir: str) -> list[str]:
    """Every environment install.sh may have made, whole or half-made by a killed install."""
    found: list[str] = []
    with contextlib.suppress(OSError):
        found = [os.path.join(envs_dir, name) for name in sorted(os.listdir(envs_dir))]
    legacy = os.path.join(os.path.dirname(envs_dir), LEGACY_ENV)
    if os.path.isdir(legacy):
        found.append(legacy)
    return found


def envs_in_use(launcher: str, candidates: list[str]) -> set[str]:
    """The candidates the launcher at ``launcher`` runs (its interpreter and site-packages)."""
    try:
        with open(launcher, encoding="utf-8", errors="replace") as handle:
            text = handle.read(8192)
    except OSError:
        return set()
    return {env for env in candidates if env + os.sep in text}


def prune_envs(envs_dir: str, keep: set[str]) -> list[str]:
    """Remove every environment not in ``keep``; best effort (the next install tries again)."""
    removed = []
    for env in env_candidates(envs_dir):
        if env not in keep:
            shutil.rmtree(env, ignore_errors=True)
            removed.append(env)
    return removed


def discard_unused_env(envs_dir: str, python: str, launchers: list[str]) -> None:
    """After a refused install: remove the environment made for it, unless a launcher runs it."""
    rel = os.path.relpath(python, envs_dir).split(os.sep)[0]
    if rel in ("", ".", "..") or os.path.isabs(rel):
        return
    env = os.path.join(envs_dir, rel)
    if not any(envs_in_use(launcher, [env]) for launcher in launchers):
        shutil.rmtree(env, ignore_errors=True)


# ---------------------------------------------------------------------------- what is ours


def _quote(path: str) -> str:
    # POSIX quoting (Claude Code runs these through a shell): a home holding a quote, `$`, a
    # backtick or `$(...)` is a path like any other, never shell code (docs/ARCHITECTURE.md, "Inert text").
    return shlex.quote(path)


def statusline_command(launcher: str) -> str:
    return f"{_quote(launcher)} statusline"


def hook_command(launcher: str) -> str:
    return f"{_quote(launcher)} hook"


def is_ours(command: Any, kind: str | None = None) -> bool:
    """True for exactly a command quotaline writes (``kind``: "statusline" or "hook"), whatever
    launcher path it names; anything more around it is the user's own command."""
    if not isinstance(command, str):
        return False
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)  # `;`, `|`, `&&` split off
    lexer.whitespace_split = True
    try:  # the words a shell would run: quoted as this version writes them, or as older ones did
        words = list(lexer)
    except ValueError:
        return False
    if len(words) < 2 or words[1:] not in _OURS_ARGS:
        return False
    return os.path.basename(words[0]) == "quotaline" and (kind is None or words[1] == kind)


# ---------------------------------------------------------------------------- reading settings.json


class Found:
    """settings.json as found: ``text`` None when there is none; ``target`` the file a symlink names."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.target = os.path.realpath(path)
        self.text: str | None = None
        self.raw: bytes | None = None
        self.data: dict[str, Any] | None = None
        self.mode = 0o600
        try:
            raw = paths.read_file(self.target)  # a FIFO there would hang the install
            self.mode = os.stat(self.target).st_mode & 0o7777
        except FileNotFoundError:
            return
        except OSError as exc:
            raise InstallError(f"cannot read {path}: {exc.strerror}; nothing was changed") from None
        self.raw = raw
        try:
            self.text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InstallError(f"{path} is not UTF-8 (byte {exc.start}); nothing was changed") from None
        self.data = parse_settings(self.text, path)

    @property
    def link(self) -> bool:
        return os.path.islink(self.path)


def parse_settings(text: str, path: str) -> dict[str, Any]:
    """The settings object; InstallError for anything Python would not write back as it is."""
    if not text.strip():
        return {}
    fix = "fix it (or move it away) and run `quotaline install` again. Nothing was changed."

    def constant(name: str) -> Any:
        raise InstallError(f"{path} holds {name}, which JSON does not allow and Python would write back as is; {fix}")

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise InstallError(f"{path} holds the number {literal}, beyond a double (Python reads Infinity); {fix}")
        return value

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in items:
            if key in out:
                raise InstallError(f"{path} holds the key {key!r} twice; Python would keep only the last; {fix}")
            out[key] = value
        return out

    try:
        data = json.loads(text, parse_constant=constant, parse_float=number, object_pairs_hook=pairs)
    except ValueError as exc:
        raise InstallError(f"{path} is not valid JSON ({exc}); {fix}") from None
    if not isinstance(data, dict):
        raise InstallError(f"{path} does not hold a JSON object; nothing was changed")
    where = _lone_surrogate(data, "")
    if where is not None:
        raise InstallError(f"{path} holds a lone surrogate (an unpaired \\ud8xx escape) at {where or 'the top'}; {fix}")
    return data


def _lone_surrogate(value: Any, where: str) -> str | None:
    """The key path of the first string (or key) that is not valid Unicode, else None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "the top"
        return None
    items: Iterator[tuple[str, Any]]
    if isinstance(value, dict):
        for key in value:
            try:
                key.encode("utf-8")
            except UnicodeEncodeError:
                return f"{where}.{key!a}" if where else f"{key!a}"
        items = ((f"{where}.{k}" if where else k, v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for sub, item in items:
        found = _lone_surrogate(item, sub)
        if found is not None:
            return found
    return None


def render(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def contains_ours(data: dict[str, Any] | None) -> bool:
    if not data:
        return False
    sl = data.get("statusLine")
    if isinstance(sl, dict) and is_ours(sl.get("command"), "statusline"):
        return True
    hooks = data.get("hooks")
    if not isinstance(hooks, dict):
        return False
    for event, _ in HOOK_EVENTS:
        for group in hooks.get(event) or []:
            entries = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(entries, list) and any(_is_our_entry(e) for e in entries):
                return True
    return False


# ---------------------------------------------------------------------------- the merge


def merge(
    settings: dict[str, Any], launcher: str, *, force: bool, hook: bool, record: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The new settings and what to tell the user; ``record`` notes what was replaced or created."""
    new: dict[str, Any] = json.loads(json.dumps(settings))
    notes: list[str] = []
    wanted_sl = {
        "type": "command",
        "command": statusline_command(launcher),
        "padding": 0,
        "refreshInterval": STATUSLINE_REFRESH_S,
    }
    current = new.get("statusLine")
    if current is None or (isinstance(current, dict) and is_ours(current.get("command"), "statusline")):
        new["statusLine"] = wanted_sl
    elif force:
        record["replaced_statusline"] = current
        new["statusLine"] = wanted_sl
        notes.append("replaced your statusLine (--force); `quotaline uninstall` puts it back")
    else:
        shown = current.get("command") if isinstance(current, dict) else current
        notes.append(
            f"kept your statusLine ({shown!r}); `quotaline install --force` replaces it "
            "(`quotaline uninstall` restores it), or call `quotaline segment` from your own script"
        )
    hooks = new.get("hooks")
    if hooks is not None and not isinstance(hooks, dict):
        raise InstallError('settings.json "hooks" is not an object; nothing was changed')
    if hook:
        for event, matcher in HOOK_EVENTS:
            _ensure_hook(new, event, matcher, hook_command(launcher), record)
    else:
        strip_hooks(new, record)
    return new, notes


def _is_our_entry(entry: Any) -> bool:
    return isinstance(entry, dict) and is_ours(entry.get("command"), "hook")


def _ensure_hook(
    settings: dict[str, Any], event: str, matcher: str | None, command: str, record: dict[str, Any]
) -> None:
    created = record.setdefault("created", [])
    hooks = settings.get("hooks")
    if hooks is None:
        hooks = settings["hooks"] = {}
        if "hooks" not in created:
            created.append("hooks")
    groups = hooks.get(event)
    if groups is None:
        groups = hooks[event] = []
        if f"hooks.{event}" not in created:
            created.append(f"hooks.{event}")
    if not isinstance(groups, list):
        raise InstallError(f'settings.json "hooks.{event}" is not a list; nothing was changed')
    wanted = {"type": "command", "command": command, "timeout": HOOK_TIMEOUT_S}
    found = False
    kept_groups = []
    for group in groups:
        entries = group.get("hooks") if isinstance(group, dict) else None
        if not isinstance(entries, list):
            kept_groups.append(group)
            continue
        right_group = group.get("matcher") == matcher or (matcher is None and not group.get("matcher"))
        out = []
        for entry in entries:
            if isinstance(entry, dict) and is_ours(entry.get("command"), "hook"):
                if right_group and not found:
                    out.append(wanted)
                    found = True
                continue  # a duplicate of ours, or ours under another matcher: dropped
            out.append(entry)
        if out or not entries:
            group["hooks"] = out
            kept_groups.append(group)
    if not found:
        kept_groups.append({"matcher": matcher, "hooks": [wanted]} if matcher else {"hooks": [wanted]})
    hooks[event] = kept_groups


def strip_hooks(settings: dict[str, Any], record: dict[str, Any]) -> None:
    """Take quotaline's hook entries out; a group or key quotaline created goes once empty."""
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return
    created = record.get("created", [])
    for event, _ in HOOK_EVENTS:
        groups = hooks.get(event)
        if not isinstance(groups, list):
            continue
        kept = []
        for group in groups:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                entries = [e for e in group["hooks"] if not _is_our_entry(e)]
                if not entries and group["hooks"]:
                    continue  # the group held only ours
                group["hooks"] = entries
            kept.append(group)
        hooks[event] = kept
        if not kept and f"hooks.{event}" in created:
            del hooks[event]
    if not hooks and "hooks" in created:
        del settings["hooks"]


def unmerge(settings: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """Settings with quotaline's entries removed and anything it replaced put back."""
    new: dict[str, Any] = json.loads(json.dumps(settings))
    current = new.get("statusLine")
    if isinstance(current, dict) and is_ours(current.get("command"), "statusline"):
        replaced = record.get("replaced_statusline")
        if replaced is not None:
            new["statusLine"] = replaced
        else:
            del new["statusLine"]
    strip_hooks(new, record)
    return new


# ---------------------------------------------------------------------------- writing settings.json


def check_writable(found: Found) -> None:
    """Refuse before anything changes: a read-only file (root could write it anyway) or a directory
    that would not take the new file."""
    if found.text is not None and not found.mode & 0o200:
        raise InstallError(
            f"{found.path} is read-only (mode {found.mode & 0o777:o}): quotaline does not overwrite it. "
            f"Make it writable (chmod u+w {found.target}) and run again, or add the change that "
            "`quotaline install --dry-run` shows by hand. Nothing was changed."
        )
    directory = os.path.dirname(found.target)
    if os.path.isdir(directory) and not os.access(directory, os.W_OK):
        raise InstallError(f"cannot write in {directory}; nothing was changed")


def backup(found: Found) -> str:
    """A copy of the file as found, next to settings.json (not inside a dotfiles repo a link leads
    to), under a name no other backup has."""
    assert found.text is not None
    base = f"{found.path}.quotaline-backup-{time.strftime('%Y%m%d-%H%M%S')}"
    for n in range(1000):
        name = base if n == 0 else f"{base}-{n}"
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | paths.NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(found.raw or b"")
        return name
    raise InstallError(f"cannot find a free backup name next to {found.path}")


T = TypeVar("T")


class Changed(Exception):
    """settings.json is no longer what was read: the edit is made again on what is there now."""


def _now(target: str) -> bytes | None:
    try:
        return paths.read_file(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InstallError(f"cannot read {target}: {exc.strerror}; nothing was changed") from None


def write_backed_up(f: Found, text: str, state: dict[str, Any], keep: str | None) -> None:
    """``write_through``, dropping ``keep`` (the backup made for this very write) when the file
    changed meanwhile: the caller plans again from what is there now, and backs that up instead."""
    try:
        write_through(f, text, state)
    except Changed:
        if keep:
            os.unlink(keep)
        raise


def write_through(found: Found, text: str, state: dict[str, Any]) -> None:
    """Replace the file (a symlink's target, the link kept) atomically, keeping its mode, if it still
    holds what ``found`` read (``Changed`` otherwise: Claude Code writes it while it runs, and
    /quotaline:setup runs inside it). Checked the instant before the replace; a file that was
    absent is created only if still absent (a hard link, which never replaces)."""
    target = found.target
    if found.text is None:
        make_dirs(os.path.dirname(target), state)
    tmp = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.quotaline-{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | paths.NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                os.fchmod(handle.fileno(), found.mode & 0o777 if found.text is not None else 0o600)
                handle.flush()
                os.fsync(handle.fileno())
            if found.text is None:
                try:
                    os.link(tmp, target)
                except FileExistsError:
                    raise Changed from None
                except OSError:  # a filesystem without hard links: the check, then the replace
                    if _now(target) is not None:
                        raise Changed from None
                    os.replace(tmp, target)
            elif _now(target) != found.raw:
                raise Changed
            else:
                os.replace(tmp, target)
            _fsync_dir(os.path.dirname(target))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    except OSError as exc:
        raise InstallError(f"cannot write {found.path}: {exc.strerror}") from None


def _fsync_dir(directory: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def settle(
    path: str, found: Found, planned: T, plan: Callable[[Found], T], write: Callable[[Found, T], None]
) -> tuple[Found, T]:
    """``write(found, planned)`` on settings.json as it is at the write: read again just before
    (after the question, which may wait long), planned again (``plan``) when it changed, and again
    when it changes between that read and the replace (``write`` raises ``Changed``)."""
    for _ in range(20):
        now = Found(path)
        if now.raw != found.raw or now.target != found.target:
            found, planned = now, plan(now)
            print(f"quotaline: {path} changed since it was read: the change is made to it as it is now")
        try:
            write(found, planned)
        except Changed:
            continue
        return found, planned
    raise InstallError(f"{path} keeps changing; nothing was changed. Run again when Claude Code is idle.")


def remove_settings(found: Found) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(found.target)


def diff(found: Found, new_text: str | None) -> str:
    import difflib

    old = found.text.splitlines(keepends=True) if found.text is not None else []
    new = new_text.splitlines(keepends=True) if new_text is not None else []
    before = found.path if found.text is not None else "/dev/null"
    after = found.path if new_text is not None else "/dev/null"
    lines = list(difflib.unified_diff(old, new, before, after))
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


# ---------------------------------------------------------------------------- state and lock


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
    tmp = f"{state_path()}.{os.getpid()}.tmp"
    fd = paths.open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)  # never through a link
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2, ensure_ascii=False)
    os.replace(tmp, state_path())


@contextlib.contextmanager
def install_lock(state: dict[str, Any]) -> Iterator[None]:
    """One install or uninstall at a time (install.sh takes the same lock before its venv work and
    hands it over through its exec)."""
    make_dirs(data_dir(), state)
    lock = os.path.join(data_dir(), "install.lock")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    held = os.environ.get(LOCK_FD_ENV, "")
    if held.isdigit():
        with contextlib.suppress(OSError):
            if os.path.samestat(os.fstat(int(held)), os.stat(lock)):
                yield
                return
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_APPEND | paths.NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print("quotaline: waiting for another install to finish", file=sys.stderr)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def confirm(question: str, args: argparse.Namespace) -> bool:
    """The one question a person at a terminal gets; none with --yes or without a terminal."""
    if args.yes or not sys.stdin.isatty():
        return True
    try:
        answer = input(f"{question} [Y/n] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("", "y", "yes")


# ---------------------------------------------------------------------------- install


def install(args: argparse.Namespace) -> int:
    if args.dry_run:
        return _install(args, load_state())
    _install(args, load_state(), check_only=True)  # a refusal before the lock makes no directory
    state: dict[str, Any] = {}
    with install_lock(state):
        locked_state = load_state()
        made = [*os.environ.get(MADE_DIRS_ENV, "").splitlines(), *state.get("created_dirs", [])]
        for directory in made:  # made just now for the lock, or by install.sh before its exec
            known = locked_state.setdefault("created_dirs", [])
            if os.path.isabs(directory) and directory not in known:
                known.append(directory)
        return _install(args, locked_state)


def _install(args: argparse.Namespace, state: dict[str, Any], *, check_only: bool = False) -> int:
    state.setdefault("schema", STATE_SCHEMA)
    state_before = json.dumps(state, sort_keys=True)
    choices = state.setdefault("choices", {})
    hook = args.hook if args.hook is not None else bool(choices.get("hook", True))
    bin_dir = os.path.abspath(args.bin_dir or choices.get("bin_dir") or default_bin_dir())
    path = settings_path()
    found = Found(path)  # refuse bad JSON before anything changes
    launcher = choose_launcher(bin_dir)

    def plan(f: Found) -> tuple[str | None, dict[str, Any], list[str]]:
        rec = json.loads(json.dumps(state.get("settings", {}).get(path, {})))
        new, notes = merge(f.data or {}, launcher, force=args.force, hook=hook, record=rec)
        return (render(new) if f.data is None or new != f.data else None), rec, notes

    new_text, record, notes = plan(found)
    python = args.python or sys.executable
    site = args.site_packages or package_root()
    extra = [] if args.python else dependency_dirs(site)  # another interpreter's are not ours to find
    if args.dry_run:
        print(diff(found, new_text) if new_text is not None else f"quotaline: {path} would not change\n", end="")
        if not is_our_launcher(launcher) or launcher_text(python, site, extra) != _read(launcher):
            print(f"quotaline: would write the launcher {launcher} (runs {python})")
        for note in notes:
            print(f"quotaline: {note}")
        print("quotaline: dry run: nothing was changed")
        return 0
    if new_text is not None:
        check_writable(found)
    if not args.python:
        missing = missing_dependencies()
        if missing:
            raise InstallError(
                f"this Python ({python}) lacks {', '.join(missing)}: install quotaline with `uv tool install` or "
                "`pipx install` (or run ./install.sh in a clone), then its `quotaline install`. Nothing was changed."
            )
    if check_only:
        return 0
    if new_text is not None and sys.stdin.isatty() and not args.yes:
        print(diff(found, new_text), end="")
    if not confirm(f"Wire quotaline into {path}?", args):
        print("quotaline: nothing was changed")
        return 1

    running: set[str] = set()
    if args.envs_dir:  # what the launcher runs now, and the one an earlier --bin-dir wrote
        for known in {launcher, state.get("launcher")}:
            if isinstance(known, str):
                running |= envs_in_use(known, env_candidates(args.envs_dir))
    wrote = write_launcher(launcher, python, site, extra, state)
    write_launcher_record(launcher, state)
    print(f"quotaline: launcher {'written' if wrote else 'up to date'}: {launcher}")
    primary = os.path.join(bin_dir, "quotaline")
    if launcher != primary:
        print(f"quotaline: kept {primary} (not quotaline's launcher: your package manager's entry point)")
    saved: list[str] = []

    def write(f: Found, planned: tuple[str | None, dict[str, Any], list[str]]) -> None:
        text, rec, _ = planned
        if text is None:
            return
        check_writable(f)
        if f.text is None or rec.get("written_sha256") != sha(f.text):
            # What uninstall puts back: the file as found now, unless it is one quotaline wrote (then
            # the record of its first install stands) or one changed since (then only its entries go).
            if f.text is None:
                rec.update(found="absent", original=None)
            elif not contains_ours(f.data):
                rec.update(found="text", original=f.text)
            elif rec.get("found") != "absent":
                rec.update(found="unknown", original=None)
        keep = backup(f) if f.text is not None else None  # of the very bytes the write replaces
        write_backed_up(f, text, state, keep)
        if keep:
            rec.setdefault("backups", []).append(keep)
            saved.append(keep)
        rec["written_sha256"] = sha(text)

    found, (new_text, record, notes) = settle(path, found, (new_text, record, notes), plan, write)
    if new_text is not None:
        via = f" (a link to {found.target})" if found.link else ""
        print(f"quotaline: wired Claude Code in {path}{via}" + (f" (backup: {saved[0]})" if saved else ""))
    else:
        print(f"quotaline: {path} already wired; nothing changed")
    state.setdefault("settings", {})[path] = record
    state["launcher"] = launcher
    choices["hook"] = hook
    choices["bin_dir"] = bin_dir
    if args.envs_dir:
        state["envs_dir"] = os.path.abspath(args.envs_dir)
    if json.dumps(state, sort_keys=True) != state_before:
        make_dirs(data_dir(), state)
        save_state(state)
    for note in notes:
        print(f"quotaline: {note}")
    if not hook:
        print("quotaline: no hooks (--no-hook, remembered; `quotaline install --hook` adds them)")
    if args.envs_dir:
        keep = running | envs_in_use(launcher, env_candidates(args.envs_dir))
        for env in prune_envs(args.envs_dir, keep):
            print(f"quotaline: removed the old environment {env}")
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        print(f"quotaline: note: {bin_dir} is not on your PATH; add it to use `quotaline` by hand")
    print("quotaline: done. The status line appears when Claude Code starts (numbers within about 10 s).")
    return 0


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return None


# ---------------------------------------------------------------------------- uninstall


def _restore_plan(path: str, record: dict[str, Any], found: Found | None = None) -> tuple[Found, str | None, bool, str]:
    """(found, new text, remove the file, how): what uninstall does to one settings.json."""
    found = Found(path) if found is None else found
    if found.text is None:
        return found, None, False, "absent"
    untouched = record.get("written_sha256") == sha(found.text)
    if untouched and record.get("found") == "absent":
        return found, None, True, "created by quotaline"
    if untouched and record.get("found") == "text" and isinstance(record.get("original"), str):
        return found, record["original"], False, "as found"
    assert found.data is not None
    new = unmerge(found.data, record)
    if new == found.data:
        return found, None, False, "nothing of quotaline"
    if not new and record.get("found") == "absent":
        return found, None, True, "created by quotaline"
    return found, render(new), False, "quotaline's entries taken out"


def uninstall(args: argparse.Namespace) -> int:
    if args.dry_run:
        return _uninstall(args, load_state())
    _uninstall(args, load_state(), check_only=True)
    state: dict[str, Any] = {}
    with install_lock(state):
        locked = load_state()
        locked.setdefault("created_dirs", []).extend(state.get("created_dirs", []))
        return _uninstall(args, locked)


def _uninstall(args: argparse.Namespace, state: dict[str, Any], *, check_only: bool = False) -> int:
    records: dict[str, Any] = state.get("settings", {})
    current = settings_path()
    todo = [current, *[p for p in records if p != current]]
    plans = []
    for path in todo:
        plan = _restore_plan(path, records.get(path, {}))
        found, text, remove, _ = plan
        if text is not None or remove:
            check_writable(found)
        plans.append(plan)
    launchers = {p for p in (state.get("launcher"), os.path.join(default_bin_dir(), "quotaline")) if isinstance(p, str)}
    launchers.add(os.path.join(data_dir(), "bin", "quotaline"))
    ours = sorted(p for p in launchers if is_our_launcher(p))
    if check_only:
        return 0
    if args.dry_run or (sys.stdin.isatty() and not args.yes):
        for found, text, remove, how in plans:
            if text is not None or remove:
                print(diff(found, text), end="")
                print(f"quotaline: {found.path}: {'remove (' + how + ')' if remove else how}")
        for launcher in ours:
            print(f"quotaline: remove {launcher}")
    if args.dry_run:
        print("quotaline: dry run: nothing was changed")
        return 0
    if not confirm("Remove quotaline from Claude Code?", args):
        print("quotaline: nothing was changed")
        return 1
    for plan, path in zip(plans, todo, strict=True):
        record = records.get(path, {})
        kept: list[str] = []

        def write(f: Found, planned: tuple[Found, str | None, bool, str], kept: list[str] = kept) -> None:
            _, text, remove, how = planned
            if remove:
                if _now(f.target) != f.raw:
                    raise Changed
                remove_settings(f)
            elif text is not None:
                check_writable(f)
                keep = None
                if how != "as found":  # the file changed since: a copy of it before quotaline rewrites it
                    keep = backup(f)
                write_backed_up(f, text, state, keep)
                if keep:
                    kept.append(keep)

        def replan(f: Found, record: dict[str, Any] = record) -> tuple[Found, str | None, bool, str]:
            return _restore_plan(f.path, record, f)

        found, (_, text, remove, how) = settle(path, plan[0], plan, replan, write)
        if remove:
            print(f"quotaline: removed {found.path} ({how})")
        elif text is not None:
            print(f"quotaline: {found.path}: {how}" + (f" (backup: {kept[0]})" if kept else ""))
        elif how != "absent":
            print(f"quotaline: {found.path} holds {how}")
        for old in record.get("backups", []):
            with contextlib.suppress(OSError):
                os.unlink(old)
    for launcher in ours:
        os.unlink(launcher)
        print(f"quotaline: removed {launcher}")
    if args.purge:
        purge(state)
    else:
        print("quotaline: kept your config and snapshot (`quotaline uninstall --purge` removes them)")
    data = data_dir()
    for name in ("envs", LEGACY_ENV):  # install.sh's environments: quotaline's own dir, only ever its
        env = os.path.join(data, name)
        if os.path.isdir(env) and not os.path.islink(env):
            shutil.rmtree(env, ignore_errors=True)
            print(f"quotaline: removed {env}")
    for name in ("install-state.json", "install.lock", LAUNCHER_RECORD):
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(data, name))
    _remove_empty_dirs([*state.get("created_dirs", []), os.path.join(data, "bin"), data])
    print("quotaline: uninstalled; the quotaline package itself stays (uninstall it the way you installed it)")
    return 0


def _remove_empty_dirs(dirs: list[str]) -> None:
    for directory in sorted(set(dirs), key=len, reverse=True):
        with contextlib.suppress(OSError):
            os.rmdir(directory)  # only when empty


# Names quotaline writes in its state dir (snapshot-<key>.json and its .lock, .refresh.lock,
# .spawned, .corrupt, .warned.d/, temp files; the config cache; error.log) and config dir.
_STATE_FILE = re.compile(r"(snapshot-[A-Za-z0-9-]+\.json|config-cache\.json|error\.log)(\..*)?")


def purge(state: dict[str, Any]) -> None:
    """The files quotaline wrote; a directory only if quotaline made it (a default, quotaline-named
    one, or one the installer created), never a shared one that QUOTALINE_*_DIR names."""
    made = set(state.get("created_dirs", []))
    for directory, override in (
        (paths.user_state_dir(), "QUOTALINE_STATE_DIR"),
        (paths.user_config_dir(), "QUOTALINE_CONFIG_DIR"),
    ):
        ours = not paths._absolute(override) or directory in made
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            full = os.path.join(directory, name)
            config = name == "config.toml" and (ours or _mentions_quotaline(full))
            ledger = name == "ledger" and (ours or os.path.exists(os.path.join(full, "index.json")))
            if _STATE_FILE.fullmatch(name) or config or ledger:
                _remove(full)
        print(f"quotaline: removed quotaline's files from {directory}")
        if ours:
            with contextlib.suppress(OSError):
                os.rmdir(directory)


def _mentions_quotaline(path: str) -> bool:
    text = _read(path)
    return text is not None and "quotaline" in text


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


# ---------------------------------------------------------------------------- command line


def _parser(command: str) -> argparse.ArgumentParser:
    if command == "install":
        parser = argparse.ArgumentParser(
            prog="quotaline install",
            description="Wire quotaline into Claude Code: the status line, and the UserPromptSubmit and "
            "StopFailure hooks, in settings.json; a fast launcher. Run it again after an upgrade.",
        )
        parser.add_argument("--force", action="store_true", help="replace a status line that is not quotaline's")
        hooks = parser.add_mutually_exclusive_group()
        hooks.add_argument(
            "--no-hook", dest="hook", action="store_const", const=False, help="no hooks (the plugin's); remembered"
        )
        hooks.add_argument("--hook", dest="hook", action="store_const", const=True, help="hooks again after --no-hook")
        parser.add_argument("--bin-dir", help="where the `quotaline` launcher goes (default ~/.local/bin); remembered")
        parser.add_argument("--python", help=argparse.SUPPRESS)
        parser.add_argument("--site-packages", help=argparse.SUPPRESS)
        parser.add_argument("--envs-dir", help=argparse.SUPPRESS)  # install.sh's envs/: prune old environments
    else:
        parser = argparse.ArgumentParser(
            prog="quotaline uninstall",
            description="Remove what `quotaline install` added and put back what it replaced.",
        )
        parser.add_argument("--purge", action="store_true", help="also remove quotaline's config, snapshot and ledger")
    parser.add_argument("--dry-run", action="store_true", help="show the change to settings.json; change nothing")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask (no question is asked without a terminal)")
    parser.add_argument("--args-only", action="store_true", help=argparse.SUPPRESS)  # install.sh: check, then exit
    return parser


def run(command: str, argv: list[str]) -> int:
    args = _parser(command).parse_args(argv)
    try:
        if args.args_only:  # install.sh, before its virtualenv: a settings.json it would refuse, refused now
            if command == "install" and not args.dry_run:
                Found(settings_path())
            return 0
        return install(args) if command == "install" else uninstall(args)
    except InstallError as exc:
        print(f"quotaline: {exc}", file=sys.stderr)
        if command == "install" and args.envs_dir and args.python:
            state = load_state()
            known = [state.get("launcher"), os.path.join(args.bin_dir or default_bin_dir(), "quotaline")]
            discard_unused_env(args.envs_dir, args.python, [k for k in known if isinstance(k, str)])
        return 1
    except KeyboardInterrupt:
        print("\nquotaline: interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    """``python -m statusline.commands.install [install|uninstall] ...`` (install when omitted)."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = "install"
    if args and args[0] in ("install", "uninstall"):
        command = args.pop(0)
    return run(command, args)


if __name__ == "__main__":
    sys.exit(main())
