"""The block decoder: ``parse.parse_usage_line``'s verdicts for many lines at once.

msgspec decodes the usage lines of a block in one call into typed structs naming only the fields
the ledger reads, skipping the rest (content, thinking, signatures) without building Python
objects for it. A declared field with another JSON type (or a value its constraint refuses) fails
the decode, so a struct that decodes is the reference's direct shape with well-typed fields; every
line the decoder cannot vouch for (another shape, a decode error, nulls on ccusage's non-nullable
keys, advisor iterations, invalid UTF-8, deep nesting) goes to the reference, one line at a time.
``scan`` imports it on first use, so a run with nothing to read never loads msgspec.
"""

from __future__ import annotations

import re
import sys
from typing import Annotated, Any, Literal

import msgspec

from statusline.ledger import parse  # ``parse.plausible_usage``: the one bound, looked up when used
from statusline.ledger.parse import (
    _NULL_KEYS,
    ADVISOR_MARKER,
    SYNTHETIC,
    U64_MAX,
    Entry,
    Rejected,
    _version_ok,
    branch_of,
    parse_timestamp_ms,
    parse_usage_line,
)

# What the reference refuses one field at a time, the decoder refuses for the whole block (which
# then goes line by line, and a refused line to the reference): a negative count, an empty id.
# (msgspec bounds only fit int64: counts above u64 are refused in ``_from_struct``.)
_Count = Annotated[int, msgspec.Meta(ge=0)]
_Id = Annotated[str, msgspec.Meta(min_length=1)]


class _CacheCreation(msgspec.Struct, gc=False):
    ephemeral_5m_input_tokens: _Count = 0
    ephemeral_1h_input_tokens: _Count = 0


class _Usage(msgspec.Struct, gc=False):
    input_tokens: _Count
    output_tokens: _Count
    cache_creation_input_tokens: _Count = 0
    cache_read_input_tokens: _Count = 0
    cache_creation: _CacheCreation | None = None
    speed: Literal["standard", "fast"] | None = None


class _Message(msgspec.Struct, gc=False):
    usage: _Usage | msgspec.UnsetType = msgspec.UNSET  # missing: not the direct shape
    model: _Id | None = None
    id: _Id | None = None


class _Line(msgspec.Struct, gc=False):
    """The fields of a transcript line the ledger reads, under their camelCase keys."""

    timestamp: str | None = None
    message: _Message | None = None
    version: str | None = None
    sessionId: _Id | None = None
    requestId: _Id | None = None
    isSidechain: bool | None = None
    costUSD: int | float | None = None
    cwd: str | None = None
    gitBranch: str | None = None


_line_decoder = msgspec.json.Decoder(_Line)
_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)
# What ``_null_keys`` finds, as one search over many lines: a line it matches takes the reference.
_NULL_RE = re.compile(rb'"(?:' + _NULL_KEYS.encode() + rb')"[ \t\r\n]*:[ \t\r\n]*null')
# msgspec nests a little deeper than the stdlib's decoder before it gives up: decoding under a lower
# recursion limit sends every deeply nested line to the reference, which decides as it always did.
_DEPTH_MARGIN = 400


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


def _guarded(decode: Any, data: bytes) -> Any:
    """``decode(data)`` under a recursion limit well below the reference decoder's."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(min(limit, _stack_depth() + _DEPTH_MARGIN) - 50, _stack_depth() + 20))
    try:
        return decode(data)
    finally:
        sys.setrecursionlimit(limit)


def _reference(line: bytes) -> list[Entry] | Rejected:
    try:
        return parse_usage_line(line)
    except Rejected as exc:
        return exc.with_traceback(None)  # kept: no frames held (and no cycle through them)


def _from_struct(rec: _Line, line: bytes) -> list[Entry] | Rejected:
    """The reference's verdict for a line that decoded as ``rec`` (the reference itself when the
    struct cannot tell: not the direct shape). The struct's types already hold what the reference
    checks of each field's type, range and emptiness."""
    message = rec.message
    timestamp = rec.timestamp
    if timestamp is None or message is None:
        return _reference(line)
    usage = message.usage
    if usage is msgspec.UNSET:
        return _reference(line)
    ts_ms = parse_timestamp_ms(timestamp)
    if ts_ms is None:
        return Rejected("timestamp")
    version = rec.version
    if version is not None and not _version_ok(version):
        return Rejected("version")
    inp, out, read = usage.input_tokens, usage.output_tokens, usage.cache_read_input_tokens
    creation = usage.cache_creation_input_tokens
    if inp > U64_MAX or out > U64_MAX or read > U64_MAX or creation > U64_MAX:
        return Rejected("token count")
    detail = usage.cache_creation
    if detail is not None:
        five, hour = detail.ephemeral_5m_input_tokens, detail.ephemeral_1h_input_tokens
        if five > U64_MAX or hour > U64_MAX:
            return Rejected("token count")
        creation = five + hour
    if not parse.plausible_usage(inp, out, creation, read):
        return Rejected("implausible")
    speed = usage.speed
    name = message.model or ""
    if speed == "fast" and name and name != SYNTHETIC:
        name += "-fast"
    return [
        _new_entry(Entry, (ts_ms, name, message.id, rec.requestId, rec.sessionId, rec.isSidechain is True,
                           speed is not None, inp, out, creation, read, rec.cwd,
                           branch_of(rec.gitBranch)))
    ]


_new_entry = tuple.__new__  # Entry's fields in order, without NamedTuple's keyword handling


def _one(line: bytes) -> list[Entry] | Rejected:
    """``parse_usage_lines`` for one line."""
    if ADVISOR_MARKER in line or _NULL_RE.search(line) is not None:
        return _reference(line)
    if not line.isascii():
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return _reference(line)
    try:
        rec = _guarded(_line_decoder.decode, line)
    except _DECODE_ERRORS:
        return _reference(line)
    return _from_struct(rec, line)


def parse_usage_lines(lines: list[bytes]) -> list[list[Entry] | Rejected]:
    """For each line (each holding the usage marker, no newline), what ``parse_usage_line`` gives:
    its entries, or the ``Rejected`` it raises (a ``NotUsage`` when the line is no response's)."""
    if not lines:
        return []
    joined = b"\n".join(lines)
    decoded: list[_Line] | None = None
    if ADVISOR_MARKER not in joined and _NULL_RE.search(joined) is None:
        try:
            if not joined.isascii():
                joined.decode("utf-8")
            decoded = _guarded(_line_decoder.decode_lines, joined)
        except (UnicodeDecodeError, *_DECODE_ERRORS):
            decoded = None
    # As many structs as lines: each line held exactly one value (two on a line would be more).
    if decoded is None or len(decoded) != len(lines):
        return [_one(line) for line in lines]
    return [_from_struct(rec, line) for rec, line in zip(decoded, lines, strict=True)]
