"""The entries quotaline writes into ``settings.json`` (the status line, the hooks), the rule of
which commands are its own, and the merge into (and out of) the user's settings."""

from __future__ import annotations

import json
import os
import shlex
from typing import Any

from statusline.commands.setup import InstallError

HOOK_TIMEOUT_S = 5
# Claude Code re-runs the status line on this timer besides its own events: the numbers the refresher
# fetched at start-up show within seconds, not after the first reply (a run is cheap: docs/import-costs.md).
STATUSLINE_REFRESH_S = 10
# (event, matcher): one hook command for both; `quotaline hook` reads the event from stdin.
HOOK_EVENTS: tuple[tuple[str, str | None], ...] = (
    ("UserPromptSubmit", None),
    ("StopFailure", "rate_limit"),
    ("Stop", None),  # a turn went through: the walls it could have met are over
)
# `<program>/quotaline statusline`, `... hook`, `... hook user-prompt-submit`, the program maybe quoted.
_OURS_ARGS = (["statusline"], ["hook"], ["hook", "user-prompt-submit"])


def statusline_command(program: list[str]) -> str:
    # POSIX quoting (Claude Code runs these through a shell, Git Bash on Windows): a home holding a
    # quote, `$`, a backtick or `$(...)` is a path like any other, never shell code
    # (docs/ARCHITECTURE.md, "Inert text"). ``program``: launcher.program's words.
    return shlex.join([*program, "statusline"])


def hook_entry(program: list[str], *, exec_form: bool) -> dict[str, Any]:
    """The hook entry: a shell command, or the exec form (``args``: no shell, nothing to quote)
    where Claude Code takes it (``client.takes_exec_form``)."""
    if exec_form:
        return {"type": "command", "command": program[0], "args": [*program[1:], "hook"], "timeout": HOOK_TIMEOUT_S}
    return {"type": "command", "command": shlex.join([*program, "hook"]), "timeout": HOOK_TIMEOUT_S}


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
    return _words_are_ours(words, kind)


def entry_is_ours(entry: Any, kind: str) -> bool:
    """A hook (or status line) entry quotaline wrote: its shell command, or its exec form."""
    if not isinstance(entry, dict):
        return False
    command, args = entry.get("command"), entry.get("args")
    if args is None:
        return is_ours(command, kind)
    if not isinstance(command, str) or not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        return False
    return _words_are_ours([command, *args], kind)


def _words_are_ours(words: list[str], kind: str | None) -> bool:
    """``<launcher> <args>``, or on Windows ``<python> -I -S <launcher>.py <args>``."""
    for tail in _OURS_ARGS:
        if len(words) > len(tail) and words[-len(tail) :] == tail and (kind is None or tail[0] == kind):
            program = words[: -len(tail)]
            if len(program) == 1:
                return os.path.basename(program[0]) == "quotaline"
            return program[1:3] == ["-I", "-S"] and len(program) == 4 and _basename(program[3]) == "quotaline.py"
    return False


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def has_exec_form_hook(data: dict[str, Any] | None) -> bool:
    """Whether quotaline's hooks in ``data`` are in the exec form: the client took it then."""
    hooks = data.get("hooks") if data else None
    if not isinstance(hooks, dict):
        return False
    for event, _ in HOOK_EVENTS:
        groups = hooks.get(event)
        for group in groups if isinstance(groups, list) else []:
            entries = group.get("hooks") if isinstance(group, dict) else None
            if isinstance(entries, list) and any(_is_our_entry(e) and "args" in e for e in entries):
                return True
    return False


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


def merge(
    settings: dict[str, Any],
    program: list[str],
    *,
    force: bool,
    hook: bool,
    record: dict[str, Any],
    exec_form: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """The new settings and what to tell the user; ``record`` notes what was replaced or created."""
    new: dict[str, Any] = json.loads(json.dumps(settings))
    notes: list[str] = []
    wanted_sl = {
        "type": "command",
        "command": statusline_command(program),
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
            _ensure_hook(new, event, matcher, hook_entry(program, exec_form=exec_form), record)
    else:
        strip_hooks(new, record)
    return new, notes


def _is_our_entry(entry: Any) -> bool:
    return entry_is_ours(entry, "hook")


def _ensure_hook(
    settings: dict[str, Any], event: str, matcher: str | None, wanted: dict[str, Any], record: dict[str, Any]
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
            if entry_is_ours(entry, "hook"):
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
