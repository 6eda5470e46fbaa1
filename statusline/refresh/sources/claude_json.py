"""Claude Code's own cached usage payload in ``.claude.json``: free, local, no network."""

from __future__ import annotations

import json
import os
from typing import Any

from statusline.core.store import paths
from statusline.refresh.usage_payload import UsageReading, parse_usage


def claude_json_path() -> str:
    """``$CLAUDE_CONFIG_DIR/.claude.json`` when set, else ``~/.claude.json``."""
    if os.environ.get("CLAUDE_CONFIG_DIR", "").strip():
        return os.path.join(paths.claude_config_dir(), ".claude.json")
    return os.path.join(os.path.expanduser("~"), ".claude.json")


def load() -> dict[str, Any] | None:
    try:
        data = json.loads(paths.read_file(claude_json_path()))  # a FIFO must not hang us
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def account_uuid(data: dict[str, Any] | None) -> str | None:
    account = data.get("oauthAccount") if data else None
    uuid = account.get("accountUuid") if isinstance(account, dict) else None
    return uuid if isinstance(uuid, str) and uuid else None


def single_seat_team(data: dict[str, Any] | None) -> bool | None:
    """``oauthAccount.singleSeatTeam`` (Claude Code copies it from the profile's organization): a
    team of one, whose organisation total is that member's own."""
    account = data.get("oauthAccount") if data else None
    value = account.get("singleSeatTeam") if isinstance(account, dict) else None
    return value if isinstance(value, bool) else None


def reading(data: dict[str, Any] | None, current_account: str | None, plan: str | None = None) -> UsageReading | None:
    """The cached payload, when present and of the current account (``plan``: whose money, see
    ``usage_payload.parse_usage``)."""
    cached = data.get("cachedUsageUtilization") if data else None
    if not isinstance(cached, dict):
        return None
    owner = cached.get("accountUuid")
    if current_account and isinstance(owner, str) and owner != current_account:
        return None  # another account's numbers
    fetched = cached.get("fetchedAtMs")
    if not isinstance(fetched, (int, float)) or isinstance(fetched, bool):
        return None
    payload = cached.get("utilization")
    if not isinstance(payload, dict):
        return None
    return parse_usage(
        payload, source="claude_json", observed_at=float(fetched) / 1000, plan=plan, single_seat=single_seat_team(data)
    )
