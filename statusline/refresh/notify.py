"""Desktop notifications, sent: ``notify-send`` (libnotify) on Linux, ``osascript`` on macOS.

One name picks the platform (``sender``); doctor asks it too. The text goes as arguments, never
through a shell or an AppleScript string.
"""

from __future__ import annotations

import shutil
import subprocess

from statusline.core import levels, system
from statusline.core.bars import pango
from statusline.core.textsafe import clean
from statusline.core.warn import Alert

TITLE = "quotaline"
SEND_TIMEOUT_S = 5.0
# AppleScript reads the title and text from its arguments: nothing in them is code.
APPLESCRIPT = "on run argv\ndisplay notification (item 2 of argv) with title (item 1 of argv)\nend run"


def sender() -> tuple[str, str] | None:
    """``(kind, path)`` of the notifier this machine has: ("notify-send", ...) or ("osascript", ...)."""
    order = ("osascript", "notify-send") if system.IS_MACOS else ("notify-send", "osascript")
    for name in order:
        path = shutil.which(name)
        if path:
            return name, path
    return None


def argv(alert: Alert, found: tuple[str, str]) -> list[str]:
    kind, path = found
    if kind == "osascript":
        return [path, "-e", APPLESCRIPT, TITLE, clean(alert.text)]
    urgency = "critical" if alert.level >= levels.CRITICAL else "normal"
    # Notification servers read the body as (Pango-like) markup: a label's "<" must stay text.
    return [path, f"--urgency={urgency}", "--app-name=quotaline", TITLE, pango(alert.text)]


def send(alerts: list[Alert]) -> list[str]:
    """Sends each; returns why any could not be sent (never raises: a notification is a courtesy)."""
    if not alerts:
        return []
    found = sender()
    if found is None:
        return ["neither notify-send nor osascript found"]
    problems: list[str] = []
    for alert in alerts:
        try:
            done = subprocess.run(argv(alert, found), capture_output=True, timeout=SEND_TIMEOUT_S, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append(f"{found[0]}: {type(exc).__name__}")
            continue
        if done.returncode != 0:
            problems.append(f"{found[0]} exited {done.returncode}")
    return problems
