"""The platform seam: every difference between Linux, macOS and Windows lives in this package,
beside the parts of :mod:`os` and :mod:`json` the hot path uses without their import cost
(``fastos``, ``fastjson``).

One name picks the platform once, at import, the way filelock and platformdirs do; callers ask
``system.NAME`` (or the helpers below) and never ``sys.platform`` or ``os.name`` themselves.

``QUOTALINE_SIMULATE_PLATFORM=darwin`` makes a POSIX machine take the macOS branches (the
Keychain, macOS paths, osascript), so that the test suite runs them on Linux against stand-ins of
``security`` and ``osascript`` that answer as the real tools do. It is ignored on Windows, and
it cannot make a POSIX machine take the Windows branches: those are tested on the official
Windows CPython (under Wine here).
"""

from __future__ import annotations

import sys

from statusline.core.system import fastos

_SIMULABLE = ("darwin", "linux")


def _name() -> str:
    if sys.platform == "win32":
        return "win32"
    simulated = fastos.getenv("QUOTALINE_SIMULATE_PLATFORM", "")
    return simulated if simulated in _SIMULABLE else sys.platform


NAME = _name()
ACTUAL = sys.platform  # what the machine is, for doctor to say when NAME is simulated
IS_WINDOWS = NAME == "win32"
IS_MACOS = NAME == "darwin"

if sys.platform == "win32":  # pragma: no cover - tests/windows runs this branch on the Windows CPython
    from statusline.core.system import _windows as _impl
else:  # spelled as sys.platform (IS_WINDOWS says the same) so that mypy checks each half on its own
    from statusline.core.system import _posix as _impl

APP = "quotaline"

# The primitives, one implementation per platform (see _posix.py and _windows.py).
home = _impl.home
HOME_HINT = _impl.HOME_HINT
lock = _impl.lock
unlock = _impl.unlock
alive = _impl.alive
read_within = _impl.read_within
utf8_output = _impl.utf8_output
start_detached = _impl.start_detached
read_credential = _impl.read_credential
fchmod = _impl.fchmod
fsync_dir = _impl.fsync_dir


class NoHome(OSError):
    """No usable home directory to put a per-user directory under."""


# The policy: where each kind of per-user directory lives, platformdirs' answer on each platform
# (``platformdirs.user_<kind>_dir("quotaline")``; tests/core/test_system.py and tests/windows
# compare them). kind: (XDG variable, default under the home on Linux, macOS folder).
_KINDS = {
    "state": ("XDG_STATE_HOME", ".local/state", "Library/Application Support"),
    "config": ("XDG_CONFIG_HOME", ".config", "Library/Application Support"),
    "data": ("XDG_DATA_HOME", ".local/share", "Library/Application Support"),
    "cache": ("XDG_CACHE_HOME", ".cache", "Library/Caches"),
}


def user_dir(kind: str) -> str:
    """quotaline's per-user directory of ``kind`` (state, config, data, cache); raises ``NoHome``.

    Linux: ``$XDG_*`` or its default under the home. macOS: ``$XDG_*`` too (platformdirs honours
    them there since 4.6), else ``~/Library/...``. Windows: the local application data folder,
    ``<author>\\<app>`` under it as platformdirs names it (no author given: the app's name twice),
    and the cache in a ``Cache`` folder of that."""
    xdg_var, linux_default, mac_folder = _KINDS[kind]
    if IS_WINDOWS:  # pragma: no cover
        base = _impl.local_appdata()
        if base is None:
            base = fastos.join(_home(), "AppData", "Local")
        path = fastos.join(base, APP, APP)
        return fastos.join(path, "Cache") if kind == "cache" else path
    base = _xdg(xdg_var)
    if not base:
        base = fastos.join(_home(), mac_folder if IS_MACOS else linux_default)
    return fastos.join(base, APP)


def _xdg(var: str) -> str:
    """``$var`` when it is an absolute path (relative values are ignored, as the XDG spec says)."""
    value = fastos.expanduser(fastos.getenv(var, "").strip())
    return value if fastos.isabs(value) else ""


def _home() -> str:
    found = home()
    if found is None:
        raise NoHome(HOME_HINT)
    return found
