"""Helpers for refresher tests: fixtures with reset times moved into the future."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta
from typing import Any

from helpers.cli import FIXTURES

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)?$")


def _walk_times(value: Any, out: list[datetime], key: str = "") -> None:
    """The reset times in ``value`` (keys such as ``resets_at``): a body also carries times in the
    past (a breakdown's ``window_started_at``, a grant's ``starts_at``), which are not resets."""
    if isinstance(value, dict):
        for k, v in value.items():
            _walk_times(v, out, k)
    elif isinstance(value, list):
        for v in value:
            _walk_times(v, out, key)
    elif isinstance(value, str) and ISO.match(value) and "reset" in key:
        out.append(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _shift(value: Any, delta: timedelta) -> Any:
    if isinstance(value, dict):
        return {k: _shift(v, delta) for k, v in value.items()}
    if isinstance(value, list):
        return [_shift(v, delta) for v in value]
    if isinstance(value, str) and ISO.match(value):
        return (datetime.fromisoformat(value.replace("Z", "+00:00")) + delta).isoformat()
    return value


def live_fixture(name: str, first_reset_in: float = 3600) -> tuple[dict[str, Any], timedelta]:
    """The fixture with every timestamp shifted so its earliest reset lies ``first_reset_in`` ahead."""
    data = json.loads((FIXTURES / "usage" / name).read_text())
    times: list[datetime] = []
    _walk_times(data, times)
    if not times:
        return data, timedelta(0)
    delta = timedelta(seconds=time.time() + first_reset_in - min(t.timestamp() for t in times))
    return _shift(data, delta), delta



def hostile_usage(text: str, *, five: float = 42, first_reset_in: float = 3600) -> dict[str, Any]:
    """A real usage reply whose free-text fields that a line shows carry ``text``: a code-named
    window's key (its label) and a scoped limit's surface display name, both at an alert level;
    the 5-hour window at ``five`` percent."""
    data, _ = live_fixture("oauth_2025-11_legacy_minimal.json", first_reset_in=first_reset_in)
    data["five_hour"]["utilization"] = five
    reset = data["seven_day"]["resets_at"]
    data[text] = {"utilization": 96.0, "resets_at": reset}
    data["limits"] = [{
        "kind": "weekly_scoped", "group": "weekly", "percent": 97, "severity": "warning", "resets_at": reset,
        "scope": {"model": None, "surface": {"key": "wharf", "display_name": text}}, "is_active": True,
    }]  # fmt: skip
    return data
