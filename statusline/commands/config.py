"""``quotaline config path|init|show``."""

from __future__ import annotations

import json
import sys

from statusline.core import config, config_fast, paths


def run(argv: list[str]) -> int:
    action = argv[0] if argv else "path"
    if action == "path":
        print(paths.config_file())
        return 0
    if action == "init":
        path, written = config.init(force="--force" in argv)
        print(f"{'wrote' if written else 'kept existing'} {path}" + ("" if written else " (--force to overwrite)"))
        return 0
    if action == "show":
        settings = config_fast.load()
        print(json.dumps(config.public(settings.data), indent=2, ensure_ascii=False))
        for problem in settings.problems:
            print(f"problem: {problem}", file=sys.stderr)
        return 1 if settings.problems else 0
    print("usage: quotaline config path|init [--force]|show", file=sys.stderr)
    return 2
