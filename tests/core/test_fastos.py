"""``fastos`` is ``os`` to the letter where the hot path uses it, without importing ``os``."""

from __future__ import annotations

import os
import posixpath
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import REPO
from hypothesis import given
from hypothesis import strategies as st

from statusline.core.system import fastos

PARTS = st.text(alphabet="/.~ab", max_size=12)


@given(PARTS, st.lists(PARTS, max_size=4))
def test_join_is_posixpath_join(first: str, rest: list[str]) -> None:
    assert fastos.join(first, *rest) == posixpath.join(first, *rest)


@given(PARTS)
def test_the_path_functions_are_posixpaths(path: str) -> None:
    assert fastos.dirname(path) == posixpath.dirname(path)
    assert fastos.isabs(path) == posixpath.isabs(path)
    assert fastos.normpath(path) == posixpath.normpath(path)
    assert fastos.abspath(path) == posixpath.abspath(path)
    assert fastos.expanduser(path) == posixpath.expanduser(path)


def test_expanduser_without_home_asks_the_passwd_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HOME")
    for path in ("~", "~/x", "~root/x", "~no-such-user-here/x"):
        assert fastos.expanduser(path) == posixpath.expanduser(path)


def test_the_file_tests_are_os_paths(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    (tmp_path / "link").symlink_to(tmp_path / "gone")
    for name in ("f", "link", "missing", ""):
        p = str(tmp_path / name)
        assert (fastos.exists(p), fastos.lexists(p), fastos.isdir(p), fastos.islink(p)) == (
            os.path.exists(p), os.path.lexists(p), os.path.isdir(p), os.path.islink(p))


def test_makedirs_makes_the_parents_and_takes_exist_ok(tmp_path: Path) -> None:
    target = str(tmp_path / "a" / "b" / "c")
    fastos.makedirs(target, 0o700)
    assert os.stat(target).st_mode & 0o777 == 0o700
    fastos.makedirs(target + "/", 0o700, exist_ok=True)
    with pytest.raises(FileExistsError):
        fastos.makedirs(target, 0o700)


def test_without_os_loaded_the_environment_is_decoded_as_os_does_it() -> None:
    code = (
        "import sys; sys.path[:0] = [sys.argv[1]]; from statusline.core.system import fastos; "
        "assert 'os' not in sys.modules; "
        "print(repr(fastos.getenv('QL_T')), repr(fastos.getenv('QL_NONE', 'dflt')), "
        "repr(fastos.environ()['QL_T']), repr(fastos.expanduser('~/x')), repr(fastos.env.get('QL_T')), "
        "repr(fastos.env.get('QL_NONE'))); "
        "assert 'os' not in sys.modules"
    )
    env = {"QL_T": "caf\u00e9 \udcff", "HOME": "/h/me", "LANG": "C.UTF-8"}
    proc = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(REPO)], env=env, capture_output=True,
                          text=True, errors="surrogateescape", check=True)
    want = f"{env['QL_T']!r} 'dflt' {env['QL_T']!r} '/h/me/x' {env['QL_T']!r} None"
    assert proc.stdout.strip() == want


def test_with_os_loaded_the_environment_is_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QL_T2", "set by a caller")
    assert fastos.getenv("QL_T2") == "set by a caller" and fastos.environ()["QL_T2"] == "set by a caller"
    assert fastos.env.get("QL_T2") == "set by a caller"
