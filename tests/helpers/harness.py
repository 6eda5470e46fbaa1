"""Pieces of the end-to-end test in the real Claude Code: the installer run, a fake Anthropic API on
loopback, and Claude Code driven inside a private tmux server.

Nothing here talks to anything but 127.0.0.1 (the installer's pip excepted: it reads the package
index the machine is configured with).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CLAUDE_VERSION = "2.1.330"
REAL_HOME = Path.home()  # taken at import: fixtures may point HOME elsewhere later
CACHE_ROOT = REAL_HOME / ".cache" / "quotaline-e2e"
DEFAULT_CLAUDE_PREFIX = CACHE_ROOT / f"cc-{CLAUDE_VERSION}"
DEFAULT_CLAUDE_BIN = DEFAULT_CLAUDE_PREFIX / "node_modules" / ".bin" / "claude"
DEPS_SCRIPT = "scripts/e2e-install-deps.sh (.ci/run runs it)"
SKIP_HINT = "QUOTALINE_E2E=0 skips this test on purpose"
CLAUDE_HINT = (
    f"install it with {DEPS_SCRIPT}, or by hand: npm install --prefix {DEFAULT_CLAUDE_PREFIX} "
    f"--no-audit --no-fund @anthropic-ai/claude-code@{CLAUDE_VERSION} (QUOTALINE_CLAUDE_BIN picks "
    f"another binary; {SKIP_HINT})"
)
TMUX_HINT = f"install it with {DEPS_SCRIPT}, or by hand: apt-get install -y tmux ({SKIP_HINT})"
FAKE_OAUTH_TOKEN = "sk-ant-oat01-FAKEOAUTHTOKENFORQUOTALINEE2E-0123456789abcdefghij"
REPLY_PREFIX = "FAKE-REPLY-"
TURN_RE = re.compile(r"e2e turn (\d+)")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class Missing(Exception):
    """A tool the test needs is not installed."""


class E2EFailure(AssertionError):
    """A step of the scenario failed; the message carries the screen and the request log."""


# ----------------------------------------------------------------------------------- the tools


def find_claude() -> Path:
    """Claude Code's binary: ``$QUOTALINE_CLAUDE_BIN``, else the pinned cached install."""
    configured = os.environ.get("QUOTALINE_CLAUDE_BIN", "").strip()
    path = Path(configured) if configured else DEFAULT_CLAUDE_BIN
    if not (path.is_file() and os.access(path, os.X_OK)):
        where = "QUOTALINE_CLAUDE_BIN" if configured else "the pinned install"
        raise Missing(f"Claude Code not found at {path} ({where}): {CLAUDE_HINT}")
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Missing(f"{path} --version failed ({exc}): {CLAUDE_HINT}") from None
    if out.returncode != 0:
        raise Missing(
            f"{path} --version exited {out.returncode}: {out.stderr.strip()[-500:]}; "
            f"the npm postinstall may not have run: {CLAUDE_HINT}"
        )
    return path


def claude_version(claude: Path) -> str:
    out = subprocess.run([str(claude), "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def find_tmux() -> str:
    tmux = shutil.which("tmux")
    if tmux is None:
        raise Missing(f"tmux not found on PATH: {TMUX_HINT}")
    return tmux


# ----------------------------------------------------------------------------------- the installer


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """An ``env -i``-like environment: nothing of the caller's ANTHROPIC_*/CLAUDE_*/QUOTALINE_*."""
    env = {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "USER": os.environ.get("USER", "root"),
        "SHELL": "/bin/bash",
        "TZ": "UTC",
    }
    env.update(extra)
    return env


def pip_env() -> dict[str, str]:
    """What pip needs from the real environment: a shared cache (fast repeated runs), the machine's
    pip settings and proxies."""
    env = {"PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR") or str(REAL_HOME / ".cache" / "pip")}
    for name, value in os.environ.items():
        if (name.startswith("PIP_") and name != "PIP_CACHE_DIR") or name.lower() in (
            "http_proxy",
            "https_proxy",
            "no_proxy",
        ):
            env[name] = value
    return env


def run_installer(repo: Path, home: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The repository's real ``./install.sh`` with HOME = ``home``."""
    return subprocess.run(
        [str(repo / "install.sh")],
        cwd=str(home),
        stdin=subprocess.DEVNULL,  # no question, even when the tests run at a terminal
        env=clean_env(home, **pip_env()),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


TOOLS_BIN = CACHE_ROOT / "tools" / "bin"  # uv and pipx, from scripts/e2e-install-deps.sh


def find_tool(name: str) -> Path:
    """uv or pipx as scripts/e2e-install-deps.sh installs them (from PyPI)."""
    path = TOOLS_BIN / name
    if not os.access(path, os.X_OK):
        raise Missing(f"{name} is not installed in {TOOLS_BIN}: run {DEPS_SCRIPT} ({SKIP_HINT})")
    return path


def source_copy(repo: Path, dest: Path) -> Path:
    """What ``uv tool install <source>`` / ``pipx install <source>`` get: the package, no .venv or caches."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(repo / name, dest / name)
    shutil.copytree(repo / "statusline", dest / "statusline", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def route_env(home: Path) -> dict[str, str]:
    """A user's environment for a package manager's install: ``~/.local/bin`` first on PATH, the real
    user's download caches (each run would fetch the dependencies again otherwise), no interpreter
    downloads, the machine's pip settings and certificates."""
    env = clean_env(
        home,
        PATH=f"{home}/.local/bin:{os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')}",
        UV_CACHE_DIR=os.environ.get("UV_CACHE_DIR", str(REAL_HOME / ".cache" / "uv")),
        UV_PYTHON_DOWNLOADS="never",
        **pip_env(),
    )
    cert = os.environ.get("SSL_CERT_FILE") or os.environ.get("PIP_CERT") or "/etc/ssl/certs/ca-certificates.crt"
    if os.path.exists(cert):  # uv carries its own roots; a machine's proxy or mirror may need the system's
        env["SSL_CERT_FILE"] = cert
    return env


def route_command(route: str, source: Path, python: str) -> list[str]:
    """The README's install command of each package manager, with this interpreter."""
    if route == "uv tool":
        return [str(find_tool("uv")), "tool", "install", "--python", python, str(source)]
    if route == "pipx":
        return [str(find_tool("pipx")), "install", "--python", python, str(source)]
    raise ValueError(route)


ROUTES = ("uv tool", "pipx")


def readme_starship_config(repo: Path) -> str:
    """The Starship block of docs/surfaces.md (the claude-code profile with ``[custom.quotaline]``),
    the page the README links for Starship: what a user copies is what is tested."""
    readme = (repo / "docs" / "surfaces.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, re.S)
    found = [b for b in blocks if "[custom.quotaline]" in b and "claude-code" in b]
    if len(found) != 1:
        raise AssertionError(f"want one ```toml block with [custom.quotaline] and the claude-code profile: {blocks}")
    return found[0]


def offline_env(fake_base_url: str) -> dict[str, str]:
    """Claude Code's switches for an offline run, plus the fake API as a trap proxy for anything
    that still tries to leave loopback (``FakeAnthropic.leaks``)."""
    env = {
        "ANTHROPIC_BASE_URL": fake_base_url,
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        # Without it 2.1.330 fetches the official plugin marketplace (downloads.claude.ai, then a git
        # clone of github.com/anthropics/claude-plugins-official) at start-up.
        "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL": "1",
        "NO_PROXY": ",".join(LOOPBACK_HOSTS),
        "no_proxy": ",".join(LOOPBACK_HOSTS),
    }
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        env[name] = fake_base_url
    return env


def seed_claude_json(home: Path, workdir: Path) -> None:
    """Onboarding done and ``workdir`` trusted: Claude Code starts straight at the prompt."""
    seed = {
        "hasCompletedOnboarding": True,
        "lastOnboardingVersion": CLAUDE_VERSION,
        "lastReleaseNotesSeen": CLAUDE_VERSION,
        "theme": "dark",
        "numStartups": 5,
        "autoUpdates": False,
        # Answered already: with a defaultMode in settings.json, 2.1.330+ would ask at start-up
        # whether to make auto mode the default instead.
        "hasSeenAutoDefaultNudge": True,
        "projects": {
            str(workdir): {
                "hasTrustDialogAccepted": True,
                "hasCompletedProjectOnboarding": True,
                "allowedTools": [],
                "projectOnboardingSeenCount": 1,
            }
        },
    }
    (home / ".claude.json").write_text(json.dumps(seed, indent=2), encoding="utf-8")


def seed_credentials(home: Path, token: str) -> None:
    """``~/.claude/.credentials.json`` as a logged-in subscriber has it (fake token, valid 30 days).

    Claude Code itself uses ``CLAUDE_CODE_OAUTH_TOKEN`` first, but 2.1.330 removes that variable
    from the environment of status-line and hook commands: quotaline's refresher only finds a token
    here, as on a real machine."""
    path = home / ".claude" / ".credentials.json"
    creds = {
        "claudeAiOauth": {
            "accessToken": token,
            "refreshToken": "sk-ant-ort01-FAKEREFRESHTOKENFORQUOTALINEE2E",
            "expiresAt": int((time.time() + 30 * 86400) * 1000),
            "scopes": ["user:inference", "user:profile", "user:sessions:claude_code"],
            "subscriptionType": "max",
            "rateLimitTier": "default_claude_max_20x",
        }
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(creds, handle)


# ----------------------------------------------------------------------------------- fake API


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat()


class FakeAnthropic:
    """A Messages API (SSE) whose replies carry ``anthropic-ratelimit-unified-*`` headers, plus
    ``GET /api/oauth/usage`` with the same numbers. ``set_utilization`` switches what the next
    replies say; every request is logged."""

    def __init__(self, five_hour: float = 0.42, seven_day: float = 0.17, *, reset_5h_in_min: int = 75) -> None:
        self.started = time.time()
        now = int(self.started)
        # Fixed reset times: every reply and the usage payload describe the same periods. 75 minutes:
        # past 72% of the 5-hour window, where Claude Code no longer warns by itself at 90%+
        # (docs/claude-code-warnings.md), so quotaline's own warning is the one on screen.
        self.reset_5h = (now // 60 + reset_5h_in_min) * 60
        self.reset_7d = (now // 3600 + 4 * 24) * 3600
        self.five_hour = five_hour
        self.seven_day = seven_day
        # The usage endpoint's Opus week (0-1), when set: seven_day_opus and a weekly_scoped limits[]
        # row. No header carries it: Claude Code's replies have no per-model windows.
        self.opus: float | None = None
        self.reject: dict[int, str] = {}  # turn -> the claim of a 429 that answers it (a wall)
        self.usage_status = 200
        self.requests: list[dict[str, Any]] = []
        self.turns_seen: set[int] = set()
        # Each Messages request's ``messages`` as sent (JSON text), by turn: what reached the model.
        self.bodies: dict[int, list[str]] = {}
        # Scripted tool calls: a user message containing a trigger is answered with one Bash call
        # (the model's part in a slash command); the result that comes back is kept.
        self.bash_calls: dict[str, str] = {}
        self.tool_results: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control
    def set_utilization(self, five_hour: float, seven_day: float | None = None) -> None:
        with self._lock:
            self.five_hour = five_hour
            if seven_day is not None:
                self.seven_day = seven_day

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-anthropic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # -- what the handler uses
    def log(self, entry: dict[str, Any]) -> None:
        with self._lock:
            entry["t"] = round(time.time() - self.started, 2)
            self.requests.append(entry)

    def leaks(self) -> list[dict[str, Any]]:
        """Requests that tried to leave loopback through the trap proxy (all refused)."""
        with self._lock:
            return [r for r in self.requests if r.get("leak")]

    def saw_turn(self, turn: int) -> bool:
        with self._lock:
            return turn in self.turns_seen

    def ratelimit_headers(self) -> list[tuple[str, str]]:
        with self._lock:
            five, seven = self.five_hour, self.seven_day
        return [
            ("anthropic-ratelimit-unified-status", "allowed"),
            ("anthropic-ratelimit-unified-5h-status", "allowed"),
            ("anthropic-ratelimit-unified-5h-utilization", f"{five:.2f}"),
            ("anthropic-ratelimit-unified-5h-reset", str(self.reset_5h)),
            ("anthropic-ratelimit-unified-7d-status", "allowed"),
            ("anthropic-ratelimit-unified-7d-utilization", f"{seven:.2f}"),
            ("anthropic-ratelimit-unified-7d-reset", str(self.reset_7d)),
            ("anthropic-ratelimit-unified-representative-claim", "five_hour"),
            ("anthropic-ratelimit-unified-reset", str(self.reset_5h)),
            ("anthropic-ratelimit-unified-fallback-percentage", "0.5"),
        ]

    def usage_payload(self) -> dict[str, Any]:
        """``/api/oauth/usage`` consistent with the headers (percent 0-100, ISO reset times)."""
        with self._lock:
            five, seven = round(self.five_hour * 100), round(self.seven_day * 100)
            opus = None if self.opus is None else round(self.opus * 100)
        window = {"limit_dollars": None, "used_dollars": None, "remaining_dollars": None}
        # The Opus week as the newer payloads carry it too: a weekly_scoped row scoped to the model.
        scoped = [] if opus is None else [self._opus_limit(opus)]
        return {
            "five_hour": {"utilization": float(five), "resets_at": _iso(self.reset_5h), **window},
            "seven_day": {"utilization": float(seven), "resets_at": _iso(self.reset_7d), **window},
            "seven_day_opus": None if opus is None else {"utilization": float(opus), "resets_at": _iso(self.reset_7d)},
            "seven_day_sonnet": None,
            "seven_day_oauth_apps": None,
            "extra_usage": {
                "is_enabled": False,
                "monthly_limit": None,
                "used_credits": None,
                "utilization": None,
                "currency": None,
                "decimal_places": 2,
            },
            "limits": [
                {
                    "kind": "session",
                    "group": "session",
                    "percent": five,
                    "severity": "warning" if five >= 80 else "normal",
                    "resets_at": _iso(self.reset_5h),
                    "scope": None,
                    "is_active": True,
                },
                {
                    "kind": "weekly_all",
                    "group": "weekly",
                    "percent": seven,
                    "severity": "normal",
                    "resets_at": _iso(self.reset_7d),
                    "scope": None,
                    "is_active": False,
                },
                *scoped,
            ],
        }

    def _opus_limit(self, percent: int) -> dict[str, Any]:
        return {
            "kind": "weekly_scoped",
            "group": "weekly",
            "percent": percent,
            "severity": "warning" if percent >= 80 else "normal",
            "resets_at": _iso(self.reset_7d),
            "scope": {"model": {"id": "claude-opus", "display_name": "Opus"}, "surface": None},
            "is_active": False,
        }

    def log_text(self, limit: int = 80) -> str:
        with self._lock:
            rows = list(self.requests)
        lines = [json.dumps(r, sort_keys=True) for r in rows[-limit:]]
        head = f"{len(rows)} request(s) to the fake API" + (f" (last {limit})" if len(rows) > limit else "")
        return "\n".join([head, *lines])


class _Handler(BaseHTTPRequestHandler):
    """Also a trap proxy: the clients get ``HTTPS_PROXY`` = this server, so anything that tries to
    reach a host other than loopback arrives here (CONNECT or an absolute URI), is logged as a leak
    and refused. Absolute URIs to loopback (a client ignoring NO_PROXY) are served normally."""

    owner: FakeAnthropic
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _refuse_leak(self) -> bool:
        """True when the request tried to leave loopback (it was answered 403)."""
        if self.command == "CONNECT":
            target = self.path
        elif self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            if (parts.hostname or "") in LOOPBACK_HOSTS:
                self.path = parts.path + (f"?{parts.query}" if parts.query else "")
                return False
            target = self.path
        else:
            return False
        self.owner.log(self._entry(status=403, leak=target))
        self.close_connection = True
        self._send_json(403, {"error": "quotaline e2e: no network beyond loopback"})
        return True

    def do_CONNECT(self) -> None:
        self._refuse_leak()

    def _entry(self, **more: Any) -> dict[str, Any]:
        return {
            "method": self.command,
            "path": self.path,
            "ua": (self.headers.get("user-agent") or "")[:40],
            "auth": (self.headers.get("authorization") or self.headers.get("x-api-key") or "")[:20],
            **more,
        }

    def _send_json(self, code: int, obj: Any, extra: list[tuple[str, str]] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_fake")
        for key, value in extra or []:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_wall(self, claim: str, headers: list[tuple[str, str]]) -> None:
        """A 429 as the API sends it when a window is full: status ``rejected``, the claim that did it."""
        kept = [(k, v) for k, v in headers if not k.endswith(("unified-status", "representative-claim", "-reset"))]
        reset = self.owner.reset_7d if claim.startswith("seven_day") else self.owner.reset_5h
        kept += [
            ("anthropic-ratelimit-unified-status", "rejected"),
            ("anthropic-ratelimit-unified-representative-claim", claim),
            ("anthropic-ratelimit-unified-reset", str(reset)),
            ("anthropic-ratelimit-unified-5h-reset", str(self.owner.reset_5h)),
            ("anthropic-ratelimit-unified-7d-reset", str(self.owner.reset_7d)),
        ]
        error = {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}}
        self._send_json(429, error, kept)

    def do_HEAD(self) -> None:
        if self._refuse_leak():
            return
        self.owner.log(self._entry(status=200))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        if self._refuse_leak():
            return
        path = self.path.split("?")[0]
        if path.endswith("/api/oauth/usage"):
            payload = self.owner.usage_payload()
            self.owner.log(
                self._entry(
                    status=self.owner.usage_status,
                    five_hour=payload["five_hour"]["utilization"],
                    beta=self.headers.get("anthropic-beta"),
                )
            )
            if self.owner.usage_status != 200:
                error = {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}}
                self._send_json(self.owner.usage_status, error, [("retry-after", "300")])
            else:
                self._send_json(200, payload)
            return
        self.owner.log(self._entry(status=200))
        self._send_json(200, {})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self._refuse_leak():
            return
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        path = self.path.split("?")[0]
        if path.endswith("/count_tokens"):
            self.owner.log(self._entry(status=200))
            self._send_json(200, {"input_tokens": 1234})
            return
        if not path.endswith("/v1/messages"):
            self.owner.log(self._entry(status=200))
            self._send_json(200, {})
            return
        turns = [int(n) for n in TURN_RE.findall(json.dumps(body.get("messages", [])))]
        turn = max(turns) if turns else None
        headers = self.owner.ratelimit_headers()
        five = dict(headers)["anthropic-ratelimit-unified-5h-utilization"]
        self.owner.log(self._entry(status=200, model=body.get("model"), turn=turn, five_hour=five))
        if turn is not None:
            with self.owner._lock:
                self.owner.turns_seen.add(turn)
                self.owner.bodies.setdefault(turn, []).append(json.dumps(body.get("messages") or []))
        claim = self.owner.reject.get(turn) if turn is not None else None
        if claim is not None:
            self._send_wall(claim, headers)
            return
        reply = f"{REPLY_PREFIX}{turn} done." if turn is not None else "FAKE-REPLY ok."
        tool = self._scripted_tool(body)
        if tool is None and '"tool_result"' in json.dumps(body.get("messages") or []):
            reply = f"{REPLY_PREFIX}tool done."
        model = body.get("model", "claude-fake")
        mid = f"msg_fake_{int(time.time() * 1000)}"
        usage = {
            "input_tokens": 1200,
            "output_tokens": 12,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
        }
        if not body.get("stream"):
            message = {
                "id": mid,
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [tool] if tool else [{"type": "text", "text": reply}],
                "stop_reason": "tool_use" if tool else "end_turn",
                "stop_sequence": None,
                "usage": usage,
            }
            self._send_json(200, message, headers)
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", "req_fake")
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("connection", "close")
        self.end_headers()

        def event(name: str, obj: dict[str, Any]) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(obj)}\n\n".encode())
            self.wfile.flush()

        start = {
            "id": mid,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": dict(usage, output_tokens=1),
        }
        event("message_start", {"type": "message_start", "message": start})
        if tool is not None:
            opened = dict(tool, input={})
            event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": opened})
            delta = {"type": "input_json_delta", "partial_json": json.dumps(tool["input"])}
            event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
            event("content_block_stop", {"type": "content_block_stop", "index": 0})
            stop = {"stop_reason": "tool_use", "stop_sequence": None}
            event("message_delta", {"type": "message_delta", "delta": stop, "usage": {"output_tokens": 12}})
            event("message_stop", {"type": "message_stop"})
            self.close_connection = True
            return
        block = {"type": "text", "text": ""}
        event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block})
        for i in range(0, len(reply), 16):
            delta = {"type": "text_delta", "text": reply[i : i + 16]}
            event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        event("content_block_stop", {"type": "content_block_stop", "index": 0})
        stop = {"stop_reason": "end_turn", "stop_sequence": None}
        event("message_delta", {"type": "message_delta", "delta": stop, "usage": {"output_tokens": 12}})
        event("message_stop", {"type": "message_stop"})
        self.close_connection = True

    def _scripted_tool(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The Bash call for a trigger in the conversation, unless a tool result is there already
        (then it is recorded and the turn ends in text)."""
        if not self.owner.bash_calls:
            return None
        blocks = [
            block
            for message in body.get("messages") or []
            if isinstance(message, dict) and isinstance(message.get("content"), list)
            for block in message["content"]
            if isinstance(block, dict)
        ]
        results = [json.dumps(b.get("content")) for b in blocks if b.get("type") == "tool_result"]
        if results:
            with self.owner._lock:
                self.owner.tool_results.extend(r for r in results if r not in self.owner.tool_results)
            return None
        text = json.dumps(body.get("messages") or [])
        for trigger, command in self.owner.bash_calls.items():
            if trigger in text:
                call = {"command": command, "description": "scripted by the e2e fake API"}
                tool_id = f"toolu_fake_{int(time.time() * 1000)}"
                return {"type": "tool_use", "id": tool_id, "name": "Bash", "input": call}
        return None


# ----------------------------------------------------------------------------------- tmux


EXITED = "CLAUDE-EXITED"


class ScreenTimeout(E2EFailure):
    pass


class TmuxClaude:
    """Claude Code in a private tmux server (its own socket, no user tmux.conf)."""

    def __init__(
        self, tmux: str, claude: Path, workdir: Path, env: dict[str, str], run_dir: Path, cols: int, rows: int
    ) -> None:
        self.tmux = tmux
        self.socket = f"quotaline-e2e-{os.getpid()}-{int(time.time() * 1000) % 10**8}"
        self.claude = claude
        self.workdir = workdir
        self.env = env
        self.run_dir = run_dir
        self.cols = cols
        self.rows = rows
        self.last_screen = ""
        self._pids: set[int] = set()

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.tmux, "-L", self.socket, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=check,
        )

    def start(self) -> None:
        script = self.run_dir / "start-claude.sh"
        assignments = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(self.env.items()))
        script.write_text(
            "#!/bin/sh\n"
            "# clean environment: nothing of the caller's ANTHROPIC_*/CLAUDE_*/QUOTALINE_* leaks in\n"
            f"exec env -i {assignments} {shlex.quote(str(self.claude))}\n",
            encoding="utf-8",
        )
        script.chmod(0o755)
        inner = f"{shlex.quote(str(script))}; echo {EXITED} rc=$?; sleep 86400"
        self._tmux(
            "new-session", "-d", "-s", "cc", "-x", str(self.cols), "-y", str(self.rows),
            "-c", str(self.workdir), f"sh -c {shlex.quote(inner)}",
        )  # fmt: skip
        pane = self._tmux("list-panes", "-t", "cc", "-F", "#{pane_pid}", check=False).stdout.split()
        if pane:
            self._pids.add(int(pane[0]))

    def screen(self) -> str:
        out = self._tmux("capture-pane", "-p", "-t", "cc", check=False)
        if out.returncode == 0:
            self.last_screen = out.stdout
        return self.last_screen

    def send_text(self, text: str) -> None:
        self._tmux("send-keys", "-t", "cc", "-l", text)

    def send_key(self, key: str) -> None:
        self._tmux("send-keys", "-t", "cc", key)

    def wait_for(self, what: str, predicate: Callable[[str], bool], timeout: float, interval: float = 0.25) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            self._remember_descendants()
            if predicate(screen):
                return screen
            if EXITED in screen:
                raise ScreenTimeout(f"Claude Code exited while waiting for {what}")
            if time.monotonic() > deadline:
                raise ScreenTimeout(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(interval)

    def _remember_descendants(self) -> None:
        """Note the pane's process tree now, to be sure it is gone after ``stop``."""
        self._pids |= descendants(self._pids)

    def stop(self) -> None:
        self._remember_descendants()
        self._tmux("kill-server", check=False)  # claude gets SIGHUP
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in self._pids):
            time.sleep(0.2)
        for pid in self._pids:
            if _alive(pid):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _parents() -> Iterator[tuple[int, int]]:
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="utf-8") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        yield int(name), ppid


def descendants(roots: set[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents():
        children.setdefault(ppid, []).append(pid)
    found: set[int] = set()
    todo = list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


# ----------------------------------------------------------------------------------- screen reading


def rows_with(screen: str, *needles: str) -> list[str]:
    return [row.rstrip() for row in screen.splitlines() if all(n in row for n in needles)]


def prompt_ready(screen: str) -> bool:
    return any(row.startswith("❯") for row in screen.splitlines())


def status_area(screen: str) -> list[str]:
    """The non-blank rows under the prompt box: Claude Code's status line (ours) and its mode row.

    The box is the last row starting with ``❯`` framed by two rows of ``─``."""
    rows = [row.rstrip() for row in screen.splitlines()]
    prompts = [i for i, row in enumerate(rows) if row.startswith("❯")]
    if not prompts:
        return []
    below = rows[prompts[-1] + 1 :]
    for i, row in enumerate(below):
        if row.startswith("───"):
            return [r for r in below[i + 1 :] if r.strip()]
    return []


def squeeze(screen: str) -> str:
    """The screen with runs of blank rows cut to one (like ``cat -s``)."""
    return re.sub(r"\n(?:[ \t]*\n)+", "\n\n", screen.rstrip())


def tail(text: str, limit: int = 4000) -> str:
    return text if len(text) <= limit else "...\n" + text[-limit:]
