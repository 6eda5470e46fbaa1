"""``quotaline refresh``: read the server now (foreground), or as the background refresher."""

from __future__ import annotations

import argparse
import sys


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="quotaline refresh", description="Read the usage endpoints now.")
    parser.add_argument("--force", action="store_true", help="ignore a server-imposed backoff")
    parser.add_argument("--background", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from statusline.core.store import paths
    from statusline.refresh import refresher

    if args.background:  # detached: nobody reads its output, so failures go to error.log
        from statusline.core.run.guard import guarded

        return guarded(lambda: refresher.refresh(background=True).ran, "")
    try:
        outcome = refresher.refresh(force=args.force, lock_wait=20.0)
    except paths.DirError as exc:  # its message names the directory and the fix
        print(f"quotaline: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # e.g. the state dir cannot be written: a sentence, never a traceback
        from statusline.core.run.guard import log_exception

        log_exception(exc)
        print(f"quotaline: refresh failed: {type(exc).__name__} (details in error.log)", file=sys.stderr)
        return 1
    from statusline.core.draw.textsafe import clean

    summary = clean(outcome.summary())  # carries the servers' error messages
    if not outcome.ran:
        print("quotaline: another refresh is running; try again in a few seconds", file=sys.stderr)
        return 1
    if outcome.ok:
        print(f"quotaline: refreshed ({summary})")
        return 0
    if outcome.skipped and not outcome.failed and not outcome.fetched:
        print(f"quotaline: not refreshed: {summary}; --force to try anyway", file=sys.stderr)
        return 1
    print(f"quotaline: refresh failed: {summary}", file=sys.stderr)
    return 1
