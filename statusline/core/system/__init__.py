"""The platform seam: every difference between Linux, macOS and Windows lives in this package.

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

from statusline.core import fastos

_SIMULABLE = ("darwin", "linux")


def _name() -> str:
    if sys.platform == "win32":
        return "win32"
    simulated = fastos.getenv("QUOTALINE_SIMULATE_PLATFORM", "")
    return simulated if simulated in _SIMULABLE else sys.platform


NAME = _name()
IS_WINDOWS = NAME == "win32"
IS_MACOS = NAME == "darwin"
