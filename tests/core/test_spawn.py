"""The background refresher's command line (core/run/spawn.py): it imports this very package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers.cli import REPO

PROBE = (
    "import sys; sys.path.insert(0, '.'); from statusline.core.run.spawn import refresher_argv; "
    "argv = refresher_argv(); code = argv[-1].split('; from statusline.cli', 1)[0]; "
    "print(code + '; import statusline; print(statusline.__file__)')"
)


def test_the_refresher_imports_this_package_when_the_parent_found_it_by_a_relative_path(tmp_path: Path) -> None:
    """A parent that found ``statusline`` through a relative entry (its working directory): the child,
    started elsewhere with absolute entries only, must still find it, first on its path."""
    child_code = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()
    found = subprocess.run(
        [sys.executable, "-I", "-S", "-c", child_code], cwd=tmp_path, capture_output=True, text=True, timeout=30
    )
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == REPO / "statusline" / "__init__.py"
