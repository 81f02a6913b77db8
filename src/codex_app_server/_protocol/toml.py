"""Encode Python values as TOML values for `codex --config key=value` overrides."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any


def toml_value(value: Any) -> str:
    """Return `value` as a TOML value literal (strings, numbers, booleans, arrays, tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"TOML cannot encode {value!r} in a config override")
        return repr(value)
    if isinstance(value, str):
        # A JSON string literal is a valid TOML basic string.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        parts = [f"{_toml_key(str(k))} = {toml_value(v)}" for k, v in value.items()]
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if hasattr(value, "__fspath__"):
        return toml_value(str(value.__fspath__()))
    raise TypeError(f"cannot encode {type(value).__name__} as a TOML config value: {value!r}")


def _toml_key(key: str) -> str:
    if key and all(c.isalnum() or c in "-_" for c in key):
        return key
    return json.dumps(key, ensure_ascii=False)
