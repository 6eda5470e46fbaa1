"""The extra-usage piece: money used against the limit, and out of credits."""

from __future__ import annotations

from helpers.piece_renderer import Scene

from statusline.core.window.levels import CRITICAL, FULL, NORMAL


def test_no_piece_while_extra_usage_is_off() -> None:
    scene = Scene()
    assert scene.extra_piece() is None
    scene.snap["extra_usage"] = {"enabled": False, "used": 3.0}
    assert scene.extra_piece() is None


def test_used_against_the_limit_with_its_level() -> None:
    piece = Scene().extra(used=475.5, limit=500.0).extra_piece()
    assert piece is not None
    assert piece.variables == {
        "used": "$475.50", "limit": "$500.00", "pct": "95.1%", "currency": "USD", "state": "", "rose": "", "plan": "",
        "rate": "", "to_limit": "", "limit_at": "",  # no track of amounts yet: no pace
        "scope": "", "whose": "",  # whose it is: not known here, so nothing is said
    }
    assert piece.level == CRITICAL
    assert Scene().extra(used=475.5, limit=500.0).line() == "+$475.50/$500.00"


def test_without_a_limit_only_the_money_shows() -> None:
    scene = Scene().extra(used=1234.5, currency="EUR")
    piece = scene.extra_piece()
    assert piece is not None and piece.level == NORMAL and piece.variables["limit"] == piece.variables["pct"] == ""
    assert scene.line() == "+€1,234.50"


def test_out_of_credits_is_full_and_said() -> None:
    scene = Scene().extra(used=50.0, limit=50.0, out_of_credits=True)
    piece = scene.extra_piece()
    assert piece is not None and piece.level == FULL
    assert scene.line() == "+$50.00/$50.00 out of credits"


def test_its_template_is_the_users() -> None:
    scene = Scene().extra(used=12.0, limit=100.0).config("statusline", "extra_template", value="extra $pct( of $limit)")
    assert scene.line() == "extra 12% of $100.00"


def test_the_percent_is_the_servers_utilization_when_it_gives_one() -> None:
    # The server's own percent (its rounding of minor units, its limit) is shown, not a quotient of ours.
    scene = Scene().extra(used=79.0, limit=100.0, utilization=81.5)
    piece = scene.extra_piece()
    assert piece is not None and piece.variables["pct"] == "81.5%" and piece.level != NORMAL
    from statusline.core.warn import before_prompt

    said = before_prompt.decide(scene.context(), session_id="s1").message
    assert said == "Extra usage at 81.5% of its limit ($79.00 of $100.00)"


def test_a_limit_below_a_cent_is_no_limit() -> None:
    piece = Scene().extra(used=3.0, limit=1e-300).extra_piece()
    assert piece is not None and piece.variables["pct"] == piece.variables["limit"] == "" and piece.level == NORMAL
