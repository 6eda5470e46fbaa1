"""``quotaline`` command dispatch. Each command's module is imported only when it runs, so the
status line and the hook pay for nothing but themselves."""

from __future__ import annotations

import sys

USAGE = """\
usage: quotaline <command> [options]

Claude Code wiring (read stdin, exit 0, never touch the network):
  statusline                 status-line JSON on stdin -> the status line
  hook                       hook JSON on stdin -> a warning (systemMessage) or nothing;
                             StopFailure (rate_limit) -> the wall recorded

Setup:
  install [--dry-run] [--yes] [--force] [--no-hook]   wire Claude Code's settings.json (again after upgrades)
  uninstall [--dry-run] [--yes] [--purge]             remove it, putting back what it replaced

For people and scripts:
  status [--json] [--watch]  every window, its source, age and forecast
  segment --format tmux|starship|plain|json|waybar|swiftbar [--windows ...] [--template ...]
  refresh [--force]          read the server now (foreground)
  doctor                     check credentials, endpoint, snapshot, settings, config, timing
  config path|init|show      the config file
  report [--since 7d] [--json]  local tokens beside the server's percent
  version
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    rest = args[1:]
    if command == "statusline":
        from statusline.commands import statusline as statusline_cmd

        return statusline_cmd.run()
    if command == "hook":
        from statusline.commands import hook as hook_cmd

        # stdin's hook_event_name decides; an unknown event from a newer hooks.json exits 0 silently.
        return hook_cmd.run(rest[0] if rest else "")
    if command == "segment":
        from statusline.commands import segment as segment_cmd

        return segment_cmd.run(rest)
    if command in ("version", "--version", "-V"):
        from statusline.commands import version as version_cmd

        return version_cmd.run()
    if command in ("", "help", "-h", "--help"):
        sys.stdout.write(USAGE)
        return 0 if command else 2
    return _people_command(command, rest)


def _people_command(command: str, rest: list[str]) -> int:
    from statusline.core.paths import DirError

    try:
        return _dispatch(command, rest)
    except DirError as exc:  # an unsafe or missing state dir: a sentence, never a traceback
        sys.stderr.write(f"quotaline: {exc}\n")
        return 1


def _dispatch(command: str, rest: list[str]) -> int:
    if command == "status":
        from statusline.commands import status as status_cmd

        return status_cmd.run(rest)
    if command == "refresh":
        from statusline.commands import refresh as refresh_cmd

        return refresh_cmd.run(rest)
    if command == "doctor":
        from statusline.commands import doctor as doctor_cmd

        return doctor_cmd.run(rest)
    if command == "config":
        from statusline.commands import config as config_cmd

        return config_cmd.run(rest)
    if command in ("install", "uninstall"):
        from statusline.commands import install as install_cmd

        return install_cmd.run(command, rest)
    if command == "report":
        from statusline.commands import report as report_cmd
        from statusline.core import paths, snapshot

        return report_cmd.run(rest, snapshot=snapshot.read(paths.snapshot_path()))
    sys.stderr.write(f"quotaline: unknown command {command!r}\n\n{USAGE}")
    return 2
