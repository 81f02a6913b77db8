"""JSON encoding of wire messages: orjson when installed, else the standard library."""

from __future__ import annotations

import json
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

except ImportError:  # pragma: no cover - depends on the environment
    _loads = json.loads
    _encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))

    def _dumps(message: Any) -> bytes:
        return (_encoder.encode(message) + "\n").encode()


def encode(message: Any) -> bytes:
    """One message as a newline-terminated JSON line."""
    return _dumps(message)


#: Parse one line; raises ValueError when it is not JSON. (The decoder itself, not a
#: wrapper: it runs once per message, and a Python-level call would cost a frame each.)
decode: Callable[[bytes], Any] = _loads
