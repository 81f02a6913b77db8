"""What the app-server sent: `RecordedRequest` (one HTTP request) and `Responder`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeAlias

from ._checks import _short
from ._replies import Reply

__all__ = ["RecordedRequest", "Responder"]


class _Headers(Mapping[str, str]):
    """Read-only, case-insensitive request headers."""

    __slots__ = ("_items",)

    def __init__(self, items: Sequence[tuple[str, str]]) -> None:
        self._items = {k.lower(): (k, v) for k, v in items}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items

    def __repr__(self) -> str:
        return repr(dict(self._items.values()))


class RecordedRequest:
    """One HTTP request received by `ScriptedModel`.

    Attributes:
        method: `"POST"`, `"GET"`, ...
        path: the request path without the query string, e.g. `"/v1/responses"`.
        headers: case-insensitive and read-only.
        body: the parsed JSON body (`{}` if there was none or it was not a JSON object).
        raw_body: the body bytes as received (after undoing a gzip/deflate encoding).
        index: position among this model's `/responses` requests in arrival order
            (`-1` for other requests).
        received_at: `time.monotonic()` at arrival.
    """

    __slots__ = ("body", "headers", "index", "method", "path", "raw_body", "received_at")

    def __init__(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: dict[str, Any],
        raw_body: bytes = b"",
        index: int = -1,
        received_at: float = 0.0,
    ) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.raw_body = raw_body
        self.index = index
        self.received_at = received_at

    def __repr__(self) -> str:
        text = self.last_user_text
        prompt = "" if text is None else f", last_user_text={_short(text)!r}"
        return f"RecordedRequest({self.method} {self.path}, index={self.index}{prompt})"

    @property
    def input(self) -> list[dict[str, Any]]:
        """`body["input"]`: the conversation items sent to the model."""
        items = self.body.get("input")
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    @property
    def model(self) -> str | None:
        """`body["model"]`."""
        value = self.body.get("model")
        return value if isinstance(value, str) else None

    @property
    def user_texts(self) -> list[str]:
        """The text of each user message in `input`, in order (context messages included)."""
        return [
            _content_text(item.get("content"))
            for item in self.input
            if item.get("role") == "user" and item.get("type", "message") == "message"
        ]

    @property
    def last_user_text(self) -> str | None:
        """The text of the last user message in `input` (normally the prompt), or None."""
        texts = self.user_texts
        return texts[-1] if texts else None

    @property
    def function_call_outputs(self) -> list[dict[str, Any]]:
        """`{"call_id", "output"}` for each tool output in `input` (the output as text)."""
        return [
            {"call_id": item.get("call_id"), "output": _content_text(item.get("output"))}
            for item in self.input
            if item.get("type") in ("function_call_output", "custom_tool_call_output")
        ]

    @property
    def tools(self) -> list[str]:
        """The names of the tools offered to the model (the type for nameless tools)."""
        tools = self.body.get("tools")
        if not isinstance(tools, list):
            return []
        return [str(t.get("name") or t.get("type")) for t in tools if isinstance(t, dict)]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else json.dumps(content)


#: `respond_with()` takes a callable from the request to its reply (None: unexpected).
Responder: TypeAlias = Callable[[RecordedRequest], Reply | None]
