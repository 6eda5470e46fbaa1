"""What ``quotaline install`` / ``quotaline uninstall`` do: the fast launcher and three entries in
Claude Code's ``settings.json``, from whatever installed quotaline (uv tool, pipx, pip, install.sh's
venv). ``statusline/commands/install.py`` is the command line; the work is here, one module a job:

- ``state``: where things go, ``install-state.json`` (what install found and did), the launcher
  record, the install lock.
- ``settings``: reading ``settings.json`` (refusing what Python would not write back as found),
  writing it with a backup, again on what is there when Claude Code changed it meanwhile.
- ``entries``: the status line and hook entries quotaline writes, what counts as its own, the merge
  into the user's settings and the unmerge.
- ``launcher``: the launcher (its text is the ``launcher-tmpl`` file beside this one) and where it goes.
- ``envs``: install.sh's environments, which the launcher runs and which are pruned.
- ``install`` / ``uninstall``: the two commands, in that order of the steps above.

Standard library only, so ``./install.sh --uninstall`` works even when every environment is gone.

Leave the user's setup as it was:
- ``settings.json`` is written through a symlink (the link stays, its target is replaced
  atomically), never when read-only, never when Python would not write it back as found (NaN,
  Infinity, 1e400, a lone surrogate, a key twice); a backup with a unique name comes first.
- ``install-state.json`` records what was found (the file's bytes, or that there was none), what
  was replaced, which keys and directories were created, and the user's choices (``--no-hook``,
  ``--bin-dir``) for later runs. ``uninstall`` puts back exactly that: the bytes as found when
  nothing else changed since, else quotaline's entries taken out of whatever the file now holds.
- Only a command that is quotaline's own (``<path>/quotaline statusline``) counts as ours: a
  status line that merely mentions quotaline (``bash -c 'ccstatusline; quotaline segment'``) is
  the user's, replaced only with ``--force`` and never removed.
- ``--purge`` removes the files quotaline writes, and a directory only when quotaline made it.

Upgrades: install.sh makes a fresh environment per install (``envs/<n>``) and passes
``--envs-dir``; replacing the launcher is the one switch point. Afterwards every environment but
the new one and the one the old launcher ran is removed: processes started from the old version
(a refresher from ``spawn``) keep theirs until the next install.
"""

from __future__ import annotations

import argparse
import sys


class InstallError(Exception):
    """Stops the install with a message and no change."""


def confirm(question: str, args: argparse.Namespace) -> bool:
    """The one question a person at a terminal gets; none with --yes or without a terminal."""
    if args.yes or not sys.stdin.isatty():
        return True
    try:
        answer = input(f"{question} [Y/n] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("", "y", "yes")
