"""Reading what Claude Code pipes in, without ever hanging on a terminal or an open pipe."""

from __future__ import annotations

import os
import sys
import time

MAX_BYTES = 1 << 20
WAIT_S = 1.5


def read_all() -> bytes:
    """Everything on stdin up to EOF, ``MAX_BYTES`` or ``WAIT_S``; empty for a terminal."""
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return b""
    if os.isatty(fd):
        return b""
    import select

    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + WAIT_S
    while size < MAX_BYTES:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            ready, _, _ = select.select([fd], [], [], left)
        except (OSError, ValueError):
            break
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
