"""``quotaline segment``: the status line's numbers for tmux, Starship, shell prompts and scripts.

Same rules as the status line: no network, no waiting; it may start the background refresher.
"""

from __future__ import annotations

import sys
import time

from statusline.core.draw import render
from statusline.core.run import spawn
from statusline.core.run.context import Context
from statusline.core.run.guard import guarded
from statusline.core.settings import loader
from statusline.core.store import paths, snapshot
from statusline.core.system import fastjson, fastos
from statusline.core.window import select

FORMATS = {
    "tmux": "tmux", "starship": "starship", "plain": "plain", "ansi": "ansi", "json": "json",
    "waybar": "waybar", "swiftbar": "swiftbar", "zsh": "zsh",
}  # fmt: skip
USAGE = (
    "usage: quotaline segment --format tmux|starship|plain|ansi|zsh|json|waybar|swiftbar "
    "[--windows five_hour,seven_day:opus,model,alerts,extra] [--template '$label $pct'] [--model opus]\n"
    "       quotaline segment --print-swiftbar-plugin   (the SwiftBar / xbar / Argos plugin script)"
)


def run(argv: list[str]) -> int:
    options = _parse(argv)
    if options == "help":  # asked for: the usage on stdout, and success
        sys.stdout.write(f"{USAGE}\n")
        return 0
    if isinstance(options, str):
        sys.stderr.write(f"quotaline segment: {options}\n{USAGE}\n")
        return 2
    return guarded(lambda: _run(options), "quotaline: unavailable")


def _parse(argv: list[str]) -> dict[str, str] | str:
    options = {"format": "plain"}
    i = 0
    while i < len(argv):
        arg = argv[i]
        key, _, value = arg.partition("=")
        if key in ("--format", "--windows", "--template", "--model"):
            if not value:
                if i + 1 >= len(argv):
                    return f"{key} needs a value"
                i += 1
                value = argv[i]
            options[key[2:]] = value
        elif arg == "--print-swiftbar-plugin":
            options["print"] = "swiftbar"
        elif arg in ("-h", "--help"):
            return "help"
        else:
            return f"unknown option {arg!r}"
        i += 1
    if options["format"] not in FORMATS:
        return f"unknown format {options['format']!r}"
    return options


def _run(options: dict[str, str]) -> int:
    if options.get("print") == "swiftbar":
        from statusline.commands import swiftbar_plugin

        sys.stdout.write(swiftbar_plugin.text())
        return 0
    now = time.time()
    settings = loader.load()
    if "windows" in options:
        settings.data["segment"]["windows"] = [w.strip() for w in options["windows"].split(",") if w.strip()]
    if "template" in options:
        settings.data["segment"]["template"] = options["template"]
    try:
        path = paths.snapshot_path()
    except paths.DirError as exc:  # not safe to use: say so, read and start nothing
        sys.stderr.write(f"quotaline: {exc}\n")
        path = ""
    snap = snapshot.read(path) if path else snapshot.empty()
    if path:
        spawn.maybe_start(snap, settings, path, now)
    style = FORMATS[options["format"]]
    ctx = Context(snap, settings, now, family=options.get("model") or select.latest_family(snap))
    # Each format imports only what it draws with: tmux and Starship run as often as the status line.
    if style == "json":
        from statusline.core.draw import status_json, textsafe

        text = fastjson.dumps(textsafe.clean_tree(status_json.build(ctx)))
    elif style == "waybar":
        from statusline.core.draw import bars

        text = fastjson.dumps(bars.waybar(ctx))
    elif style == "swiftbar":  # the plugin script names the launcher it found, for the menu's actions
        from statusline.core.draw import bars

        binary = fastos.getenv("QUOTALINE_BIN") or "quotaline"
        argos = bool(fastos.getenv("ARGOS_VERSION"))
        sys.stdout.write(bars.swiftbar(ctx, binary=binary, argos=argos) + "\n")
        return 0
    else:
        text = render.line(ctx, surface="segment", style=style)
    sys.stdout.write(text + ("\n" if path or style in ("json", "waybar") else " !dir\n"))  # json stays json
    return 0
