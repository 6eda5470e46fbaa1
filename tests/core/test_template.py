"""Format strings: variables, optional groups that vanish, escapes; parsing never fails."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from statusline.core.draw import template

V = {"label": "5h", "pct": "42%", "reset": "3h", "resets_at": "14:05", "eta": "", "empty": ""}


def test_a_group_shows_when_a_variable_in_it_has_a_value() -> None:
    assert template.render("$label $pct( $reset)( $eta)", V) == "5h 42% 3h"
    assert template.render("$label $pct( $reset)( $eta)", V | {"eta": "→100% in 20m"}) == "5h 42% 3h →100% in 20m"


def test_nested_groups_vanish_from_the_inside_out() -> None:
    assert template.render("$label( [$eta( $empty)])", V) == "5h"
    assert template.render("$label( [$reset( $empty)])", V) == "5h [3h]"
    assert template.render("($empty($empty))x", V) == "x"


def test_a_group_without_a_variable_never_shows() -> None:
    assert template.render("a(b)c", V) == "ac"
    assert template.has_empty_group("$label (note)")
    assert template.has_empty_group("($label (x))")
    assert not template.has_empty_group("$label( $reset \\(in $reset\\))")


def test_the_longest_name_wins_and_braces_delimit_one() -> None:
    assert template.render("$resets_at|$reset", V) == "14:05|3h"
    assert template.render("${reset}s $pct", V) == "3hs 42%"
    assert template.render("${not closed", V) == "${not closed"


def test_escapes_write_the_special_characters() -> None:
    assert template.render("\\$label \\(x\\) \\\\ $label", V) == "$label (x) \\ 5h"
    assert template.render("a\\b", V) == "a\\b"  # a backslash before anything else is itself


def test_broken_templates_are_text_as_written() -> None:
    assert template.render("($label", V) == "(5h"
    assert template.render("a)b", V) == "a)b"
    assert template.render("$ and $$ and $-", V) == "$ and $$ and $-"
    assert template.render("$nope!", V) == "!"  # unknown: empty, and config says so
    assert template.unknown("$label $nope ${nope} $x", frozenset(V)) == ["nope", "x"]


def test_names_lists_every_variable_in_order() -> None:
    assert template.names("$label (x $reset ($eta)) ${pct}") == ["label", "reset", "eta", "pct"]


@given(st.text(max_size=80), st.dictionaries(st.sampled_from(list(V)), st.text(max_size=5)))
def test_any_text_renders_without_raising(text: str, variables: dict[str, str]) -> None:
    assert isinstance(template.render(text, variables), str)
    template.names(text)
    template.has_empty_group(text)


@given(st.text(alphabet=st.characters(blacklist_characters="$()\\"), max_size=80))
def test_text_without_special_characters_is_itself(text: str) -> None:
    assert template.render(text, V) == text


@given(st.lists(st.tuples(st.text(alphabet="ab ,:", max_size=4), st.sampled_from(list(V))), max_size=6))
def test_filled_groups_draw_as_if_they_were_not_there(parts: list[tuple[str, str]]) -> None:
    full = {name: name.upper() for name in V}  # every variable has a value
    grouped = "".join(f"({text}${{{name}}})" for text, name in parts)
    flat = "".join(f"{text}{full[name]}" for text, name in parts)
    assert template.render(grouped, full) == flat


def test_config_names_unknown_variables_and_groups_that_never_show() -> None:
    from statusline.core.settings import toml_file

    raw = {"statusline": {"template": "$label $pcnt (note)"}, "segment": {"extra_template": "$x"}}
    _, problems = toml_file.validate(raw)
    assert problems == [
        "statusline.template: unknown $pcnt",
        "statusline.template: a ( ... ) without a variable never shows (\\( is a parenthesis)",
        "segment.extra_template: unknown $x",
    ]
    assert toml_file.validate({})[1] == []  # the defaults are clean


def test_deeply_nested_groups_render_without_raising() -> None:
    # A template is user text (config, `segment --template`): its nesting must not reach the
    # recursion limit of the drawing (a RecursionError is an "unavailable" status line).
    text = "(" * 5000 + "$label" + ")" * 5000
    assert "5h" in template.render(text, V)
    assert template.names(text) == ["label"]
    assert not template.has_empty_group(text)
