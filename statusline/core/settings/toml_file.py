"""The user's config file: parse, validate against the defaults, write a commented template.

Not on the hot path (imports tomllib); ``loader`` calls ``parse_file`` once per edit.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from statusline.core.draw import template
from statusline.core.draw.pieces.extra import VARIABLES as extra_vars
from statusline.core.draw.pieces.wall import VARIABLES as wall_vars
from statusline.core.draw.pieces.window import VARIABLES as window_vars
from statusline.core.settings.defaults import (
    DEFAULTS,
    MAX_REFRESH_INTERVAL_S,
    MIN_REFRESH_INTERVAL_S,
    OTLP_PROTOCOLS,
    REPEAT_POLICIES,
    SECRET_KEYS,
    clone,
    is_number,
)
from statusline.core.store import paths

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def parse_file(path: str) -> tuple[dict[str, Any], list[str]]:
    """Defaults overlaid with the file's valid settings, and a problem per invalid one."""
    try:
        raw = tomllib.loads(paths.read_file(path).decode())  # a FIFO must not hang us
    except paths.NotAFileError:
        return clone(DEFAULTS), ["not a regular file"]
    except tomllib.TOMLDecodeError as exc:
        return clone(DEFAULTS), [f"not valid TOML ({exc})"]
    except OSError as exc:
        return clone(DEFAULTS), [f"cannot read it: {exc.strerror}"]
    return validate(raw)


def validate(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    data = clone(DEFAULTS)
    problems: list[str] = []
    _overlay(data, raw, DEFAULTS, (), problems)
    _check_ranges(data, problems)
    return data, problems


def _overlay(
    target: dict[str, Any],
    raw: dict[str, Any],
    defaults: dict[str, Any],
    where: tuple[str, ...],
    problems: list[str],
) -> None:
    for key, value in raw.items():
        name = ".".join((*where, key))
        if (*where, key) in SECRET_KEYS:
            if isinstance(value, str):
                target[key] = value
            else:
                problems.append(f"{name} must be a string")
            continue
        if key not in defaults:
            problems.append(f"unknown setting {name}")
            continue
        default = defaults[key]
        if isinstance(default, dict):
            if isinstance(value, dict):
                _overlay(target[key], value, default, (*where, key), problems)
            else:
                problems.append(f"{name} must be a table")
            continue
        checked = _typed(value, default)
        if checked is None:
            problems.append(f"{name} must be {_kind(default)}, not {value!r}")
        else:
            target[key] = checked


def _typed(value: Any, default: Any) -> Any:
    if isinstance(default, bool):
        return value if isinstance(value, bool) else None
    if isinstance(default, float):
        return float(value) if is_number(value) else None
    if isinstance(default, list):
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return list(value) if ok else None
    return value if isinstance(value, str) else None


def _kind(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, float):
        return "a number"
    if isinstance(default, list):
        return "a list of strings"
    return "a string"


def _check_ranges(data: dict[str, Any], problems: list[str]) -> None:
    refresh = data["refresh"]
    if refresh["interval_seconds"] < MIN_REFRESH_INTERVAL_S:
        problems.append(f"refresh.interval_seconds is at least {MIN_REFRESH_INTERVAL_S:.0f}")
        refresh["interval_seconds"] = MIN_REFRESH_INTERVAL_S
    if refresh["interval_seconds"] > MAX_REFRESH_INTERVAL_S:
        problems.append(f"refresh.interval_seconds is at most {MAX_REFRESH_INTERVAL_S:.0f} (a day)")
        refresh["interval_seconds"] = MAX_REFRESH_INTERVAL_S
    if data["hook"]["repeat"] not in REPEAT_POLICIES:
        problems.append(f"hook.repeat must be one of {', '.join(REPEAT_POLICIES)}")
        data["hook"]["repeat"] = DEFAULTS["hook"]["repeat"]
    for surface in ("statusline", "segment"):
        for key, known in (("template", window_vars), ("extra_template", extra_vars), ("wall_template", wall_vars)):
            text = data[surface][key]
            bad = template.unknown(text, known)
            if bad:
                problems.append(f"{surface}.{key}: unknown " + ", ".join("$" + b for b in bad))
            if template.has_empty_group(text):
                problems.append(f"{surface}.{key}: a ( ... ) without a variable never shows (\\( is a parenthesis)")
    textfile_dir = data["export"]["prometheus_textfile_dir"].strip()
    if textfile_dir and not os.path.isabs(os.path.expanduser(textfile_dir)):
        problems.append("export.prometheus_textfile_dir must be an absolute path (or start with ~)")
        data["export"]["prometheus_textfile_dir"] = ""
    export = data["export"]
    for key in ("pushgateway_url", "otlp_endpoint"):
        url = export[key].strip()
        if url and not (url.startswith(("http://", "https://")) and len(url) > len("https://")):
            problems.append(f"export.{key} must be an http:// or https:// URL")
            export[key] = ""
    if export["otlp_protocol"] not in OTLP_PROTOCOLS:
        problems.append("export.otlp_protocol must be http/protobuf, http/json or grpc (or empty)")
        export["otlp_protocol"] = ""
    levels = data["levels"]
    if not 0 < levels["warn"] <= levels["critical"]:
        problems.append("levels: 0 < warn <= critical")
        data["levels"] = clone(DEFAULTS["levels"])


def public(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without secrets, safe to cache on disk."""
    out: dict[str, Any] = clone(data)
    for section, key in SECRET_KEYS:
        out.get(section, {}).pop(key, None)
    return out


TEMPLATE = """\
# quotaline configuration. Every key is optional; the values shown are the defaults.
# Environment variables override keys (QUOTALINE_WARN_AT, NO_COLOR, ...: see docs/configuration.md).

# Percent at which a window turns yellow (warn) and red (critical).
[levels]
warn = 80
critical = 95

# ANSI colours in the status line and segments (NO_COLOR=1 turns them off too).
# colors = true

# A number older than this is shown as stale (">=42%").
# stale_after_minutes = 15

# What the Claude Code status line shows. Window selectors: five_hour, seven_day,
# seven_day:opus (any window id), model (weekly window of the session's model),
# alerts (any other window at/over the warning level), extra (extra usage in money),
# !five_hour (never this window, not even as an alert).
# Window template variables: $label $pct (">=42%" when stale) $percent $reset (countdown)
# $resets_at (local time) $eta ("->100% in 38m" when it fills before the reset) $to_full
# $rate $at_reset $source $age $as_of $level $stale $name $id. A ( ... ) group vanishes
# when its variables are empty; \\$ \\( \\) write those characters.
# Extra usage: $used $limit $pct $currency $state ("out of credits"). The wall (the limit
# that stopped this session's turns, shown first until it resets): $name $window $resets_at $reset.
[statusline]
windows = ["five_hour", "seven_day", "model", "alerts", "extra"]
template = "$label $pct( $reset)( $eta)"
extra_template = "+$used(/$limit)( $state)"
wall_template = "stopped: $name( · resets $resets_at)"
separator = " · "

# `quotaline segment` (tmux, Starship, shell prompts).
[segment]
windows = ["five_hour", "seven_day", "model", "alerts", "extra"]
template = "$label $pct( $reset)( $eta)"
extra_template = "+$used(/$limit)( $state)"
wall_template = "stopped: $name( · resets $resets_at)"
separator = " · "

# The pre-prompt warning (UserPromptSubmit hook).
[hook]
enabled = true
windows = ["five_hour", "seven_day", "model", "alerts"]
# "level": warn again only when a window climbs a level or its period changes; "every": every prompt.
repeat = "level"
# Claude Code itself says "You've used 93% of your 5-hour limit" (5-hour >= 90%, weekly >= 75%,
# early in the window): quotaline then adds only what it does not say (pace, other windows, money,
# advice). true: every warning, those too.
all_warnings = false
# Block prompts (the prompt goes back to the input box) at this percent; 0 = never.
block_at = 0
# Warn when a window will hit 100% within this many minutes at the current pace.
forecast_minutes = 30
# Brief Claude itself (the model, not you): when a window that stops this session is at the
# critical level or will fill within forecast_minutes, one factual sentence goes with the prompt
# as context, and near the wall a request to finish the current step and note what remains.
# Once per level and period. Also QUOTALINE_BRIEFING=1.
briefing = false

# Desktop notifications from the background refresher (notify-send on Linux, osascript on
# macOS): once per level and period when a window crosses a level, or when it will hit 100%
# within forecast_minutes at the current pace. Also QUOTALINE_NOTIFY=1.
[notify]
enabled = false
windows = ["five_hour", "seven_day", "model", "alerts"]
forecast_minutes = 30

# Metrics for Prometheus: the refresher writes <dir>/quotaline.prom (node_exporter's textfile
# collector) after each refresh. Also QUOTALINE_PROMETHEUS_TEXTFILE_DIR.
[export]
prometheus_textfile_dir = ""   # e.g. "/var/lib/prometheus/node-exporter"; "" = off
account = ""                   # the account label; "" = the account's uuid from ~/.claude.json
include_email = false          # add the account's e-mail as a label (off: e-mails stay private)
# Pushed after each refresh, for laptops nobody scrapes (docs/metrics.md).
pushgateway_url = ""           # e.g. "https://pushgateway.example.com"; "" = off
otlp = false                   # OTLP metrics to Claude Code's telemetry endpoint (or otlp_endpoint)
otlp_endpoint = ""             # e.g. "http://collector:4318"; "" = Claude Code's OTEL_EXPORTER_OTLP_*
otlp_protocol = ""             # http/protobuf or http/json; "" = Claude Code's, else http/protobuf
# otlp_headers = "authorization=Bearer ..."   # for otlp_endpoint; or QUOTALINE_OTLP_HEADERS

# Where the numbers come from and how often the background refresher reads the server.
[refresh]
interval_seconds = 300   # at least 60
claude_json = true       # Claude Code's own cached copy in ~/.claude.json (local, free)
oauth = true             # GET https://api.anthropic.com/api/oauth/usage with Claude Code's token
claude_ai = false        # GET https://claude.ai/api/organizations/{org}/usage (needs a sessionKey)
claude_ai_org = ""       # organization uuid; found automatically when empty
# claude_ai_session_key = "sk-ant-sid01-..."   # or QUOTALINE_CLAUDE_AI_SESSION_KEY
user_agent = ""          # default: claude-code/<version last seen> (quotaline/<version>)
"""


def init(path: str | None = None, *, force: bool = False) -> tuple[str, bool]:
    """Write the commented default config; ``(path, written)``. Never overwrites unless forced."""
    path = path or paths.config_file()
    if os.path.lexists(path) and not force:
        return path, False
    paths.ensure_private_dir(os.path.dirname(path))
    fd = paths.open_private(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)  # a symlink there is replaced
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(TEMPLATE)
    return path, True
