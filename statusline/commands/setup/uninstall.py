"""``quotaline uninstall``: put back what install found (the bytes, when nothing changed since;
else quotaline's entries taken out), remove the launchers, and with ``--purge`` quotaline's files."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sys
from typing import Any

from statusline.commands.setup import confirm
from statusline.commands.setup.entries import unmerge
from statusline.commands.setup.envs import LEGACY_ENV
from statusline.commands.setup.launcher import is_our_launcher, own_launcher
from statusline.commands.setup.settings import (
    Changed,
    Found,
    backup,
    check_writable,
    diff,
    read_now,
    remove_settings,
    render,
    settle,
    sha,
    write_backed_up,
)
from statusline.commands.setup.state import (
    LAUNCHER_RECORD,
    data_dir,
    default_bin_dir,
    install_lock,
    load_state,
    read_text,
    settings_path,
)
from statusline.core.store import paths


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
    launchers |= {os.path.join(data_dir(), "bin", "quotaline"), own_launcher()}
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
                if read_now(f.target) != f.raw:
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
    text = read_text(path)
    return text is not None and "quotaline" in text


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)
