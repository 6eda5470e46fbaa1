"""`quotaline <command> --help`: the usage on stdout, exit 0, and nothing done.

A person types `--help` to learn what a command would do; a command that does it instead (`config
init --help` wrote the config file) or fails (`segment --help` exited 2) breaks that trust.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import Home

COMMANDS = [
    ("statusline",),
    ("hook",),
    ("hook", "user-prompt-submit"),
    ("segment",),
    ("segment", "--format", "tmux"),
    ("install",),
    ("uninstall",),
    ("status",),
    ("refresh",),
    ("doctor",),
    ("report",),
    ("config",),
    ("config", "path"),
    ("config", "init"),
    ("config", "init", "--force"),
    ("config", "show"),
]


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_prints_the_usage_and_does_nothing(home: Home, command: tuple[str, ...], flag: str) -> None:
    before = _files(home.root)
    result = home.run(*command, flag, stdin=b"")
    assert result.code == 0, result.err
    assert result.out.startswith("usage: quotaline " + command[0]), result.out
    assert _files(home.root) == before  # no config written, no snapshot, no settings.json


def test_a_wrong_config_action_is_an_error_that_writes_nothing(home: Home) -> None:
    for args in (("config", "bogus"), ("config", "init", "--forc")):
        result = home.run(*args)
        assert result.code == 2 and "usage: quotaline config" in result.err
    assert not (home.root / "config" / "quotaline" / "config.toml").exists()


def test_every_environment_override_is_named_in_the_readme() -> None:
    """A variable quotaline reads but the README never names is a setting nobody can find."""
    from helpers.cli import REPO

    from statusline.core.settings.defaults import ENV_OVERRIDES

    readme = (REPO / "README.md").read_text()
    assert [name for name in ENV_OVERRIDES if name not in readme] == []


def test_the_configuration_page_names_each_environment_override_with_its_key() -> None:
    """docs/configuration.md (linked from the README) says which key each variable overrides."""
    from helpers.cli import REPO

    from statusline.core.settings.defaults import ENV_OVERRIDES

    page = (REPO / "docs" / "configuration.md").read_text()
    missing = [name for name, key in ENV_OVERRIDES.items() if f"| `{name}` | `{'.'.join(key)}` |" not in page]
    assert missing == []
