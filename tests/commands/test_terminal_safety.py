"""No escape sequence, bidi override or tmux markup from a server, a file or stdin reaches a screen."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from helpers.cli import Home, snapshot_with, statusline_stdin, window
from hypothesis import given
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer

from statusline.core.draw import textsafe

OSC8 = "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
TITLE = "\x1b]0;pwned\x07"
BLINK = "\x1b[5m"
C1 = "\x9b31m\x9d0;t\x9c"
BIDI = "\u202eevil\u202c\u2066x\u2069"
TMUX_RUN = "#(touch {marker})"
TMUX_STYLE = "#[fg=red,blink]"


def hostile(marker: Path | str = "/tmp/quotaline-never") -> str:
    return f"A{OSC8}{TITLE}{BLINK}{C1}{BIDI}{TMUX_RUN.format(marker=marker)}{TMUX_STYLE}\x00\x7fZ"


# What quotaline itself draws with: its SGR colours and tmux styles, nothing else.
OWN_SGR = re.compile(r"\x1b\[(?:0|32|33|31|1;31|2;32|2;33|2;31|2;1;31)m")
OWN_TMUX = re.compile(r"#\[(?:fg=(?:green|yellow|red|red,bold|colour244)|default)\]")
FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def assert_clean(text: str, *, tmux: bool = False) -> None:
    rest = OWN_SGR.sub("", text)
    if tmux:
        rest = OWN_TMUX.sub("", rest).replace("##", "")
        assert "#" not in rest, f"tmux markup got through: {text!r}"
    bad = FORBIDDEN.findall(rest)
    assert not bad, f"control characters {bad!r} in {text!r}"


def plant(home: Home, marker: Path | str = "/tmp/quotaline-never") -> None:
    evil = hostile(marker)
    now = time.time()
    odd = window("seven_day", 91, source=evil, label=evil)
    keyed = window("five_hour", 93) | {"id": evil, "label": None}  # a code-named bucket's key
    snap = snapshot_with(
        window("five_hour", 95, label=evil),
        odd,
        extra_usage={"enabled": True, "used": 12.5, "limit": 20, "currency": evil, "observed_at": now},
        errors=[{"kind": evil, "message": evil, "source": evil, "at": now}],
        sessions={"sess-1": {"model_id": evil, "model_name": evil, "last_seen": now}},
    )
    snap["windows"][evil] = keyed
    home.write_snapshot(snap)
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True, exist_ok=True)
    key = json.dumps(evil)  # a TOML basic string is JSON-compatible for these escapes
    shown = f'windows = ["five_hour", "seven_day", {key}, "extra"]\n'
    (cfg / "config.toml").write_text(f"[statusline]\n{shown}{key} = 1\n[segment]\n{shown}")


def test_the_status_line_keeps_its_colours_and_drops_everything_planted(home: Home) -> None:
    plant(home)
    out = home.run("statusline").out
    assert "\x1b[31m" in out  # quotaline's own colour for 95% is still there
    assert "Z" in out and "[fg=red,blink]" in out  # the text itself stays readable
    assert_clean(out)


def test_the_status_line_with_hostile_stdin_strings_is_clean(home: Home) -> None:
    plant(home)
    data = statusline_stdin(42, 17) | {"session_id": hostile(), "cwd": hostile(), "version": hostile()}
    data["model"] = {"id": hostile(), "display_name": hostile()}
    result = home.run("statusline", stdin=json.dumps(data))
    assert result.code == 0 and "5h" not in result.out and "95%" in result.out
    assert_clean(result.out)


def test_no_data_line_with_a_hostile_error_is_clean(home: Home) -> None:
    error = {"kind": "x", "message": hostile(), "source": "oauth", "at": time.time()}
    home.write_snapshot(snapshot_with(errors=[error]))
    for style in ("statusline", "tmux"):
        out = home.run("statusline").out if style == "statusline" else home.run("segment", "--format", "tmux").out
        assert out.startswith("quotaline: waiting for first reply (A")
        assert_clean(out, tmux=style == "tmux")


@pytest.mark.parametrize("fmt", ["tmux", "starship", "plain", "ansi"])
def test_every_segment_format_is_clean(home: Home, fmt: str) -> None:
    plant(home)
    out = home.run("segment", "--format", fmt).out
    assert out.count("Z") >= 3  # three labels (and two currencies, if the extra usage passes)
    assert_clean(out, tmux=fmt == "tmux")


def test_segment_json_and_status_json_carry_no_control_characters(home: Home) -> None:
    plant(home)
    for args in (("segment", "--format", "json"), ("status", "--json")):
        out = home.run(*args).out
        data = json.loads(out)
        text = json.dumps(data, ensure_ascii=False)
        assert_clean(text)  # decoded: a JSON consumer sees exactly these strings
        assert any("Z" in w["label"] for w in data["windows"])
        assert data["errors"][0]["message"].startswith("A]8;;https://evil.example/")


def test_status_for_people_is_clean(home: Home) -> None:
    plant(home)
    result = home.run("status")
    assert result.code == 0 and "error (" in result.out and "config problems" in result.out
    assert_clean(result.out)


def test_the_hook_message_is_clean(home: Home) -> None:
    plant(home)
    result = home.run("hook", "user-prompt-submit", stdin=json.dumps({"session_id": "s"}))
    message = json.loads(result.out)["systemMessage"]
    assert "95%" in message and "Z" in message
    assert_clean(message)
    blocked = home.run(
        "hook", "user-prompt-submit", stdin=json.dumps({"session_id": "t"}), env={"QUOTALINE_BLOCK_AT": "90"}
    )
    reason = json.loads(blocked.out)["reason"]
    assert "block_at" in reason
    assert_clean(reason)


def test_refresh_prints_a_servers_hostile_error_message_clean(home: Home, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/oauth/usage").respond_with_json(
        {"error": {"type": "permission_error", "message": hostile()}}, status=403
    )
    home.env.update(
        QUOTALINE_API_BASE=httpserver.url_for("/").rstrip("/"),
        QUOTALINE_CLAUDE_AI_BASE=httpserver.url_for("/").rstrip("/"),
        CLAUDE_CODE_OAUTH_TOKEN="sk-ant-oat01-test",
    )
    result = home.run("refresh")
    assert result.code == 1 and "refused access (403): A" in result.err
    assert_clean(result.err + result.out)
    assert_clean(home.run("status").out)
    assert_clean(json.dumps(json.loads(home.run("status", "--json").out), ensure_ascii=False))


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_tmux_shows_planted_markup_literally_and_runs_nothing(home: Home, tmp_path: Path) -> None:
    # The README's setup, `#(quotaline segment --format tmux)`, drawn by a real tmux in a real client.
    marker = tmp_path / "pwned"
    plant(home, marker)
    seg = tmp_path / "segment.txt"
    out = home.run("segment", "--format", "tmux", "--windows", "five_hour").out.strip()
    seg.write_text(out)
    inner, outer = f"ql-inner-{tmp_path.name}", f"ql-outer-{tmp_path.name}"
    tmux = ["tmux", "-f", "/dev/null", "-L"]
    try:
        subprocess.run([*tmux, inner, "new-session", "-d", "-x", "200", "-y", "5", "sleep 60"], check=True)
        for opt, value in (
            ("status-right-length", "200"),
            ("status-interval", "1"),
            ("status-right", f"#(cat {seg})|"),
        ):
            subprocess.run([*tmux, inner, "set", "-g", opt, value], check=True)
        subprocess.run(
            [*tmux, outer, "new-session", "-d", "-x", "220", "-y", "8", f"TERM=screen tmux -L {inner} attach"],
            check=True,
        )
        screen = ""
        for _ in range(40):
            time.sleep(0.25)
            screen = subprocess.run(
                [*tmux, outer, "capture-pane", "-p", "-t", "0"], capture_output=True, text=True
            ).stdout
            if " 95% " in screen:
                break
        status = [line for line in screen.splitlines() if " 95% " in line]
        assert status, screen
        assert f"#(touch {marker})#[fg=red,blink]" in status[0]  # shown, not run or styled
        assert not marker.exists()
    finally:
        for server in (outer, inner):
            subprocess.run([*tmux, server, "kill-server"], capture_output=True)


def test_before_the_fix_tmux_would_have_read_the_markup(home: Home) -> None:
    # The escaping is what stands between a label and tmux: every "#" of it arrives doubled.
    plant(home)
    out = home.run("segment", "--format", "tmux", "--windows", "five_hour").out
    assert "##(touch /tmp/quotaline-never)##[fg=red,blink]" in out


@given(st.text())
def test_cleaned_text_has_no_control_characters_and_cleaning_twice_changes_nothing(text: str) -> None:
    once = textsafe.clean(text)
    assert not FORBIDDEN.search(once) and "\n" not in once and "\t" not in once
    assert not any(0xD800 <= ord(c) < 0xE000 for c in once)
    assert textsafe.clean(once) == once
    once.encode("utf-8")  # always writable


@given(st.text(st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")) | st.just(" ")))
def test_printable_text_passes_through_unchanged(text: str) -> None:
    assert textsafe.clean(text) == text


@given(st.text(alphabet=st.sampled_from("#[](){}ab \x1b")))
def test_tmux_text_has_every_hash_doubled(text: str) -> None:
    out = textsafe.for_tmux(text)
    assert "#" not in out.replace("##", "")
    assert out.replace("##", "#") == textsafe.clean(text)


def test_words_on_separate_lines_stay_separate() -> None:
    assert textsafe.clean("rate\nlimited\tnow\u2028") == "rate limited now "
    assert textsafe.clean_tree({"a\x1b": ["b\x07", 1, None, ("c\x9b",)]}) == {"a": ["b", 1, None, ["c"]]}
