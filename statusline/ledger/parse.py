"""One transcript line in, usage entries out, accepting exactly what ccusage 20.0.24 accepts.

Parity with ccusage's ``claude daily --json`` is the contract (``tests/ledger/test_ccusage_parity.py``
runs the real binary), so the rules below copy its observed behaviour, quirks included:

* only lines holding the raw bytes ``"usage":{`` are considered (compact JSON, as Claude Code writes);
* the line must be one JSON object, UTF-8, no BOM, no NaN, and no ``null`` on any of ccusage's
  non-nullable keys anywhere in the line (``message.usage.iterations[].model`` excepted);
* either ``{timestamp, message: {usage, model?, id?}, version?, sessionId?, requestId?, isSidechain?,
  costUSD?}`` or an agent progress line ``{sessionId?, data: {message: {timestamp, message, ...}}}``;
* ``timestamp`` is ``YYYY-MM-DDTHH:MM:SS[.mmm](Z|±HH:MM)``; ``version`` starts with ``N.N.N``; ids,
  session and model must not be empty strings; token counts are JSON integers in u64;
* ``cache_creation`` (object) wins over ``cache_creation_input_tokens``; ``speed: "fast"`` appends
  ``-fast`` to the model; ``<synthetic>`` and missing models count in totals but under no model;
* each ``advisor_message`` in ``message.usage.iterations`` is one more entry under its own model.

Beyond ccusage, each entry carries the line's ``gitBranch`` (``branch_of``: "" when absent or odd),
so the ledger can answer per branch.
"""

from __future__ import annotations

import json
import json.scanner
import re
from typing import Any, NamedTuple

from statusline.core.window import rules

USAGE_MARKER = b'"usage":{'
PROMPT_MARKER = b'"role":"user","content":'
# Claude Code's line for an API error that ended a turn (interfaces doc §2): a wall when it is a
# rate limit (``"error":"rate_limit"`` / ``"apiErrorStatus":429``).
API_ERROR_MARKER = b'"isApiErrorMessage":true'
ADVISOR_MARKER = b'"advisor_message"'
BOM = b"\xef\xbb\xbf"
U64_MAX = 2**64 - 1
# One response's tokens (input, output, cache creation and read together) cannot exceed what a
# context window holds plus its output; a hundred times the largest window there is leaves room
# for any model to come. A line claiming more (a damaged or forged transcript) would stand in every
# report for the ledger's whole life: it is skipped like a malformed line. ccusage counts it.
MAX_RESPONSE_TOKENS = 100_000_000
SYNTHETIC = "<synthetic>"
# A git ref name is short in practice; anything longer, or not one printable word, is no branch
# (Claude Code leaves ``gitBranch`` out outside a repository; git refuses spaces and controls).
MAX_BRANCH_LEN = 256

_NULL_KEYS = (
    "id|cwd|model|speed|costUSD|version|sessionId|requestId|isApiErrorMessage"
    "|cache_read_input_tokens|cache_creation_input_tokens"
)
_TS_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{3})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_SEMVER_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]")
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class Rejected(Exception):
    """The line is not a usage entry ccusage would count."""


class NotUsage(Rejected):
    """Well-formed, but its usage object is not a response's (a Task tool result's, say)."""


def _reject_constant(name: str) -> Any:
    raise Rejected(name)


_decoder = json.JSONDecoder(parse_constant=_reject_constant)
_scan_value: Any = json.scanner.make_scanner(_decoder)  # type: ignore[arg-type]  # typeshed: the arg is a decoder
_JSON_WS = " \t\n\r"


def _decode_line(text: str) -> Any:
    """``_decoder.decode(text)`` without its two regex calls for a line that starts with ``{``."""
    if not text.startswith("{"):
        return _decoder.decode(text)
    try:
        obj, end = _scan_value(text, 0)
    except StopIteration as exc:
        raise ValueError("not JSON") from exc
    if end != len(text) and text[end:].strip(_JSON_WS):
        raise ValueError("extra data")
    return obj


_versions: dict[str, bool] = {}


def _version_ok(version: str) -> bool:
    ok = _versions.get(version)
    if ok is None:
        if len(_versions) > 1000:
            _versions.clear()
        ok = _versions[version] = _SEMVER_RE.match(version) is not None
    return ok


class Entry(NamedTuple):
    """One usage record, before deduplication. ``ts_ms`` is epoch milliseconds.

    A tuple, so the parse workers hand thousands of them to the counting process cheaply.
    """

    ts_ms: int
    model: str  # "" when missing; "<synthetic>" kept as is
    message_id: str | None
    request_id: str | None
    session_id: str | None  # from the line; the caller falls back to the path
    is_sidechain: bool
    has_speed: bool
    input_tokens: int
    output_tokens: int
    cache_creation: int
    cache_read: int
    cwd: str | None
    branch: str = ""  # ``branch_of`` the line's gitBranch

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation + self.cache_read


def branch_of(value: Any) -> str:
    """The line's ``gitBranch`` when it is a plausible branch name, else "" (the "(no branch)" bucket):
    absent, not a string, empty, longer than ``MAX_BRANCH_LEN``, or holding a space, a control, a
    bidi or format character or a lone surrogate (``str.isprintable`` is False for all of those)."""
    if type(value) is not str or not 0 < len(value) <= MAX_BRANCH_LEN:
        return ""
    if not value.isprintable() or " " in value:
        return ""
    return value


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _parse_timestamp_slow(value: str) -> int | None:
    m = _TS_RE.fullmatch(value)
    if m is None:
        return None
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    if not (1 <= mo <= 12 and h < 24 and mi < 60 and s < 60):
        return None
    dim = 29 if mo == 2 and _is_leap(y) else _DAYS_IN_MONTH[mo - 1]
    if not 1 <= d <= dim:
        return None
    frac = m.group(7)
    ms = int(frac[1:]) if frac else 0
    tz = m.group(8)
    offset = 0
    if tz != "Z":
        oh, om = int(tz[1:3]), int(tz[4:6])
        if oh > 23 or om > 59:
            return None
        offset = (oh * 3600 + om * 60) * (1 if tz[0] == "+" else -1)
    secs = _days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
    return secs * 1000 + ms


_hour_cache: dict[str, int | None] = {}


def parse_timestamp_ms(value: Any) -> int | None:
    """Epoch milliseconds for ccusage's accepted timestamp shapes, None for anything else."""
    if type(value) is not str:
        return None
    # Claude Code writes toISOString() (``2026-03-01T22:38:51.000Z``): the hour is cached.
    if len(value) == 24 and value[23] == "Z" and value[19] == "." and value.isascii():
        head = value[:13]
        base = _hour_cache.get(head, -1)
        if base == -1:
            if len(_hour_cache) > 50_000:
                _hour_cache.clear()
            full = _parse_timestamp_slow(head + ":00:00Z")
            base = _hour_cache[head] = None if full is None else full // 1000
        mi, sec, ms = value[14:16], value[17:19], value[20:23]
        if (
            base is None or value[13] != ":" or value[16] != ":"
            or not (mi.isdigit() and sec.isdigit() and ms.isdigit()) or mi > "59" or sec > "59"
        ):
            return None
        return (base + int(mi) * 60 + int(sec)) * 1000 + int(ms)
    return _parse_timestamp_slow(value)


def _u64(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= U64_MAX:
        raise Rejected("token count")
    return value


def _opt_u64(usage: dict[str, Any], key: str) -> int:
    return _u64(usage[key]) if key in usage else 0


def _usage_counts(usage: Any) -> tuple[int, int, int, int, str | None]:
    """(input, output, cache creation, cache read, speed) of a TokenUsageRaw object."""
    if not isinstance(usage, dict):
        raise Rejected("usage")
    get = usage.get
    inp, out, read = get("input_tokens"), get("output_tokens"), get("cache_read_input_tokens", 0)
    creation, detail, speed = get("cache_creation_input_tokens", 0), get("cache_creation"), get("speed")
    five, hour = (detail.get("ephemeral_5m_input_tokens", 0), detail.get("ephemeral_1h_input_tokens", 0)) \
        if type(detail) is dict else (0, 0)
    if (
        type(inp) is int and type(out) is int and type(read) is int and type(creation) is int
        and type(five) is int and type(hour) is int
        and 0 <= inp <= U64_MAX and 0 <= out <= U64_MAX and 0 <= read <= U64_MAX and 0 <= creation <= U64_MAX
        and 0 <= five <= U64_MAX and 0 <= hour <= U64_MAX
        and (detail is None or type(detail) is dict)
        and (speed is None or speed == "standard" or speed == "fast")
    ):
        # The common shapes, checked in one go; anything else takes the path below, which says why.
        return inp, out, (creation if detail is None else five + hour), read, speed
    return _usage_counts_checked(usage)


def _usage_counts_checked(usage: dict[str, Any]) -> tuple[int, int, int, int, str | None]:
    """``_usage_counts`` one field at a time, raising on the first one ccusage would refuse."""
    inp = _u64(usage.get("input_tokens"))
    out = _u64(usage.get("output_tokens"))
    creation = _opt_u64(usage, "cache_creation_input_tokens")
    read = _opt_u64(usage, "cache_read_input_tokens")
    detail = usage.get("cache_creation")
    if detail is not None:
        if not isinstance(detail, dict):
            raise Rejected("cache_creation")
        creation = _opt_u64(detail, "ephemeral_5m_input_tokens") + _opt_u64(detail, "ephemeral_1h_input_tokens")
    speed = usage.get("speed")
    if speed is not None and speed not in ("standard", "fast"):
        raise Rejected("speed")
    return inp, out, creation, read, speed


def plausible_usage(input_tokens: int, output_tokens: int, cache_creation: int, cache_read: int) -> bool:
    """Whether one response's counts (each already a JSON integer in u64) are believable as a whole.

    The one home of the per-line bound: the reference parser (``parse_usage_line``) and the block
    decoder (``decode.parse_usage_lines``) both skip a line this refuses, as malformed.
    """
    if cache_creation > U64_MAX:  # the other three are checked one by one; this one is a sum
        return False
    return input_tokens + output_tokens + cache_creation + cache_read <= MAX_RESPONSE_TOKENS


def _shape(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], str | None, str | None]:
    """(record holding timestamp/requestId/isSidechain, message, version, sessionId) for either shape.

    Like serde's untagged enum: the direct shape if every field it knows has the right type, else
    the agent progress shape, else rejected.
    """
    message = obj.get("message")
    version = obj.get("version")
    session = obj.get("sessionId")
    if (
        type(obj.get("timestamp")) is str
        and type(message) is dict
        and "usage" in message
        and (version is None or type(version) is str)
        and (session is None or type(session) is str)
        and _record_ok(obj)
        and _message_ok(message)
    ):
        return obj, message, version, session
    data = obj.get("data")
    inner = data.get("message") if type(data) is dict else None
    if (
        type(inner) is dict
        and type(inner.get("timestamp")) is str
        and type(inner.get("message")) is dict
        and "usage" in inner["message"]
        and (session is None or type(session) is str)
        and _record_ok(inner)
        and _message_ok(inner["message"])
    ):
        return inner, inner["message"], None, session
    raise NotUsage("shape")


def _message_ok(message: dict[str, Any]) -> bool:
    model = message.get("model")
    mid = message.get("id")
    return (model is None or type(model) is str) and (mid is None or type(mid) is str)


def _record_ok(record: dict[str, Any]) -> bool:
    rid = record.get("requestId")
    side = record.get("isSidechain")
    cost = record.get("costUSD")
    return (
        (rid is None or type(rid) is str)
        and (side is None or type(side) is bool)
        and (cost is None or (type(cost) in (int, float)))
    )


_NULL_KEY_SET = frozenset(k.encode() for k in _NULL_KEYS.split("|"))
_WS = b" \t\r\n"


def _null_keys(line: bytes) -> list[bytes]:
    """Keys among ccusage's non-nullable ones that hold ``null`` anywhere in the line."""
    hits = []
    pos = line.find(b"null")
    while pos > 1:
        j = pos - 1
        if line[j] == 0x3A and line[j - 1] == 0x22:  # '":null', the compact form Claude Code writes
            j -= 1
        else:
            while j > 0 and line[j] in _WS:
                j -= 1
            if line[j] != 0x3A:  # not a value: "null" inside some text
                pos = line.find(b"null", pos + 4)
                continue
            j -= 1
            while j > 0 and line[j] in _WS:
                j -= 1
        if line[j] == 0x22:
            k = line.rfind(b'"', 0, j)
            if k >= 0 and line[k + 1 : j] in _NULL_KEY_SET:
                hits.append(line[k + 1 : j])
        pos = line.find(b"null", pos + 4)
    return hits


def _nulls_allowed(line: bytes, message: dict[str, Any]) -> bool:
    """ccusage drops lines with null on its non-nullable keys, except iterations[].model."""
    hits = _null_keys(line)
    if not hits:
        return True
    if any(key != b"model" for key in hits):
        return False
    usage = message.get("usage")
    iterations = usage.get("iterations") if isinstance(usage, dict) else None
    if not isinstance(iterations, list):
        return False
    exempt = sum(1 for it in iterations if isinstance(it, dict) and "model" in it and it["model"] is None)
    return len(hits) <= exempt


def _advisors(obj: dict[str, Any]) -> list[tuple[str, tuple[int, int, int, int, str | None]]]:
    message = obj.get("message")
    usage = message.get("usage") if isinstance(message, dict) else None
    iterations = usage.get("iterations", []) if isinstance(usage, dict) else None
    if not isinstance(iterations, list):
        return []
    found = []
    try:
        for it in iterations:
            if not isinstance(it, dict) or not isinstance(it.get("type"), str):
                return []
            model = it.get("model")
            if model is not None and not isinstance(model, str):
                return []
            counts = _usage_counts(it)
            if not plausible_usage(*counts[:4]):
                return []
            if it["type"] == "advisor_message" and model:
                found.append((model, counts))
    except Rejected:
        return []
    return found


def parse_usage_line(line: bytes) -> list[Entry]:
    """Entries ccusage would count from one line that holds the usage marker; raises Rejected."""
    if line.startswith(BOM):
        raise Rejected("bom")
    try:
        obj = _decode_line(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Rejected("json") from exc
    if type(obj) is not dict:
        raise Rejected("not an object")
    record, message, version, session = _shape(obj)
    if b"null" in line and not _nulls_allowed(line, message):
        raise Rejected("null")
    ts_ms = parse_timestamp_ms(record["timestamp"])
    if ts_ms is None:
        raise Rejected("timestamp")
    model = message.get("model")
    message_id = message.get("id")
    request_id = record.get("requestId")
    if version is not None and not _version_ok(version):
        raise Rejected("version")
    if session == "" or request_id == "" or message_id == "" or model == "":
        raise Rejected("empty id")
    usage = message["usage"]
    inp, out, creation, read, speed = _usage_counts(usage)
    if not plausible_usage(inp, out, creation, read):
        raise Rejected("implausible")
    side = record.get("isSidechain") is True
    cwd = obj.get("cwd")
    if type(cwd) is not str:
        cwd = None
    branch = branch_of(obj.get("gitBranch"))
    name = model or ""
    if speed == "fast" and name and name != SYNTHETIC:
        name += "-fast"
    entries = [
        Entry(ts_ms, name, message_id, request_id, session, side, speed is not None, inp, out, creation, read, cwd,
              branch)
    ]
    if "iterations" in usage and ADVISOR_MARKER in line:
        for index, (adv_model, (a_in, a_out, a_cc, a_cr, a_speed)) in enumerate(_advisors(obj)):
            adv_id = f"{message_id}:advisor:{index}" if message_id is not None else None
            entries.append(
                Entry(ts_ms, adv_model, adv_id, request_id, session, side, a_speed is not None,
                      a_in, a_out, a_cc, a_cr, cwd, branch)
            )
    return entries


class Prompt(NamedTuple):
    """A prompt the user typed: what "a turn" means in "about M turns like your average"."""

    ts_ms: int
    uuid: str | None
    session_id: str | None
    cwd: str | None
    branch: str = ""  # ``branch_of`` the line's gitBranch


def parse_prompt_line(line: bytes) -> Prompt | None:
    """A typed user prompt, or None (tool results, meta lines, commands, subagent prompts)."""
    try:
        obj = json.loads(line)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or obj.get("type") != "user":
        return None
    if obj.get("isSidechain") is True or obj.get("isMeta") is True or obj.get("isCompactSummary") is True:
        return None
    message = obj.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        texts = [c.get("text") for c in content if isinstance(c, dict) and c.get("type") == "text"]
        if any(isinstance(c, dict) and c.get("type") == "tool_result" for c in content):
            return None
        content = next((t for t in texts if isinstance(t, str)), None)
    if not isinstance(content, str) or content.lstrip().startswith(("<command-", "<local-command")):
        return None
    ts = parse_timestamp_ms(obj.get("timestamp"))
    if ts is None:
        return None
    uuid = obj.get("uuid")
    session = obj.get("sessionId")
    cwd = obj.get("cwd")
    return Prompt(
        ts,
        uuid if isinstance(uuid, str) else None,
        session if isinstance(session, str) and session else None,
        cwd if isinstance(cwd, str) else None,
        branch_of(obj.get("gitBranch")),
    )


def model_family(model: str) -> str | None:
    """The family of a transcript's model (``rules.model_family``); None for ids that are not
    Claude's (gateways, other vendors) and ``<synthetic>``: their tokens count in no family window."""
    if not model or model == SYNTHETIC or "claude" not in model.lower():
        return None
    return rules.model_family(model)


def parse_wall_line(line: bytes) -> tuple[float, str | None, Any, str | None] | None:
    """A transcript's rate-limit error line as ``(at, Claude Code's words, details, session)``:
    the details are its ``quotaLimits`` (or ``apiErrorParams.rate_limit_info``), which name the
    window (``rateLimitType``) and may say when it resets. None for any other line."""
    try:
        obj = _decode_line(line.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(obj, dict) or obj.get("isApiErrorMessage") is not True:
        return None
    if obj.get("error") != "rate_limit" and obj.get("apiErrorStatus") != 429:
        return None
    ts = parse_timestamp_ms(obj.get("timestamp"))
    if ts is None:
        return None
    message = obj.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    texts = [c.get("text") for c in content if isinstance(c, dict)] if isinstance(content, list) else [content]
    text = next((t for t in texts if isinstance(t, str) and t), None)
    details = obj.get("quotaLimits")
    if not isinstance(details, dict):
        params = obj.get("apiErrorParams")
        details = params.get("rate_limit_info") if isinstance(params, dict) else None
    session = obj.get("sessionId")
    return ts / 1000.0, text, details, session if isinstance(session, str) else None
