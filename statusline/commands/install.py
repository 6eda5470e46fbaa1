"""``quotaline install`` / ``quotaline uninstall``: the command line. What they do is in
``statusline/commands/setup/`` (settings editing, the launcher, install state, install, uninstall).

Standard library only, so ``./install.sh --uninstall`` works even when every environment is gone.
"""

from __future__ import annotations

import argparse
import os
import sys

from statusline.commands.setup import InstallError
from statusline.commands.setup.envs import discard_unused_env
from statusline.commands.setup.install import install
from statusline.commands.setup.settings import Found
from statusline.commands.setup.state import default_bin_dir, load_state, settings_path
from statusline.commands.setup.uninstall import uninstall


def _parser(command: str) -> argparse.ArgumentParser:
    if command == "install":
        parser = argparse.ArgumentParser(
            prog="quotaline install",
            description="Wire quotaline into Claude Code: the status line, and the UserPromptSubmit and "
            "StopFailure hooks, in settings.json; a fast launcher. Run it again after an upgrade.",
        )
        parser.add_argument("--force", action="store_true", help="replace a status line that is not quotaline's")
        hooks = parser.add_mutually_exclusive_group()
        hooks.add_argument(
            "--no-hook", dest="hook", action="store_const", const=False, help="no hooks (the plugin's); remembered"
        )
        hooks.add_argument("--hook", dest="hook", action="store_const", const=True, help="hooks again after --no-hook")
        parser.add_argument("--bin-dir", help="where the `quotaline` launcher goes (default ~/.local/bin); remembered")
        parser.add_argument("--python", help=argparse.SUPPRESS)
        parser.add_argument("--site-packages", help=argparse.SUPPRESS)
        parser.add_argument("--envs-dir", help=argparse.SUPPRESS)  # install.sh's envs/: prune old environments
    else:
        parser = argparse.ArgumentParser(
            prog="quotaline uninstall",
            description="Remove what `quotaline install` added and put back what it replaced.",
        )
        parser.add_argument("--purge", action="store_true", help="also remove quotaline's config, snapshot and ledger")
    parser.add_argument("--dry-run", action="store_true", help="show the change to settings.json; change nothing")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask (no question is asked without a terminal)")
    parser.add_argument("--args-only", action="store_true", help=argparse.SUPPRESS)  # install.sh: check, then exit
    return parser


def run(command: str, argv: list[str]) -> int:
    args = _parser(command).parse_args(argv)
    try:
        if args.args_only:  # install.sh, before its virtualenv: a settings.json it would refuse, refused now
            if command == "install" and not args.dry_run:
                Found(settings_path())
            return 0
        return install(args) if command == "install" else uninstall(args)
    except InstallError as exc:
        print(f"quotaline: {exc}", file=sys.stderr)
        if command == "install" and args.envs_dir and args.python:
            state = load_state()
            known = [state.get("launcher"), os.path.join(args.bin_dir or default_bin_dir(), "quotaline")]
            discard_unused_env(args.envs_dir, args.python, [k for k in known if isinstance(k, str)])
        return 1
    except KeyboardInterrupt:
        print("\nquotaline: interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    """``python -m statusline.commands.install [install|uninstall] ...`` (install when omitted)."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = "install"
    if args and args[0] in ("install", "uninstall"):
        command = args.pop(0)
    return run(command, args)


if __name__ == "__main__":
    sys.exit(main())
