"""Argument checks for the `Reply` builders: a mistake fails where the reply is built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{name} must be an int >= 0, not {value!r}")
    return value


def _check_str(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, not {type(value).__name__}")


def _check_name(name: object) -> None:
    _check_str("name", name)
    if not name:
        raise ValueError("a tool name must not be empty")


def _check_call_id(call_id: object) -> str | None:
    if call_id is not None:
        _check_str("call_id", call_id)
        if not call_id:
            raise ValueError("call_id must not be empty")
    return call_id  # type: ignore[return-value]


def _check_delay(delay: float) -> float:
    if isinstance(delay, bool) or not isinstance(delay, (int, float)):
        raise TypeError(f"delay must be a number of seconds, not {type(delay).__name__}")
    if delay < 0:
        raise ValueError("delay must be >= 0")
    return float(delay)


def _headers(headers: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    if headers is not None and not isinstance(headers, Mapping):
        raise TypeError("headers must be a mapping of names to values")
    pairs = tuple((str(k), str(v)) for k, v in (headers or {}).items())
    for name, value in pairs:
        if any(c in name + value for c in "\r\n") or not name or ":" in name:
            raise ValueError(f"invalid header {name!r}")
    return pairs


def _split(text: str, deltas: int | Sequence[str]) -> tuple[str, ...]:
    if isinstance(deltas, (str, bool)) or not isinstance(deltas, (int, Sequence)):
        raise TypeError("deltas must be a count or a sequence of strings")
    if not isinstance(deltas, int):
        parts = tuple(deltas)
        if not all(isinstance(p, str) for p in parts):
            raise TypeError("deltas must be a count or a sequence of strings")
        if "".join(parts) != text:
            raise ValueError("the deltas must join to the text")
        return parts
    if deltas < 0:
        raise ValueError("deltas must be >= 0")
    if not text or deltas == 0:
        return ()
    if deltas > len(text):
        raise ValueError(f"cannot split {len(text)} characters into {deltas} non-empty deltas")
    size, extra = divmod(len(text), deltas)
    out: list[str] = []
    pos = 0
    for i in range(deltas):
        end = pos + size + (1 if i < extra else 0)
        out.append(text[pos:end])
        pos = end
    return tuple(out)
