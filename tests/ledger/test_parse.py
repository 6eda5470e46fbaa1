"""The parser's shortcuts decide exactly as the slow paths they replace."""

from __future__ import annotations

from typing import Any

import pytest

from statusline.ledger import parse

LINES = [
    '{"a":1}', '{"a":1}  \n', ' {"a":1}', '{"a":1}{"b":2}', '{"a":1} x', '{"a":', '{"a":NaN}', '{"a":"\x01"}',
    '{"a":[1,2,{"b":null}]}\r\n', "[1]", "", "{", '{"a":1}\t', '{"a":"\\ud800"}', '{"a":1e400}',
]


def _outcome(fn: Any, arg: Any) -> Any:
    try:
        return ("ok", fn(arg))
    except (ValueError, parse.Rejected):
        return ("rejected", None)


@pytest.mark.parametrize("text", LINES)
def test_decode_line_matches_the_decoder(text: str) -> None:
    assert _outcome(parse._decode_line, text) == _outcome(parse._decoder.decode, text)


def test_version_cache_keeps_the_rule() -> None:
    for version in ("2.1.330", "2.1.330", "2.1", "v2.1.3", "10.20.3-beta", ""):
        assert parse._version_ok(version) == (parse._SEMVER_RE.match(version) is not None)


BIG = 2**64
USAGES: list[dict[str, Any]] = [
    {"input_tokens": 1, "output_tokens": 2},
    {"input_tokens": 1, "output_tokens": 2, "cache_creation_input_tokens": 3, "cache_read_input_tokens": 4},
    {"input_tokens": 1, "output_tokens": 2, "cache_creation_input_tokens": 3,
     "cache_creation": {"ephemeral_5m_input_tokens": 5, "ephemeral_1h_input_tokens": 6}},
    {"input_tokens": 1, "output_tokens": 2, "cache_creation": {}},
    {"input_tokens": 1, "output_tokens": 2, "cache_creation": None, "cache_creation_input_tokens": 7},
    {"input_tokens": 1, "output_tokens": 2, "cache_creation": []},
    {"input_tokens": 1, "output_tokens": 2, "cache_creation": {"ephemeral_5m_input_tokens": -1}},
    {"input_tokens": 1, "output_tokens": 2, "cache_creation_input_tokens": BIG,
     "cache_creation": {"ephemeral_5m_input_tokens": 1}},
    {"input_tokens": 1, "output_tokens": 2, "cache_creation_input_tokens": None},
    {"input_tokens": 1, "output_tokens": 2, "cache_read_input_tokens": 1.0},
    {"input_tokens": True, "output_tokens": 2},
    {"input_tokens": BIG - 1, "output_tokens": 0},
    {"input_tokens": BIG, "output_tokens": 0},
    {"output_tokens": 2},
    {"input_tokens": 1, "output_tokens": 2, "speed": "fast"},
    {"input_tokens": 1, "output_tokens": 2, "speed": "standard"},
    {"input_tokens": 1, "output_tokens": 2, "speed": None},
    {"input_tokens": 1, "output_tokens": 2, "speed": "turbo"},
]


@pytest.mark.parametrize("usage", USAGES)
def test_usage_counts_shortcut_matches_the_field_by_field_check(usage: dict[str, Any]) -> None:
    assert _outcome(parse._usage_counts, usage) == _outcome(parse._usage_counts_checked, usage)
