"""Transcript lines as Claude Code writes them, and a way to find the pinned ccusage."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

CCUSAGE_VERSION = "20.0.24"
CCUSAGE_INSTALL = (
    f"npm install --prefix $HOME/.cache/quotaline-e2e/ccusage ccusage@{CCUSAGE_VERSION}"
)


def iso(t: float) -> str:
    """JavaScript's toISOString(): what Claude Code writes."""
    ms = round(t * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def asst(
    mid: str | None,
    rid: str | None,
    *,
    ts: float,
    model: str | None = "claude-opus-4-6",
    inp: int = 1,
    out: int = 1,
    cc: int = 0,
    cr: int = 0,
    session: str | None = "s1",
    side: bool = False,
    cwd: str = "/work/p1",
    content: Any = None,
    **extra: Any,
) -> str:
    message: dict[str, Any] = {"type": "message", "role": "assistant"}
    if model is not None:
        message["model"] = model
    if mid is not None:
        message["id"] = mid
    message["content"] = content if content is not None else [{"type": "text", "text": "ok"}]
    message["stop_reason"] = None
    message["usage"] = {
        "input_tokens": inp,
        "cache_creation_input_tokens": cc,
        "cache_read_input_tokens": cr,
        "output_tokens": out,
        "service_tier": "standard",
    }
    line: dict[str, Any] = {"parentUuid": None, "isSidechain": side, "userType": "external", "cwd": cwd}
    if session is not None:
        line["sessionId"] = session
    line["version"] = "2.1.330"
    if rid is not None:
        line["requestId"] = rid
    line.update({"type": "assistant", "uuid": f"u-{mid}-{out}", "timestamp": iso(ts), "message": message})
    for key, value in extra.items():
        if value is ...:
            line.pop(key, None)
        else:
            line[key] = value
    return json.dumps(line, separators=(",", ":"))


def prompt(text: str, *, ts: float, session: str = "s1", uuid: str, cwd: str = "/work/p1", **extra: Any) -> str:
    line: dict[str, Any] = {
        "parentUuid": None, "isSidechain": False, "userType": "external", "cwd": cwd, "sessionId": session,
        "version": "2.1.330", "type": "user", "message": {"role": "user", "content": text}, "uuid": uuid,
        "timestamp": iso(ts),
    }
    line.update(extra)
    return json.dumps(line, separators=(",", ":"))


def tool_result(*, ts: float, session: str = "s1", size: int = 200) -> str:
    body = "x" * size
    return json.dumps({
        "type": "user", "sessionId": session, "timestamp": iso(ts), "uuid": f"tr-{ts}",
        "message": {"role": "user", "content": [{"tool_use_id": "toolu_1", "type": "tool_result", "content": body}]},
        "toolUseResult": {"stdout": body, "usage": {"input_tokens": 5}},
    }, separators=(",", ":"))


def write(path: Path, lines: list[str | bytes], *, mode: str = "ab", newline: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode) as fh:
        for i, line in enumerate(lines):
            data = line if isinstance(line, bytes) else line.encode()
            last = i == len(lines) - 1
            fh.write(data + (b"\n" if newline or not last else b""))


def ccusage_bin() -> str | None:
    configured = os.environ.get("QUOTALINE_CCUSAGE")
    if configured:
        return configured if shutil.which(configured) or os.path.exists(configured) else None
    default = Path.home() / ".cache/quotaline-e2e/ccusage/node_modules/.bin/ccusage"
    if default.exists() and shutil.which("node"):
        return str(default)
    return None
