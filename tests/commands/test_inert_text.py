"""Invariant 1 (docs/ARCHITECTURE.md, "Inert text"): no text from a server is ever interpreted by
what displays it. Each consumer gets strings full of its own specials through a real usage reply
(a loopback server, a real ``quotaline refresh``) and is run for real: a command hidden in the
text must not run (its marker file never appears) and quotaline's own percent must stay.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.cli import REPO, Home
from helpers.harness import readme_starship_config
from helpers.usage_server import hostile_usage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from test_starship import STARSHIP_HINT, find_starship, quotaline_on_path

pytestmark = pytest.mark.slow  # real tmux, bash, zsh and Starship, each example a round of processes
TOKEN = "sk-ant-oat01-SECRET-TOKEN-do-not-leak-0123456789"
USAGE = "/api/oauth/usage"
MARK = "@MARK@"  # replaced by the example's own marker path
REAL = settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def hostile(fragments: list[str], alphabet: str) -> st.SearchStrategy[str]:
    """Strings mixing ``fragments`` (each a way to run ``touch MARK``) with runs of ``alphabet``,
    always holding at least one fragment."""
    noise = st.text(alphabet=alphabet + "ab ", min_size=1, max_size=4)
    return st.tuples(st.lists(st.sampled_from(fragments) | noise, max_size=4), st.sampled_from(fragments)).map(
        lambda parts: "".join([*parts[0][:1], parts[1], *parts[0][1:]])
    )


SHELL = ["$(touch @MARK@)", "`touch @MARK@`", "${HOME:+$(touch @MARK@)}", "$(touch @MARK@)%", "\\$(touch @MARK@)"]


@pytest.fixture
def served(home: Home, httpserver: HTTPServer) -> Iterator[HTTPServer]:
    home.env.update(
        QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"), CLAUDE_CODE_OAUTH_TOKEN=TOKEN, QUOTALINE_CLAUDE_JSON="0"
    )
    yield httpserver


def refresh_with(home: Home, server: HTTPServer, text: str) -> None:
    server.clear()
    server.expect_request(USAGE).respond_with_json(hostile_usage(text))
    shutil.rmtree(home.state, ignore_errors=True)
    result = home.run("refresh")
    assert result.code == 0, result.err


def with_marker(text: str, scratch: Path) -> tuple[str, Path]:
    marker = scratch / "pwned"
    return text.replace(MARK, str(marker)), marker


# ---- Starship: the README's block, in real bash and real zsh ----------------------------------


def prompt(shell: str, starship: Path, env: dict[str, str], scratch: Path) -> str:
    """The prompt ``shell`` draws (interactive, one command) with Starship's own init."""
    init = f'eval "$({starship} init {shell} --print-full-init)"\n'
    if shell == "bash":
        (scratch / "bashrc").write_text(init)
        argv = ["bash", "--noprofile", "--rcfile", str(scratch / "bashrc"), "-i"]
    else:
        (scratch / ".zshrc").write_text(init)
        env = {**env, "ZDOTDIR": str(scratch)}
        argv = ["zsh", "-i"]
    done = subprocess.run(argv, input="exit\n", capture_output=True, text=True, env=env, cwd=scratch, timeout=60)
    return done.stdout + done.stderr  # an interactive shell prompts on stderr


@pytest.mark.parametrize(("shell", "old_block"), [("bash", False), ("zsh", False), ("bash", True)])
@REAL
@given(text=hostile(SHELL, "$`\\%(){}#!'\";"))
def test_the_readmes_starship_block_never_runs_server_text(
    home: Home, served: HTTPServer, tmp_path: Path, shell: str, old_block: bool, text: str
) -> None:
    """The README's block in bash and zsh; and, in bash, the block of earlier READMEs
    (``unsafe_no_escape = true``), where only ``segment --format starship``'s own text stands."""
    starship = find_starship()
    if starship is None or shutil.which(shell) is None:
        pytest.skip(f"starship or {shell} missing: {STARSHIP_HINT}; .ci/run installs zsh")
    with tempfile.TemporaryDirectory(dir=tmp_path) as where:
        scratch = Path(where)
        text, marker = with_marker(text, scratch)
        refresh_with(home, served, text)
        config = scratch / "starship.toml"  # the README's block, with room for a loaded machine
        block = readme_starship_config(REPO) + ("unsafe_no_escape = true\n" if old_block else "")
        config.write_text("command_timeout = 20000\n" + block, encoding="utf-8")
        env = {
            **home.env,
            "PATH": f"{quotaline_on_path(tmp_path / 'bin')}:{os.environ['PATH']}",
            "STARSHIP_CONFIG": str(config),
            "STARSHIP_CACHE": str(scratch / "cache"),
            "TERM": "xterm-256color",
        }
        drawn = prompt(shell, starship, env, scratch)
        assert not marker.exists(), f"{shell} ran server text: {text!r}"
        assert "\x1b[32m5h 42% " in drawn, repr(drawn)  # colours and the percent kept


# ---- tmux: the tpm plugin's #{quotaline}, read back with display -p ----------------------------

TMUX = ["#(touch @MARK@)", "#[fg=red]", "#{?#(touch @MARK@),a,b}", "##(touch @MARK@)", "$(touch @MARK@)", "%H"]
# A home as odd as a path may be: quotes, $, backticks, #( and % (tmux's formats and strftime).
ODD_HOME = "it's \"a\" $HOME `true` $(true) #(true) 5% h"


@REAL
@given(text=hostile(TMUX, "#()[]{}%$`',"))
def test_tmux_plugin_never_runs_server_text_nor_its_path(
    home: Home, served: HTTPServer, tmp_path: Path, text: str
) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (.ci/run installs it)")
    from test_tmux_plugin import PLUGIN, Tmux

    with tempfile.TemporaryDirectory(dir=tmp_path) as where:
        scratch = Path(where)
        text, marker = with_marker(text, scratch)
        refresh_with(home, served, text)
        odd = scratch / ODD_HOME  # the launcher where install.sh puts it, found by the plugin
        launcher = odd / ".local" / "bin" / "quotaline"
        launcher.parent.mkdir(parents=True)
        quotaline_on_path(launcher.parent)
        env = {**home.env, "HOME": str(odd), "PATH": "/usr/bin:/bin", "TERM": "xterm-256color"}
        server = Tmux(env)
        try:
            server("-f", "/dev/null", "new-session", "-d", "-s", "main", "-x", "300", "-y", "20", "-c", str(scratch))
            server("set", "-g", "status-right", "#{quotaline} | %Y")
            server("run-shell", str(PLUGIN))
            drawn = server.shown("status-right", "5h 42%")
        finally:
            if server.client is not None:
                server.client.kill()
                server.client.wait()
            subprocess.run(["tmux", "-L", server.socket, "kill-server"], capture_output=True, timeout=20)
        assert not marker.exists(), f"tmux ran server text: {text!r}"
        assert re.search(r"5h 42% \S+#\[default\]", drawn) and re.search(r" \| 2\d{3}$", drawn), drawn


# ---- Commands quotaline writes: settings.json's statusLine and hooks, the SwiftBar plugin ------

HOME_PARTS = ["'", '"', "$", "`", " ", "\\", "$(touch pwned)", "`touch pwned`", "$HOME", "#", "%", ";", "&", "*", "a"]


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.lists(st.sampled_from(HOME_PARTS), min_size=1, max_size=6).map(lambda parts: "h" + "".join(parts)))
def test_written_commands_run_quotaline_from_any_home(tmp_path: Path, name: str) -> None:
    """A home holding quotes, ``$``, backticks or spaces: each command quotaline writes, run by
    ``sh -c`` and ``bash -c`` as Claude Code and the bars run it, runs quotaline and nothing else."""
    from helpers.cli import statusline_stdin
    from test_install import run_install

    with tempfile.TemporaryDirectory(dir=tmp_path) as where:
        scratch = Path(where)
        odd = scratch / name
        odd.mkdir()
        installed = run_install(odd)
        assert installed.returncode == 0, installed.stderr
        data = json.loads((odd / ".claude" / "settings.json").read_text())
        env = {"HOME": str(odd), "PATH": "/usr/bin:/bin", "QUOTALINE_NO_SPAWN": "1", "LANG": "C.UTF-8"}
        stdin = json.dumps(statusline_stdin(42, 17))
        hooks = [h["command"] for groups in data["hooks"].values() for group in groups for h in group["hooks"]]
        for shell in ("sh", "bash"):
            line = subprocess.run(
                [shell, "-c", data["statusLine"]["command"]], input=stdin, capture_output=True, text=True,
                env=env, cwd=scratch, timeout=60,
            )  # fmt: skip
            assert line.returncode == 0 and "5h 42%" in line.stdout, (line.stdout, line.stderr)
            for command in hooks:
                hook = subprocess.run(
                    [shell, "-c", command], input='{"hook_event_name": "UserPromptSubmit", "prompt": "hi"}',
                    capture_output=True, text=True, env=env, cwd=scratch, timeout=60,
                )  # fmt: skip
                assert hook.returncode == 0, (command, hook.stderr)
        launcher = odd / ".local" / "bin" / "quotaline"
        plugin = scratch / "quotaline.1m.sh"
        printed = subprocess.run([str(launcher), "segment", "--print-swiftbar-plugin"], capture_output=True, env=env)
        plugin.write_bytes(printed.stdout)
        # The bar's own environment: another HOME, a bare PATH; only the path written in the plugin finds quotaline.
        bar = subprocess.run(
            ["sh", str(plugin)], capture_output=True, text=True, cwd=scratch, timeout=60,
            env={**env, "HOME": str(scratch / "elsewhere"), "XDG_STATE_HOME": str(odd / ".local" / "state")},
        )  # fmt: skip
        assert bar.stdout.startswith("5h 42%"), (bar.stdout, bar.stderr)
        assert not (scratch / "pwned").exists(), f"a written command ran part of its path: {name!r}"


# ---- SwiftBar / xbar / Argos: the plugin script's lines, parsed as these bars parse them ----------

BAR = ["| bash=touch @MARK@", "|href=file:///", "<b>", "&amp;", "\\n", ":skull:", "---", "--", "color=red", "'", '"']
PARAMS = {"color", "emojize", "symbolize", "useMarkup", "unescape", "font", "trim", "bash", "terminal", "refresh"}


def bar_line(line: str) -> tuple[str, dict[str, str]]:
    """A line as BitBar, SwiftBar and Argos read it: the text up to the first ``|``, then
    ``name=value`` words split as a POSIX shell would (Argos: ``GLib.shell_parse_argv``)."""
    text, sep, rest = line.partition("|")
    words = shlex.split(rest) if sep else []
    return text, dict(word.split("=", 1) for word in words if "=" in word)


@pytest.mark.parametrize("argos", [False, True])
@REAL
@given(text=hostile(BAR, "|<>&\\:-='\""))
def test_menu_bar_plugin_lines_keep_server_text_as_text(
    home: Home, served: HTTPServer, tmp_path: Path, argos: bool, text: str
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as where:
        scratch = Path(where)
        text, marker = with_marker(text, scratch)
        refresh_with(home, served, text)
        launcher = quotaline_on_path(tmp_path / "bin") / "quotaline"
        env = {**home.env, "QUOTALINE_BIN": str(launcher), **({"ARGOS_VERSION": "2"} if argos else {})}
        plugin = REPO / "statusline" / "plugins" / "quotaline.1m.sh"
        done = subprocess.run(["sh", str(plugin)], capture_output=True, text=True, env=env, cwd=scratch, timeout=60)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith("5h 42% "), lines[0]  # the title, the percent kept
        for line in lines:
            shown, params = bar_line(line)
            if shown.strip().startswith("--") and not params:
                continue  # quotaline's own separators
            assert not shown.lstrip().startswith("--"), line  # never a submenu or a separator
            assert set(params) <= PARAMS | {f"param{i}" for i in range(1, 4)}, line  # no parameter from the text
            if "bash" not in params:  # every text line: no markup, no escapes, no :emoji:
                assert params.get("useMarkup") == "false" and params.get("unescape") == "false", line
                assert params.get("emojize") == "false", line
        assert not marker.exists()
