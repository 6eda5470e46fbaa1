"""The Claude Code plugin route without the client: the plugin's hook runs the installed `quotaline`
(or says how to get it, exit 0), and /quotaline:setup pre-approves exactly what its steps run.
The real client's `claude plugin validate --strict` is in tests/e2e/test_plugin.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from helpers.cli import REPO

HOOK = REPO / "hooks" / "quotaline-hook.sh"


def run_hook(home: Path, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(HOOK)],
        input='{"hook_event_name": "UserPromptSubmit", "session_id": "s"}',
        capture_output=True,
        text=True,
        env={"HOME": str(home), "PATH": path, "CLAUDE_PLUGIN_ROOT": str(REPO)},
        timeout=30,
    )


def test_the_plugin_hook_runs_the_installed_quotaline_or_says_how_to_get_it(tmp_path: Path) -> None:
    missing = run_hook(tmp_path, "/usr/bin:/bin")
    assert missing.returncode == 0
    assert "uv tool install" in json.loads(missing.stdout)["systemMessage"]
    launcher = tmp_path / ".local" / "share" / "quotaline" / "bin" / "quotaline"
    launcher.parent.mkdir(parents=True)
    launcher.write_text('#!/bin/sh\necho "ran $*: $(cat)"\n')
    launcher.chmod(0o755)
    found = run_hook(tmp_path, "/usr/bin:/bin")
    assert found.returncode == 0
    assert found.stdout == 'ran hook: {"hook_event_name": "UserPromptSubmit", "session_id": "s"}\n'


def test_setup_pre_approves_exactly_the_commands_its_steps_run() -> None:
    """/quotaline:setup's ``allowed-tools`` run without a permission prompt: each must be a command
    one of its steps runs (never an install of software the steps only mention), and each command a
    step runs must be allowed (else the user is asked mid-setup)."""
    import re

    text = (REPO / "commands" / "setup.md").read_text()
    front, _, body = text.partition("\n---\n")
    allowed = re.search(r"^allowed-tools:(.*)$", front, re.M)
    assert allowed is not None
    patterns = re.findall(r"Bash\(([^)]*)\)", allowed.group(1))
    runs = re.findall(r"Run `([^`]+)`", body)
    assert runs

    def allows(pattern: str, command: str) -> bool:  # Claude Code's rule: `prefix:*` or the exact command
        return command.startswith(pattern[:-2]) if pattern.endswith(":*") else command == pattern

    assert [p for p in patterns if not any(allows(p, c) for c in runs)] == []
    assert [c for c in runs if not any(allows(p, c) for p in patterns)] == []
