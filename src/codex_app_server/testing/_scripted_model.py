"""`ScriptedModel`: a scripted, offline stand-in for the OpenAI Responses API.

The app-server `POST`s to `{base_url}/responses` and reads a Server-Sent-Events stream; each
request takes the next scripted `Reply`. The server is a small threaded HTTP/1.1 server (one
thread per connection, keep-alive, chunked event streams written in large batches), built
for many concurrent streams.

Stdlib only, and deliberately light to import: no `http.server`, no dataclasses.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ._offline_home import (
    DEFAULT_MODEL,
    MOCK_API_KEY_ENV,
    MOCK_API_KEY_VALUE,
    write_offline_codex_home,
)

if TYPE_CHECKING:
    from .._config import AppServerConfig

__all__ = [
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedModel",
    "Usage",
    "offline_env",
    "sse_frame",
]

#: Bytes gathered before a socket write when nothing asks to pause between frames.
_WRITE_BATCH = 64 * 1024
#: Longest request line or header line accepted.
_MAX_LINE = 64 * 1024
#: Most header lines accepted in one request.
_MAX_HEADERS = 256
#: Seconds `close()` waits for the server's threads in total.
_CLOSE_JOIN_SECONDS = 1.0


# --------------------------------------------------------------------------- replies


class Usage:
    """Token usage reported in `response.completed` (becomes `thread/tokenUsage/updated`).

    `total_tokens` defaults to `input_tokens + output_tokens`.
    """

    __slots__ = (
        "cached_input_tokens",
        "input_tokens",
        "output_tokens",
        "reasoning_output_tokens",
        "total_tokens",
    )

    def __init__(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cached_input_tokens: int = 0,
        reasoning_output_tokens: int = 0,
        total_tokens: int | None = None,
    ) -> None:
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.cached_input_tokens = cached_input_tokens
        self.reasoning_output_tokens = reasoning_output_tokens
        self.total_tokens = input_tokens + output_tokens if total_tokens is None else total_tokens

    def to_dict(self) -> dict[str, Any]:
        """The `usage` object of the Responses API."""
        return {
            "input_tokens": self.input_tokens,
            "input_tokens_details": {"cached_tokens": self.cached_input_tokens},
            "output_tokens": self.output_tokens,
            "output_tokens_details": {"reasoning_tokens": self.reasoning_output_tokens},
            "total_tokens": self.total_tokens,
        }

    def _key(self) -> tuple[int, ...]:
        return (
            self.input_tokens,
            self.output_tokens,
            self.cached_input_tokens,
            self.reasoning_output_tokens,
            self.total_tokens,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Usage) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)}" for name in _USAGE_FIELDS)
        return f"Usage({fields})"


_USAGE_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cached_input_tokens",
    "reasoning_output_tokens",
    "total_tokens",
)

#: What `usage=` accepts: True for plausible numbers, a `Usage`, or a raw `usage` mapping.
UsageSpec: TypeAlias = Usage | Mapping[str, Any] | bool | None


class _Message:
    __slots__ = ("deltas", "text")

    def __init__(self, text: str, deltas: tuple[str, ...]) -> None:
        self.text = text
        self.deltas = deltas


class _Reasoning:
    __slots__ = ("deltas", "text")

    def __init__(self, text: str, deltas: tuple[str, ...]) -> None:
        self.text = text
        self.deltas = deltas


class _FunctionCall:
    __slots__ = ("arguments", "call_id", "custom", "name")

    def __init__(
        self, name: str, arguments: str, call_id: str | None, *, custom: bool = False
    ) -> None:
        self.name = name
        self.arguments = arguments  # the `input` of a custom tool call
        self.call_id = call_id
        self.custom = custom


_Item: TypeAlias = _Message | _Reasoning | _FunctionCall
_ReplyKind = Literal["stream", "raw", "error", "hang"]


class Reply:
    """One scripted answer to one `POST /responses`. Build it with the class methods:
    `text`, `function_call`, `shell`, `custom_tool_call`, `error`, `hang`, `raw`.

    A `Reply` holds no ids: the response, item and (unless given) call ids are made fresh
    each time it is served, so one `Reply` may be enqueued, or returned by a responder, any
    number of times. Treat it as immutable.
    """

    __slots__ = (
        "delay",
        "error_body",
        "frames",
        "headers",
        "items",
        "kind",
        "status",
        "then",
        "usage",
    )

    def __init__(
        self,
        kind: _ReplyKind,
        *,
        items: tuple[_Item, ...] = (),
        delay: float = 0.0,
        usage: UsageSpec = None,
        frames: tuple[bytes, ...] = (),
        status: int = 200,
        error_body: Mapping[str, Any] | None = None,
        headers: tuple[tuple[str, str], ...] = (),
        then: Reply | None = None,
    ) -> None:
        """Prefer the class methods; this signature may change."""
        self.kind: _ReplyKind = kind
        self.items = items
        self.delay = delay
        self.usage = usage
        self.frames = frames
        self.status = status
        self.error_body = error_body
        self.headers = headers
        self.then = then

    def __repr__(self) -> str:
        if self.kind == "error":
            return f"Reply.error({self.status})"
        if self.kind == "hang":
            return f"Reply.hang(then={self.then!r})"
        if self.kind == "raw":
            return f"Reply.raw(<{len(self.frames)} frames>)"
        parts = []
        for item in self.items:
            if isinstance(item, _FunctionCall):
                kind = "custom_tool_call" if item.custom else "function_call"
                parts.append(f"{kind}({item.name!r}, {_short(item.arguments)!r})")
            elif isinstance(item, _Reasoning):
                parts.append(f"reasoning({_short(item.text)!r})")
            else:
                parts.append(f"text({_short(item.text)!r}, deltas={len(item.deltas)})")
        return f"Reply<{', '.join(parts)}>"

    @classmethod
    def text(
        cls,
        text: str,
        *,
        deltas: int | Sequence[str] = 1,
        delay: float = 0.0,
        usage: UsageSpec = None,
        reasoning: str | None = None,
    ) -> Reply:
        """An assistant message.

        Args:
            text: the final text (the app-server takes it from `response.output_item.done`).
            deltas: how many `response.output_text.delta` events stream the text (split as
                evenly as possible; `0` streams none), or the exact delta strings, which must
                join to `text`.
            delay: seconds to wait between two streamed deltas (reasoning deltas included).
            usage: `True` for plausible token counts, or a `Usage` / raw `usage` mapping.
                Without usage the app-server sends no `thread/tokenUsage/updated`.
            reasoning: a reasoning item whose summary streams before the message.
        """
        items: list[_Item] = []
        if reasoning is not None:
            items.append(_Reasoning(reasoning, _split(reasoning, 1)))
        items.append(_Message(text, _split(text, deltas)))
        return cls(
            "stream", items=tuple(items), delay=_check_delay(delay), usage=_check_usage(usage)
        )

    @classmethod
    def function_call(
        cls,
        name: str,
        arguments: Mapping[str, Any] | str | None = None,
        *,
        call_id: str | None = None,
        usage: UsageSpec = None,
        reasoning: str | None = None,
    ) -> Reply:
        """A call of the tool `name` (any name: the app-server decides what it means).

        The app-server runs the tool, then `POST`s again with a `function_call_output` for
        the call in its input: script the reply to that request too, or the turn never ends.

        Args:
            name: the tool name, e.g. `"exec_command"` (see `RecordedRequest.tools`).
            arguments: a mapping (sent as JSON) or the exact JSON string.
            call_id: defaults to a fresh unique id each time the reply is served.
            usage: as for `text()`.
            reasoning: a reasoning item whose summary streams before the call.
        """
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, str):
            arguments = json.dumps(dict(arguments), ensure_ascii=False)
        items: list[_Item] = []
        if reasoning is not None:
            items.append(_Reasoning(reasoning, _split(reasoning, 1)))
        items.append(_FunctionCall(name, arguments, call_id))
        return cls("stream", items=tuple(items), usage=_check_usage(usage))

    @classmethod
    def shell(
        cls,
        cmd: str,
        *,
        call_id: str | None = None,
        login: bool = False,
        usage: UsageSpec = None,
        **arguments: Any,
    ) -> Reply:
        """A call of the shell tool `exec_command` running `cmd`.

        `login=False` (the default here; the tool's own default is a login shell) keeps the
        user's shell profile out of the output and saves ~100 ms per command. Extra keyword
        arguments are more tool arguments, e.g. `workdir="/tmp"`, `yield_time_ms=1000`.
        """
        args = {"cmd": cmd, "login": login, **arguments}
        return cls.function_call("exec_command", args, call_id=call_id, usage=usage)

    @classmethod
    def custom_tool_call(
        cls,
        name: str,
        input: str,
        *,
        call_id: str | None = None,
        usage: UsageSpec = None,
    ) -> Reply:
        """A call of a freeform ("custom") tool such as `apply_patch`, with raw `input`.

        The app-server answers with a `custom_tool_call_output` (in
        `RecordedRequest.function_call_outputs`) in its next request.
        """
        return cls(
            "stream",
            items=(_FunctionCall(name, input, call_id, custom=True),),
            usage=_check_usage(usage),
        )

    @classmethod
    def error(
        cls,
        status: int = 500,
        message: str = "scripted error",
        *,
        type: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """An HTTP error with an OpenAI-style JSON body `{"error": {"message", "type", ...}}`.

        With no retries configured, a 5xx fails the turn (an `error` notification, then
        `turn/completed` with status `failed`).
        """
        if not 400 <= status <= 599:
            raise ValueError(f"an error status must be 4xx or 5xx, not {status}")
        if type is None:
            type = "server_error" if status >= 500 else "invalid_request_error"
        body = {"error": {"message": message, "type": type, "param": None, "code": code}}
        return cls("error", status=status, error_body=body, headers=_headers(headers))

    @classmethod
    def hang(cls, then: Reply | None = None) -> Reply:
        """Open the event stream, then send nothing until `ScriptedModel.release()`.

        On release the stream goes on with `then` (a streamed or raw reply) if given, else
        it ends without `response.completed` (the app-server then fails the turn). The
        stream also ends when the client disconnects (as after `turn/interrupt`) or when the
        model is closed.
        """
        if then is not None and then.kind not in ("stream", "raw"):
            raise ValueError("Reply.hang(then=...) must be a streamed or raw reply")
        return cls("hang", then=then)

    @classmethod
    def raw(
        cls,
        frames: Sequence[Mapping[str, Any] | str],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Exactly these SSE frames, nothing added (no `response.completed` either).

        A mapping is sent as `event: <its "type">` plus `data: <JSON>`; a string is sent as
        the `data:` line verbatim (to test malformed events). `headers` are added to the
        HTTP response (e.g. rate-limit headers).
        """
        for frame in frames:
            if not isinstance(frame, (str, Mapping)):
                raise TypeError(f"a frame must be a mapping or a string, not {frame!r}")
        encoded = tuple(sse_frame(frame) for frame in frames)  # fails here, not when served
        return cls("raw", frames=encoded, headers=_headers(headers))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _check_usage(usage: UsageSpec) -> UsageSpec:
    if isinstance(usage, Mapping):
        usage = dict(usage)
        json.dumps(usage)  # fails here, not when served
    elif usage is not None and not isinstance(usage, (bool, Usage)):
        raise TypeError(f"usage must be True, a Usage or a mapping, not {usage!r}")
    return usage


def _check_delay(delay: float) -> float:
    if delay < 0:
        raise ValueError("delay must be >= 0")
    return float(delay)


def _headers(headers: Mapping[str, str] | None) -> tuple[tuple[str, str], ...]:
    pairs = tuple((str(k), str(v)) for k, v in (headers or {}).items())
    for name, value in pairs:
        if any(c in name + value for c in "\r\n"):
            raise ValueError(f"invalid header {name!r}")
    return pairs


def _split(text: str, deltas: int | Sequence[str]) -> tuple[str, ...]:
    if isinstance(deltas, str) or not isinstance(deltas, (int, Sequence)):
        raise TypeError("deltas must be a count or a sequence of strings")
    if not isinstance(deltas, int):
        parts = tuple(deltas)
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


# --------------------------------------------------------------------------- requests


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


# --------------------------------------------------------------------------- SSE


def sse_frame(data: Mapping[str, Any] | str) -> bytes:
    """One Server-Sent-Events frame: `event: <type>` (for a mapping) and `data: <JSON>`."""
    if isinstance(data, str):
        return b"data: " + data.encode() + b"\n\n"
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    kind = data.get("type")
    head = f"event: {kind}\n" if isinstance(kind, str) and "\n" not in kind else ""
    return f"{head}data: {payload}\n\n".encode()


class _Pause:
    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def _render_stream(
    reply: Reply, request: RecordedRequest, new_id: Callable[[str], str]
) -> Iterator[bytes | _Pause]:
    """The SSE frames of a streamed reply, as the Responses API orders them."""
    base = {
        "id": new_id("resp"),
        "object": "response",
        "created_at": int(time.time()),
        "model": request.model or DEFAULT_MODEL,
    }
    created = {**base, "status": "in_progress", "output": []}
    yield sse_frame({"type": "response.created", "response": created})
    pause = _Pause(reply.delay) if reply.delay > 0 else None
    first_delta = True
    output: list[dict[str, Any]] = []
    for index, item in enumerate(reply.items):
        added: dict[str, Any]
        done: dict[str, Any]
        if isinstance(item, _FunctionCall):
            payload = "input" if item.custom else "arguments"
            call = {
                "type": "custom_tool_call" if item.custom else "function_call",
                "id": new_id("ctc" if item.custom else "fc"),
                "call_id": item.call_id or new_id("call"),
                "name": item.name,
                payload: item.arguments,
            }
            added = {**call, payload: "", "status": "in_progress"}
            yield sse_frame(
                {"type": "response.output_item.added", "output_index": index, "item": added}
            )
            done = {**call, "status": "completed"}
        else:
            if isinstance(item, _Message):
                item_id = new_id("msg")
                added = {
                    "type": "message",
                    "id": item_id,
                    "status": "in_progress",
                    "role": "assistant",
                    "content": [],
                }
                part_kind, part_key, text_kind = "content_part", "content_index", "output_text"
                part: dict[str, Any] = {"type": "output_text", "text": "", "annotations": []}
            else:
                item_id = new_id("rs")
                added = {"type": "reasoning", "id": item_id, "summary": []}
                part_kind, part_key = "reasoning_summary_part", "summary_index"
                text_kind = "reasoning_summary_text"
                part = {"type": "summary_text", "text": ""}
            where = {"item_id": item_id, "output_index": index, part_key: 0}
            yield sse_frame(
                {"type": "response.output_item.added", "output_index": index, "item": added}
            )
            yield sse_frame({"type": f"response.{part_kind}.added", **where, "part": part})
            # The hot path: one template, one json.dumps per delta.
            prefix = (
                f"event: response.{text_kind}.delta\n"
                f'data: {{"type":"response.{text_kind}.delta","item_id":"{item_id}",'
                f'"output_index":{index},"{part_key}":0,"delta":'
            )
            for delta in item.deltas:
                if pause is not None and not first_delta:
                    yield pause
                first_delta = False
                yield (prefix + json.dumps(delta, ensure_ascii=False) + "}\n\n").encode()
            final_part = {**part, "text": item.text}
            yield sse_frame({"type": f"response.{text_kind}.done", **where, "text": item.text})
            yield sse_frame({"type": f"response.{part_kind}.done", **where, "part": final_part})
            if isinstance(item, _Message):
                done = {**added, "status": "completed", "content": [final_part]}
            else:
                done = {**added, "summary": [final_part], "encrypted_content": None}
        output.append(done)
        yield sse_frame({"type": "response.output_item.done", "output_index": index, "item": done})
    completed: dict[str, Any] = {**base, "status": "completed", "output": output}
    usage = _usage_dict(reply.usage, request, reply.items)
    if usage is not None:
        completed["usage"] = usage
    yield sse_frame({"type": "response.completed", "response": completed})


def _usage_dict(
    usage: UsageSpec, request: RecordedRequest, items: Sequence[_Item]
) -> dict[str, Any] | None:
    if usage is None or usage is False:
        return None
    if isinstance(usage, Usage):
        return usage.to_dict()
    if isinstance(usage, Mapping):
        return dict(usage)
    # Plausible numbers: about four characters per token.
    output_chars = reasoning_chars = 0
    for item in items:
        if isinstance(item, _Reasoning):
            reasoning_chars += len(item.text)
        else:
            output_chars += len(item.text if isinstance(item, _Message) else item.arguments)
    reasoning = -(-reasoning_chars // 4)
    return Usage(
        input_tokens=max(1, len(request.raw_body) // 4),
        output_tokens=max(1, -(-output_chars // 4)) + reasoning,
        reasoning_output_tokens=reasoning,
    ).to_dict()


# --------------------------------------------------------------------------- server


class _Gone(Exception):
    """The model was closed, or the client went away, while a request was being served."""


class ScriptedModel:
    """A local HTTP server that answers the Responses API from a script.

    ::

        with ScriptedModel() as model:
            model.enqueue(Reply.text("Hello!"))
            config = model.config(tmp_path)  # an AppServerConfig for an offline app-server
            ...  # run a turn; model.requests holds what the app-server sent

    Each `POST {base_url}/responses` takes the next reply from the FIFO queue
    (`enqueue`), else asks the responder (`respond_with`), else is answered HTTP 500 and
    counted in `unexpected_requests`, so that a test fails loudly instead of hanging.
    Every method is thread-safe; `close()` returns promptly even with hanging replies or
    clients that stopped reading.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        """Prepare the server; it listens from `start()` (or `with`) on."""
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: deque[Reply] = deque()
        self._responder: Responder | None = None
        self._requests: list[RecordedRequest] = []
        self._other: list[RecordedRequest] = []
        self._unexpected = 0
        self._errors: list[BaseException] = []
        self._active = 0
        self._accepted = 0
        self._release_generation = 0
        self._wakers: set[socket.socket] = set()
        self._connections: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._listener: socket.socket | None = None
        self._bound_port: int | None = None
        self._wake_accept: tuple[socket.socket, socket.socket] | None = None
        self._accept_thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._tag = os.urandom(4).hex()
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        where = self.base_url if self._listener is not None else "not started"
        state = "closed" if self.closed else where
        return f"<ScriptedModel {state}, {len(self._requests)} requests>"

    # ---- life cycle

    def start(self) -> ScriptedModel:
        """Listen on the port (a free one by default) and serve; idempotent; return self."""
        with self._lock:
            if self._closed.is_set():
                raise RuntimeError("this ScriptedModel is closed")
            if self._listener is not None:
                return self
            listener = socket.create_server((self._host, self._port), backlog=128)
            listener.setblocking(False)
            self._listener = listener
            self._bound_port = int(listener.getsockname()[1])
            self._wake_accept = socket.socketpair()
            thread = threading.Thread(
                target=self._accept_loop, name="ScriptedModel-accept", daemon=True
            )
            self._accept_thread = thread
        thread.start()
        return self

    def close(self) -> None:
        """Stop serving: end hanging replies, drop every connection, free the port.

        Idempotent. Returns within about a second whatever the clients do.
        """
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            wakers = list(self._wakers)
            connections = list(self._connections)
            self._changed.notify_all()
        for waker in [*wakers, *(self._wake_accept[1:] if self._wake_accept else ())]:
            with contextlib.suppress(OSError):
                waker.send(b"x")
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + _CLOSE_JOIN_SECONDS
        if self._accept_thread is not None:
            self._accept_thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            threads = [t for t in self._threads if t is not threading.current_thread()]
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._listener is not None:
            self._listener.close()
        if self._wake_accept is not None:
            for sock in self._wake_accept:
                sock.close()

    def __enter__(self) -> ScriptedModel:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once `close()` was called."""
        return self._closed.is_set()

    @property
    def port(self) -> int:
        """The TCP port (after `start()`)."""
        if self._bound_port is None:
            raise RuntimeError("ScriptedModel is not started: call start() or use `with`")
        return self._bound_port

    @property
    def base_url(self) -> str:
        """The Responses API base URL to configure: `http://127.0.0.1:PORT/v1`."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}/v1"

    # ---- script

    def enqueue(self, *replies: Reply) -> None:
        """Append replies to the FIFO queue; each `POST /responses` takes the next one."""
        for reply in replies:
            if not isinstance(reply, Reply):
                raise TypeError(f"expected a Reply, got {type(reply).__name__}")
        with self._lock:
            self._queue.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer with `responder(request)` whenever the queue is empty (None: stop).

        Use it when the order of requests is not deterministic (concurrent turns): reply
        based on the request, e.g. on `request.last_user_text`. The responder runs on the
        server's connection threads, possibly several at once, so it must be thread-safe.
        Returning None makes the request unexpected (HTTP 500); an exception is answered
        HTTP 500 and kept in `errors`.
        """
        with self._lock:
            self._responder = responder

    def release(self) -> None:
        """Let every reply hanging now (`Reply.hang`) go on; later hangs hang again."""
        with self._lock:
            self._release_generation += 1
            wakers = list(self._wakers)
        for waker in wakers:
            with contextlib.suppress(OSError):
                waker.send(b"x")

    def reset(self) -> None:
        """Forget queued replies, the responder, recorded requests and counters."""
        with self._lock:
            self._queue.clear()
            self._responder = None
            self._requests.clear()
            self._other.clear()
            self._unexpected = 0
            self._errors.clear()

    # ---- observation

    @property
    def requests(self) -> list[RecordedRequest]:
        """The `/responses` requests received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def other_requests(self) -> list[RecordedRequest]:
        """Requests to any other path (`GET /models`, unknown paths), in arrival order."""
        with self._lock:
            return list(self._other)

    @property
    def unexpected_requests(self) -> int:
        """Requests answered with an error because nothing was scripted for them: a
        `/responses` request with no reply (HTTP 500) or an unknown path (HTTP 404)."""
        with self._lock:
            return self._unexpected

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised while answering: by the responder (answered HTTP 500), or
        while streaming a reply (the stream was cut short). Empty in a healthy test."""
        with self._lock:
            return list(self._errors)

    @property
    def pending_replies(self) -> int:
        """Replies still queued."""
        with self._lock:
            return len(self._queue)

    @property
    def active_requests(self) -> int:
        """`/responses` requests being answered right now (hanging replies included)."""
        with self._lock:
            return self._active

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (the app-server reuses them: keep-alive)."""
        with self._lock:
            return self._accepted

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until at least `n` `/responses` requests arrived; return them all.

        Raises:
            TimeoutError: fewer than `n` arrived within `timeout` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= n, timeout):
                raise TimeoutError(
                    f"ScriptedModel: {len(self._requests)} of {n} requests arrived "
                    f"within {timeout}s"
                )
            return list(self._requests)

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        """Block until no `/responses` request is being answered (`active_requests == 0`),
        e.g. until the client dropped a hanging reply.

        Raises:
            TimeoutError: a request was still being answered after `timeout` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: self._active == 0, timeout):
                raise TimeoutError(
                    f"ScriptedModel: {self._active} requests still active after {timeout}s"
                )

    # ---- configuration

    def config(
        self,
        tmp_path: str | os.PathLike[str],
        *,
        model: str = DEFAULT_MODEL,
        approval_policy: str = "never",
        sandbox_mode: str = "read-only",
        extra_toml: str = "",
        settings: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> AppServerConfig:
        """An `AppServerConfig` for an offline app-server that talks to this model.

        Writes a `CODEX_HOME` at `tmp_path/codex-home` (or at `codex_home=` if given) with
        `write_offline_codex_home`, makes `tmp_path/workspace` the working directory
        (unless `cwd=` is given), and sets `MOCK_API_KEY`, `NO_PROXY` and `PATH` in `env`
        (see `offline_env`). `model`, `approval_policy`, `sandbox_mode`, `extra_toml` and
        `settings` go to the config file; other keyword arguments are `AppServerConfig`
        fields (an `env` mapping is merged over ours). Starts the model if needed.
        """
        from .._config import AppServerConfig

        self.start()
        base = Path(tmp_path)
        home = Path(overrides.pop("codex_home", None) or base / "codex-home")
        write_offline_codex_home(
            home,
            self.base_url,
            model=model,
            approval_policy=approval_policy,
            sandbox_mode=sandbox_mode,
            extra_toml=extra_toml,
            settings=settings,
        )
        if overrides.get("cwd") is None:
            workspace = base / "workspace"
            workspace.mkdir(parents=True, exist_ok=True)
            overrides["cwd"] = workspace
        env = offline_env()
        env.update(overrides.pop("env", None) or {})
        return AppServerConfig(codex_home=home, env=env, **overrides)

    # ---- serving (server threads)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{self._tag}{next(self._ids):06d}"

    def _accept_loop(self) -> None:
        listener, wake = self._listener, self._wake_accept
        assert listener is not None and wake is not None
        with selectors.DefaultSelector() as selector:
            selector.register(listener, selectors.EVENT_READ)
            selector.register(wake[0], selectors.EVENT_READ)
            while not self._closed.is_set():
                for key, _ in selector.select():
                    if key.fileobj is not listener:
                        return
                    try:
                        conn, _addr = listener.accept()
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:  # e.g. out of file descriptors: do not spin
                        if self._closed.wait(0.05):
                            return
                        continue
                    self._spawn_connection(conn)

    def _spawn_connection(self, conn: socket.socket) -> None:
        conn.setblocking(True)
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(
            target=self._serve_connection, args=(conn,), name="ScriptedModel-conn", daemon=True
        )
        with self._lock:
            if self._closed.is_set():
                conn.close()
                return
            self._connections.add(conn)
            self._threads.add(thread)
            self._accepted += 1
        thread.start()

    def _serve_connection(self, conn: socket.socket) -> None:
        try:
            _Connection(self, conn).serve()
        except (OSError, ValueError, _Gone):
            pass  # the client went away, spoke garbage, or we are closing
        except Exception as exc:  # a bug, or a reply we could not render: keep it
            self._failed(exc)
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            with self._lock:
                self._connections.discard(conn)
                self._threads.discard(threading.current_thread())

    def _take(self, request: RecordedRequest) -> tuple[Reply | Responder | None, int]:
        """Record a `/responses` request and take its reply (or the responder) atomically.

        Also returns the release generation: a `release()` made once the request is visible
        in `requests` releases this request's hang, however late the hang starts waiting.
        """
        with self._lock:
            request.index = len(self._requests)
            self._requests.append(request)
            self._active += 1
            self._changed.notify_all()
            source = self._queue.popleft() if self._queue else self._responder
            return source, self._release_generation

    def _record_other(self, request: RecordedRequest, *, unexpected: bool) -> None:
        with self._lock:
            self._other.append(request)
            self._unexpected += unexpected

    def _count_unexpected(self) -> None:
        with self._lock:
            self._unexpected += 1

    def _failed(self, error: BaseException) -> None:
        with self._lock:
            self._errors.append(error)

    def _answered(self) -> None:
        with self._lock:
            self._active -= 1
            self._changed.notify_all()

    def _wait_for_release(self, conn: socket.socket, generation: int) -> bool:
        """Block a hanging reply until released (True) or closed / disconnected (False)."""
        waker_r, waker_w = socket.socketpair()
        with self._lock:
            self._wakers.add(waker_w)
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(conn, selectors.EVENT_READ)
                selector.register(waker_r, selectors.EVENT_READ)
                while True:
                    with self._lock:
                        if self._closed.is_set():
                            return False
                        if self._release_generation != generation:
                            return True
                    for key, _ in selector.select():
                        if key.fileobj is conn:
                            return False  # the client hung up (or broke protocol)
                        with contextlib.suppress(OSError):
                            waker_r.recv(4096)
        finally:
            with self._lock:
                self._wakers.discard(waker_w)
            waker_r.close()
            waker_w.close()


def offline_env() -> dict[str, str]:
    """Environment for an offline app-server.

    `MOCK_API_KEY` (the provider's key), `NO_PROXY` for loopback (so that a proxy in the
    environment is never used), and the runtime wheel's helper directories first on `PATH`:
    `codex-path` (`rg`) and `codex-resources` (`bwrap`, which silences the "could not find
    bubblewrap on PATH" `configWarning`; the runtime falls back to that same bundled
    `bwrap` anyway).
    """
    env = {MOCK_API_KEY_ENV: MOCK_API_KEY_VALUE}
    existing = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    env["NO_PROXY"] = env["no_proxy"] = ",".join(
        p for p in ("127.0.0.1", "localhost", existing) if p
    )
    helper_dirs = _runtime_path_dirs()
    if helper_dirs:
        env["PATH"] = os.pathsep.join([*helper_dirs, os.environ.get("PATH", os.defpath)])
    return env


def _runtime_path_dirs() -> list[str]:
    """The `openai-codex-cli-bin` wheel's `pathDir` and `resourcesDir`, if installed."""
    try:
        import codex_cli_bin

        package = Path(codex_cli_bin.bundled_package_dir())
        meta = json.loads((package / "codex-package.json").read_text(encoding="utf-8"))
    except Exception:  # not installed, or a layout we do not know
        return []
    names = [meta.get("pathDir", "codex-path"), meta.get("resourcesDir", "codex-resources")]
    return [str(package / n) for n in names if isinstance(n, str) and (package / n).is_dir()]


# --------------------------------------------------------------------------- HTTP


class _Connection:
    """One client connection: HTTP/1.1 requests in a loop (keep-alive)."""

    __slots__ = ("conn", "model", "rfile")

    def __init__(self, model: ScriptedModel, conn: socket.socket) -> None:
        self.model = model
        self.conn = conn
        self.rfile = conn.makefile("rb")

    def serve(self) -> None:
        try:
            while self._serve_one():
                pass
        finally:
            self.rfile.close()

    def _readline(self) -> bytes:
        line = self.rfile.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise ValueError("line too long")
        return line

    def _serve_one(self) -> bool:
        """Serve one request; False when the connection must end."""
        line = self._readline()
        while line in (b"\r\n", b"\n"):
            line = self._readline()
        if not line:
            return False
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._send_json(400, _error_body("ScriptedModel: bad request line", 400), close=True)
            return False
        method, target, version = parts
        pairs: list[tuple[str, str]] = []
        while True:
            header = self._readline()
            if not header:
                return False
            if header in (b"\r\n", b"\n"):
                break
            name, sep, value = header.decode("latin-1").partition(":")
            if not sep or len(pairs) >= _MAX_HEADERS:
                self._send_json(400, _error_body("ScriptedModel: bad header", 400), close=True)
                return False
            pairs.append((name.strip(), value.strip()))
        headers = _Headers(pairs)
        connection = headers.get("Connection", "").lower()
        keep_alive = (version == "HTTP/1.1" and "close" not in connection) or (
            "keep-alive" in connection
        )
        if headers.get("Expect", "").lower() == "100-continue":
            self.conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        raw = _decode(self._read_body(headers), headers.get("Content-Encoding", ""))
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        path = target.split("?", 1)[0]
        request = RecordedRequest(
            method,
            path,
            headers,
            parsed if isinstance(parsed, dict) else {},
            raw,
            received_at=time.monotonic(),
        )
        return self._dispatch(request) and keep_alive

    def _read_body(self, headers: Mapping[str, str]) -> bytes:
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self._readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self._readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self._read_exactly(size))
                self._readline()
        length = int(headers.get("Content-Length") or 0)
        return self._read_exactly(length) if length > 0 else b""

    def _read_exactly(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) != size:
            raise _Gone
        return data

    def _dispatch(self, request: RecordedRequest) -> bool:
        """Answer one request; False if the connection must end."""
        model = self.model
        path = request.path.rstrip("/")
        if request.method != "POST" or not path.endswith("/responses"):
            if request.method == "GET" and path.endswith("/models"):
                model._record_other(request, unexpected=False)
                self._send_json(200, {"object": "list", "data": []})
            else:
                model._record_other(request, unexpected=True)
                message = f"ScriptedModel: no route for {request.method} {request.path}"
                self._send_json(404, _error_body(message, 404))
            return True
        source, generation = model._take(request)
        try:
            return self._answer(request, source, generation)
        finally:
            model._answered()

    def _answer(
        self, request: RecordedRequest, source: Reply | Responder | None, generation: int
    ) -> bool:
        model = self.model
        if source is None or isinstance(source, Reply):
            reply = source
        else:
            try:
                reply = source(request)
            except Exception as exc:
                model._failed(exc)
                message = f"ScriptedModel: the responder raised {exc!r}"
                self._send_json(500, _error_body(message, 500))
                return True
        if reply is None:
            model._count_unexpected()
            message = "ScriptedModel: no reply scripted for this request"
            self._send_json(500, _error_body(message, 500))
            return True
        if reply.kind == "error":
            self._send_json(reply.status, reply.error_body or {}, reply.headers)
            return True
        return self._stream(reply, request, generation)

    def _send_json(
        self,
        status: int,
        body: Mapping[str, Any],
        extra: Sequence[tuple[str, str]] = (),
        *,
        close: bool = False,
    ) -> None:
        payload = json.dumps(body).encode()
        head = [
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
            *(["Connection: close"] if close else []),
            *(f"{k}: {v}" for k, v in extra),
        ]
        self.conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + payload)

    def _stream(self, reply: Reply, request: RecordedRequest, generation: int) -> bool:
        """Write an event stream; False if the connection must end."""
        model = self.model
        head = [
            "HTTP/1.1 200 OK",
            "Content-Type: text/event-stream",
            "Cache-Control: no-cache",
            "Transfer-Encoding: chunked",
            f"x-request-id: {model._new_id('req')}",
            *(f"{k}: {v}" for k, v in reply.headers),
        ]
        self.conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        if reply.kind == "hang":
            if not model._wait_for_release(self.conn, generation):
                return False
            if reply.then is None:
                self._write_chunk(b"")
                return True
            reply = reply.then
        frames: Iterator[bytes | _Pause]
        if reply.kind == "raw":
            frames = iter(reply.frames)
        else:
            frames = _render_stream(reply, request, model._new_id)
        self._write_frames(frames)
        return True

    def _write_frames(self, frames: Iterator[bytes | _Pause]) -> None:
        closed = self.model._closed
        batch: list[bytes] = []
        size = 0
        for frame in frames:
            if isinstance(frame, _Pause):
                if batch:
                    self._write_chunk(b"".join(batch))
                    batch, size = [], 0
                if closed.wait(frame.seconds):
                    raise _Gone
                continue
            batch.append(frame)
            size += len(frame)
            if size >= _WRITE_BATCH:
                self._write_chunk(b"".join(batch))
                batch, size = [], 0
        if batch:
            self._write_chunk(b"".join(batch))
        self._write_chunk(b"")

    def _write_chunk(self, data: bytes) -> None:
        """One chunk of a chunked body; empty data writes the terminating chunk."""
        if self.model._closed.is_set():
            raise _Gone
        self.conn.sendall(b"%x\r\n%b\r\n" % (len(data), data) if data else b"0\r\n\r\n")


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _error_body(message: str, status: int) -> dict[str, Any]:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _decode(raw: bytes, encoding: str) -> bytes:
    """Undo a gzip or deflate content encoding; anything else is kept as received."""
    encoding = encoding.strip().lower()
    if encoding not in ("gzip", "deflate") or not raw:
        return raw
    import zlib

    try:
        wbits = 31 if encoding == "gzip" else 15
        return zlib.decompress(raw, wbits)
    except zlib.error:
        return raw
