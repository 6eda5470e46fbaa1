#!/usr/bin/env python3
"""How to start the status line on Windows: measured on the official Windows CPython under Wine.

Three ways, each as a ratio to ``python.exe -I -S -c pass`` of the same interpreter, paired and
interleaved (A B C A B C ...; each round's times over that round's bare interpreter), since under
Wine absolute times say little:

- ``launcher``: the command ``quotaline install`` writes into settings.json (``python.exe -I -S
  <launcher>.py statusline``), split by POSIX rules as Git Bash would;
- ``entry point``: the ``quotaline.exe`` pip and pipx write (distlib's launcher, the interpreter
  path and a zip with ``__main__.py`` appended: it starts ``python.exe`` with ``site`` as a second
  process, as uv's trampoline does), running ``statusline``;
- ``site``: ``python.exe -I -c "... main(['statusline'])"``, the interpreter with ``site`` and
  no launcher process: what the entry point costs without its own process.

Git Bash's own start (``bash.exe -c``) comes before each of them alike and is left out.

The interpreter is a copy of the embeddable build without its ``._pth`` file: that file's ``import
site`` line makes the embeddable build run ``site`` even under ``-S``, which a regular install
(python.org's, uv's) does not; the copy lays out as one.

Usage: python scripts/bench_windows_launch.py [-n 20]   (needs ../shared/tools/windows-python/setup.sh)
"""

from __future__ import annotations

import argparse
import io
import json
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO)]

from helpers.cli import statusline_stdin  # noqa: E402
from windows import winpy  # noqa: E402
from windows.winpy import WINE, WinHome, win  # noqa: E402

DISTLIB_LAUNCHER = "t64.exe"  # pip's vendored distlib: the console launcher pip writes entry points with


def entry_point_exe(dest: Path, source: Path, python: Path) -> Path:
    """``quotaline.exe`` as pip makes it (distlib's ScriptMaker on Windows), the source put first
    on the path by its ``__main__`` (no package is installed into the shared interpreter)."""
    import pip._vendor.distlib as distlib

    launcher = (Path(distlib.__file__).parent / DISTLIB_LAUNCHER).read_bytes()
    main = (
        "import re, sys\n"
        f"sys.path.insert(0, {win(source)!r})\n"
        "from statusline.cli import main\n"
        "if __name__ == '__main__':\n"
        "    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n"
        "    sys.exit(main())\n"
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("__main__.py", main)
    exe = dest / "quotaline.exe"
    exe.write_bytes(launcher + f"#!{win(python)}\n".encode() + archive.getvalue())
    return exe


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20, help="rounds (default 20)")
    args = parser.parse_args()
    if not winpy.available():
        print("the Windows CPython under Wine is not set up: run ../shared/tools/windows-python/setup.sh")
        return 1
    winpy.warm_up()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(winpy.PYTHON.parent, root / "python", ignore=shutil.ignore_patterns("*._pth", "__pycache__"))
        python = winpy.PYTHON = root / "python" / winpy.PYTHON.name  # WinHome.python runs winpy.PYTHON
        source = winpy.copy_source(REPO, root / "src")
        profile = root / "me"
        (profile / "AppData" / "Local").mkdir(parents=True)
        home = WinHome(profile, source, {})
        code = f"import sys; sys.path.insert(0, {win(source)!r}); from statusline.cli import main; sys.exit(main(%r))"
        done = home.python(code % (["install", "--yes"],), flags=("-I",))
        if done.code != 0:
            print(done.text + done.err)
            return 1
        command = json.loads((profile / ".claude" / "settings.json").read_text())["statusLine"]["command"]
        exe = entry_point_exe(root, source, python)
        cases = {
            "bare": [str(python), "-I", "-S", "-c", "pass"],
            "launcher": shlex.split(command),
            "entry point": [win(exe), "statusline"],
            "site": [str(python), "-I", "-c", code % (["statusline"],)],
        }
        stdin = json.dumps(statusline_stdin(42, 17)).encode()
        env = home.env({"QUOTALINE_STATE_DIR": win(home.state), "NO_COLOR": "1"})
        times: dict[str, list[float]] = {name: [] for name in cases}
        for argv in cases.values():  # a first run of each: bytecode written, caches warm
            subprocess.run([str(WINE), *argv], input=stdin, capture_output=True, env=env, timeout=120, check=False)
        order = list(cases)
        for i in range(args.n):
            for name in order[i % len(order) :] + order[: i % len(order)]:  # rotated: no case always first
                t0 = time.perf_counter()
                proc = subprocess.run(
                    [str(WINE), *cases[name]], input=stdin, capture_output=True, env=env, timeout=120, check=False
                )
                times[name].append(time.perf_counter() - t0)
                if name != "bare" and b"42%" not in proc.stdout:
                    print(f"{name}: unexpected output {proc.stdout!r} {proc.stderr[-500:]!r}")
                    return 1
        print(f"Windows CPython ({win(python)}, no ._pth) under Wine, {args.n} rounds; the status line's command:")
        print(f"  {command}")
        print(f"{'case':<12} {'p50 ms':>8} {'ratio p50':>10} {'p25-p75':>12}")
        for name in cases:
            ratios = sorted(t / b for t, b in zip(times[name], times["bare"], strict=True))
            q = statistics.quantiles(ratios, n=4)
            print(
                f"{name:<12} {statistics.median(times[name]) * 1000:8.0f} {statistics.median(ratios):10.2f} "
                f"{q[0]:5.2f}-{q[2]:<5.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
