"""Where the ledger keeps its files, and how it writes them (private, atomic)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from statusline.core import system
from statusline.core.store import paths


def ledger_dir(state_dir: Path | None = None) -> Path:
    """``<user_state_dir>/ledger`` (0700), or ``state_dir`` itself when given (tests)."""
    path = Path(state_dir) if state_dir is not None else Path(paths.state_dir()) / "ledger"
    paths.ensure_private_dir(str(path))  # ours and closed to others, or DirError
    return path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Readers never lock: they see the old file or the new one, never half of one. On disk (the
    file, then the directory's entry) before and after the replace: a power cut leaves the old file
    or the new one, never an empty one under the new name."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        system.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    system.fsync_dir(str(path.parent))


def write_json_atomic(path: Path, data: Any) -> None:
    write_bytes_atomic(path, json.dumps(data, separators=(",", ":")).encode())


def read_json(path: Path) -> Any:
    """The document, or None when missing or unreadable (it is rebuilt, never trusted blindly)."""
    try:
        return json.loads(paths.read_file(str(path)))  # a FIFO there would hang report and refresh
    except (OSError, ValueError):
        return None
