"""``quotaline version``."""

from __future__ import annotations

from statusline import __version__


def run() -> int:
    print(f"quotaline {__version__}")
    return 0
