"""Stand-ins for macOS's ``security`` and ``osascript``, put first on PATH, that answer as the real
tools do, so the darwin branches (``QUOTALINE_SIMULATE_PLATFORM=darwin``) run on Linux.

``security find-generic-password [-a ACCOUNT] [-s SERVICE] [-w]`` matches items exactly on the
attributes it is given (any account or service when that option is absent, as the real tool does),
prints the password with ``-w`` (in hex when it is not printable text) and exits 44 with the real
message when nothing matches, 36 when the keychain is locked. An item may answer late (``delay``
seconds). Every call is logged. ``osascript -e SCRIPT ARG...`` runs the one script quotaline sends
(``display notification (item 2 of argv) with title (item 1 of argv)``) and logs what it would show;
any other script is an error, as real AppleScript would not know our notification's text.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SECURITY = r'''
import json, os, sys, time
keychain = json.loads(open(os.environ["QUOTALINE_FAKE_KEYCHAIN"]).read())
with open(os.environ["QUOTALINE_FAKE_KEYCHAIN"] + ".log", "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
args = sys.argv[1:]
if not args or args[0] != "find-generic-password":
    sys.stderr.write("usage: security [-h] [-i] [-l] [-p prompt] [-q] [-v] [command] [opt ...]\n")
    sys.exit(2)
want, show, i = {}, False, 1
while i < len(args):
    opt = args[i]
    if opt in ("-a", "-s", "-l", "-c", "-C", "-D", "-G", "-j", "-r"):
        if i + 1 >= len(args):
            sys.stderr.write("security: find-generic-password: option requires an argument -- " + opt[1:] + "\n")
            sys.exit(2)
        want[opt] = args[i + 1]
        i += 2
    elif opt == "-w":
        show, i = True, i + 1
    elif opt == "-g":
        i += 1
    else:
        break  # a keychain path: the stand-in has one keychain
if keychain.get("locked"):
    sys.stderr.write("security: SecKeychainSearchCopyNext: User interaction is not allowed.\n")
    sys.exit(36)
for item in keychain["items"]:
    if want.get("-a", item["account"]) == item["account"] and want.get("-s", item["service"]) == item["service"]:
        time.sleep(item.get("delay", 0))
        if show:
            secret = item["password"]
            printable = all(" " <= c <= "~" for c in secret)
            sys.stdout.write((secret if printable else secret.encode().hex()) + "\n")
        else:
            sys.stdout.write('keychain: "/Users/x/Library/Keychains/login.keychain-db"\nclass: "genp"\n')
        sys.exit(0)
sys.stderr.write("security: SecKeychainSearchCopyNext: The specified item could not be found in the keychain.\n")
sys.exit(44)
'''

OSASCRIPT = r'''
import json, os, sys
SCRIPT = "on run argv\ndisplay notification (item 2 of argv) with title (item 1 of argv)\nend run"
args = sys.argv[1:]
if len(args) < 2 or args[0] != "-e":
    sys.stderr.write("usage: osascript [-l language] [-e script] [-i] [-s {ehso}] [programfile] [argument ...]\n")
    sys.exit(1)
with open(os.environ["QUOTALINE_FAKE_OSASCRIPT_LOG"], "a") as log:
    if args[1] != SCRIPT:
        log.write(json.dumps({"script": args[1], "argv": args[2:]}) + "\n")
        sys.stderr.write("execution error: the stand-in knows only quotaline's notification script (-2741)\n")
        sys.exit(1)
    argv = args[2:]
    log.write(json.dumps({"title": argv[0], "text": argv[1], "argv": argv}) + "\n")
'''


def install(bin_dir: Path, keychain: Path) -> dict[str, str]:
    """Writes both stand-ins into bin_dir; returns the environment that points them at keychain."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, body in (("security", SECURITY), ("osascript", OSASCRIPT)):
        tool = bin_dir / name
        tool.write_text(f"#!{sys.executable}\n{body}")
        tool.chmod(0o755)
    if not keychain.exists():
        write_keychain(keychain, [])
    return {
        "QUOTALINE_FAKE_KEYCHAIN": str(keychain),
        "QUOTALINE_FAKE_OSASCRIPT_LOG": str(bin_dir / "osascript.log"),
        "QUOTALINE_SIMULATE_PLATFORM": "darwin",
    }


def write_keychain(keychain: Path, items: list[dict[str, Any]], locked: bool = False) -> None:
    keychain.write_text(json.dumps({"items": items, "locked": locked}))


def calls(keychain: Path) -> list[list[str]]:
    log = Path(str(keychain) + ".log")
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
