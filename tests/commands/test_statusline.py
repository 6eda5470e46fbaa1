"""`quotaline statusline` end to end in a real process: fixtures, bad input, what is drawn."""

from __future__ import annotations

import json
import re
import time

import pytest
from helpers.cli import FIXTURES, Home, snapshot_with, statusline_stdin, window

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    return ANSI.sub("", text).strip()


@pytest.mark.parametrize("fixture", sorted((FIXTURES / "statusline").glob("*.json")), ids=lambda p: p.name)
def test_every_statusline_fixture_gives_one_sane_line(home: Home, fixture) -> None:
    result = home.run("statusline", stdin=fixture.read_bytes())
    assert result.code == 0
    lines = [ln for ln in result.out.splitlines() if ln.strip()]
    assert len(lines) == 1, result.out
    assert "Traceback" not in result.out + result.err
    text = plain(lines[0])
    raw = json.loads(fixture.read_text())
    live = [(k, v) for k, v in (raw.get("rate_limits") or {}).items() if v["resets_at"] > time.time()]
    if live:  # fixture reset times are absolute: only assert them while they lie in the future
        for key, value in live:
            label = {"five_hour": "5h", "seven_day": "7d"}[key]
            assert f"{label} {value['used_percentage']:g}%" in text
    else:
        assert text == "quotaline: waiting for first reply"


@pytest.mark.parametrize(
    "fixture", ["stdin_2.1.330_oauth_after_turn.json", "stdin_2.1.197_oauth.json", "stdin_docs_full_schema.json"]
)
def test_fixture_percents_are_shown_exactly(home: Home, fixture: str) -> None:
    raw = json.loads((FIXTURES / "statusline" / fixture).read_text())
    five = raw["rate_limits"]["five_hour"]["used_percentage"]
    seven = raw["rate_limits"]["seven_day"]["used_percentage"]
    stdin = statusline_stdin(five, seven, base=fixture)
    text = plain(home.run("statusline", stdin=json.dumps(stdin)).out)
    assert text.startswith(f"5h {five:g}% 2h1")  # 7980 s -> 2h13m (or 2h12m a second later)
    assert f"7d {seven:g}% 3d" in text


def test_countdown_and_colours(home: Home) -> None:
    out = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 85))).out
    assert "\x1b[32m5h 42% 2h1" in out  # green below warn
    assert "\x1b[33m7d 85% 3d" in out  # yellow at warn
    out = home.run("statusline", stdin=json.dumps(statusline_stdin(97, 85))).out
    assert "\x1b[31m5h 97%" in out  # red at critical


def test_no_color_env(home: Home) -> None:
    out = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)), env={"NO_COLOR": "1"}).out
    assert "\x1b" not in out
    assert out.startswith("5h 42% ")


BAD_STDIN = [
    b"",
    b"   \n",
    b"not json",
    b"[1, 2, 3]",
    b'"a string"',
    b"\xff\xfe\x00garbage\x00",
    b'{"rate_limits": "nope"}',
    b'{"rate_limits": {"five_hour": "42"}}',
    b'{"rate_limits": {"five_hour": {"used_percentage": "42", "resets_at": 1}}}',
    b'{"rate_limits": {"five_hour": {"used_percentage": NaN, "resets_at": 4102444800}}}',
    b'{"rate_limits": {"five_hour": {"used_percentage": -1, "resets_at": 4102444800}}}',
    b'{"rate_limits": {"five_hour": {"used_percentage": 100.6, "resets_at": 4102444800}}}',
    b'{"rate_limits": {"five_hour": {"used_percentage": true, "resets_at": 4102444800}}}',
    b'{"rate_limits": {"five_hour": {"used_percentage": 4102444800, "resets_at": 4102444800}}}',
    b'{"model": 5, "session_id": [], "version": {}}',
    b"[" * 100000,
]


@pytest.mark.parametrize("stdin", BAD_STDIN, ids=range(len(BAD_STDIN)))
def test_bad_stdin_never_breaks_the_line(home: Home, stdin: bytes) -> None:
    result = home.run("statusline", stdin=stdin)
    assert result.code == 0
    assert plain(result.out) == "quotaline: waiting for first reply"
    assert "Traceback" not in result.err
    if home.snapshot_file().exists():
        assert home.snapshot()["windows"] == {}  # nothing impossible was recorded


def test_percent_equal_to_reset_epoch_is_rejected_but_other_window_kept(home: Home) -> None:
    stdin = statusline_stdin(42, 17)
    epoch = stdin["rate_limits"]["seven_day"]["resets_at"]
    stdin["rate_limits"]["seven_day"]["used_percentage"] = epoch
    text = plain(home.run("statusline", stdin=json.dumps(stdin)).out)
    assert text.startswith("5h 42%")
    assert "7d" not in text
    assert set(home.snapshot()["windows"]) == {"five_hour"}


def test_corrupt_snapshot_counts_as_empty_and_is_rewritten(home: Home) -> None:
    home.state.mkdir(parents=True)
    home.snapshot_file().write_bytes(b'{"schema": 1, "windows": {"five_hour": {"used_pct": ')
    result = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)))
    assert result.code == 0 and plain(result.out).startswith("5h 42%")
    assert home.snapshot()["windows"]["five_hour"]["used_pct"] == 42


@pytest.mark.parametrize(
    "content", [b"", b"null", b"[]", b'{"schema": 99}', b'{"schema": 1, "windows": []}', b"\x00" * 50]
)
def test_odd_snapshots_do_not_crash(home: Home, content: bytes) -> None:
    home.state.mkdir(parents=True)
    home.snapshot_file().write_bytes(content)
    result = home.run("statusline", stdin=b"")
    assert result.code == 0 and plain(result.out) == "quotaline: waiting for first reply"


def test_unwritable_state_dir(home: Home, tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")  # a file where the state dir should be: every write fails, even as root
    result = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)), env={"XDG_STATE_HOME": str(blocker)})
    assert result.code == 0
    assert plain(result.out).startswith("5h 42%")  # still shows what stdin said


def test_snapshot_files_are_private(home: Home) -> None:
    home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)))
    assert home.snapshot_file().stat().st_mode & 0o777 == 0o600
    assert home.state.stat().st_mode & 0o777 == 0o700


def test_records_window_source_and_session(home: Home) -> None:
    before = time.time()
    home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17, session="abc")))
    snap = home.snapshot()
    five = snap["windows"]["five_hour"]
    assert five["used_pct"] == 42 and five["source"] == "statusline" and five["session"] == "abc"
    assert before <= five["observed_at"] <= time.time()
    assert snap["sessions"]["abc"]["model_id"] == "claude-opus-5-5"
    assert snap["sessions"]["abc"]["version"] == "2.1.330"


def test_stale_number_is_marked(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 42, age=3600)))
    text = plain(home.run("statusline", stdin=b"").out)
    assert text.startswith("5h ≥42%")


def test_past_reset_is_not_shown_as_a_number(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 88, resets_in=-60), window("seven_day", 17)))
    text = plain(home.run("statusline", stdin=b"").out)
    assert text.startswith("5h reset")
    assert "88" not in text


def test_model_window_and_alerts_and_extra_usage(home: Home) -> None:
    snap = snapshot_with(
        window("five_hour", 42),
        window("seven_day", 17),
        window("seven_day:opus", 94, resets_in=90000),
        window("seven_day:sonnet", 12),
        window("seven_day:fable", 81),
        extra_usage={"enabled": True, "used": 408.43, "limit": None, "currency": "USD", "out_of_credits": False},
    )
    home.write_snapshot(snap)
    text = plain(home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17))).out)
    assert "Opus 94% 1d" in text  # the session's model window
    assert "Fable 81%" in text  # another window at/over warn
    assert "Sonnet" not in text  # below warn and not the session's model
    assert text.endswith("+$408.43")


def test_extra_usage_other_currency(home: Home) -> None:
    home.write_snapshot(
        snapshot_with(window("five_hour", 24), extra_usage={"enabled": True, "used": 0.35, "currency": "EUR"})
    )
    assert plain(home.run("statusline", stdin=b"").out).endswith("+€0.35")


def test_broken_config_gives_defaults_and_a_mark(home: Home) -> None:
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text("[levels\nwarn = ")
    result = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)))
    assert result.code == 0
    assert plain(result.out).startswith("5h 42%") and plain(result.out).endswith("!cfg")


def test_configured_levels_and_template(home: Home) -> None:
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text('[levels]\nwarn = 40\ncritical = 50\n[statusline]\ntemplate = "$label:$pct"\n')
    out = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17))).out
    assert "\x1b[33m5h:42%" in out
    out2 = home.run("statusline", stdin=json.dumps(statusline_stdin(43, 17))).out  # cached config path
    assert "\x1b[33m5h:43%" in out2
