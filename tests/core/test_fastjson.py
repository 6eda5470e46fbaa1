"""fastjson agrees with the standard json module on every input: the same value, or both reject."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

from helpers.cli import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statusline.core.system import fastjson

REJECT = "reject"


def with_json(data: str | bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return REJECT


def with_fastjson(data: str | bytes) -> Any:
    try:
        return fastjson.loads(data)
    except ValueError:  # the only exception fastjson may raise
        return REJECT


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types (1, 1.0 and True differ; NaN equals NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def agree(data: str | bytes) -> None:
    expected, got = with_json(data), with_fastjson(data)
    assert same(expected, got), (data, expected, got)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=25,
)
documents = st.builds(
    lambda value, ascii, indent: json.dumps(value, ensure_ascii=ascii, indent=indent),
    json_values,
    st.booleans(),
    st.sampled_from([None, 0, 2]),
)


@given(documents)
def test_generated_documents_parse_to_the_same_value(doc: str) -> None:
    agree(doc)
    agree(doc.encode("utf-8"))
    agree("  \n" + doc + "\t ")


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_every_truncation_is_treated_alike(doc: str) -> None:
    for end in range(len(doc)):
        agree(doc[:end])
    raw = doc.encode("utf-8")
    for end in range(len(raw)):
        agree(raw[:end])


@given(documents, st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255), st.sampled_from("rid")), max_size=6))
def test_random_byte_mutations_are_treated_alike(doc: str, edits: list[tuple[int, int, str]]) -> None:
    raw = bytearray(doc.encode("utf-8"))
    for where, byte, how in edits:
        at = where % (len(raw) + 1)
        if how == "i":
            raw.insert(at, byte)
        elif raw and how == "r":
            raw[at % len(raw)] = byte
        elif raw:
            del raw[at % len(raw)]
    agree(bytes(raw))
    agree(bytes(raw).decode("latin-1"))


@given(st.text())
def test_arbitrary_text_is_treated_alike(text: str) -> None:
    agree(text)


def test_known_hostile_inputs_are_treated_alike() -> None:
    for data in [
        "[" * 100_000,
        '{"a":' * 50_000,
        "1" * 5000,  # beyond int's default digit limit
        "1e400",
        "-0",
        "\ufeff{}",
        b"\xef\xbb\xbf{}",
        '"\\ud800"',
        b'"\xff"',
        "NaN",
        "-Infinity",
        "[1,]",
        "{'a': 1}",
        '{"a": 1} {"b": 2}',
        "\x00",
        "".join(chr(c) for c in range(32)),
        '{"a": [1, 2',
        '{"a": "b',
    ]:
        agree(data)


def test_truncations_of_a_real_snapshot_only_raise_value_error_on_the_hot_path() -> None:
    # The hot path never imports json: there the C scanner's errors surface as SystemError.
    doc = json.dumps(
        {
            "schema": 1,
            "windows": {"five_hour": {"id": "five_hour", "used_pct": 42.5, "resets_at": 1.8e9, "label": "5h"}},
            "history": {"five_hour": [[1.79e9, 1.0, None], [1.79e9, 2.5, 1.8e9]]},
            "errors": [{"kind": "x", "message": "caf\u00e9 \\ \""}],
        }
    )
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from statusline.core.system import fastjson\n"
        "doc = sys.stdin.read(); bad = []\n"
        "for end in range(len(doc) + 1):\n"
        "    try: fastjson.loads(doc[:end]); fastjson.loads(doc[:end].encode())\n"
        "    except ValueError: pass\n"
        "    except BaseException as e: bad.append((end, type(e).__name__))\n"
        "loaded = 'json' in sys.modules\n"
        "import json\n"  # the error path left nothing behind that stops a real import
        "print(bad, loaded, json.loads('[1]'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-S", "-c", code, str(REPO)], input=doc, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[] False [1]"
