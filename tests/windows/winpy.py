"""The official Windows CPython under Wine, as a process: what tests/windows runs quotaline on.

Set up by ../shared/tools/windows-python/setup.sh (``.ci/run`` does it); found under
``$WINDOWS_PYTHON_ROOT`` or ``~/.cache/windows-python``. Without it the tests skip, unless
``QUOTALINE_REQUIRE_WINDOWS=1`` (CI) makes that a failure.

Wine's quirks, handled here: every standard handle of the Windows process must be a pipe or
/dev/null (a regular file fails at start); Wine's helper services (started with the first Windows
process of a prefix) inherit that process's handles, so a warm-up with /dev/null starts them
first, or a test's pipes would never see EOF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Any

import pytest

WINE = Path("/usr/lib/wine/wine64")
WINESERVER = Path("/usr/lib/wine/wineserver")
ROOT = Path(os.environ.get("WINDOWS_PYTHON_ROOT") or Path.home() / ".cache" / "windows-python")
PYTHON = ROOT / "cp313" / "python.exe"
PREFIX = ROOT / "prefix"


PROFILE_VAR = "QLTEST_PROFILE_"
PROFILE_PRELUDE = (
    f"import os; os.environ.update({{k[{len(PROFILE_VAR)}:]: v for k, v in os.environ.items() "
    f"if k.startswith({PROFILE_VAR!r})}}); "
)


def win(path: Path | str) -> str:
    """A Linux path as the Windows process sees it (Wine maps / to Z:)."""
    return str(PureWindowsPath("Z:" + str(path).replace("/", "\\")))


def available() -> bool:
    return WINE.exists() and PYTHON.exists() and PREFIX.exists()


def require() -> None:
    if available():
        return
    message = f"the Windows CPython under Wine is not set up ({PYTHON}): run ../shared/tools/windows-python/setup.sh"
    if os.environ.get("QUOTALINE_REQUIRE_WINDOWS") == "1":
        pytest.fail(message)
    pytest.skip(message)


def base_env() -> dict[str, str]:
    return {"WINEPREFIX": str(PREFIX), "WINEDEBUG": "-all", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def warm_up() -> None:
    """A wineserver that outlives each test's process, and Wine's services started without pipes."""
    env = base_env()
    subprocess.run(
        [str(WINESERVER), "-p", "120"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=60,
    )
    subprocess.run(
        [str(WINE), str(PYTHON), "-I", "-S", "-c", "pass"],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )


@dataclass
class Result:
    code: int
    out: bytes
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out.decode("utf-8")  # strict: Claude Code reads UTF-8


@dataclass
class WinHome:
    """A Windows user's profile (``%USERPROFILE%``) in a temp dir, and quotaline's source beside it."""

    linux: Path
    source: Path
    extra_env: dict[str, str]

    @property
    def profile(self) -> str:
        return win(self.linux)

    @property
    def local_appdata(self) -> Path:
        return self.linux / "AppData" / "Local"

    @property
    def state(self) -> Path:
        return self.local_appdata / "quotaline" / "quotaline"

    @property
    def claude(self) -> Path:
        return self.linux / ".claude"

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {
            **base_env(),
            # Wine sets these three from its prefix, whatever the caller's environment says: the
            # process sets them itself first (PROFILE_PRELUDE), as Windows would have.
            f"{PROFILE_VAR}USERPROFILE": self.profile,
            f"{PROFILE_VAR}LOCALAPPDATA": win(self.local_appdata),
            f"{PROFILE_VAR}APPDATA": win(self.linux / "AppData" / "Roaming"),
            "QUOTALINE_NO_SPAWN": "1",
            "QUOTALINE_ALL_WARNINGS": "1",
            "TZ": "UTC",
            **self.extra_env,
            **(extra or {}),
        }
        env.pop("HOME", None)  # a Windows user has none; ntpath and quotaline read USERPROFILE
        return env

    def python(
        self,
        code: str,
        *,
        stdin: bytes = b"",
        env: dict[str, str] | None = None,
        timeout: float = 120,
        flags: tuple[str, ...] = ("-I", "-S"),
        own_profile: bool = True,
    ) -> Result:
        """``code`` in the Windows interpreter; with ``own_profile``, in this test's profile, else in
        the Wine prefix's user profile (where Windows' known folders point)."""
        argv = [str(WINE), str(PYTHON), *flags, "-c", (PROFILE_PRELUDE if own_profile else "") + code]
        t0 = time.monotonic()
        proc = subprocess.run(
            argv, input=stdin, capture_output=True, env=self.env(env), timeout=timeout, cwd=self.linux
        )
        return Result(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"), time.monotonic() - t0)

    def quotaline(
        self, *args: str, stdin: bytes = b"", env: dict[str, str] | None = None, timeout: float = 120
    ) -> Result:
        """``quotaline <args>`` as the launcher runs it: the interpreter with -I -S, the source first on the path."""
        code = (
            f"import sys; sys.path.insert(0, {win(self.source)!r}); from statusline.cli import main; "
            f"sys.exit(main({list(args)!r}))"
        )
        return self.python(code, stdin=stdin, env=env, timeout=timeout)


def copy_source(repo: Path, dest: Path) -> Path:
    """quotaline's package in a dir of the test's: the Windows interpreter writes its bytecode there."""
    shutil.copytree(repo / "statusline", dest / "statusline", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture(scope="session")
def win_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from helpers.cli import REPO

    require()
    warm_up()
    return copy_source(REPO, tmp_path_factory.mktemp("winsrc"))


@pytest.fixture
def winhome(tmp_path: Path, win_source: Path) -> WinHome:
    profile = tmp_path / "me"
    (profile / "AppData" / "Local").mkdir(parents=True)
    (profile / "AppData" / "Roaming").mkdir(parents=True)
    return WinHome(profile, win_source, {})


def refresh_env(server: Any) -> dict[str, str]:
    """The refresher pointed at the loopback usage server (conftest's ``usage``), OAuth only."""
    return {"QUOTALINE_API_BASE": f"http://127.0.0.1:{server.server_address[1]}", "QUOTALINE_CLAUDE_AI": "0"}
