"""The install routes the README names, in throwaway HOMEs: `uv tool install` and `pipx install` of
a copy of this tree, then that installation's `quotaline install`, a status line through the
launcher it wrote, a people command (the installation's dependencies under the launcher), and
`quotaline uninstall` leaving the package manager's own `quotaline` in place.

uv and pipx come from PyPI via scripts/e2e-install-deps.sh (CI runs it); without them these tests
skip and say so. install.sh's route is tests/commands/test_upgrade.py and the e2e test; these routes
and the plugin in the real Claude Code are tests/e2e/test_install_real.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import REPO, statusline_stdin
from helpers.harness import ROUTES, Missing, route_command, route_env, source_copy

pytestmark = pytest.mark.slow  # real uv and pipx installs of a copy of the tree

def route(name: str, src: Path, python: str) -> list[str]:
    try:
        return route_command(name, src, python)
    except Missing as exc:
        pytest.skip(str(exc))


def env_for(home: Path) -> dict[str, str]:
    return {**route_env(home), "NO_COLOR": "1", "QUOTALINE_NO_SPAWN": "1"}


def run(argv: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


@pytest.mark.parametrize("name", ROUTES)
def test_a_package_manager_install_then_quotaline_install_wires_claude_code(tmp_path: Path, name: str) -> None:
    base_python = getattr(sys, "_base_executable", sys.executable)
    command = route(name, source_copy(REPO, tmp_path / "src"), base_python)
    home = tmp_path / "home"
    home.mkdir()
    env = env_for(home)
    done = run(command, env, home)
    assert done.returncode == 0, done.stdout + done.stderr
    entry = home / ".local" / "bin" / "quotaline"
    assert entry.exists(), f"{name} put no quotaline in ~/.local/bin"
    entry_before = os.readlink(entry) if entry.is_symlink() else entry.read_bytes()

    wired = run(["quotaline", "install"], env, home)  # on PATH, as the README says
    assert wired.returncode == 0, wired.stdout + wired.stderr
    launcher = home / ".local" / "share" / "quotaline" / "bin" / "quotaline"
    assert launcher.read_text().startswith("#!") and " -SI" in launcher.read_text().splitlines()[0]
    data = json.loads((home / ".claude" / "settings.json").read_text())
    assert data["statusLine"]["command"] == f"{launcher} statusline"
    assert data["hooks"]["StopFailure"][0]["hooks"][0]["command"] == f"{launcher} hook"

    line = run([str(launcher), "statusline"], env, home, stdin=json.dumps(statusline_stdin(42, 17)))
    assert line.returncode == 0 and line.stdout.startswith("5h 42% "), line.stdout + line.stderr
    # A people command through the fast launcher imports the installation's dependencies (httpx).
    people = run([str(launcher), "refresh"], {**env, "QUOTALINE_API_BASE": "http://127.0.0.1:9"}, home)
    assert "Traceback" not in people.stderr and "No module named" not in people.stderr, people.stderr
    assert people.stdout.startswith("quotaline:") or people.stderr.startswith("quotaline:"), people

    gone = run(["quotaline", "uninstall"], env, home)
    assert gone.returncode == 0, gone.stdout + gone.stderr
    assert not (home / ".claude").exists() and not launcher.exists()
    assert (os.readlink(entry) if entry.is_symlink() else entry.read_bytes()) == entry_before  # theirs, untouched


def test_an_editable_installs_launcher_gives_the_refresher_it_starts_the_dependencies(tmp_path: Path) -> None:
    """With the package in a checkout and httpx in a venv (pip install -e, the dev venv), the status
    line's background refresher, started from the hot path without ``site``, still imports them."""
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "LANG": "C.UTF-8"}
    done = run([sys.executable, "-m", "statusline", "install", "--yes"], env, home)
    assert done.returncode == 0, done.stdout + done.stderr
    launcher = (home / ".local" / "bin" / "quotaline").read_text()
    # The launcher as written, up to its last line; then what the hot path does to start the refresher.
    probe = launcher.split("from statusline.cli import main")[0] + (
        "import subprocess\n"
        "from statusline.core.run.spawn import refresher_argv\n"
        "argv = refresher_argv()\n"
        "argv[-1] = argv[-1].split('; from statusline')[0] + '; import httpx, pydantic, filelock, platformdirs'\n"
        "sys.exit(subprocess.run(argv).returncode)\n"
    )
    script = tmp_path / "probe"
    script.write_text(probe)
    script.chmod(0o755)
    hot = run([str(script), "statusline"], {"HOME": str(home), "PATH": "/usr/bin:/bin"}, tmp_path)
    assert hot.returncode == 0, hot.stderr
