"""Where quotaline keeps its files, by platformdirs' rules, without importing platformdirs.

The status line cannot afford platformdirs' import (~20 ms); ``tests/test_paths.py`` proves these
functions and platformdirs agree. ``QUOTALINE_STATE_DIR`` / ``QUOTALINE_CONFIG_DIR`` override.
"""

from __future__ import annotations

import os
import sys
import zlib

APP = "quotaline"


def _home(sub: str) -> str:
    return os.path.join(os.path.expanduser("~"), sub)


def _xdg(var: str, default: str) -> str:
    value = os.environ.get(var, "").strip()
    return value if value else _home(default)


def _user_dir(override: str, xdg_var: str, xdg_default: str) -> str:
    value = os.environ.get(override, "").strip() if override else ""
    if value:
        return value
    if sys.platform == "darwin":  # platformdirs puts state, config and data together here
        return os.path.join(_home("Library/Application Support"), APP)
    if sys.platform == "win32":  # pragma: no cover
        return os.path.join(os.environ.get("LOCALAPPDATA", _home("AppData/Local")), APP, APP)
    return os.path.join(_xdg(xdg_var, xdg_default), APP)


def user_state_dir() -> str:
    return _user_dir("QUOTALINE_STATE_DIR", "XDG_STATE_HOME", ".local/state")


def user_config_dir() -> str:
    return _user_dir("QUOTALINE_CONFIG_DIR", "XDG_CONFIG_HOME", ".config")


def user_data_dir() -> str:
    return _user_dir("", "XDG_DATA_HOME", ".local/share")


def claude_config_dir() -> str:
    """Claude Code's config dir: ``$CLAUDE_CONFIG_DIR`` or ``~/.claude``."""
    value = os.environ.get("CLAUDE_CONFIG_DIR", "").strip()
    return os.path.abspath(os.path.expanduser(value)) if value else _home(".claude")


def account_key(claude_dir: str) -> str:
    """Snapshot key: one snapshot per Claude config dir (one account at a time lives there)."""
    if claude_dir == _home(".claude"):
        return "default"
    return f"cfg-{zlib.crc32(claude_dir.encode('utf-8', 'surrogateescape')):08x}"


def snapshot_path(claude_dir: str | None = None) -> str:
    claude_dir = claude_dir or claude_config_dir()
    return os.path.join(user_state_dir(), f"snapshot-{account_key(claude_dir)}.json")


def config_file() -> str:
    return os.path.join(user_config_dir(), "config.toml")


def ensure_private_dir(path: str) -> None:
    """Create ``path`` (0700) if missing; tighten it if it is ours and too open."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError:
        pass
