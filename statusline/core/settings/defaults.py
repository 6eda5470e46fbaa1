"""Every setting and its default: the one place a reader looks up what can be configured.

Window selectors used in the ``rules`` lists: a window id (``five_hour``, ``seven_day:opus``),
``model`` (the weekly window of the session's model), ``alerts`` (any other window at or above the
warning level), ``extra`` (extra usage in money, when enabled) and ``!<window id>`` (leave that
window out, alerts included).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

# Templates (``template.py``): ``( ... )`` vanishes when its variables are empty.
WINDOW_TEMPLATE = "$label $pct( $reset)( $eta)"
EXTRA_TEMPLATE = "+$used(/$limit)( $state)"
WALL_TEMPLATE = "stopped: $name( · resets $resets_at)"  # the limit that stopped this session, until it resets

DEFAULTS: dict[str, Any] = {
    "levels": {"warn": 80.0, "critical": 95.0},
    "colors": True,
    "stale_after_minutes": 15.0,
    "statusline": {
        "windows": ["five_hour", "seven_day", "model", "alerts", "extra"],
        "template": WINDOW_TEMPLATE,
        "extra_template": EXTRA_TEMPLATE,
        "wall_template": WALL_TEMPLATE,
        "separator": " · ",
    },
    "segment": {
        "windows": ["five_hour", "seven_day", "model", "alerts", "extra"],
        "template": WINDOW_TEMPLATE,
        "extra_template": EXTRA_TEMPLATE,
        "wall_template": WALL_TEMPLATE,
        "separator": " · ",
    },
    "hook": {
        "enabled": True,
        "windows": ["five_hour", "seven_day", "model", "alerts"],
        "repeat": "level",
        "all_warnings": False,
        "block_at": 0.0,
        "forecast_minutes": 30.0,
        "briefing": False,
    },
    "notify": {
        "enabled": False,
        "windows": ["five_hour", "seven_day", "model", "alerts"],
        "forecast_minutes": 30.0,
    },
    "export": {
        "prometheus_textfile_dir": "",
        "account": "",
        "include_email": False,
        "pushgateway_url": "",
        "otlp": False,
        "otlp_endpoint": "",
        "otlp_protocol": "",
    },
    "refresh": {
        "interval_seconds": 300.0,
        "claude_json": True,
        "oauth": True,
        "claude_ai": False,
        "claude_ai_org": "",
        "user_agent": "",
    },
}

# Never copied into the config cache the hot path reads: it is a secret.
SECRET_KEYS = {("refresh", "claude_ai_session_key"), ("export", "otlp_headers")}
OTLP_PROTOCOLS = ("", "http/protobuf", "http/json", "grpc")  # "": as Claude Code's telemetry says

MIN_REFRESH_INTERVAL_S = 60.0
# At most a day: a longer one is read as a day, so that a refresh time further ahead than that is
# known to be wrong (a clock that jumped back, a planted file) and never stops refreshes for good.
MAX_REFRESH_INTERVAL_S = 86400.0


def is_number(value: Any) -> bool:
    """What a numeric setting may hold, from the file, the environment or the cache: a finite int or
    float (not a bool). ``inf`` would turn warnings off without a word, ``nan`` compares false."""
    return type(value) in (int, float) and value - value == 0  # False for inf and nan, without math


class Settings:
    """The settings a run reads: data of ``DEFAULTS``' shape, and the problems found on the way
    (``loader.load`` builds it; here so that pieces can name it without loading that)."""

    __slots__ = ("data", "problems")

    def __init__(self, data: dict[str, Any], problems: list[str]) -> None:
        self.data = data
        self.problems = problems

    def get(self, *keys: str) -> Any:
        value: Any = self.data
        for key in keys:
            value = value[key]
        return value


def refresh_interval(configured: float) -> float:
    """The refresh interval in use, from what the config or the environment says (any float)."""
    if configured != configured:  # NaN
        return DEFAULTS["refresh"]["interval_seconds"]  # type: ignore[no-any-return]
    return min(max(configured, MIN_REFRESH_INTERVAL_S), MAX_REFRESH_INTERVAL_S)
REPEAT_POLICIES = ("level", "every")

# Environment variables that override a setting: name -> (section, key) or (key,).
ENV_OVERRIDES: dict[str, tuple[str, ...]] = {
    "QUOTALINE_WARN_AT": ("levels", "warn"),
    "QUOTALINE_CRITICAL_AT": ("levels", "critical"),
    "QUOTALINE_COLORS": ("colors",),
    "QUOTALINE_STALE_AFTER_MINUTES": ("stale_after_minutes",),
    "QUOTALINE_STATUSLINE_TEMPLATE": ("statusline", "template"),
    "QUOTALINE_HOOK_REPEAT": ("hook", "repeat"),
    "QUOTALINE_ALL_WARNINGS": ("hook", "all_warnings"),
    "QUOTALINE_BLOCK_AT": ("hook", "block_at"),
    "QUOTALINE_FORECAST_MINUTES": ("hook", "forecast_minutes"),
    "QUOTALINE_BRIEFING": ("hook", "briefing"),
    "QUOTALINE_REFRESH_INTERVAL": ("refresh", "interval_seconds"),
    "QUOTALINE_OAUTH": ("refresh", "oauth"),
    "QUOTALINE_CLAUDE_JSON": ("refresh", "claude_json"),
    "QUOTALINE_CLAUDE_AI": ("refresh", "claude_ai"),
    "QUOTALINE_CLAUDE_AI_ORG": ("refresh", "claude_ai_org"),
    "QUOTALINE_USER_AGENT": ("refresh", "user_agent"),
    "QUOTALINE_NOTIFY": ("notify", "enabled"),
    "QUOTALINE_PROMETHEUS_TEXTFILE_DIR": ("export", "prometheus_textfile_dir"),
    "QUOTALINE_PUSHGATEWAY_URL": ("export", "pushgateway_url"),
    "QUOTALINE_OTLP": ("export", "otlp"),
    "QUOTALINE_OTLP_ENDPOINT": ("export", "otlp_endpoint"),
    "QUOTALINE_OTLP_PROTOCOL": ("export", "otlp_protocol"),
}


def clone(value: Any) -> Any:
    """Deep copy of plain JSON-like data (``copy`` costs imports the hot path avoids)."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def upgrade_template(text: str) -> str:
    """A window template written before optional groups, drawn as it was then.

    ``$eta`` carried its own leading space, so the old default ``$label $pct $reset$eta`` (which
    ``quotaline config init`` wrote into config files) would now run the two together.
    """
    return text.replace("$reset$eta", "$reset( $eta)")
