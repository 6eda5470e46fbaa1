"""Settings for the hot path: defaults, the user's TOML (through a JSON cache), then the environment.

Parsing TOML costs slow imports (docs/import-costs.md), so the parsed, validated config is cached as JSON beside
the snapshot, keyed by the TOML file's size and mtime; only the first run after an edit parses.
A broken config never breaks the status line: defaults stand and ``problems`` say why.
"""

from __future__ import annotations

from statusline.core.settings.defaults import DEFAULTS, ENV_OVERRIDES, Settings, clone, is_number
from statusline.core.store import paths
from statusline.core.system import fastjson, fastos

__all__ = ["Settings", "load"]

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any


def cache_path() -> str:
    return fastos.join(paths.state_dir(), "config-cache.json")


def load() -> Settings:
    """Never raises."""
    data, problems = _from_file()
    problems = problems + apply_env(data, fastos.env)
    return Settings(data, problems)


def _from_file() -> tuple[dict[str, Any], list[str]]:
    try:
        source = paths.config_file()
        st = fastos.stat(source)
    except FileNotFoundError:
        return clone(DEFAULTS), []
    except paths.DirError:  # no home and no override: there is no config to find
        return clone(DEFAULTS), []
    except OSError as exc:
        return clone(DEFAULTS), [f"cannot read {source}: {exc.strerror}"]
    try:  # a config others can write could turn warnings off or point the refresher elsewhere
        _check_config(source, st)
    except paths.DirError as exc:
        return clone(DEFAULTS), [str(exc)]
    key = [source, st.st_size, st.st_mtime_ns]
    cached = _read_cache()
    if cached is not None and cached.get("key") == key:
        data, problems = cached.get("config"), cached.get("problems")
        if isinstance(data, dict) and conforms(data, DEFAULTS) and isinstance(problems, list):
            return data, [str(p) for p in problems]
        # A cache of the wrong shape (a bug, an older version, a bit flip) is parsed again.
    try:
        from statusline.core.settings import toml_file  # tomllib: slow, once per edit

        data, problems = toml_file.parse_file(source)
    except Exception as exc:  # a config bug must not cost the user their status line
        return clone(DEFAULTS), [f"config error: {exc}"]
    _write_cache({"key": key, "config": toml_file.public(data), "problems": problems})
    return data, problems


def _check_config(source: str, st: fastos.stat_result) -> None:
    paths.check_dir(fastos.dirname(source))
    if st.st_mode & 0o170000 != 0o100000:  # a FIFO would hang every status line on open
        raise paths.DirError(f"{source} is not a regular file: ignored; replace it with one")
    uid = fastos.geteuid() if hasattr(fastos, "geteuid") else st.st_uid
    if st.st_uid != uid or st.st_mode & 0o022:
        raise paths.DirError(
            f"{source} is writable by others or not yours (uid {st.st_uid}, mode {st.st_mode & 0o777:o}): "
            f"ignored; check it, then chown it to yourself and chmod 600 {source}"
        )


def _read_cache() -> dict[str, Any] | None:
    try:
        fd = paths.open_private(cache_path(), fastos.O_RDONLY)  # not through a link, nor from a stranger
        with open(fd, "rb") as handle:
            value = fastjson.loads(handle.read())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _write_cache(value: dict[str, Any]) -> None:
    try:
        path = cache_path()  # the checked state dir: raises DirError when it is not safe
        tmp = paths.temp_name(path)
        fd = paths.open_private(tmp, fastos.O_WRONLY | fastos.O_CREAT | fastos.O_EXCL)
        with open(fd, "w", encoding="utf-8") as handle:
            handle.write(fastjson.dumps(value))
        fastos.replace(tmp, path)
    except OSError:
        pass


def conforms(value: Any, default: Any) -> bool:
    """``value`` has every key of ``default``, each of the default's type (a number for a float)."""
    if isinstance(default, dict):
        return isinstance(value, dict) and all(k in value and conforms(value[k], d) for k, d in default.items())
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return is_number(value)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, type(default))


def apply_env(data: dict[str, Any], environ: Any) -> list[str]:
    """Apply ``QUOTALINE_*`` overrides in place; returns problems for values of the wrong type."""
    problems: list[str] = []
    for name, keys in ENV_OVERRIDES.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        default: Any = DEFAULTS
        for key in keys:
            default = default[key]
        value = coerce(raw, default)
        if value is None:
            problems.append(f"{name}={raw!r} is not a valid {type(default).__name__}")
            continue
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    if environ.get("NO_COLOR"):
        data["colors"] = False
    return problems


def coerce(raw: str, default: Any) -> Any:
    """``raw`` (from the environment) as the type of ``default``, or None."""
    text = raw.strip()
    if isinstance(default, bool):
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        return None
    if isinstance(default, float):
        try:
            number = float(text)
        except ValueError:
            return None
        return number if is_number(number) else None
    return text
