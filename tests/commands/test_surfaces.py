"""Segments (tmux, Starship, plain, json), the forecast on every surface, config, status, doctor."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from helpers.cli import Home, snapshot_with, statusline_stdin, window

from statusline.core.store import snapshot
from statusline.core.window import history_rules, merge


def burning(home: Home, *, start: float = 40, per_5min: float = 2.7, resets_in: float = 7200) -> None:
    """A five_hour window climbing steadily for the last hour (about 32%/h), plus calm windows."""
    now = time.time()
    snap = snapshot.empty()
    reset = now + resets_in
    for i in range(13):
        t = now - 3600 + i * 300
        reading = {
            "id": "five_hour",
            "label": "5h",
            "used_pct": start + i * per_5min,
            "resets_at": reset,
            "source": "oauth",
            "observed_at": t,
            "session": None,
        }
        merge.apply_windows(snap, [reading], now=t)
    snap["windows"]["seven_day"] = window("seven_day", 41, resets_in=3 * 86400)
    snap["windows"]["seven_day:opus"] = window("seven_day:opus", 94, resets_in=86400 + 3 * 3600 + 600)
    snap["sessions"]["s1"] = {"model_id": "claude-opus-5-5", "last_seen": now}
    home.write_snapshot(snap)


def test_statusline_shows_fill_before_reset(home: Home) -> None:
    burning(home)
    out = home.run("statusline", stdin=b"", env={"NO_COLOR": "1"}).out
    assert out.startswith("5h 72.4% 1h59m →100% in 5")  # 27.6 points at ~32.4%/h: ~51 min
    assert "7d 41%" in out and "→" not in out.split("·")[1]


def test_no_forecast_from_too_little_data(home: Home) -> None:
    home.write_snapshot(snapshot_with(window("five_hour", 72)))
    out = home.run("statusline", stdin=b"", env={"NO_COLOR": "1"}).out
    assert "→" not in out


def test_hook_warns_on_forecast_below_the_warning_level(home: Home) -> None:
    burning(home, start=40, per_5min=2.5)  # 70% now, 30%/h: full in ~60 min
    quiet = home.run(
        "hook", "user-prompt-submit", stdin='{"session_id": "x"}', env={"QUOTALINE_FORECAST_MINUTES": "30"}
    )
    assert "5-hour" not in quiet.out
    loud = home.run("hook", "user-prompt-submit", stdin='{"session_id": "y"}', env={"QUOTALINE_FORECAST_MINUTES": "90"})
    message = json.loads(loud.out)["systemMessage"]
    assert message.startswith("5-hour window at 70% will hit 100% in about 1h")


def test_segment_formats(home: Home) -> None:
    burning(home)
    tmux = home.run("segment", "--format", "tmux").out.strip()
    assert tmux.startswith("#[fg=yellow]5h 72.4% 1h59m →100% in 5") and "#[default]" in tmux
    assert "#[fg=yellow]Opus 94% 1d3h#[default]" in tmux  # model of the latest session
    starship = home.run("segment", "--format", "starship").out.strip()
    assert starship.startswith("\x1b[33m5h 72.4%") and "#[" not in starship
    plain = home.run("segment", "--format", "plain", "--windows", "five_hour,seven_day").out.strip()
    assert plain.startswith("5h 72.4% 1h59m →100%") and plain.endswith("7d 41% 2d23h") and "\x1b" not in plain
    data = json.loads(home.run("segment", "--format", "json").out)
    five = next(w for w in data["windows"] if w["id"] == "five_hour")
    assert data["schema"] == 1 and five["used_pct"] == 72.4 and five["forecast"]["hits_full_before_reset"]


def test_segment_template_and_model(home: Home) -> None:
    burning(home)
    out = home.run(
        "segment",
        "--format",
        "plain",
        "--windows",
        "model",
        "--model",
        "opus",
        "--template",
        "$label=$pct \\($source, $age\\)( $eta)",  # ( ... ) is an optional group; \\( a parenthesis
    ).out.strip()
    assert out == "Opus=94% (oauth, 0m)" or out == "Opus=94% (oauth, 1s)"


@pytest.mark.parametrize("args", [["--format", "html"], ["--windows"], ["--bogus"]])
def test_segment_bad_arguments(home: Home, args: list[str]) -> None:
    result = home.run("segment", *args)
    assert result.code == 2 and "usage: quotaline segment" in result.err and "Traceback" not in result.err


def test_segment_without_data(home: Home) -> None:
    assert home.run("segment", "--format", "plain").out.strip() == "quotaline: waiting for first reply"
    assert json.loads(home.run("segment", "--format", "json").out)["windows"] == []


def test_status_json_schema(home: Home) -> None:
    home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)))
    data = json.loads(home.run("status", "--json").out)
    assert data["schema"] == 1 and data["generated_at"].endswith("Z") and data["errors"] == []
    five = data["windows"][0]
    assert five["id"] == "five_hour" and five["label"] == "5h" and five["used_pct"] == 42.0
    assert five["source"] == "statusline" and five["stale"] is False
    assert time.strptime(five["resets_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert data["extra_usage"] is None


def test_status_for_people(home: Home) -> None:
    burning(home)
    out = home.run("status").out
    assert "5h" in out and "72.4%" in out and "hits 100% in 5" in out and "oauth" in out
    assert "Opus" in out and "resets" in out
    # No transcripts were ever counted: say so once, never "0 tokens".
    assert out.count("this machine: the local ledger has not been built yet") == 1
    assert "0 tokens" not in out


def test_config_init_path_and_show(home: Home) -> None:
    path = home.run("config", "path").out.strip()
    assert path == str(home.root / "config" / "quotaline" / "config.toml")
    assert home.run("config", "init").code == 0
    text = Path(path).read_text()
    assert "[levels]" in text and "warn = 80" in text
    assert "kept existing" in home.run("config", "init").out
    shown = json.loads(home.run("config", "show").out)
    assert shown["levels"] == {"warn": 80.0, "critical": 95.0}


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("[levels\n", "not valid TOML"),
        ("[levels]\nwarn = 'high'\n", "levels.warn must be a number"),
        ("[refresh]\ninterval_seconds = 5\n", "at least 60"),
        ("[hook]\nrepeat = 'sometimes'\n", "hook.repeat must be one of"),
        ("colours = true\n", "unknown setting colours"),
        ("[levels]\nwarn = 99\ncritical = 90\n", "0 < warn <= critical"),
        ("[levels]\nwarn = inf\ncritical = inf\n", "levels.warn must be a number, not inf"),
        ("[hook]\nblock_at = nan\n", "hook.block_at must be a number, not nan"),
    ],
)
def test_broken_configs(home: Home, toml: str, problem: str) -> None:
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text(toml)
    line = home.run("statusline", stdin=json.dumps(statusline_stdin(42, 17)), env={"NO_COLOR": "1"})
    assert line.code == 0 and line.out.startswith("5h 42%") and line.out.strip().endswith("!cfg")
    shown = home.run("config", "show")
    assert shown.code == 1 and problem in shown.err
    doctor = home.run("doctor", "--no-timing")
    assert problem in doctor.out
    said = [row for row in doctor.out.splitlines() if problem in row]
    assert said and all(row.count(str(cfg / "config.toml")) == 1 for row in said)  # the path once, not twice


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity", "1e400"])
@pytest.mark.parametrize("name", ["QUOTALINE_WARN_AT", "QUOTALINE_BLOCK_AT", "QUOTALINE_FORECAST_MINUTES"])
def test_a_setting_that_is_not_a_finite_number_is_refused_aloud(home: Home, name: str, value: str) -> None:
    """``inf`` would turn warnings off (or block every prompt) without a word: it is a problem."""
    line = home.run("statusline", stdin=json.dumps(statusline_stdin(96, 17)), env={"NO_COLOR": "1", name: value})
    assert line.code == 0 and line.out.startswith("5h 96%") and line.out.strip().endswith("!cfg")
    doctor = home.run("doctor", "--no-timing", env={name: value})
    assert f"{name}={value!r} is not a valid float" in doctor.out
    assert str(home.root / "config") not in doctor.out.split(f"{name}=")[0].splitlines()[-1]
    warned = home.run("hook", "user-prompt-submit", stdin='{"session_id": "s"}', env={name: value})
    assert warned.code == 0 and "5-hour" in json.loads(warned.out)["systemMessage"]  # the default still warns


def test_config_secret_never_cached(home: Home) -> None:
    cfg = home.root / "config" / "quotaline"
    cfg.mkdir(parents=True)
    (cfg / "config.toml").write_text('[refresh]\nclaude_ai_session_key = "sk-ant-sid01-SECRET"\n')
    home.run("statusline", stdin=b"")
    cache = home.state / "config-cache.json"
    assert cache.exists() and "SECRET" not in cache.read_text()
    assert "SECRET" not in home.run("config", "show").out


def test_doctor_on_a_fresh_machine(home: Home) -> None:
    result = home.run("doctor", "--no-timing")
    assert result.code == 1  # settings.json missing is a failure
    assert "run `quotaline install`" in result.out and "no Claude Code credentials" in result.out
    assert "does not exist yet" in result.out


def test_doctor_on_broken_settings_and_missing_launcher(home: Home) -> None:
    home.claude.mkdir()
    (home.claude / "settings.json").write_text("{oops")
    assert "not valid JSON" in home.run("doctor", "--no-timing").out
    (home.claude / "settings.json").write_text(
        json.dumps({"statusLine": {"type": "command", "command": "/nowhere/quotaline statusline"}})
    )
    out = home.run("doctor", "--no-timing").out
    assert "/nowhere/quotaline, which is missing" in out and "no UserPromptSubmit hook" in out
    assert "no StopFailure hook" in out and "no Stop hook" in out
    (home.claude / "settings.json").write_text(
        json.dumps({"statusLine": {"type": "command", "command": "bash -c 'ccstatusline; quotaline statusline'"},
                    "hooks": {"UserPromptSubmit": [{"hooks": [{"type": "command", "command": "echo quotaline"}]}]}})
    )
    out = home.run("doctor", "--no-timing").out
    assert "statusLine is not quotaline's" in out and "no UserPromptSubmit hook" in out  # wrapped: the user's


def test_doctor_reports_backoff_and_permissions(home: Home) -> None:
    snap = snapshot_with(window("five_hour", 42))
    snap["refresh"] = {"sources": {"oauth": {"kind": "rate_limited", "backoff_until": time.time() + 1200}}}
    home.write_snapshot(snap)
    home.snapshot_file().chmod(0o644)
    out = home.run("doctor", "--no-timing").out
    assert "backing off after rate_limited" in out and "file 644" in out


def test_pace_history_is_recorded_from_every_source_and_bounded(home: Home) -> None:
    for pct in (10, 11, 12):
        home.run("statusline", stdin=json.dumps(statusline_stdin(pct, 17)))
    points = home.history("five_hour")
    assert [p[1] for p in points][-3:] == [10, 11, 12] or [p[1] for p in points] == [10, 11, 12]
    now = time.time()
    many: list = []
    for i in range(5000):
        many = history_rules.add_point(many, now - 8 * 86400 + i * 150, 1.0 + i / 100, None, now=now)
    assert len(many) <= 300


def test_doctor_prints_no_escape_from_a_file_and_survives_a_lone_surrogate(home: Home) -> None:
    hostile = "x\x1b]0;PWNED\x07\x1b[5m\u202e\ud800"
    snap = snapshot_with(window("five_hour", 42))
    snap["windows"][hostile] = {**window("seven_day", 20), "id": hostile, "label": hostile}
    snap["errors"] = [{"kind": hostile, "message": hostile, "source": hostile, "at": time.time()}]
    home.state.mkdir(parents=True, exist_ok=True, mode=0o700)
    home.snapshot_file().write_text(json.dumps(snap))  # json escapes the surrogate; it reads back as one
    result = home.run("doctor", "--no-timing")
    assert "Traceback" not in result.err and "five_hour: 42%" in result.out
    assert "\x1b" not in result.out and "\x07" not in result.out and "\u202e" not in result.out
