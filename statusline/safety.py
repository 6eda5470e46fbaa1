"""The hot path's last line of defence: whatever goes wrong, exit 0 with sane output."""

from __future__ import annotations

import os
import sys
import time

from statusline import paths

TYPE_CHECKING = False
if TYPE_CHECKING:  # collections.abc imports collections (~3 ms)
    from collections.abc import Callable

MAX_LOG_BYTES = 64 * 1024


def guarded(run: Callable[[], int], fallback: str) -> int:
    """Run ``run``; on any exception log it and print ``fallback`` (if not empty). Always 0."""
    try:
        run()
    except BrokenPipeError:
        pass
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            return 0
        log_exception(exc)
        if fallback:
            try:
                sys.stdout.write(fallback + "\n")
                sys.stdout.flush()
            except OSError:
                pass
    return 0


def log_exception(exc: BaseException) -> None:
    """Append the traceback to ``error.log`` in the state dir (bounded). Holds no secrets:
    the hot path never handles tokens."""
    try:
        directory = paths.user_state_dir()
        paths.ensure_private_dir(directory)
        path = os.path.join(directory, "error.log")
        if os.path.exists(path) and os.path.getsize(path) > MAX_LOG_BYTES:
            os.replace(path, path + ".1")
        import traceback  # only on the error path: it imports re

        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + " ".join(sys.argv[1:]) + "\n" + text)
    except Exception:
        pass
