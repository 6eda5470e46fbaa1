"""Shared test fixtures: an isolated HOME per test (the helpers live in tests/helpers/)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers.cli import REPO, Home
from hypothesis import settings

# Shared 2-CPU machines: a slow example is noise, not a failure.
settings.register_profile("quotaline", deadline=None)
settings.load_profile("quotaline")


@pytest.fixture
def home(tmp_path: Path) -> Home:
    root = tmp_path / "home"
    root.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root),
        "XDG_STATE_HOME": str(root / "state"),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "data"),
        "PYTHONPATH": str(REPO),
        "QUOTALINE_NO_SPAWN": "1",
        # The hook's mechanics (dedupe, parking, levels) are tested on every warning; what Claude
        # Code says itself is left out by default (tests/core/test_warn_sentences.py, the e2e tests).
        "QUOTALINE_ALL_WARNINGS": "1",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
    }
    return Home(root, env)
