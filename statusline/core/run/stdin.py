"""Reading what Claude Code pipes in, without ever hanging on a terminal or an open pipe.

Claude Code writes one JSON object and closes the pipe, but nothing guarantees the close comes
soon (a wrapper may keep the pipe open, a busy Node event loop writes a big payload in bursts).
So reading stops at whichever comes first: EOF, a complete JSON object, ``MAX_BYTES``, or the
caller's time budget. A JSON object is self-delimiting: once the bytes so far parse as one,
nothing that follows can be part of it, so there is no reason to wait a moment longer.
"""

from __future__ import annotations

import sys
import time

from statusline.core import system
from statusline.core.system import fastjson, fastos

# Claude Code's payload is a few KiB today and may grow (a hook's stdin carries the whole prompt,
# which a user can paste megabytes into). 8 MiB reads and parses well inside the budget (docs/import-costs.md), so even
# the last parse attempt at the deadline stays inside the budget; beyond it the run gives up on
# stdin and draws from the snapshot alone.
MAX_BYTES = 8 << 20
# The status line's whole run must stay well under a second (Claude Code redraws ~0.3 s after a
# turn and cancels a run still in flight): 0.4 s of reading + ~0.1 s of start-up and drawing.
# A hook may take longer (its timeout is 5 s) but blocks the prompt, so 1.5 s leaves room for a
# loaded machine without the user ever meeting the timeout.
STATUSLINE_S = 0.4
HOOK_S = 1.5
# A parse attempt costs time per MiB (docs/import-costs.md). Up to this size every chunk ending in "}" is tried;
# past it, only once the pipe has been quiet for _QUIET_S, so a big payload arriving in thousands
# of small writes is parsed about once, not once per chunk (O(n), not O(n^2)).
_CHEAP_PARSE = 256 << 10
_QUIET_S = 0.02
_SPACE = b" \t\r\n"


def read_all(budget: float = STATUSLINE_S) -> bytes:
    """Everything on stdin up to EOF, a complete JSON object, ``MAX_BYTES`` or ``budget`` seconds.

    Empty for a terminal. Never raises, never blocks longer than ``budget``.
    """
    try:
        fd = sys.stdin.fileno()
        if fastos.isatty(fd):
            return b""
    except (AttributeError, ValueError, OSError):
        return b""
    chunks: list[bytes] = []
    size = 0
    tried_at = -1  # buffer size at the last failed parse attempt
    ends_in_brace = False
    deadline = time.monotonic() + budget
    chunk = system.read_within(fd, 0.0)  # Claude Code has usually written everything by now: no wait
    while size < MAX_BYTES:
        if chunk is None:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            chunk = system.read_within(fd, left)  # the platform's wait (select, or a pipe peeked at)
            if chunk is None:
                break
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        tail = chunk.rstrip(_SPACE)
        chunk = None
        if tail:
            ends_in_brace = tail[-1:] == b"}"
        if not ends_in_brace:
            continue
        if size > _CHEAP_PARSE:
            chunk = system.read_within(fd, min(_QUIET_S, max(0.0, deadline - time.monotonic())))
            if chunk is not None:
                continue  # more is coming: a big buffer is parsed once the writer pauses
        data = b"".join(chunks)
        chunks = [data]
        if _is_object(data):
            return data
        tried_at = size
    # Out of time or room: what arrived is not a whole object (an incomplete one ends elsewhere or
    # failed to parse just now), so the run draws from the snapshot alone.
    if ends_in_brace and tried_at != size and size < MAX_BYTES:
        data = b"".join(chunks)
        return data if _is_object(data) else b""
    return b""


def _is_object(data: bytes) -> bool:
    try:
        return isinstance(fastjson.loads(data), dict)
    except Exception:  # a truncated document can make _json raise more than ValueError
        return False
