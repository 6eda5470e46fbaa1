"""Where the ledger keeps its files, and how it writes them (private, atomic)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from statusline.core.store import paths


def ledger_dir(state_dir: Path | None = None) -> Path:
    """``<user_state_dir>/ledger`` (0700), or ``state_dir`` itself when given (tests)."""
    path = Path(state_dir) if state_dir is not None else Path(paths.state_dir()) / "ledger"
    paths.ensure_private_dir(str(path))  # ours and closed to others, or DirError
    return path


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Readers never lock: they see the old file or the new one, never half of one; and durable (a
    power cut leaves the old file or the new one, never an empty one under the new name)."""
    paths.replace_file(str(path), data, durable=True)


def write_json_atomic(path: Path, data: Any) -> None:
    write_bytes_atomic(path, json.dumps(data, separators=(",", ":")).encode())


def read_json(path: Path) -> Any:
    """The document, or None when missing or unreadable (it is rebuilt, never trusted blindly)."""
    try:
        return json.loads(paths.read_file(str(path)))  # a FIFO there would hang report and refresh
    except (OSError, ValueError):
        return None
