"""``quotaline`` command dispatch. Each command's module is imported only when it runs, so the
status line and the hook pay for nothing but themselves."""

from __future__ import annotations

import sys

USAGE = """\
usage: quotaline <command> [options]

Claude Code wiring (read stdin, exit 0, never touch the network):
  statusline                 status-line JSON on stdin -> the status line
  hook user-prompt-submit    hook JSON on stdin -> a warning (systemMessage) or nothing

For people and scripts:
  status [--json] [--watch]  every window, its source, age and forecast
  segment --format tmux|starship|plain|json [--windows ...] [--template ...]
  refresh [--force]          read the server now (foreground)
  doctor                     check credentials, endpoint, snapshot, settings, config, timing
  config path|init|show      the config file
  report [--since 7d] [--json]  local tokens beside the server's percent
  version
"""


HOT = ("statusline", "hook", "segment")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    if command not in HOT or not (sys.flags.isolated and sys.flags.no_site):
        return _command(command, args[1:])  # not started as the launcher starts it (a test, a tool)
    from statusline.core import bundle  # the hot path's modules in one read

    bundle.install()
    try:
        return _command(command, args[1:])
    finally:
        bundle.save()


def _command(command: str, rest: list[str]) -> int:
    if command == "statusline":
        from statusline.commands import statusline as statusline_cmd

        return statusline_cmd.run()
    if command == "hook":
        from statusline.commands import hook as hook_cmd

        event = rest[0] if rest else ""
        if event in ("user-prompt-submit", "UserPromptSubmit"):
            return hook_cmd.run()
        return 0  # an unknown event from a newer hooks.json must not break Claude Code
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
    if command == "report":
        from statusline.commands import report as report_cmd
        from statusline.core import paths, snapshot

        return report_cmd.run(rest, snapshot=snapshot.read(paths.snapshot_path()))
    sys.stderr.write(f"quotaline: unknown command {command!r}\n\n{USAGE}")
    return 2
