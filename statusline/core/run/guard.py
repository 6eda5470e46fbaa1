"""The hot path's last line of defence: whatever goes wrong, exit 0 with sane output."""

from __future__ import annotations

import sys
import time

from statusline.core.store import paths
from statusline.core.system import fastos

TYPE_CHECKING = False
if TYPE_CHECKING:  # collections.abc imports collections, slow to import (docs/import-costs.md)
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
    the hot path never handles tokens. Nothing is logged when the state dir is not safe to use;
    a symlink at ``error.log`` is replaced, never written through."""
    try:
        path = fastos.join(paths.state_dir(), "error.log")
        flags = fastos.O_WRONLY | fastos.O_CREAT | fastos.O_APPEND
        fd = paths.open_private(path, flags)
        if fastos.fstat(fd).st_size > MAX_LOG_BYTES:  # the file we hold, not whatever a name points to
            fastos.close(fd)
            fastos.replace(path, path + ".1")  # renames the entry itself: rename never follows links
            fd = paths.open_private(path, flags)
        import traceback  # only on the error path: it imports re

        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        with open(fd, "a", encoding="utf-8") as handle:
            handle.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + " ".join(sys.argv[1:]) + "\n" + text)
    except Exception:
        pass
