"""``quotaline doctor``: check and explain everything that can be wrong, one line per finding."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from statusline.core import system
from statusline.core.draw import formats, status_json
from statusline.core.draw.textsafe import clean
from statusline.core.settings import loader
from statusline.core.settings.defaults import ENV_OVERRIDES
from statusline.core.store import paths, snapshot
from statusline.core.window import levels
from statusline.refresh import credentials

OK, WARN, FAIL = "ok", "warn", "FAIL"
Finding = tuple[str, str, str]  # (status, topic, explanation)


def check_platform() -> list[Finding]:
    """Which platform, Python and credential store this run found (what a bug report needs first)."""
    name = {"darwin": "macOS", "linux": "Linux", "win32": "Windows"}.get(system.NAME, system.NAME)
    if system.ACTUAL != system.NAME:
        name += f" (simulated on {system.ACTUAL}: QUOTALINE_SIMULATE_PLATFORM)"
    store = credentials.store()
    if os.environ.get("CLAUDE_CODE_OAUTH_TOKEN", "").strip():
        store = f"CLAUDE_CODE_OAUTH_TOKEN (before Claude Code's {store})"
    elif system.IS_MACOS:
        store += f": Keychain item {credentials.keychain_service()!r} (account {credentials.keychain_account()!r})"
        store += f", then {paths.credentials_file()}"
    elif system.IS_WINDOWS:
        switch = credentials.credman_switch()
        if switch:
            store += f" (on: {switch}): generic credential {credentials.credman_target()!r}"
            store += f" (and its chunks #m, #0..), then {paths.credentials_file()}"
        else:
            store += f": {paths.credentials_file()} (Claude Code's Credential Manager store is off: neither "
            store += f"{credentials.CREDMAN_FORCE}=1 nor the cached flag {credentials.CREDMAN_FLAG})"
    else:
        store += f": {paths.credentials_file()}"
    python = f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"
    return [(OK, "platform", f"{name}; {python}"), (OK, "platform", f"credential store {store}")]


def check_credentials() -> list[Finding]:
    cred, why = credentials.load()
    out = _check_credman()
    if cred is None:
        return [*out, (WARN, "credentials", why + " (the status line still shows what Claude Code passes it)")]
    out.append((OK, "credentials", f"found in {cred.source} (never stored or shown by quotaline)"))
    if cred.expires_at is not None:
        left = cred.expires_at - time.time()
        if left <= 0:
            out.append((WARN, "credentials", "the token has expired: run claude to refresh it"))
        else:
            out.append((OK, "credentials", f"token valid for {formats.format_duration(left)}"))
    if cred.scopes and "user:profile" not in cred.scopes:
        out.append(
            (WARN, "credentials", "token lacks the user:profile scope (setup-token?): the usage endpoint answers 403")
        )
    return out


def _check_credman() -> list[Finding]:
    """On Windows with Claude Code's Credential Manager store on: what could not be read there, and
    why (Claude Code, and quotaline, read the credentials file then)."""
    if not system.IS_WINDOWS or os.environ.get("CLAUDE_CODE_OAUTH_TOKEN", "").strip():
        return []
    if not credentials.credman_switch():
        return []
    answered, _, why = credentials.from_credman()
    if answered:
        return []
    status = OK if why.startswith("no ") else WARN
    return [(status, "credentials", f"{why}: the credentials file is read instead, as Claude Code does")]


_DIR_CONSEQUENCE = {
    "state dir": "the status line shows stdin's numbers alone (marked !dir), the hook is silent, no refresh runs",
    "config dir": "the config is ignored: defaults (marked !cfg)",
    "ledger dir": "the local token ledger is not updated",
}


def check_dirs() -> list[Finding]:
    """quotaline's dirs: ours and closed to others, or what happens until they are."""
    out: list[Finding] = []
    dirs: list[tuple[str, Callable[[], str]]] = [
        ("state dir", paths.state_dir),  # the gate itself: creates it when missing
        ("config dir", paths.user_config_dir),
        ("ledger dir", lambda: os.path.join(paths.user_state_dir(), "ledger")),
    ]
    for topic, where in dirs:
        try:
            path = where()
            if not os.path.exists(path):
                continue  # created private when first needed
            paths.check_dir(path)
        except paths.DirError as exc:
            out.append((FAIL, "dirs", f"{topic}: {exc}; until then {_DIR_CONSEQUENCE[topic]}"))
            if topic == "state dir":
                break  # the ledger dir lives inside it
            continue
        out.append((OK, "dirs", f"{topic} {path}: yours, closed to others"))
    return out


def check_snapshot() -> list[Finding]:
    try:
        path = paths.snapshot_path()
    except paths.DirError:
        return []  # check_dirs said why
    if not os.path.exists(path):
        return [(WARN, "snapshot", f"{path} does not exist yet: run Claude Code once, or `quotaline refresh`")]
    out: list[Finding] = []
    mode = os.stat(path).st_mode & 0o777
    dmode = os.stat(os.path.dirname(path)).st_mode & 0o777
    status = OK if mode == 0o600 and dmode == 0o700 else WARN
    out.append((status, "snapshot", f"{path} (file {mode:o}, dir {dmode:o}; expected 600/700)"))
    copy = snapshot.corrupt_copy_path(path)
    if os.path.lexists(copy):
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.lstat(copy).st_mtime))
        out.append((OK, "snapshot", f"an unreadable snapshot was replaced ({when}); its copy: {copy}"))
    why = snapshot.unreadable_reason(path)
    if why:
        out.append((WARN, "snapshot", f"unreadable ({why}): it counts as empty and is rewritten on the next write"))
        return out
    snap = snapshot.read(path)
    now = time.time()
    for wid, window in sorted(snap["windows"].items()):
        age = levels.age_s(window, now)
        out.append(
            (
                OK,
                "snapshot",
                f"{wid}: {formats.format_pct(float(window['used_pct']))} from "
                f"{window.get('source')}, {formats.format_duration(age)} old",
            )
        )
    states = snap["refresh"].get("sources")
    for name, state in sorted(states.items() if isinstance(states, dict) else []):
        until = status_json.backoff_until(state, now)
        if until is not None:
            out.append(
                (
                    WARN,
                    "refresh",
                    f"{name}: backing off after {state.get('kind')} for another "
                    f"{formats.format_duration(until - now)} (quotaline refresh --force to try now)",
                )
            )
        elif isinstance(state, dict) and state.get("last_ok"):
            out.append((OK, "refresh", f"{name}: last good read {formats.format_duration(now - state['last_ok'])} ago"))
    for err in snap["errors"]:
        if not isinstance(err, dict):
            continue
        if err.get("kind") == "schema_drift":
            text = f"{err.get('source')}'s answer changed shape: {err.get('message')} (the rest was read)"
        else:
            text = f"last error from {err.get('source')}: {err.get('message')} [{err.get('kind')}]"
        out.append((WARN, "refresh", text))
    return out


def _launcher_of(command: object) -> list[str] | None:
    """The words that start the status line before its ``statusline``: quotaline's launcher (on
    Windows the interpreter, its flags and the launcher), else the command's first word."""
    if not isinstance(command, str):
        return None
    from statusline.commands.setup.entries import is_ours

    try:
        words = shlex.split(command)
    except ValueError:
        return None
    return words[:-1] if is_ours(command, "statusline") else words[:1] or None


HOOK_EVENTS = (
    ("UserPromptSubmit", "warnings before prompts"),
    ("StopFailure", "record of which limit stopped a turn"),
    ("Stop", "end of a wall when a later turn goes through"),
)


def check_settings() -> list[Finding]:
    from statusline.commands.setup.entries import entry_is_ours, is_ours  # its rule of what a command of quotaline's is
    from statusline.commands.setup.state import load_state

    path = os.path.join(paths.claude_config_dir(), "settings.json")
    try:
        data = json.loads(paths.read_file(path))  # a FIFO there would hang doctor
    except FileNotFoundError:
        return [(FAIL, "settings", f"{path} missing: run `quotaline install`")]
    except paths.NotAFileError:
        return [(FAIL, "settings", f"{path} is not a regular file: Claude Code cannot read it; replace it")]
    except ValueError:
        return [(FAIL, "settings", f"{path} is not valid JSON: Claude Code ignores it; fix it")]
    data = data if isinstance(data, dict) else {}
    out: list[Finding] = []
    sl = data.get("statusLine")
    command = sl.get("command") if isinstance(sl, dict) else None
    launcher = _launcher_of(command)
    if not is_ours(command, "statusline"):
        out.append((WARN, "settings", f"statusLine is not quotaline's ({command!r}): quotaline install --force"))
    elif launcher and not os.access(os.path.expanduser(launcher[-1]), os.X_OK):
        missing = f"statusLine runs {launcher[-1]}, which is missing: run `quotaline install` again"
        out.append((FAIL, "settings", missing))
    else:
        out.append((OK, "settings", f"statusLine runs {command}"))
    hooks: dict[str, Any] = data["hooks"] if isinstance(data.get("hooks"), dict) else {}
    no_hook = load_state().get("choices", {}).get("hook") is False
    for event, what in HOOK_EVENTS:
        groups: list[Any] = hooks[event] if isinstance(hooks.get(event), list) else []
        entries = [h for g in groups if isinstance(g, dict) and isinstance(g.get("hooks"), list) for h in g["hooks"]]
        # a shell command, or the exec form (its program and args, shown as words)
        ours = [
            shlex.join([h["command"], *h["args"]]) if "args" in h else h["command"]
            for h in entries
            if entry_is_ours(h, "hook")
        ]
        if ours:
            out.append((OK, "settings", f"{event} hook: {ours[0]}"))
        elif no_hook:
            out.append((OK, "settings", f"no {event} hook in settings.json (installed with --no-hook: the plugin's)"))
        else:
            out.append((WARN, "settings", f"no {event} hook: no {what} (quotaline install)"))
    out.append((OK, "settings", "__launcher__" + shlex.join(launcher or [])))
    return out


def check_config() -> list[Finding]:
    settings = loader.load()
    if settings.problems:
        path = paths.config_file()
        # A problem of the file is said with its path, once; one of the environment names its variable.
        return [
            (WARN, "config", p if path in p or p.startswith(tuple(ENV_OVERRIDES)) else f"{path}: {p}")
            for p in settings.problems
        ]
    exists = os.path.exists(paths.config_file())
    return [
        (OK, "config", f"{paths.config_file()} {'valid' if exists else 'absent: defaults (quotaline config init)'}")
    ]


def check_notify() -> list[Finding]:
    from statusline.refresh import notify

    enabled = bool(loader.load().get("notify", "enabled"))
    found = notify.sender()
    if found is None:
        why = notify.NOT_FOUND_HINT
        return [(WARN, "notify", f"{why}: no desktop notifications")] if enabled else [(OK, "notify", f"off; {why}")]
    state = "on" if enabled else "off ([notify] enabled = true turns them on)"
    return [(OK, "notify", f"{state}; sent through {found[1]}")]


def check_export() -> list[Finding]:
    from statusline.refresh import prometheus

    settings = loader.load()
    target = prometheus.target_dir(settings)
    if not target:
        return []
    if not os.path.isdir(target) or not os.access(target, os.W_OK):
        return [(WARN, "export", f"{target} is not a directory quotaline can write: no Prometheus metrics")]
    path = os.path.join(target, prometheus.file_name(os.path.basename(paths.snapshot_path())))
    if not os.path.exists(path):
        return [(OK, "export", f"{path} is written after the next refresh")]
    age = formats.format_duration(max(0.0, time.time() - os.stat(path).st_mtime))
    return [(OK, "export", f"{path} written {age} ago")]


def check_push() -> list[Finding]:
    """Where pushed metrics go (never a header or a URL's password) and how the last push went."""
    from statusline.refresh import otlp, push

    settings = loader.load()
    try:
        state = snapshot.read(paths.snapshot_path())["refresh"].get("push")
    except paths.DirError:
        state = None
    last = state if isinstance(state, dict) else {}
    out: list[Finding] = []
    gateway = str(settings.get("export", "pushgateway_url")).strip()
    if gateway:
        where = f"PUT to {push.public_url(gateway.rstrip('/'))}/metrics/job/quotaline/instance/<account>"
        out.append(_last_push("pushgateway", where, last.get("pushgateway")))
    target = otlp.target(settings)
    if target is not None:
        where = f"OTLP {clean(target.protocol)[:40]} to {push.public_url(target.endpoint)} ({target.origin})"
        if target.problem:
            out.append((WARN, "otlp", f"{where}: {target.problem}"))
        else:
            out.append(_last_push("otlp", where, last.get("otlp")))
    return out


def _last_push(topic: str, where: str, last: Any) -> Finding:
    if not isinstance(last, dict) or not isinstance(last.get("at"), (int, float)):
        return (OK, topic, f"{where}: pushed after the next refresh")
    age = formats.format_duration(max(0.0, time.time() - float(last["at"])))
    if last.get("ok") is True:
        return (OK, topic, f"{where}: the last push ({age} ago) worked")
    error = clean(str(last.get("error") or "failed"))[:200]
    return (WARN, topic, f"{where}: the last push ({age} ago) failed: {error}")


def check_ledger() -> list[Finding]:
    from statusline.ledger.update import health

    found = health()
    return [] if found is None else [(OK if found[0] else FAIL, "ledger", found[1])]


def check_timing(launcher: list[str] | None, runs: int = 7) -> list[Finding]:
    if not launcher or not os.access(launcher[-1], os.X_OK):
        return [(WARN, "timing", "no installed launcher to time")]
    stdin = b'{"session_id": "doctor"}'
    env = dict(os.environ, QUOTALINE_NO_SPAWN="1")
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([*launcher, "statusline"], input=stdin, capture_output=True, env=env, timeout=10)
        times.append((time.perf_counter() - t0) * 1000)
    p50 = statistics.median(times)
    status = OK if p50 < 100 else WARN
    return [(status, "timing", f"status line p50 {p50:.0f} ms over {runs} runs (Claude Code redraws after each turn)")]


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="quotaline doctor", description="Explain what is wrong, if anything.")
    parser.add_argument("--no-timing", action="store_true", help="skip timing the status line")
    args = parser.parse_args(argv)
    findings: list[Finding] = []
    checks: list[Callable[[], list[Finding]]] = [
        check_platform,
        check_dirs,
        check_credentials,
        check_snapshot,
        check_settings,
        check_config,
        check_notify,
        check_export,
        check_push,
        check_ledger,
    ]
    for check in checks:
        try:
            findings += check()
        except Exception as exc:
            findings.append((WARN, check.__name__, f"check failed: {type(exc).__name__}"))
    launcher = next((f[2][len("__launcher__") :] for f in findings if f[2].startswith("__launcher__")), None)
    findings = [f for f in findings if not f[2].startswith("__launcher__")]
    if not args.no_timing:
        findings += check_timing([os.path.expanduser(word) for word in shlex.split(launcher)] if launcher else None)
    for status, topic, text in findings:
        # Window ids, error messages and paths come from files and servers: no escape reaches the terminal.
        print(f"[{status:>4}] {topic:<11} {clean(text)}")
    return 1 if any(f[0] == FAIL for f in findings) else 0
