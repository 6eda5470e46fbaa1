"""``quotaline config path|init|show``."""

from __future__ import annotations

import json
import sys

from statusline.core.settings import loader, toml_file
from statusline.core.store import paths

USAGE = """\
usage: quotaline config path          where the config file is (it may not exist yet)
       quotaline config init [--force] write the defaults there (--force: over an existing file)
       quotaline config show          the settings in use, as JSON, and any problem found"""
OPTIONS = {"path": (), "init": ("--force",), "show": ()}


def run(argv: list[str]) -> int:
    action = argv[0] if argv else "path"
    rest = argv[1:]
    if action in ("-h", "--help", "help") or "-h" in rest or "--help" in rest:
        print(USAGE)  # never acts: `config init --help` must not write the file
        return 0
    unknown = [arg for arg in rest if arg not in OPTIONS.get(action, ())]
    if action not in OPTIONS or unknown:
        what = f"unknown option {unknown[0]!r}" if action in OPTIONS else f"unknown action {action!r}"
        print(f"quotaline config: {what}\n{USAGE}", file=sys.stderr)
        return 2
    if action == "path":
        print(paths.config_file())
        return 0
    if action == "init":
        path, written = toml_file.init(force="--force" in rest)
        print(f"{'wrote' if written else 'kept existing'} {path}" + ("" if written else " (--force to overwrite)"))
        return 0
    settings = loader.load()
    print(json.dumps(toml_file.public(settings.data), indent=2, ensure_ascii=False))
    for problem in settings.problems:
        print(f"problem: {problem}", file=sys.stderr)
    return 1 if settings.problems else 0
