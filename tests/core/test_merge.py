"""core/window/merge: the one home of every change to a snapshot's data; here the account switch and the
pruning the refresher used to do itself (the merge rule has its properties in test_window_rules.py)."""

from __future__ import annotations

from helpers.cli import snapshot_with, window

from statusline.core.window import merge


def test_another_account_under_the_same_config_dir_keeps_only_the_sessions() -> None:
    snap = snapshot_with(window("five_hour", 42), window("seven_day", 17))
    snap["account"] = {"config_dir": "/c", "uuid": "acct-a"}
    snap["sessions"] = {"s1": {"model_id": "claude-opus-5", "last_seen": 1.0}}
    snap["errors"] = [{"kind": "rate_limited", "message": "m", "at": 1.0, "source": "oauth"}]
    merge.switch_account(snap, "acct-b", config_dir="/c")
    assert snap["windows"] == {} and snap["history"] == {} and snap["errors"] == []
    assert snap["sessions"] == {"s1": {"model_id": "claude-opus-5", "last_seen": 1.0}}
    assert snap["account"] == {"config_dir": "/c", "uuid": "acct-b"}


def test_the_same_or_an_unknown_account_keeps_every_number() -> None:
    for account in ("acct-a", None):
        snap = snapshot_with(window("five_hour", 42))
        snap["account"] = {"config_dir": "/old", "uuid": "acct-a"}
        merge.switch_account(snap, account, config_dir="/c")
        assert set(snap["windows"]) == {"five_hour"}
        assert snap["account"] == {"config_dir": "/c", "uuid": "acct-a"}


def test_a_first_account_is_remembered_without_dropping_anything() -> None:
    snap = snapshot_with(window("five_hour", 42))
    merge.switch_account(snap, "acct-a", config_dir="/c")
    assert set(snap["windows"]) == {"five_hour"} and snap["account"]["uuid"] == "acct-a"


def test_a_retired_window_goes_with_its_history_a_day_after_its_reset_but_the_main_two_stay() -> None:
    day = merge.PRUNE_AFTER_RESET_S
    snap = snapshot_with(
        window("five_hour", 1, resets_in=-2 * day),
        window("seven_day", 1, resets_in=-2 * day),
        window("iguana_necktie", 5, resets_in=-day - 60),
        window("seven_day:opus", 5, resets_in=-day + 60),
        window("seven_day:sonnet", 5, resets_in=3600),
    )
    snap["windows"]["seven_day:fable"] = {**window("seven_day:fable", 5), "resets_at": None}
    snap["history"] = {"iguana_necktie": "[]", "seven_day:opus": "[]"}
    now = snap["windows"]["five_hour"]["observed_at"]
    merge.prune(snap, now=now)
    assert set(snap["windows"]) == {"five_hour", "seven_day", "seven_day:opus", "seven_day:sonnet", "seven_day:fable"}
    assert snap["history"] == {"seven_day:opus": "[]"}
