"""Desktop notifications, sent: ``notify-send`` (libnotify) on Linux, ``osascript`` on macOS, a
PowerShell toast on Windows.

One name picks the platform (``sender``); doctor asks it too. The text goes as arguments, never
through a shell or an AppleScript string; PowerShell gets it as single-quoted literals inside an
``-EncodedCommand`` (no argument of PowerShell's is ever parsed as code but the script itself).
"""

from __future__ import annotations

import base64
import shutil
import subprocess

from statusline.core import system
from statusline.core.draw.bars import pango
from statusline.core.draw.textsafe import clean
from statusline.core.warn.before_prompt import Alert
from statusline.core.window import levels

TITLE = "quotaline"
SEND_TIMEOUT_S = 5.0
# AppleScript reads the title and text from its arguments: nothing in them is code.
APPLESCRIPT = "on run argv\ndisplay notification (item 2 of argv) with title (item 1 of argv)\nend run"
# Windows PowerShell's own app id: a toast needs a registered one to show.
POWERSHELL_APP_ID = "{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\\WindowsPowerShell\\v1.0\\powershell.exe"
TOAST = (
    "$m = [Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime]\n"
    "$x = $m::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02)\n"
    "$t = $x.GetElementsByTagName('text')\n"
    "$null = $t.Item(0).AppendChild($x.CreateTextNode({title}))\n"
    "$null = $t.Item(1).AppendChild($x.CreateTextNode({body}))\n"
    "$m::CreateToastNotifier({app}).Show([Windows.UI.Notifications.ToastNotification]::new($x))\n"
)
# Every character PowerShell reads as a single quote (it accepts the typographic ones too).
_PS_QUOTES = "'\u2018\u2019\u201a\u201b"


NOT_FOUND = "powershell not found" if system.IS_WINDOWS else "neither notify-send nor osascript found"
# What doctor says is missing, with where to get it.
NOT_FOUND_HINT = (
    "powershell.exe not found (Windows PowerShell shows the toasts)"
    if system.IS_WINDOWS
    else "neither notify-send (Debian/Ubuntu: libnotify-bin) nor osascript found"
)


def sender() -> tuple[str, str] | None:
    """``(kind, path)`` of the notifier this machine has: ("notify-send", ...) or ("osascript", ...)."""
    if system.IS_WINDOWS:
        order: tuple[str, ...] = ("powershell",)
    elif system.IS_MACOS:
        order = ("osascript", "notify-send")
    else:
        order = ("notify-send", "osascript")
    for name in order:
        path = shutil.which(name)
        if path:
            return name, path
    return None


def ps_literal(text: str) -> str:
    """``text`` as a PowerShell single-quoted string: nothing inside one is expanded."""
    return "'" + "".join(c + c if c in _PS_QUOTES else c for c in text) + "'"


def argv(alert: Alert, found: tuple[str, str]) -> list[str]:
    kind, path = found
    if kind == "powershell":
        body, app = ps_literal(clean(alert.text)), ps_literal(POWERSHELL_APP_ID)
        script = TOAST.format(title=ps_literal(TITLE), body=body, app=app)
        encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
        return [path, "-NoProfile", "-NonInteractive", "-WindowStyle", "Hidden", "-EncodedCommand", encoded]
    if kind == "osascript":
        # The first argument after the script ends osascript's options: TITLE is never one.
        return [path, "-e", APPLESCRIPT, TITLE, clean(alert.text)]
    urgency = "critical" if alert.level >= levels.CRITICAL else "normal"
    # Notification servers read the body as (Pango-like) markup: a label's "<" must stay text; and
    # "--" ends the options, so a text starting with "-" is never taken for one.
    return [path, f"--urgency={urgency}", "--app-name=quotaline", "--", TITLE, pango(alert.text)]


def send(alerts: list[Alert]) -> list[str]:
    """Sends each; returns why any could not be sent (never raises: a notification is a courtesy)."""
    if not alerts:
        return []
    found = sender()
    if found is None:
        return [NOT_FOUND]
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
