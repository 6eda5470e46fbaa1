"""The SwiftBar / xbar / Argos plugin script shipped in the package (``statusline/plugins/``)."""

from __future__ import annotations

import os
import shlex
import sys

PLUGIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "plugins", "quotaline.1m.sh")
PLACEHOLDER = "@QUOTALINE_BIN@"


def launcher() -> str:
    """The launcher this process was started through (``~/.local/bin/quotaline``), when it was."""
    argv0 = os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return argv0 if os.path.basename(argv0) == "quotaline" and os.access(argv0, os.X_OK) else ""


def text() -> str:
    """The plugin, naming this install's launcher (the bars run plugins with a bare PATH)."""
    with open(PLUGIN, encoding="utf-8") as handle:
        script = handle.read()
    found = launcher()
    # POSIX-quoted: a path holding quotes, `$` or backticks stays a path (docs/ARCHITECTURE.md, "Inert text").
    return script.replace(PLACEHOLDER, shlex.quote(found)) if found else script
