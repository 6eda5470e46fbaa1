"""Wire quotaline into Claude Code: the launcher on PATH and two keys in ``settings.json``.

Standard library only, so ``./install.sh --uninstall`` works even when the virtualenv is gone.
The merge keeps every key the user has, backs the file up before changing it, refuses a file
that is not a JSON object, and never replaces someone else's status line unless ``--force``.
What it replaced is kept in ``install-state.json`` so ``--uninstall`` puts it back.

Upgrades: install.sh makes a fresh environment per install (``envs/<n>``) and passes
``--envs-dir``; replacing the launcher is the one switch point. Afterwards every environment but
the new one and the one the old launcher ran is removed: processes started from the old version
(a refresher from ``spawn``) keep theirs until the next install.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import sysconfig
import time
from typing import Any

from statusline.core import paths

HOOK_TIMEOUT_S = 5
# Claude Code re-runs the status line on this timer besides its own events: the numbers the refresher
# fetched at start-up show within seconds, not after the first reply (a run costs ~17 ms).
STATUSLINE_REFRESH_S = 10
MARK = "quotaline"
MAX_SHEBANG = 120
LEGACY_ENV = "venv"  # install.sh's one environment before envs/, upgraded in place; a sibling of envs/


class InstallError(Exception):
    """Stops the install with a message and no change."""


def settings_path() -> str:
    return os.path.join(paths.claude_config_dir(), "settings.json")


def state_path() -> str:
    return os.path.join(paths.user_data_dir(), "install-state.json")


def launcher_text(python: str, site_packages: str) -> str:
    """A launcher that starts Python without ``site`` (-S) or the environment (-I): half the
    status line's start-up time. It adds the install's site-packages itself."""
    body = (
        "# quotaline launcher, written by install.sh. Starting without `site` halves the start-up\n"
        "# time of the status line; the install's own site-packages is added by hand.\n"
        "import sys\n"
        f"sys.path.append({site_packages!r})\n"
        "from statusline.cli import launch\n"
        "launch()\n"
    )
    shebang = f"#!{python} -SI"
    if len(shebang) <= MAX_SHEBANG and " " not in python:
        return shebang + "\n" + body
    # Long or spaced interpreter paths break shebangs: re-exec through sh (pip's trick).
    return f"#!/bin/sh\n'''exec' \"{python}\" -SI \"$0\" \"$@\"\n' '''\n" + body


def write_launcher(bin_dir: str, python: str, site_packages: str) -> tuple[str, bool]:
    os.makedirs(bin_dir, exist_ok=True)
    target = os.path.join(bin_dir, "quotaline")
    text = launcher_text(python, site_packages)
    try:
        with open(target, encoding="utf-8") as handle:
            if handle.read() == text:
                return target, False
    except OSError:
        pass
    if os.path.lexists(target) and not _is_our_launcher(target):
        raise InstallError(f"{target} exists and is not quotaline's launcher; move it away and run again")
    tmp = f"{target}.tmp-{os.getpid()}"
    fd = paths.open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)  # never through a planted link
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        os.fchmod(handle.fileno(), 0o755)  # whatever the umask
    os.replace(tmp, target)
    return target, True


def _is_our_launcher(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return "quotaline launcher" in handle.read(4096)
    except OSError:
        return False


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


def discard_unused_env(envs_dir: str, python: str, launcher: str) -> None:
    """After a refused install: remove the environment made for it, unless the launcher runs it."""
    rel = os.path.relpath(python, envs_dir).split(os.sep)[0]
    if rel in ("", ".", "..") or os.path.isabs(rel):
        return
    env = os.path.join(envs_dir, rel)
    if env not in envs_in_use(launcher, [env]):
        shutil.rmtree(env, ignore_errors=True)


def statusline_command(launcher: str) -> str:
    return f"{_quote(launcher)} statusline"


def hook_command(launcher: str) -> str:
    return f"{_quote(launcher)} hook user-prompt-submit"


def _quote(path: str) -> str:
    return f'"{path}"' if " " in path else path


def is_ours(command: Any) -> bool:
    if not isinstance(command, str):
        return False
    return command.rstrip().endswith(("quotaline statusline", "quotaline hook user-prompt-submit")) or (
        MARK in command and ("statusline" in command or "user-prompt-submit" in command)
    )


def load_settings(path: str) -> dict[str, Any] | None:
    """The settings object, None when the file does not exist; InstallError when unusable."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InstallError(f"cannot read {path}: {exc.strerror}") from None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InstallError(
            f"{path} is not valid JSON ({exc}); fix it (or move it away) and run ./install.sh again. "
            "Nothing was changed."
        ) from None
    if not isinstance(data, dict):
        raise InstallError(f"{path} does not hold a JSON object; nothing was changed")
    return data


def merge(
    settings: dict[str, Any], launcher: str, *, force: bool, hook: bool, state: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The new settings and what to tell the user; ``state`` records what was replaced."""
    new: dict[str, Any] = json.loads(json.dumps(settings))
    notes: list[str] = []
    wanted_sl = {
        "type": "command",
        "command": statusline_command(launcher),
        "padding": 0,
        "refreshInterval": STATUSLINE_REFRESH_S,
    }
    current = new.get("statusLine")
    if current is None or (isinstance(current, dict) and is_ours(current.get("command"))):
        new["statusLine"] = wanted_sl
    elif force:
        state["replaced_statusline"] = current
        new["statusLine"] = wanted_sl
        notes.append("replaced the existing statusLine (--force); --uninstall puts it back")
    else:
        shown = current.get("command") if isinstance(current, dict) else current
        notes.append(
            f"kept your existing statusLine ({shown!r}); run ./install.sh --force to replace it "
            "(--uninstall restores it), or use `quotaline segment` inside your own script"
        )
    if hook:
        _ensure_hook(new, hook_command(launcher), state)
    return new, notes


def _ensure_hook(settings: dict[str, Any], command: str, state: dict[str, Any]) -> None:
    hooks = settings.get("hooks")
    if hooks is None:
        hooks = settings["hooks"] = {}
        state.setdefault("created", []).append("hooks")
    if not isinstance(hooks, dict):
        raise InstallError('settings.json "hooks" is not an object; nothing was changed')
    groups = hooks.get("UserPromptSubmit")
    if groups is None:
        groups = hooks["UserPromptSubmit"] = []
        state.setdefault("created", []).append("hooks.UserPromptSubmit")
    if not isinstance(groups, list):
        raise InstallError('settings.json "hooks.UserPromptSubmit" is not a list; nothing was changed')
    wanted = {"type": "command", "command": command, "timeout": HOOK_TIMEOUT_S}
    found = False
    for group in groups:
        entries = group.get("hooks") if isinstance(group, dict) else None
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            if isinstance(entry, dict) and is_ours(entry.get("command")):
                if found:
                    entries[i] = None  # a duplicate of ours: drop below
                else:
                    entries[i] = wanted
                    found = True
        group["hooks"] = [e for e in entries if e is not None]
    if not found:
        groups.append({"hooks": [wanted]})


def unmerge(settings: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Settings with quotaline's entries removed and anything it replaced put back."""
    new: dict[str, Any] = json.loads(json.dumps(settings))
    current = new.get("statusLine")
    if isinstance(current, dict) and is_ours(current.get("command")):
        replaced = state.get("replaced_statusline")
        if replaced is not None:
            new["statusLine"] = replaced
        else:
            del new["statusLine"]
    hooks = new.get("hooks")
    if isinstance(hooks, dict) and isinstance(hooks.get("UserPromptSubmit"), list):
        groups = []
        for group in hooks["UserPromptSubmit"]:
            if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                kept = [e for e in group["hooks"] if not (isinstance(e, dict) and is_ours(e.get("command")))]
                if not kept and group["hooks"]:
                    continue  # the group held only our hook
                group["hooks"] = kept
            groups.append(group)
        hooks["UserPromptSubmit"] = groups
        created = state.get("created", [])
        if not groups and "hooks.UserPromptSubmit" in created:
            del hooks["UserPromptSubmit"]
        if not hooks and "hooks" in created:
            del new["hooks"]
    return new


def write_settings(path: str, old_text_exists: bool, data: dict[str, Any]) -> str | None:
    """Write ``data`` atomically; back the old file up first. Returns the backup path."""
    backup = None
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = 0o600
    if old_text_exists:
        backup = f"{path}.quotaline-backup-{time.strftime('%Y%m%d-%H%M%S')}"
        shutil.copy2(path, backup)
        mode = os.stat(path).st_mode & 0o777
    tmp = f"{path}.quotaline-tmp"
    fd = paths.open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)  # never through a planted link
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    os.replace(tmp, path)
    return backup


def load_state() -> dict[str, Any]:
    try:
        with open(state_path(), encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save_state(state: dict[str, Any]) -> None:
    os.makedirs(os.path.dirname(state_path()), exist_ok=True)
    fd = paths.open_private(state_path(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)  # never through a link
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2)


def install(args: argparse.Namespace) -> int:
    path = settings_path()
    settings = load_settings(path)  # refuse bad JSON before touching anything
    launcher = os.path.join(args.bin_dir, "quotaline")
    state = load_state()
    state_before = json.dumps(state, sort_keys=True)
    # Every refusal comes before the launcher switch, so a refused install changes nothing.
    new, notes = merge(settings or {}, launcher, force=args.force, hook=not args.no_hook, state=state)
    running: set[str] = set()
    if args.envs_dir:  # what the launcher runs now, and the one an earlier --bin-dir wrote
        for known in {launcher, state.get("launcher")}:
            if isinstance(known, str):
                running |= envs_in_use(known, env_candidates(args.envs_dir))
    site = args.site_packages or sysconfig.get_paths()["purelib"]
    launcher, wrote = write_launcher(args.bin_dir, args.python or sys.executable, site)
    print(f"quotaline: launcher {'written' if wrote else 'up to date'}: {launcher}")
    if settings is None or new != settings:
        backup = write_settings(path, settings is not None, new)
        print(f"quotaline: wired Claude Code in {path}" + (f" (backup: {backup})" if backup else ""))
    else:
        print(f"quotaline: {path} already wired; nothing changed")
    state["launcher"] = launcher
    if json.dumps(state, sort_keys=True) != state_before:
        save_state(state)
    for note in notes:
        print(f"quotaline: {note}")
    if args.envs_dir:
        keep = running | envs_in_use(launcher, env_candidates(args.envs_dir))
        for env in prune_envs(args.envs_dir, keep):
            print(f"quotaline: removed the old environment {env}")
    if os.path.dirname(launcher) not in os.environ.get("PATH", "").split(os.pathsep):
        where = os.path.dirname(launcher)
        print(f"quotaline: note: {where} is not on your PATH; add it to use `quotaline` by hand")
    print("quotaline: done. The status line appears when Claude Code starts (numbers within about 10 s).")
    return 0


def uninstall(args: argparse.Namespace) -> int:
    path = settings_path()
    settings = load_settings(path)
    state = load_state()
    if settings is not None:
        new = unmerge(settings, state)
        if new != settings:
            backup = write_settings(path, True, new)
            print(f"quotaline: removed quotaline from {path} (backup: {backup})")
        else:
            print(f"quotaline: {path} holds nothing of quotaline")
    launcher = os.path.join(args.bin_dir, "quotaline")
    if _is_our_launcher(launcher):
        os.unlink(launcher)
        print(f"quotaline: removed {launcher}")
    with contextlib.suppress(OSError):
        os.unlink(state_path())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="install.sh", description="Wire quotaline into Claude Code.")
    parser.add_argument("--uninstall", action="store_true", help="remove exactly what install added")
    parser.add_argument("--force", action="store_true", help="replace an existing statusLine")
    parser.add_argument("--no-hook", action="store_true", help="skip the UserPromptSubmit hook (plugin users)")
    parser.add_argument("--bin-dir", default=os.path.expanduser("~/.local/bin"))
    parser.add_argument("--python", help=argparse.SUPPRESS)
    parser.add_argument("--site-packages", help=argparse.SUPPRESS)
    parser.add_argument("--envs-dir", help=argparse.SUPPRESS)  # install.sh's envs/: prune old environments
    args = parser.parse_args(argv)
    try:
        return uninstall(args) if args.uninstall else install(args)
    except InstallError as exc:
        print(f"quotaline: {exc}", file=sys.stderr)
        if args.envs_dir and args.python and not args.uninstall:
            discard_unused_env(args.envs_dir, args.python, os.path.join(args.bin_dir, "quotaline"))
        return 1


if __name__ == "__main__":
    sys.exit(main())
