"""The hot path is a folder, and the layers point one way.

Each hot command (status line, hook, segment) runs for real in a child process under ``python -I -S``
with only this tree on the path, and must load nothing heavy. And statically (``ast``, every import
in every file, lazy ones included): each layer imports only the layers below it,
``commands -> refresh -> ledger -> core``; ``core`` imports only the standard library, and no
module of the package takes part in an import circle.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.cli import REPO, Home, snapshot_with, statusline_stdin, window

PACKAGE = REPO / "statusline"
LAYERS = ("core", "ledger", "refresh", "commands")  # each may import those before it, never after
HEAVY = {
    "httpx",
    "pydantic",
    "filelock",
    "platformdirs",
    "json",
    "re",
    "typing",
    "datetime",
    "subprocess",
    "pathlib",
    "tomllib",
    "dataclasses",
    "enum",
    "argparse",
    "statistics",
    "inspect",
    "zlib",  # a shared library to load; only a non-default config dir or an env token needs it
    "msgspec",  # the ledger's transcript decoder: the refresher's and ``report``'s, never the hot path's
}
PROBE = (
    "import sys; sys.path[:0] = [sys.argv.pop(1)]; from statusline.cli import main; code = main(sys.argv[1:]); "
    "sys.stderr.write('MODULES ' + ' '.join(sorted(sys.modules)) + '\\n'); sys.exit(code)"
)
HOT_COMMANDS = {
    "statusline": (["statusline"], lambda: json.dumps(statusline_stdin(96, 17)), "5h 96%"),
    "hook": (
        ["hook", "user-prompt-submit"],
        lambda: json.dumps({"session_id": "s1", "hook_event_name": "UserPromptSubmit", "prompt": "hi"}),
        "systemMessage",
    ),
    "segment tmux": (["segment", "--format", "tmux"], lambda: "", "96%"),
    "segment json": (["segment", "--format", "json"], lambda: "", '"five_hour"'),
    "segment waybar": (["segment", "--format", "waybar"], lambda: "", '"percentage":96'),
    "segment swiftbar": (["segment", "--format", "swiftbar"], lambda: "", "5h 96%"),
}


def loaded_by(home: Home, argv: list[str], stdin: str) -> tuple[str, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, str(REPO), *argv],
        input=stdin.encode(),
        capture_output=True,
        env=home.env,
        timeout=30,
    )
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert "MODULES " in err, err
    return proc.stdout.decode(), set(err.split("MODULES ", 1)[1].split())


@pytest.mark.parametrize("name", sorted(HOT_COMMANDS))
def test_each_hot_command_runs_without_loading_a_heavy_module(home: Home, name: str) -> None:
    argv, stdin, shows = HOT_COMMANDS[name]
    # Near full with a history and a forecast: the hook warns, every drawing path runs.
    snap = snapshot_with(window("five_hour", 96, resets_in=3000), window("seven_day", 17))
    five = snap["windows"]["five_hour"]
    points = [[five["observed_at"] - 600 * i, 96 - i, five["resets_at"]] for i in range(10, 0, -1)]
    snap["history"]["five_hour"] = json.dumps(points)
    home.write_snapshot(snap)
    out, modules = loaded_by(home, argv, stdin())
    assert shows in out, out  # the command really ran to its output
    assert "statusline.core.store.snapshot" in modules
    heavy = {m for m in modules if m.split(".")[0] in HEAVY}
    outside = {m for m in modules if m.startswith(("statusline.refresh", "statusline.ledger"))}
    assert not heavy, heavy
    assert not outside, outside


def package_imports(path: Path) -> set[str]:
    """Every ``statusline`` module (or package) a file imports, at any depth of the file."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "statusline" and parts[1] in LAYERS else None


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {module_name(p) for p in FILES}


def test_the_package_has_the_four_layers_and_nothing_loose_beside_them() -> None:
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == {"__init__.py", "__main__.py", "cli.py"}, loose
    for layer in LAYERS:
        assert (PACKAGE / layer / "__init__.py").is_file(), layer


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_each_module_imports_only_the_layers_below_it(path: Path) -> None:
    mine = layer_of(module_name(path))
    if mine is None:  # cli.py, __main__.py, __init__.py: the dispatcher above every layer
        return
    allowed = set(LAYERS[: LAYERS.index(mine) + 1])
    for name in package_imports(path):
        theirs = layer_of(name)
        assert name.split(".")[0] != "statusline" or name in ("statusline", "statusline.__version__") or theirs, name
        assert theirs is None or theirs in allowed, f"{module_name(path)} ({mine}) imports {name} ({theirs})"


CORE_FILES = sorted((PACKAGE / "core").rglob("*.py"))


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_core_imports_only_the_standard_library(path: Path) -> None:
    for name in package_imports(path):
        top = name.split(".")[0]
        if top == "statusline":
            assert name.startswith("statusline.core") or name == "statusline", name
        elif name in ("tomli", "tomllib"):  # settings/toml_file.py: tomllib, or on Python 3.10 its origin tomli
            assert path.name == "toml_file.py"
        elif top != "__future__":
            assert top in sys.stdlib_module_names, name


def test_only_the_ledger_imports_the_transcript_decoder() -> None:
    # msgspec is a dependency of the ledger (read by the refresher and ``report``) alone.
    importers = {module_name(p) for p in FILES if any(n.split(".")[0] == "msgspec" for n in package_imports(p))}
    assert importers and all(m.startswith("statusline.ledger.") for m in importers), importers


def test_no_module_of_the_package_is_part_of_an_import_circle() -> None:
    graph: dict[str, set[str]] = {}
    for path in FILES:
        me = module_name(path)
        graph[me] = {n for n in package_imports(path) if n in MODULES and n != me and not me.startswith(n + ".")}
    # A package's __init__ importing its own modules is not a circle with them.
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError(" -> ".join([*trail[trail.index(nxt):], nxt]) if nxt in trail else nxt)
            if not state.get(nxt):
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node, [node])
