"""`quotaline install` / `uninstall` in throwaway HOMEs: fresh, other keys kept, idempotent, bad
JSON, foreign statusLine, uninstall, old environments. tests/commands/test_install_setup.py has the
"leave the user's setup as it was" cases; tests/commands/test_upgrade.py runs the real install.sh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import REPO


def run_install(home: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`quotaline install ARGS` (`quotaline uninstall` when ARGS start with --uninstall)."""
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), **(extra_env or {})}
    if args and args[0] == "--uninstall":
        argv = ["uninstall", *args[1:]]
    else:
        argv = ["install", "--python", sys.executable, "--site-packages", str(REPO), *args]
    return subprocess.run(
        [sys.executable, "-m", "statusline", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
        cwd=home,
    )


def settings(home: Path, config_dir: str = ".claude") -> dict:
    return json.loads((home / config_dir / "settings.json").read_text())


def ours(data: dict, event: str = "UserPromptSubmit") -> tuple[str, list[str]]:
    hooks = [h["command"] for g in data["hooks"][event] for h in g["hooks"]]
    return data["statusLine"]["command"], hooks


@pytest.fixture
def fresh_home(tmp_path: Path) -> Path:
    home = tmp_path / "h"
    home.mkdir()
    return home


def test_fresh_install(fresh_home: Path) -> None:
    result = run_install(fresh_home)
    assert result.returncode == 0, result.stderr
    launcher = fresh_home / ".local" / "bin" / "quotaline"
    assert os.access(launcher, os.X_OK)
    data = settings(fresh_home)
    assert data["statusLine"] == {
        "type": "command",
        "command": f"{launcher} statusline",
        "padding": 0,
        "refreshInterval": 10,
    }
    hook = {"type": "command", "command": f"{launcher} hook", "timeout": 5}
    assert data["hooks"] == {
        "UserPromptSubmit": [{"hooks": [hook]}],
        "StopFailure": [{"matcher": "rate_limit", "hooks": [hook]}],  # the same command: it reads the event
        "Stop": [{"hooks": [hook]}],  # a turn went through: the walls it could have met are over
    }
    out = subprocess.run([str(launcher), "version"], capture_output=True, text=True, env={"HOME": str(fresh_home)})
    assert out.stdout.startswith("quotaline ")


def test_keeps_other_keys_backs_up_and_is_idempotent(fresh_home: Path) -> None:
    claude = fresh_home / ".claude"
    claude.mkdir()
    original = {
        "model": "opus",
        "permissions": {"allow": ["Bash(ls:*)"]},
        "env": {"FOO": "1"},
        "hooks": {
            "UserPromptSubmit": [{"hooks": [{"type": "command", "command": "my-own-hook"}]}],
            "Stop": [{"hooks": [{"type": "command", "command": "say done"}]}],
        },
    }
    (claude / "settings.json").write_text(json.dumps(original))
    assert run_install(fresh_home).returncode == 0
    data = settings(fresh_home)
    for key in ("model", "permissions", "env"):
        assert data[key] == original[key]
    assert data["hooks"]["Stop"][0] == original["hooks"]["Stop"][0]  # the user's own Stop hook first, as it was
    commands = ours(data)[1]
    assert commands[0] == "my-own-hook" and commands[1].endswith("quotaline hook")
    backups = list(claude.glob("settings.json.quotaline-backup-*"))
    assert len(backups) == 1 and json.loads(backups[0].read_text()) == original
    before = (claude / "settings.json").read_bytes()
    second = run_install(fresh_home)
    assert second.returncode == 0 and "nothing changed" in second.stdout
    assert (claude / "settings.json").read_bytes() == before
    assert len(list(claude.glob("settings.json.quotaline-backup-*"))) == 1


@pytest.mark.parametrize("content", ["{not json", '{"a": 1,}', "[1, 2]", '"str"'])
def test_refuses_invalid_settings_without_change(fresh_home: Path, content: str) -> None:
    claude = fresh_home / ".claude"
    claude.mkdir()
    (claude / "settings.json").write_text(content)
    result = run_install(fresh_home)
    assert result.returncode == 1
    assert "nothing was changed" in result.stderr.lower() and "Traceback" not in result.stderr
    assert (claude / "settings.json").read_text() == content
    assert not (fresh_home / ".local" / "bin" / "quotaline").exists()


def test_foreign_statusline_kept_unless_forced_and_restored_on_uninstall(fresh_home: Path) -> None:
    claude = fresh_home / ".claude"
    claude.mkdir()
    foreign = {"type": "command", "command": "~/bin/my-statusline.sh"}
    (claude / "settings.json").write_text(json.dumps({"statusLine": foreign}))
    result = run_install(fresh_home)
    assert result.returncode == 0
    assert settings(fresh_home)["statusLine"] == foreign
    assert "--force" in result.stdout and "my-statusline.sh" in result.stdout
    assert run_install(fresh_home).returncode == 0 and settings(fresh_home)["statusLine"] == foreign
    assert run_install(fresh_home, "--force").returncode == 0
    assert settings(fresh_home)["statusLine"]["command"].endswith("quotaline statusline")
    assert run_install(fresh_home, "--uninstall").returncode == 0
    assert settings(fresh_home) == {"statusLine": foreign}


def test_uninstall_removes_exactly_what_was_added(fresh_home: Path) -> None:
    claude = fresh_home / ".claude"
    claude.mkdir()
    original = {"model": "opus", "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "x"}]}]}}
    (claude / "settings.json").write_text(json.dumps(original))
    assert run_install(fresh_home).returncode == 0
    assert run_install(fresh_home, "--uninstall").returncode == 0
    assert settings(fresh_home) == original
    assert not (fresh_home / ".local" / "bin" / "quotaline").exists()


def test_uninstall_after_fresh_install_leaves_the_home_as_it_was(fresh_home: Path) -> None:
    assert run_install(fresh_home).returncode == 0
    assert run_install(fresh_home, "--uninstall").returncode == 0
    assert list(fresh_home.iterdir()) == []  # no `{}` settings.json, no backup, no empty directory


def test_respects_claude_config_dir(fresh_home: Path) -> None:
    cfg = fresh_home / "work-claude"
    result = run_install(fresh_home, extra_env={"CLAUDE_CONFIG_DIR": str(cfg)})
    assert result.returncode == 0
    assert ours(settings(fresh_home, "work-claude"))[0].endswith("quotaline statusline")
    assert not (fresh_home / ".claude" / "settings.json").exists()


def test_an_entry_point_on_path_stays_and_the_launcher_goes_to_the_data_dir(fresh_home: Path) -> None:
    """pipx, uv tool and pip put their own `quotaline` in ~/.local/bin: it is theirs to replace."""
    bin_dir = fresh_home / ".local" / "bin"
    bin_dir.mkdir(parents=True)
    entry = "#!/some/venv/bin/python\nfrom statusline.cli import main\nmain()\n"
    (bin_dir / "quotaline").write_text(entry)
    result = run_install(fresh_home)
    assert result.returncode == 0, result.stderr
    assert (bin_dir / "quotaline").read_text() == entry
    launcher = fresh_home / ".local" / "share" / "quotaline" / "bin" / "quotaline"
    assert settings(fresh_home)["statusLine"]["command"] == f"{launcher} statusline"
    launcher_runs(fresh_home, launcher)
    assert run_install(fresh_home, "--uninstall").returncode == 0
    assert not launcher.exists() and (bin_dir / "quotaline").read_text() == entry


def fake_env(envs: Path, name: str) -> Path:
    """An environment as install.sh leaves it, as far as the launcher cares: bin/python runs."""
    env = envs / name
    (env / "bin").mkdir(parents=True)
    (env / "bin" / "python").symlink_to(sys.executable)
    return env


def install_from(home: Path, envs: Path, env: Path) -> subprocess.CompletedProcess[str]:
    return run_install(home, "--python", str(env / "bin" / "python"), "--envs-dir", str(envs))


def launcher_runs(home: Path, launcher: Path | None = None) -> str:
    launcher = launcher or home / ".local" / "bin" / "quotaline"
    out = subprocess.run([str(launcher), "version"], capture_output=True, text=True, env={"HOME": str(home)})
    assert out.returncode == 0 and out.stdout.startswith("quotaline "), out.stderr
    return launcher.read_text().splitlines()[0]


def test_an_install_keeps_the_previous_environment_and_removes_older_and_half_made_ones(fresh_home: Path) -> None:
    envs = fresh_home / ".local" / "share" / "quotaline" / "envs"
    one = fake_env(envs, "1")
    assert install_from(fresh_home, envs, one).returncode == 0
    assert launcher_runs(fresh_home) == f"#!{one}/bin/python -SI"
    result = install_from(fresh_home, envs, fake_env(envs, "2"))
    assert result.returncode == 0 and "removed" not in result.stdout
    assert sorted(p.name for p in envs.iterdir()) == ["1", "2"]  # 1 is kept for processes started from it
    (envs / "3").mkdir()  # what an install killed during `python -m venv` leaves
    (envs / "3" / "pyvenv.cfg").write_text("home = /nowhere\n")
    four = fake_env(envs, "4")
    result = install_from(fresh_home, envs, four)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in envs.iterdir()) == ["2", "4"]
    assert f"removed the old environment {one}" in result.stdout and str(envs / "3") in result.stdout
    assert launcher_runs(fresh_home) == f"#!{four}/bin/python -SI"


def test_the_legacy_virtualenv_is_the_previous_version_once_then_removed(fresh_home: Path) -> None:
    data = fresh_home / ".local" / "share" / "quotaline"
    envs = data / "envs"
    legacy = fake_env(data, "venv")  # install.sh before envs/: one virtualenv upgraded in place
    assert install_from(fresh_home, data, legacy).returncode == 0  # the old launcher runs data/venv
    assert install_from(fresh_home, envs, fake_env(envs, "1")).returncode == 0
    assert legacy.is_dir()
    assert install_from(fresh_home, envs, fake_env(envs, "2")).returncode == 0
    assert not legacy.exists() and sorted(p.name for p in envs.iterdir()) == ["1", "2"]


def test_a_refused_install_removes_its_own_environment_and_changes_nothing(fresh_home: Path) -> None:
    envs = fresh_home / ".local" / "share" / "quotaline" / "envs"
    one = fake_env(envs, "1")
    assert install_from(fresh_home, envs, one).returncode == 0
    before = (fresh_home / ".local" / "bin" / "quotaline").read_text()
    (fresh_home / ".claude" / "settings.json").write_text('{"hooks": []}')  # refused: hooks is not an object
    result = install_from(fresh_home, envs, fake_env(envs, "2"))
    assert result.returncode == 1 and "nothing was changed" in result.stderr
    assert sorted(p.name for p in envs.iterdir()) == ["1"]
    assert (fresh_home / ".local" / "bin" / "quotaline").read_text() == before
    launcher_runs(fresh_home)


def test_the_environment_of_a_launcher_in_an_earlier_bin_dir_is_kept_as_the_previous_one(fresh_home: Path) -> None:
    envs = fresh_home / ".local" / "share" / "quotaline" / "envs"
    one = fake_env(envs, "1")
    assert install_from(fresh_home, envs, one).returncode == 0
    other = fresh_home / "bin"
    result = run_install(
        fresh_home,
        "--python",
        str(fake_env(envs, "2") / "bin" / "python"),
        "--envs-dir",
        str(envs),
        "--bin-dir",
        str(other),
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in envs.iterdir()) == ["1", "2"]
    launcher_runs(fresh_home)  # the launcher in ~/.local/bin still runs
