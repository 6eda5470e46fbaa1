"""The entries quotaline writes on Windows, checked on any platform: the status line and shell
hooks as Git Bash splits them (POSIX words, forward slashes), the exec-form hooks as a list, and
each counted as quotaline's own, so that install replaces them and uninstall takes them out.

tests/windows/test_windows_install.py runs them on the Windows CPython; this covers every path."""

from __future__ import annotations

import shlex
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from statusline.commands.setup.entries import (
    HOOK_EVENTS,
    has_exec_form_hook,
    hook_entry,
    is_ours,
    merge,
    statusline_command,
    unmerge,
)

# A Windows path as launcher.program writes it: a drive, forward slashes, any name a profile has.
segment = st.text(st.characters(exclude_characters="/\\\x00", exclude_categories=("Cs",)), min_size=1, max_size=12)
drive_path = st.builds(
    lambda drive, parts: f"{drive}:/" + "/".join(parts), st.sampled_from("CZ"), st.lists(segment, max_size=4)
)


def windows_program(python_dir: str, profile: str) -> list[str]:
    return [f"{python_dir}/python.exe", "-I", "-S", f"{profile}/AppData/Local/quotaline/quotaline/bin/quotaline.py"]


@given(drive_path, drive_path)
def test_windows_commands_split_back_into_their_words_and_are_ours(python_dir: str, profile: str) -> None:
    program = windows_program(python_dir, profile)
    command = statusline_command(program)
    assert shlex.split(command) == [*program, "statusline"]  # what Git Bash runs
    assert is_ours(command, "statusline") and not is_ours(command, "hook")
    shell_hook = hook_entry(program, exec_form=False)["command"]
    assert shlex.split(shell_hook) == [*program, "hook"] and is_ours(shell_hook, "hook")


@given(drive_path, drive_path, st.booleans())
def test_windows_entries_merge_in_and_out(python_dir: str, profile: str, exec_form: bool) -> None:
    user: dict[str, Any] = {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-me"}]}]}}
    program = windows_program(python_dir, profile)
    record: dict[str, Any] = {}
    merged, _ = merge(user, program, force=False, hook=True, record=record, exec_form=exec_form)
    assert has_exec_form_hook(merged) is exec_form
    for event, _matcher in HOOK_EVENTS:
        ours = [h for g in merged["hooks"][event] for h in g["hooks"] if h.get("command") != "notify-me"]
        assert len(ours) == 1
        words = [ours[0]["command"], *ours[0]["args"]] if exec_form else shlex.split(ours[0]["command"])
        assert words == [*program, "hook"]
    again, _ = merge(merged, program, force=False, hook=True, record=record, exec_form=exec_form)
    assert again == merged  # recognised as ours: replaced, never added twice
    assert unmerge(merged, record) == user


def test_lookalikes_are_not_ours() -> None:
    assert not is_ours("C:/py/python.exe -I -S C:/x/other.py statusline")
    assert not is_ours("C:/py/python.exe -I C:/x/quotaline.py statusline")
    assert not is_ours("C:/py/python.exe -I -S C:/x/quotaline.py statusline; rm -rf ~")
    assert not has_exec_form_hook(
        {"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "C:/py/python.exe", "args": ["-c", "hook"]}]}]}}
    )
