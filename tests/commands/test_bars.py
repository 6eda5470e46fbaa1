"""Waybar and SwiftBar / xbar / Argos output, for every usage fixture, run as the real command."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from helpers.cli import FIXTURES, Home, snapshot_with, window
from helpers.usage_server import live_fixture

from statusline.core.store import snapshot
from statusline.core.window import merge
from statusline.refresh.usage_payload import parse_usage

USAGE_FIXTURES = [p.name for p in sorted((FIXTURES / "usage").glob("*.json")) if "error" not in p.name]


def load_fixture(home: Home, name: str) -> dict[str, Any]:
    """The fixture through the real parser and merge into the snapshot, as a refresh would store it."""
    data, _ = live_fixture(name)
    now = time.time()
    reading = parse_usage(data, source="claude_ai" if name.startswith("claude_ai") else "oauth", observed_at=now)
    snap = snapshot.empty()
    merge.apply_windows(snap, list(reading.windows.values()), now=now)
    merge.apply_extra(snap, reading.extra_usage, now=now)
    assert snap["windows"], name
    home.write_snapshot(snap)
    return snap


def controls(text: str, allowed: str = "") -> list[str]:
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cf") and c not in allowed]


@pytest.mark.parametrize("fixture", USAGE_FIXTURES)
def test_waybar_for_every_fixture(home: Home, fixture: str) -> None:
    snap = load_fixture(home, fixture)
    result = home.run("segment", "--format", "waybar")
    assert result.code == 0 and result.err == ""
    assert result.out.count("\n") == 1  # one JSON line: Waybar reads line by line
    data = json.loads(result.out)
    assert set(data) == {"text", "tooltip", "class", "percentage"}
    plain = home.run("segment", "--format", "plain").out.strip()
    assert data["text"] == plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert not controls(data["text"]) and not controls(data["tooltip"], "\n")
    assert "\x1b" not in result.out and "#[" not in result.out
    tooltip = data["tooltip"].split("\n")
    money = 1 if (snap.get("extra_usage") or {}).get("enabled") else 0
    assert len(tooltip) == len(snap["windows"]) + money
    status = json.loads(home.run("status", "--json").out)
    for line, w in zip(tooltip, status["windows"], strict=False):
        assert w["label"] or w["id"]
        assert (" resets " in line and " (in " in line) or w["resets_at"] is None or w["past_reset"]
        assert w["source"] in line
    assert data["class"][0] in ("normal", "warn", "critical", "full") and set(data["class"][1:]) <= {"stale"}
    assert isinstance(data["percentage"], int) and not isinstance(data["percentage"], bool)
    shown = [w for w in status["windows"] if not w["past_reset"] and f"{w['label']} " in plain]
    assert data["percentage"] == max(int(w["used_pct"]) for w in shown)


@pytest.mark.parametrize("fixture", USAGE_FIXTURES)
def test_swiftbar_for_every_fixture(home: Home, fixture: str) -> None:
    snap = load_fixture(home, fixture)
    result = home.run("segment", "--format", "swiftbar", env={"QUOTALINE_BIN": "/opt/q/quotaline"})
    assert result.code == 0 and result.err == ""
    lines = result.out.rstrip("\n").split("\n")
    assert not controls(result.out, "\n")  # no ANSI: these bars do not render it
    title, rest = lines[0], lines[1:]
    text, _, params = title.partition(" | ")
    assert text == home.run("segment", "--format", "plain").out.strip().replace("|", "¦")
    assert "emojize=false" in params and rest[0] == "---"
    rows = [line for line in rest if line[:1] in "█░"]
    assert len(rows) == len(snap["windows"])
    for row in rows:
        bar = row.split(" ", 1)[0]
        assert len(bar) == 10 and set(bar) <= {"█", "░"}
        assert "font=Menlo" in row and row.count(" | ") == 1
    if (snap.get("extra_usage") or {}).get("enabled"):
        assert any(line.startswith("Extra usage ") for line in rest)
    assert "Open quotaline status | bash=/opt/q/quotaline param1=status terminal=true" in rest
    assert "Refresh now | bash=/opt/q/quotaline param1=refresh terminal=false refresh=true" in rest


def test_waybar_class_percentage_and_markup(home: Home) -> None:
    snap = snapshot_with(
        window("five_hour", 42.5),
        window("seven_day", 96.5, resets_in=3 * 86400),
        window("seven_day:opus", 99.9, resets_in=86400, age=3600, label="<b>Op&us</b>"),
    )
    snap["sessions"]["s1"] = {"model_id": "claude-opus-5-5", "last_seen": time.time()}
    home.write_snapshot(snap)
    data = json.loads(home.run("segment", "--format", "waybar").out)
    assert data["class"] == ["critical", "stale"]  # the worst level shown, and one number is old
    assert data["percentage"] == 99  # the binding window, cut: never above the server's 99.9
    assert "&lt;b&gt;Op&amp;us&lt;/b&gt; ≥99.9%" in data["text"]  # a label is never Pango markup
    assert "<b>" not in data["tooltip"]
    only = json.loads(home.run("segment", "--format", "waybar", "--windows", "five_hour").out)
    assert only["class"] == ["normal"] and only["percentage"] == 42
    assert len(only["tooltip"].split("\n")) == 3  # the tooltip lists every window all the same


def test_bars_without_data(home: Home) -> None:
    data = json.loads(home.run("segment", "--format", "waybar").out)
    assert data == {"text": "quotaline: waiting for first reply", "tooltip": "", "class": ["none"], "percentage": 0}
    out = home.run("segment", "--format", "swiftbar").out
    assert out.startswith("quotaline: waiting for first reply | ") and "No numbers yet" in out


def test_swiftbar_menu_text_cannot_break_the_menu(home: Home) -> None:
    snap = snapshot_with(window("five_hour", 85, label="---|x\x1b[31m"))
    home.write_snapshot(snap)
    out = home.run("segment", "--format", "swiftbar").out
    title = out.split("\n")[0]
    assert title.startswith("‐--¦x[31m 85%") and title.count(" | ") == 1 and "color=#d08700" in title
    assert "\x1b" not in out


def test_argos_gets_one_command_line(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 10)))
    out = home.run("segment", "--format", "swiftbar", env={"ARGOS_VERSION": "2", "QUOTALINE_BIN": "/a b/quotaline"}).out
    assert "Open quotaline status | bash=\"'/a b/quotaline' status\" terminal=true" in out


def test_plugin_script_runs_the_segment(home: Home, tmp_path: Path) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 42)))
    script = home.run("segment", "--print-swiftbar-plugin").out
    assert script.startswith("#!/bin/sh\n") and "<xbar.title>quotaline</xbar.title>" in script
    plugin = tmp_path / "quotaline.1m.sh"
    plugin.write_text(script)
    plugin.chmod(0o755)
    shim = tmp_path / "bin" / "quotaline"
    shim.parent.mkdir()
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -m statusline \"$@\"\n")
    shim.chmod(0o755)
    env = {**home.env, "QUOTALINE_BIN": str(shim)}
    out = subprocess.run([str(plugin)], capture_output=True, env=env, timeout=30, cwd=home.root).stdout.decode()
    assert out.startswith("5h 42% ") and f"bash={shim} param1=status" in out
    missing = subprocess.run(
        [str(plugin)], capture_output=True, timeout=30, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "none")}
    ).stdout.decode()
    assert missing.startswith("quotaline ?\n---\n")


@pytest.mark.parametrize("fixture", USAGE_FIXTURES)
@pytest.mark.parametrize("fmt", ["tmux", "plain"])
def test_one_line_formats_for_every_fixture(home: Home, fixture: str, fmt: str) -> None:
    load_fixture(home, fixture)
    out = home.run("segment", "--format", fmt).out
    assert out.endswith("\n") and out.count("\n") == 1 and not controls(out, "\n")  # tmux and prompts: no escapes
    assert "5h " in out


@pytest.mark.parametrize("fixture", USAGE_FIXTURES)
def test_prometheus_text_for_every_fixture(home: Home, fixture: str) -> None:
    """The claude.ai fixture too (the round trip serves the OAuth ones): the text format's rules."""
    import re

    from statusline.core.run.context import Context
    from statusline.core.settings import loader
    from statusline.refresh import prometheus

    snap = load_fixture(home, fixture)
    text = prometheus.render(Context(snapshot.normalise(snap), loader.load(), time.time()), "acc")
    line = re.compile(r'^quotaline_[a-z_]+\{(?:[a-z_]+="(?:[^"\\\n]|\\.)*",?)+\} (?:-?[0-9.e+-]+|[+-]Inf|NaN)$')
    for row in text.splitlines():
        assert row.startswith("# HELP quotaline_") or row.startswith("# TYPE quotaline_") or line.match(row), row
    for wid in snap["windows"]:
        assert f'window="{wid}"' in text


def test_a_bar_never_shows_more_than_was_used() -> None:
    from statusline.core.draw.bars import text_bar

    assert text_bar(97.5, 20) == "█" * 19 + "░"  # rounding would fill it: it is not full
    assert text_bar(100, 20) == "█" * 20 and text_bar(4.9, 20) == "░" * 20 and text_bar(250, 10) == "█" * 10
