"""The Claude Code plugin route: the repository's marketplace and plugin pass the pinned Claude
Code's `claude plugin validate --strict`, and the plugin's hook runs the installed `quotaline`
(or says how to get it, exit 0)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from helpers.cli import REPO
from helpers.harness import find_claude

HOOK = REPO / "hooks" / "quotaline-hook.sh"


def test_the_marketplace_and_plugin_pass_claude_codes_strict_validation(tmp_path: Path) -> None:
    claude = find_claude()  # fails, saying how to install it, when the pinned Claude Code is missing
    for target in (REPO, REPO / ".claude-plugin" / "plugin.json"):
        done = subprocess.run(
            [str(claude), "plugin", "validate", "--strict", str(target)],
            capture_output=True,
            text=True,
            env={"HOME": str(tmp_path), "PATH": os.environ["PATH"], "DISABLE_AUTOUPDATER": "1"},
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0 and "Validation passed" in done.stdout, done.stdout + done.stderr
        assert 'StopFailure rate_limit command "\\"${CLAUDE_PLUGIN_ROOT}/hooks/quotaline-hook.sh\\""' in done.stdout
        assert "commands: quotaline:setup" in done.stdout
    market = json.loads((REPO / ".claude-plugin" / "marketplace.json").read_text())
    assert market["plugins"][0]["name"] == json.loads((REPO / ".claude-plugin" / "plugin.json").read_text())["name"]


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
