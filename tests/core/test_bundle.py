"""Under the launcher's flags a hot command imports the hot path from one bundle file, and whatever
that file holds (nothing, garbage, modules edited since) the command runs on its sources."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers.cli import REPO, Home, run_in_tree

PROBE = (
    "import sys; sys.path[:0] = [sys.argv.pop(1)]; from statusline.cli import main; code = main(sys.argv[1:]); "
    "sys.stderr.write('LOADERS ' + ' '.join(n + '=' + type(m.__spec__.loader).__name__ for n, m in "
    "sorted(sys.modules.items()) if n.startswith('statusline.core.')) + '\\n'); sys.exit(code)"
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the package, so that its bundle and edits touch nothing else."""
    shutil.copytree(REPO / "statusline", tmp_path / "tree" / "statusline", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "tree"


def run(home: Home, tree: Path, *flags: str) -> dict[str, str]:
    proc = run_in_tree(home, tree, PROBE, *flags)
    err = proc.stderr.decode()
    assert proc.returncode == 0 and "5h 42%" in proc.stdout.decode(), err
    return dict(item.split("=") for item in err.split("LOADERS ", 1)[1].split())


def bundle_of(tree: Path) -> Path:
    [found] = (tree / "statusline" / "__pycache__").glob("hot.*.bundle")
    return found


def test_the_second_run_imports_the_hot_path_from_the_bundle_the_first_wrote(home: Home, tree: Path) -> None:
    first = run(home, tree, "-I", "-S")
    assert first["statusline.core.store.snapshot"] == "SourceFileLoader"
    second = run(home, tree, "-I", "-S")
    assert {second[m] for m in second} == {"type"}  # the bundle's finder
    assert len(second) == len(first)


def test_a_module_edited_since_is_imported_from_its_source_and_the_bundle_written_again(home: Home, tree: Path) -> None:
    run(home, tree, "-I", "-S")
    source = tree / "statusline" / "core" / "window" / "levels.py"
    source.write_text(source.read_text() + "\nEDITED = True\n")
    bundle = bundle_of(tree)
    before = bundle.stat().st_mtime_ns
    loaders = run(home, tree, "-I", "-S")
    assert loaders["statusline.core.window.levels"] == "SourceFileLoader"
    assert loaders["statusline.core.store.snapshot"] == "type"
    assert bundle.stat().st_mtime_ns != before
    assert run(home, tree, "-I", "-S")["statusline.core.window.levels"] == "type"


@pytest.mark.parametrize("content", [b"", b"\x00garbage", b"\xe3" * 100])
def test_a_bundle_that_does_not_load_is_ignored_and_replaced(home: Home, tree: Path, content: bytes) -> None:
    run(home, tree, "-I", "-S")
    bundle_of(tree).write_bytes(content)
    assert run(home, tree, "-I", "-S")["statusline.core.store.snapshot"] == "SourceFileLoader"
    assert run(home, tree, "-I", "-S")["statusline.core.store.snapshot"] == "type"


def test_no_bundle_without_the_launchers_flags_or_where_python_writes_no_bytecode(home: Home, tree: Path) -> None:
    run(home, tree)  # not isolated: a tool or a test calling main, not the launcher
    run(home, tree, "-S")
    run(home, tree, "-I", "-S", "-B")
    assert not list((tree / "statusline" / "__pycache__").glob("hot.*"))


def test_isolated_with_site_is_the_launcher_too(home: Home, tree: Path) -> None:
    """Windows' embeddable build imports site whatever -S says (its ._pth file): -I is the mark."""
    run(home, tree, "-I")
    assert {v for v in run(home, tree, "-I").values()} == {"type"}


def test_a_bundle_that_cannot_be_read_or_written_costs_only_the_usual_import(home: Home, tree: Path) -> None:
    run(home, tree, "-I", "-S")
    bundle = bundle_of(tree)
    bundle.unlink()
    bundle.mkdir()  # reading it fails, and so does replacing it
    for _ in range(2):
        assert run(home, tree, "-I", "-S")["statusline.core.store.snapshot"] == "SourceFileLoader"
    assert bundle.is_dir() and not list(bundle.parent.glob("*.tmp"))


COUNTING_PROBE = (
    "import sys; sys.path[:0] = [sys.argv.pop(1)]; from statusline import cli; asked = []; "
    "find = cli._Finder.find_spec; "
    "cli._Finder.find_spec = staticmethod(lambda name, *a: asked.append(name) or find(name, *a)); "
    "code = cli.main(sys.argv[1:]); "
    "served = [n for n, m in sys.modules.items() if getattr(m.__spec__, 'loader', None) is cli._Finder]; "
    "sys.stderr.write('ASKED ' + ' '.join(n for n in asked if n in served) + '\\nSERVED ' + ' '.join(served) + '\\n'); "
    "sys.exit(code)"
)


def test_a_served_modules_imports_are_loaded_before_it_without_importlibs_machinery(home: Home, tree: Path) -> None:
    def counted() -> tuple[list[str], list[str]]:
        proc = run_in_tree(home, tree, COUNTING_PROBE, "-I", "-S")
        assert proc.returncode == 0 and "5h 42%" in proc.stdout.decode(), proc.stderr.decode()
        err = proc.stderr.decode()
        asked = err.split("ASKED ", 1)[1].split("\n", 1)[0].split()
        return asked, err.split("SERVED ", 1)[1].split()

    counted()  # writes the bundle
    asked, served = counted()
    assert len(served) > 20
    # Only the command's module (and its package) go through the meta path: the rest are preloaded.
    assert set(asked) == {"statusline.commands", "statusline.commands.statusline"}, asked


def test_a_bundle_whose_import_lists_are_garbage_still_serves_every_module(home: Home, tree: Path) -> None:
    import marshal

    run(home, tree, "-I", "-S")
    bundle = bundle_of(tree)
    raw = bundle.read_bytes()
    end = 12 + int.from_bytes(raw[:4], "little")
    key, entries, stamp = marshal.loads(raw[12:end])
    garbage = [("statusline.core.no_such_module", 7, None), ("sys",), ("statusline.core.window.levels",) * 3, ()]
    for i, name in enumerate(entries):
        entries[name] = (*entries[name][:6], garbage[i % len(garbage)], entries[name][7])
    head = marshal.dumps((key, entries, stamp))
    check = hash(int.from_bytes(head, "little")).to_bytes(8, "little")  # a head written as cli does
    bundle.write_bytes(len(head).to_bytes(4, "little") + check + head + raw[end:])
    loaders = run(home, tree, "-I", "-S")
    assert set(loaders.values()) == {"type"}, loaders


@pytest.mark.parametrize(("flags", "collects"), [(("-I", "-S"), False), (("-I",), False), (("-S",), True)])
def test_a_hot_command_under_the_launchers_flags_runs_without_the_cyclic_collector(
    home: Home, tree: Path, flags: tuple[str, ...], collects: bool
) -> None:
    probe = "import gc, sys; sys.path[:0] = [sys.argv.pop(1)]; from statusline.cli import main; main(sys.argv[1:]); "
    probe += "sys.stderr.write(f'GC {gc.isenabled()}\\n')"
    proc = run_in_tree(home, tree, probe, *flags)
    assert "5h 42%" in proc.stdout.decode() and f"GC {collects}" in proc.stderr.decode(), proc.stderr.decode()


@pytest.mark.slow
def test_a_bundle_with_flipped_bits_is_never_served_and_is_rebuilt(home: Home, tree: Path) -> None:
    """A bit flipped anywhere in the file (a bad disk, a torn copy): marshal would load wrong code
    or crash the interpreter. Each run still draws the line from the sources; the bundle is
    written again and serves every module after."""
    import random

    run(home, tree, "-I", "-S")
    bundle = bundle_of(tree)
    good = bundle.read_bytes()
    rng = random.Random(19)
    for _ in range(60):
        damaged = bytearray(good)
        spot = rng.randrange(len(damaged))
        damaged[spot] ^= 1 << rng.randrange(8)
        bundle.write_bytes(bytes(damaged))
        proc = run_in_tree(home, tree, PROBE, "-I", "-S")
        out, err = proc.stdout.decode(), proc.stderr.decode()
        assert proc.returncode == 0 and "5h 42%" in out, (spot, proc.returncode, out, err)
    assert set(run(home, tree, "-I", "-S").values()) == {"type"}
    assert set(run(home, tree, "-I", "-S").values()) == {"type"}


def test_a_fifo_at_the_bundle_is_never_waited_on(home: Home, tree: Path) -> None:
    import os

    run(home, tree, "-I", "-S")
    bundle = bundle_of(tree)
    bundle.unlink()
    os.mkfifo(bundle)
    loaders = run(home, tree, "-I", "-S")  # within run_in_tree's timeout, drawn from the sources
    assert loaders["statusline.core.store.snapshot"] == "SourceFileLoader"
    assert set(run(home, tree, "-I", "-S").values()) == {"type"}  # replaced by a bundle again


def test_a_copied_bundle_is_checked_once_then_written_again_with_its_own_stamp(home: Home, tree: Path) -> None:
    """A copy (another inode) is not the file its writer stamped: every module is checked, and the
    bundle written again, so the next run trusts it without checking."""
    import os

    run(home, tree, "-I", "-S")
    bundle = bundle_of(tree)
    copy = bundle.with_name("copy")
    shutil.copy2(bundle, copy)
    os.replace(copy, bundle)  # the same bytes and mtime under a new inode
    copied = bundle.stat().st_ino
    assert set(run(home, tree, "-I", "-S").values()) == {"type"}  # served: every checksum matched
    assert bundle.stat().st_ino != copied  # written again
    again = bundle.stat()
    assert set(run(home, tree, "-I", "-S").values()) == {"type"}
    assert (bundle.stat().st_ino, bundle.stat().st_mtime_ns) == (again.st_ino, again.st_mtime_ns)  # left as it is


COLLECT_PROBE = (
    "import sys; sys.path[:0] = [sys.argv.pop(1)]; from statusline import cli; calls = []; "
    "collect = cli._collect; cli._collect = lambda: calls.append(1) or collect(); "
    "code = cli.main(sys.argv[1:]); sys.stderr.write(f'COLLECTS {len(calls)}\\n'); sys.exit(code)"
)


def test_a_run_served_wholly_by_a_current_bundle_does_not_copy_its_code_to_look_for_news(
    home: Home, tree: Path
) -> None:
    def collects() -> int:
        proc = run_in_tree(home, tree, COLLECT_PROBE, "-I", "-S")
        assert proc.returncode == 0 and "5h 42%" in proc.stdout.decode(), proc.stderr.decode()
        return int(proc.stderr.decode().split("COLLECTS ", 1)[1].split()[0])

    assert collects() == 1  # no bundle yet: written
    assert collects() == 0  # every module from the bundle: nothing to write, nothing copied
    source = tree / "statusline" / "core" / "window" / "levels.py"
    source.write_text(source.read_text() + "\nEDITED = True\n")
    assert collects() == 1  # a module imported from its source: written again
    assert collects() == 0
