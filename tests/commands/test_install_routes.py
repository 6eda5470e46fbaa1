"""The install routes the README names, in throwaway HOMEs: `uv tool install` and `pipx install` of
a copy of this tree, then that installation's `quotaline install`, a status line through the
launcher it wrote, a people command (the installation's dependencies under the launcher), and
`quotaline uninstall` leaving the package manager's own `quotaline` in place.

uv and pipx come from PyPI via scripts/e2e-install-deps.sh (CI runs it); without them these tests
skip and say so. install.sh's route is tests/commands/test_upgrade.py and the e2e test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, statusline_stdin

TOOLS = Path.home() / ".cache" / "quotaline-e2e" / "tools" / "bin"


def tool(name: str) -> Path:
    path = TOOLS / name
    if not os.access(path, os.X_OK):
        pytest.skip(f"{name} is not installed in {TOOLS}: run scripts/e2e-install-deps.sh")
    return path


def source_copy(tmp: Path) -> Path:
    dest = tmp / "src"
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "statusline", dest / "statusline", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def route_env(home: Path) -> dict[str, str]:
    real = Path.home()
    env = {
        "HOME": str(home),
        "PATH": f"{home}/.local/bin:{os.environ['PATH']}",
        "LANG": "C.UTF-8",
        "NO_COLOR": "1",
        "QUOTALINE_NO_SPAWN": "1",
        # The caches of the real user: each run would download the dependencies again otherwise.
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(real / ".cache" / "uv")),
        "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(real / ".cache" / "pip")),
        "UV_PYTHON_DOWNLOADS": "never",  # the interpreter below, never one from the network
    }
    cert = os.environ.get("SSL_CERT_FILE") or os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
    if os.path.exists(cert):  # uv carries its own roots; a machine's proxy or mirror may need the system's
        env["SSL_CERT_FILE"] = cert
    for var, value in os.environ.items():
        if var.startswith("PIP_") and var not in env:
            env[var] = value
    return env


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


ROUTES = {
    "uv tool": lambda src, py: [str(tool("uv")), "tool", "install", "--python", py, str(src)],
    "pipx": lambda src, py: [str(tool("pipx")), "install", "--python", py, str(src)],
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_a_package_manager_install_then_quotaline_install_wires_claude_code(tmp_path: Path, route: str) -> None:
    base_python = getattr(sys, "_base_executable", sys.executable)
    command = ROUTES[route](source_copy(tmp_path), base_python)
    home = tmp_path / "home"
    home.mkdir()
    env = route_env(home)
    done = run(command, env, home)
    assert done.returncode == 0, done.stdout + done.stderr
    entry = home / ".local" / "bin" / "quotaline"
    assert entry.exists(), f"{route} put no quotaline in ~/.local/bin"
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
