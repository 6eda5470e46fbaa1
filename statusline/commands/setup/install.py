"""``quotaline install``: plan the entries on settings.json as found, ask once, write the launcher,
then settings.json (with its backup) and the install state; under the install lock."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from statusline.commands.setup import InstallError, client, confirm
from statusline.commands.setup.entries import contains_ours, has_exec_form_hook, merge
from statusline.commands.setup.envs import env_candidates, envs_in_use, prune_envs
from statusline.commands.setup.launcher import (
    choose_launcher,
    dependency_dirs,
    interpreter,
    is_our_launcher,
    launcher_text,
    missing_dependencies,
    package_root,
    program,
    write_launcher,
)
from statusline.commands.setup.settings import (
    Found,
    backup,
    check_writable,
    diff,
    render,
    settle,
    sha,
    write_backed_up,
)
from statusline.commands.setup.state import (
    MADE_DIRS_ENV,
    STATE_SCHEMA,
    data_dir,
    default_bin_dir,
    install_lock,
    load_state,
    make_dirs,
    read_text,
    save_state,
    settings_path,
    write_launcher_record,
)
from statusline.core import system


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
    python = interpreter(args.python or sys.executable)
    words = program(launcher, python)
    # Once written in the exec form, kept so: the snapshot's record of the client's version may be gone.
    exec_form = hook and (has_exec_form_hook(found.data) or client.takes_exec_form())

    def plan(f: Found) -> tuple[str | None, dict[str, Any], list[str]]:
        rec = json.loads(json.dumps(state.get("settings", {}).get(path, {})))
        new, notes = merge(f.data or {}, words, force=args.force, hook=hook, record=rec, exec_form=exec_form)
        return (render(new) if f.data is None or new != f.data else None), rec, notes

    new_text, record, notes = plan(found)
    site = args.site_packages or package_root()
    extra = [] if args.python else dependency_dirs(site)  # another interpreter's are not ours to find
    if args.dry_run:
        print(diff(found, new_text) if new_text is not None else f"quotaline: {path} would not change\n", end="")
        if not is_our_launcher(launcher) or launcher_text(python, site, extra) != read_text(launcher):
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
    write_launcher_record(words, state)
    print(f"quotaline: launcher {'written' if wrote else 'up to date'}: {launcher}")
    primary = os.path.join(bin_dir, "quotaline")
    if launcher != primary and os.path.lexists(primary):
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
    if system.IS_WINDOWS and hook and not exec_form:
        print(
            "quotaline: the hooks run through Git Bash (Claude Code not found, or before "
            f"{'.'.join(map(str, client.EXEC_FORM_SINCE))}); run `quotaline install` again after updating it"
        )
    if not hook:
        print("quotaline: no hooks (--no-hook, remembered; `quotaline install --hook` adds them)")
    if args.envs_dir:
        keep = running | envs_in_use(launcher, env_candidates(args.envs_dir))
        for env in prune_envs(args.envs_dir, keep):
            print(f"quotaline: removed the old environment {env}")
    if not system.IS_WINDOWS and bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        print(f"quotaline: note: {bin_dir} is not on your PATH; add it to use `quotaline` by hand")
    print("quotaline: done. The status line appears when Claude Code starts (numbers within about 10 s).")
    return 0
