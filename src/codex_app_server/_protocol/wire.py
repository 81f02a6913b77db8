"""JSON encoding of wire messages: orjson when installed, else the standard library."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_loads: Callable[[bytes], Any]
_dumps: Callable[[Any], bytes]

try:
    import orjson

    _loads = orjson.loads
    _orjson_dumps: Callable[..., bytes] = orjson.dumps
    _APPEND_NEWLINE = orjson.OPT_APPEND_NEWLINE

    def _dumps(message: Any) -> bytes:
        return _orjson_dumps(message, option=_APPEND_NEWLINE)

    def encode_value(value: Any) -> bytes:
        """One JSON value as bytes (no newline), to keep. Raises TypeError on what JSON
        cannot hold."""
        # A copy: the bytes orjson returns keep the whole buffer it wrote into (4 KB for
        # a 100-byte value), which matters only for what is kept, as this is.
        return memoryview(_orjson_dumps(value)).tobytes()

except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads
    _encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def _dumps(message: Any) -> bytes:
        return (_encoder.encode(message) + "\n").encode()

    def encode_value(value: Any) -> bytes:
        return _encoder.encode(value).encode()


def encode(message: Any) -> bytes:
    """One message as a newline-terminated JSON line."""
    return _dumps(message)


#: Parse one line; raises ValueError when it is not JSON. (The decoder itself, not a
#: wrapper: it runs once per message, and a Python-level call would cost a frame each.)
decode: Callable[[bytes], Any] = _loads


#: Bytes kept of the start of an oversized line: enough to say whom it belongs to.
OVERSIZED_HEAD = 4096


class OversizedLine(bytes):
    """What a transport hands over instead of a line longer than `max_line_bytes`.

    The line itself was skipped, never held whole; `head` keeps its first bytes so that
    the reader can fail the one request or turn it belonged to (`oversized_target`). Its
    own bytes are not JSON, so the reader's hot path sees it only when decoding fails.
    """

    head: bytes
    size: int

    def __new__(cls, head: bytes, size: int) -> OversizedLine:
        line = super().__new__(cls, b"\x00")
        line.head = bytes(head[:OVERSIZED_HEAD])
        line.size = size
        return line


_ID_FIRST: re.Pattern[bytes] | None = None
_METHOD_FIRST: re.Pattern[bytes] | None = None
_TURN_ID: re.Pattern[bytes] | None = None


def oversized_target(head: bytes) -> tuple[str, Any] | None:
    """Whom the oversized line starting with `head` was for, from its first keys.

    ``("response", id)`` (a response: `{"id": N, "result"|"error": ...`), ``("request",
    id)`` (a server request: `{"id": N, "method": ...`), ``("turn", turn_id)`` (a
    notification naming its turn early: `turnId`, or `turn.id`), or None. The app-server
    writes `id` first; a leading `"jsonrpc"` member is allowed.
    """
    global _ID_FIRST, _METHOD_FIRST, _TURN_ID
    if _ID_FIRST is None or _METHOD_FIRST is None or _TURN_ID is None:
        jsonrpc = rb'\s*\{\s*(?:"jsonrpc"\s*:\s*"[^"]*"\s*,\s*)?'
        _ID_FIRST = re.compile(
            jsonrpc + rb'"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")\s*,\s*"(result|error|method)"'
        )
        _METHOD_FIRST = re.compile(jsonrpc + rb'"method"\s*:\s*"')
        _TURN_ID = re.compile(
            rb'"turnId"\s*:\s*"([^"\\]+)"|"turn"\s*:\s*\{\s*"id"\s*:\s*"([^"\\]+)"'
        )
    match = _ID_FIRST.match(head)
    if match is not None:
        raw, key = match.group(1), match.group(2)
        request_id: Any = int(raw) if raw[:1] != b'"' else json.loads(raw)
        return ("request" if key == b"method" else "response", request_id)
    if _METHOD_FIRST.match(head) is not None:
        found = _TURN_ID.search(head)
        if found is not None:
            return ("turn", (found.group(1) or found.group(2)).decode("utf-8", "replace"))
    return None
