"""The rest of the server's truth, parsed by the real parser: ``limits[]`` rows scoped to a surface
are windows labelled with the server's name, Cowork/Chats windows do not stop a Claude Code
session, Enterprise seats' dollars are the window's money, and whose extra usage it is."""

from __future__ import annotations

from typing import Any

from helpers.piece_renderer import NOW, Scene
from hypothesis import given, settings
from hypothesis import strategies as st

from statusline.core.draw import status_json
from statusline.core.draw.pieces import window as window_piece
from statusline.core.store import snapshot
from statusline.core.warn import before_prompt
from statusline.core.window import merge
from statusline.core.window.rules import (
    MAX_LABEL_LEN,
    clean_name,
    gates,
    label_for,
    money_moved,
    money_scope,
    problem,
)
from statusline.refresh.usage_payload import parse_member_spend, parse_usage

RESET = "2027-01-15T10:00:00+00:00"
OBSERVED = NOW - 60


def row(percent: float, *, model: Any = None, surface: Any = None, kind: str = "weekly_scoped") -> dict[str, Any]:
    return {"kind": kind, "percent": percent, "resets_at": RESET, "scope": {"model": model, "surface": surface}}


def windows_of(*rows: dict[str, Any], **flat: Any) -> dict[str, dict[str, Any]]:
    return parse_usage({"limits": list(rows), **flat}, source="oauth", observed_at=OBSERVED).windows


def test_a_surface_row_is_a_window_of_its_own_labelled_by_the_server() -> None:
    got = windows_of(
        row(40, surface={"display_name": "Claude Code"}),
        row(12, surface={"display_name": "Cowork"}),
        row(7, surface={"display_name": "Espace de travail"}),  # localised, unknown to quotaline
        row(55, kind="session", surface={"display_name": "Claude Code"}),
    )
    assert {w: (got[w]["label"], got[w]["used_pct"]) for w in got} == {
        "seven_day:claude_code": ("Claude Code", 40.0),
        "seven_day:cowork": ("Cowork", 12.0),
        "seven_day:espace_de_travail": ("Espace de travail", 7.0),
        "five_hour:claude_code": ("5h Claude Code", 55.0),
    }
    assert got["seven_day:espace_de_travail"]["server_name"] == "Espace de travail"
    for window in got.values():
        assert problem(window, NOW) is None  # storable as it is


def test_model_names_label_unknown_families_and_known_ones_stay_short() -> None:
    got = windows_of(
        row(26, model={"id": None, "display_name": "Fable"}),
        row(30, model={"id": "claude-opus-4-5", "display_name": "Claude Opus 4.5 (extended)"}),
        row(9, model={"display_name": "Fable"}, surface={"display_name": "Claude Code"}),
    )
    assert got["seven_day:fable"]["label"] == "Fable"
    assert got["seven_day:opus"]["label"] == "Opus"  # quotaline's own short name
    assert got["seven_day:opus"]["server_name"] == "Claude Opus 4.5 (extend…"  # kept for JSON, bounded
    assert got["seven_day:fable:claude_code"]["label"] == "Fable · Claude Code"


def test_the_flat_cowork_window_and_its_limits_row_are_one_window_with_the_servers_name() -> None:
    got = windows_of(row(12, surface={"display_name": "Cowork"}), seven_day_cowork={"utilization": 10.0})
    assert set(got) == {"seven_day:cowork"}
    assert got["seven_day:cowork"]["used_pct"] == 12.0 and got["seven_day:cowork"]["server_name"] == "Cowork"


def test_only_claude_codes_or_unknown_surfaces_gate_a_claude_code_session() -> None:
    assert gates("seven_day:claude_code", "sonnet")
    assert gates("five_hour:claude_code", None)
    assert gates("seven_day:espace_de_travail", "sonnet")  # unknown surface: it may stop us
    for wid in ("seven_day:cowork", "seven_day:chats", "seven_day:chat", "five_hour:cowork", "seven_day:fable:cowork"):
        assert not gates(wid, "sonnet") and not gates(wid, None), wid
    assert gates("seven_day:sonnet:claude_code", "sonnet")
    assert not gates("seven_day:opus:claude_code", "sonnet")  # another family's week, on our surface


def test_a_cowork_window_at_96_percent_is_not_a_hook_warning_but_claude_codes_is() -> None:
    cowork = Scene().window("seven_day:cowork", 96, resets_in=3 * 86400)
    cowork.family = "sonnet"
    cowork.config("hook", "windows", value=["seven_day:cowork", "alerts"])
    assert before_prompt.decide(cowork.context(), session_id="s").message is None
    code = Scene().window("seven_day:claude_code", 96, resets_in=3 * 86400)
    code.family = "sonnet"
    code.config("hook", "windows", value=["alerts"])
    said = before_prompt.decide(code.context(), session_id="s").message
    assert said is not None and said.startswith("Claude Code weekly window at 96%, resets ")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_display_name_gives_a_short_printable_label_or_none(name: str) -> None:
    cleaned = clean_name(name)
    if cleaned is not None:
        assert 0 < len(cleaned) <= MAX_LABEL_LEN and cleaned.isprintable() and cleaned == cleaned.strip()
    label = label_for("seven_day:x_y", {"x_y": name})
    assert 0 < len(label) <= 2 * MAX_LABEL_LEN and label.isprintable()


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(st.none(), st.text(max_size=300), st.integers(), st.dictionaries(st.text(max_size=10), st.text())),
    st.one_of(st.none(), st.text(max_size=300), st.dictionaries(st.sampled_from(["id", "display_name"]), st.text())),
)
def test_any_scope_parses_into_storable_windows(surface: Any, model: Any) -> None:
    data = {"limits": [row(5, surface={"display_name": surface} if isinstance(surface, str) else surface, model=model)]}
    reading = parse_usage(data, source="oauth", observed_at=OBSERVED)
    snap = snapshot.empty()
    merge.apply_windows(snap, list(reading.windows.values()), now=NOW, problems=[])
    for stored in snapshot.normalise(snap, now=NOW)["windows"].values():
        assert problem(stored, NOW) is None and stored["label"].isprintable()


def test_enterprise_seat_dollars_are_the_windows_money() -> None:
    got = parse_usage(
        {
            "five_hour": {"utilization": 20.0, "resets_at": RESET, "limit_dollars": None, "used_dollars": None},
            "seven_day": {"utilization": 64.0, "resets_at": RESET, "limit_dollars": 500, "remaining_dollars": 180.5},
        },
        source="oauth",
        observed_at=OBSERVED,
    ).windows
    assert "money" not in got["five_hour"]  # nulls, as every other plan sends: no money
    assert got["seven_day"]["money"] == {"used": 319.5, "limit": 500.0, "currency": "USD", "period": None}
    scene = Scene()
    merge.apply_windows(scene.snap, [dict(got["seven_day"], observed_at=NOW)], now=NOW)
    piece = scene.window_piece("seven_day")
    assert piece.variables["money"] == "$319.50 of $500.00"
    assert window_piece.money_text({"used": 3.0}) == "$3.00" and window_piece.money_text(None) == ""
    assert status_json.build(scene.context())["windows"][0]["money"]["limit"] == 500.0


def test_whose_money_follows_the_plan() -> None:
    payload = {"extra_usage": {"is_enabled": True, "used_credits": 4000, "monthly_limit": 10000, "currency": "USD"}}

    def scope(plan: str | None, single_seat: Any = None) -> Any:
        reading = parse_usage(payload, source="oauth", observed_at=OBSERVED, plan=plan, single_seat=single_seat)
        assert reading.extra_usage is not None
        return reading.extra_usage["scope"]

    assert scope("team") == scope("Enterprise") == "organization"
    assert scope("team", single_seat=True) == "member"  # a team of one: the total is theirs
    assert scope("max") is scope("pro") is scope(None) is None  # nobody else's to tell apart: nothing said
    assert money_scope(["team"]) is None


def test_org_and_member_money_are_said_so_and_unknown_says_nothing() -> None:
    org = Scene().extra(used=45.0, limit=50.0, scope="organization")
    piece = org.extra_piece()
    assert piece is not None and (piece.variables["scope"], piece.variables["whose"]) == ("org", "organisation's total")
    assert before_prompt.decide(org.context(), session_id="s").message == (
        "Extra usage (organisation's total) at 90% of its limit ($45.00 of $50.00)"
    )
    mine = Scene().extra(used=45.0, limit=50.0, scope="member").extra_piece()
    assert mine is not None and mine.variables["whose"] == "yours"
    unknown = Scene().extra(used=45.0, limit=50.0)
    assert (
        before_prompt.decide(unknown.context(), session_id="s").message
        == "Extra usage at 90% of its limit ($45.00 of $50.00)"
    )
    assert unknown.config("statusline", "extra_template", value="+$used( $scope)").line() == "+$45.00"
    assert org.config("statusline", "extra_template", value="+$used( $scope)").line() == "+$45.00 org"


def test_a_member_total_beside_the_organisations_is_no_money_movement() -> None:
    plan = {"five_hour": {"id": "five_hour", "used_pct": 13.0, "resets_at": NOW + 3600}}
    member = {"enabled": True, "used": 10.0, "currency": "USD", "scope": "member"}
    org = {"enabled": True, "used": 400.0, "currency": "USD", "scope": "organization"}
    assert money_moved(member, org, plan, NOW) is None
    assert money_moved(org, dict(org, used=420.0), plan, NOW) is not None


def test_the_members_own_money_stands_over_a_fresh_organisation_total() -> None:
    snap = snapshot.empty()
    member = {"enabled": True, "used": 10.0, "currency": "USD", "scope": "member", "observed_at": NOW - 600}
    assert merge.apply_extra(snap, member, now=NOW)
    org = {"enabled": True, "used": 400.0, "currency": "USD", "scope": "organization", "observed_at": NOW}
    assert not merge.apply_extra(snap, org, now=NOW) and snap["extra_usage"]["used"] == 10.0
    later = dict(org, observed_at=NOW + 3600)
    assert merge.apply_extra(snap, later, now=NOW + 3600) and snap["extra_usage"]["scope"] == "organization"
    assert merge.apply_extra(snap, {**member, "scope": "someone"}, now=NOW + 3600) is False  # not a scope



def test_the_members_own_money_stands_over_a_total_of_unknown_scope() -> None:
    # Claude Code's cached payload on a Mac (the plan sits in the Keychain, which the claude_json
    # source does not read) or an oauth token from CLAUDE_CODE_OAUTH_TOKEN: the same organisation
    # total, its scope not known. It must not pass for the member's own month.
    snap = snapshot.empty()
    member = {"enabled": True, "used": 10.0, "currency": "USD", "scope": "member", "observed_at": NOW - 600}
    assert merge.apply_extra(snap, member, now=NOW)
    total = {"enabled": True, "used": 400.0, "currency": "USD", "scope": None, "observed_at": NOW}
    assert not merge.apply_extra(snap, total, now=NOW) and snap["extra_usage"]["used"] == 10.0
    assert merge.apply_extra(snap, dict(total, observed_at=NOW + 3600), now=NOW + 3600)

def test_member_spend_shapes() -> None:
    spend = {"spend": {"used": {"amount_minor": 1234, "currency": "EUR", "exponent": 2}, "limit": None}}
    assert parse_member_spend(spend) == {
        "used": 12.34,
        "limit": None,
        "currency": "EUR",
        "utilization": None,
        "scope": "member",
    }
    credits = {"used_credits": 500, "monthly_limit": 2000, "currency": "USD", "decimal_places": 2, "percent": 25}
    assert parse_member_spend(credits) == {
        "used": 5.0,
        "limit": 20.0,
        "currency": "USD",
        "utilization": 25.0,
        "scope": "member",
    }
    for drift in (None, [], "x", {}, {"used": "lots"}, {"spend": {"used": {"amount_minor": -1}}}):
        assert parse_member_spend(drift) is None


def test_implausible_seat_dollars_do_not_cost_the_windows_percent() -> None:
    # An "unlimited" seat sent as a huge limit, or dollars sent in cents: the money goes, the
    # server's percent stays (rules.problem drops a whole window whose money is implausible).
    got = parse_usage(
        {"seven_day": {"utilization": 42.0, "resets_at": RESET, "limit_dollars": 5e9, "used_dollars": 12.5}},
        source="oauth",
        observed_at=OBSERVED,
    ).windows
    scene = Scene()
    problems: list[str] = []
    merge.apply_windows(scene.snap, [dict(got["seven_day"], observed_at=NOW)], now=NOW, problems=problems)
    assert problems == [] and scene.snap["windows"]["seven_day"]["used_pct"] == 42.0
    assert problem(scene.snap["windows"]["seven_day"], NOW) is None
