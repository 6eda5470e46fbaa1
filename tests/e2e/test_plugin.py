"""The Claude Code plugin route in the real client: the repository's marketplace and plugin pass the
pinned Claude Code's `claude plugin validate --strict` (the hook and /quotaline:setup without the
client: tests/commands/test_plugin_hook.py). A missing Claude Code fails the test saying how to
install it; ``QUOTALINE_E2E=0`` skips it on purpose."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from helpers.cli import REPO
from helpers.harness import Missing, find_claude

pytestmark = pytest.mark.e2e


def test_the_marketplace_and_plugin_pass_claude_codes_strict_validation(tmp_path: Path) -> None:
    if os.environ.get("QUOTALINE_E2E", "").strip() == "0":
        pytest.skip("QUOTALINE_E2E=0: end-to-end test in the real Claude Code switched off")
    try:
        claude = find_claude()
    except Missing as exc:  # fails, saying how to install it, like every e2e test
        pytest.fail(str(exc), pytrace=False)
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
