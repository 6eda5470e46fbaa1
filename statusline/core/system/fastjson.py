"""JSON for the hot path without importing :mod:`json`.

``import json`` pulls in ``re`` and ``enum`` (slow to import: docs/import-costs.md),
so the status line drives the C scanner of ``_json`` directly and encodes its small documents by
hand. Interpreters without ``_json`` fall back to :mod:`json`.
"""

from __future__ import annotations

import sys

try:
    import _json
except ImportError:  # pragma: no cover - PyPy and friends
    _json = None  # type: ignore[assignment]

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing is slow to import (docs/import-costs.md); annotations are strings anyway
    from typing import Any

_WS = " \t\n\r"
_IMPORTS_ON_ERROR = sys.version_info >= (3, 12)
_CONSTANTS = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


class _ScanContext:
    # The attributes _json.make_scanner reads from json.JSONDecoder.
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = staticmethod(_CONSTANTS.__getitem__)


# The C scanner only reads the context's attributes; typeshed types it as a JSONDecoder.
_scan = _json.make_scanner(_ScanContext()) if _json is not None else None  # type: ignore[arg-type]


def loads(text: str | bytes) -> Any:
    """Parse one JSON document as :func:`json.loads` does; raise ValueError on anything else."""
    if isinstance(text, (bytes, bytearray)):
        text = _decode(bytes(text))
    if _scan is None:  # pragma: no cover
        import json

        return json.loads(text)
    if text.startswith("\ufeff"):
        raise ValueError("unexpected UTF-8 BOM (decode with utf-8-sig)")
    start = len(text) - len(text.lstrip(_WS))
    # From Python 3.12 the C scanner imports json.decoder to raise its error (all of json: what
    # this module exists to avoid). A None in sys.modules makes that import fail at once, without
    # loading anything. Only while no other thread can run (threading never imported): another
    # thread's `import json` would fail meanwhile; and only while json.decoder is not loaded
    # already (then its error, a ValueError, is raised as usual).
    blocked = _IMPORTS_ON_ERROR and "json.decoder" not in sys.modules and "threading" not in sys.modules
    if blocked:
        sys.modules["json.decoder"] = None  # type: ignore[assignment]
    try:
        value, end = _scan(text, start)
    except StopIteration as stop:
        raise ValueError(f"invalid JSON at offset {stop.value}") from None
    except (SystemError, ImportError, RecursionError, MemoryError) as exc:
        # Without json.decoder the C scanner fails with a SystemError (up to 3.11) or the
        # ImportError above (3.12 on). Deep nesting ends in RecursionError.
        raise ValueError(f"invalid JSON ({type(exc).__name__})") from None
    finally:
        if blocked and sys.modules.get("json.decoder", 0) is None:
            del sys.modules["json.decoder"]
    if text[end:].strip(_WS):
        raise ValueError(f"extra data after JSON at offset {end}")
    return value


def _decode(data: bytes) -> str:
    """Bytes to text by the rule of :func:`json.detect_encoding` (RFC 8259: UTF-8, -16 or -32)."""
    encoding = "utf-8"
    if data.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        encoding = "utf-32"
    elif data.startswith((b"\xfe\xff", b"\xff\xfe")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif len(data) >= 4 and not data[0]:
        encoding = "utf-16-be" if data[1] else "utf-32-be"
    elif len(data) >= 4 and not data[1]:
        encoding = "utf-16-le" if data[2] or data[3] else "utf-32-le"
    elif len(data) == 2 and not data[0]:
        encoding = "utf-16-be"
    elif len(data) == 2 and not data[1]:
        encoding = "utf-16-le"
    return data.decode(encoding, "surrogatepass")  # UnicodeDecodeError is a ValueError


def _not_serialisable(value: Any) -> Any:
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# The C encoder json.dumps uses, with json.dumps's compact separators: faster than the encoder
# below (docs/import-costs.md). It refuses NaN and the infinities, which the one below writes as null.
_c_encode = (
    _json.make_encoder(None, _not_serialisable, _json.encode_basestring_ascii, None, ":", ",", False, False, False)
    if _json is not None
    else None
)


def dumps(value: Any) -> str:
    """Compact JSON; NaN and infinities become null, non-JSON types raise TypeError."""
    if _c_encode is not None:
        try:
            return "".join(_c_encode(value, 0))
        except ValueError:  # NaN or an infinity somewhere: the slow path writes null for them
            pass
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(float.__repr__(value) if value == value and value not in (_INF, -_INF) else "null")
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_string(str(key)))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_INF = float("inf")


def _string(text: str) -> str:
    if _json is not None:
        return str(_json.encode_basestring_ascii(text))
    import json  # pragma: no cover

    return json.dumps(text)  # pragma: no cover
