"""The reply language of `ScriptedModel`: `Reply` (one scripted answer) and `Usage`.

A `Reply` is a plain, immutable description; `_sse` renders it into Server-Sent-Events
frames and `_http` serves it. Every option is keyword-only and checked where the reply is
built, so a mistake fails in the test that wrote it, not later on a server thread.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

from ._checks import (
    _check_call_id,
    _check_delay,
    _check_name,
    _check_str,
    _count,
    _headers,
    _short,
    _split,
)

__all__ = ["Reply", "Usage", "UsageSpec"]


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
        self.input_tokens = _count("input_tokens", input_tokens)
        self.output_tokens = _count("output_tokens", output_tokens)
        self.cached_input_tokens = _count("cached_input_tokens", cached_input_tokens)
        self.reasoning_output_tokens = _count("reasoning_output_tokens", reasoning_output_tokens)
        self.total_tokens = (
            input_tokens + output_tokens
            if total_tokens is None
            else _count("total_tokens", total_tokens)
        )

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
        return tuple(getattr(self, name) for name in _USAGE_FIELDS)

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
    __slots__ = ("arguments", "call_id", "custom", "name", "namespace")

    def __init__(
        self,
        name: str,
        arguments: str,
        call_id: str | None,
        *,
        custom: bool = False,
        namespace: str | None = None,
    ) -> None:
        self.name = name
        self.arguments = arguments  # the `input` of a custom tool call
        self.call_id = call_id
        self.custom = custom
        self.namespace = namespace  # a namespaced tool's group (an MCP server: `mcp__echo`)


_Item: TypeAlias = _Message | _Reasoning | _FunctionCall
_ReplyKind = Literal["stream", "raw", "error", "hang"]

#: `exec_command` arguments `Reply.shell` takes by name, with their JSON types.
_SHELL_OPTIONS: dict[str, tuple[type, ...]] = {
    "workdir": (str,),
    "yield_time_ms": (int, float),
    "max_output_tokens": (int, float),
    "shell": (str,),
    "tty": (bool,),
    "sandbox_permissions": (str,),
    "justification": (str,),
    "prefix_rule": (list, tuple),
}


class Reply:
    """One scripted answer to one `POST /responses`. Build it with the class methods:
    `text`, `function_call`, `shell`, `custom_tool_call`, `error`, `hang`, `raw`.

    A `Reply` holds no ids: the response, item and (unless given) call ids are made fresh
    each time it is served, so one `Reply` may be enqueued, or returned by a responder, any
    number of times. Treat it as immutable. Options are keyword-only and validated when
    the reply is built (`TypeError` / `ValueError` naming the option).
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
        error_body: Mapping[str, Any] | str | None = None,
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
        self.error_body = error_body  # a str is sent as text/plain
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
            delay: seconds to wait between two streamed deltas (reasoning deltas included),
                on a schedule: delta n+1 is due n*delay after the first, so a reader that
                fell behind gets what is due at once.
            usage: `True` for plausible token counts, or a `Usage` / raw `usage` mapping.
                Without usage the app-server sends no `thread/tokenUsage/updated`.
            reasoning: a reasoning item whose summary streams before the message.
        """
        _check_str("text", text)
        items = _reasoning_items(reasoning)
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
        namespace: str | None = None,
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
            namespace: the group of a namespaced tool, e.g. `"mcp__echo"` for the `echo`
                tool of the MCP server `echo` (the runtime offers MCP tools that way and
                routes the call by namespace and name; see `RecordedRequest.tools`).
        """
        _check_name(name)
        if namespace is not None:
            _check_str("namespace", namespace)
            if not namespace:
                raise ValueError("a namespace must not be empty")
        if arguments is None:
            arguments = {}
        if isinstance(arguments, Mapping):
            try:
                arguments = json.dumps(dict(arguments), ensure_ascii=False)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"arguments must be JSON-serializable: {exc}") from None
        elif not isinstance(arguments, str):
            raise TypeError(
                f"arguments must be a mapping or a JSON string, not {type(arguments).__name__}"
            )
        items = _reasoning_items(reasoning)
        items.append(_FunctionCall(name, arguments, _check_call_id(call_id), namespace=namespace))
        return cls("stream", items=tuple(items), usage=_check_usage(usage))

    @classmethod
    def shell(
        cls,
        cmd: str,
        *,
        call_id: str | None = None,
        login: bool = False,
        usage: UsageSpec = None,
        reasoning: str | None = None,
        workdir: str | None = None,
        yield_time_ms: float | None = None,
        max_output_tokens: float | None = None,
        shell: str | None = None,
        tty: bool | None = None,
        sandbox_permissions: str | None = None,
        justification: str | None = None,
        prefix_rule: Sequence[str] | None = None,
        extra_arguments: Mapping[str, Any] | None = None,
    ) -> Reply:
        """A call of the shell tool `exec_command` running `cmd`.

        `login=False` (the default here; the tool's own default is a login shell) keeps the
        user's shell profile out of the output and saves ~100 ms per command. `workdir`,
        `yield_time_ms`, `max_output_tokens`, `shell`, `tty`, `sandbox_permissions`,
        `justification` and `prefix_rule` are the tool's other arguments (sent only when
        given); `extra_arguments` adds any other, unchecked. `call_id`, `usage` and
        `reasoning` are as for `function_call()`.
        """
        _check_str("cmd", cmd)
        if not isinstance(login, bool):
            raise TypeError(f"login must be a bool, not {type(login).__name__}")
        given = {
            "workdir": workdir,
            "yield_time_ms": yield_time_ms,
            "max_output_tokens": max_output_tokens,
            "shell": shell,
            "tty": tty,
            "sandbox_permissions": sandbox_permissions,
            "justification": justification,
            "prefix_rule": prefix_rule,
        }
        args: dict[str, Any] = {"cmd": cmd, "login": login}
        for option, value in given.items():
            if value is None:
                continue
            allowed = _SHELL_OPTIONS[option]
            if not isinstance(value, allowed) or (bool not in allowed and isinstance(value, bool)):
                names = " or ".join(t.__name__ for t in allowed)
                raise TypeError(f"{option} must be {names}, not {type(value).__name__}")
            args[option] = list(value) if isinstance(value, tuple) else value
        if prefix_rule is not None and not all(isinstance(p, str) for p in prefix_rule):
            raise TypeError("prefix_rule must be a sequence of strings")
        if extra_arguments is not None:
            if not isinstance(extra_arguments, Mapping):
                raise TypeError("extra_arguments must be a mapping")
            args.update(extra_arguments)
        return cls.function_call(
            "exec_command", args, call_id=call_id, usage=usage, reasoning=reasoning
        )

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
        _check_name(name)
        _check_str("input", input)
        return cls(
            "stream",
            items=(_FunctionCall(name, input, _check_call_id(call_id), custom=True),),
            usage=_check_usage(usage),
        )

    @classmethod
    def error(
        cls,
        status: int | None = None,
        message: str = "scripted error",
        *,
        type: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """An HTTP error that fails the turn.

        With no `status`, the answer is HTTP 400 with `message` as a plain-text body: the
        app-server neither retries it nor rewords it, so the turn's error message (and
        `TurnFailedError`) is exactly `message`. With a `status` (4xx or 5xx), the body is
        an OpenAI-style JSON error `{"error": {"message", "type", "param", "code"}}`, and
        the runtime treats it as it treats that status from the real API: e.g. 500 becomes
        its own "high demand" message and 429 "exceeded retry limit" (see docs/testing.md).
        """
        for option, value in (("message", message), ("type", type), ("code", code)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{option} must be a string, not {value.__class__.__name__}")
        if status is None:
            if type is not None or code is not None:
                raise ValueError("type= and code= need an explicit status (a JSON error body)")
            return cls("error", status=400, error_body=message, headers=_headers(headers))
        if isinstance(status, bool) or not isinstance(status, int):
            raise TypeError(f"status must be an int, not {status.__class__.__name__}")
        if not 400 <= status <= 599:
            raise ValueError(f"an error status must be 4xx or 5xx, not {status}")
        if type is None:
            type = "server_error" if status >= 500 else "invalid_request_error"
        body = {"error": {"message": message, "type": type, "param": None, "code": code}}
        return cls("error", status=status, error_body=body, headers=_headers(headers))

    @classmethod
    def hang(cls, *, then: Reply | None = None) -> Reply:
        """Open the event stream, then send nothing until `ScriptedModel.release()`.

        On release the stream goes on with `then` (a streamed or raw reply) if given, else
        it ends without `response.completed` (the app-server then fails the turn). The
        stream also ends when the client disconnects (as after `turn/interrupt`) or when the
        model is closed.
        """
        if then is not None and (not isinstance(then, Reply) or then.kind not in ("stream", "raw")):
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
        from ._sse import sse_frame

        if isinstance(frames, (str, bytes)) or not isinstance(frames, Sequence):
            raise TypeError("frames must be a sequence of mappings or strings")
        for frame in frames:
            if not isinstance(frame, (str, Mapping)):
                raise TypeError(f"a frame must be a mapping or a string, not {frame!r}")
        encoded = tuple(sse_frame(frame) for frame in frames)  # fails here, not when served
        return cls("raw", frames=encoded, headers=_headers(headers))


def _reasoning_items(reasoning: object) -> list[_Item]:
    if reasoning is None:
        return []
    _check_str("reasoning", reasoning)
    assert isinstance(reasoning, str)
    return [_Reasoning(reasoning, _split(reasoning, 1))]


def _check_usage(usage: UsageSpec) -> UsageSpec:
    if isinstance(usage, Mapping):
        usage = dict(usage)
        try:
            json.dumps(usage)  # fails here, not when served
        except (TypeError, ValueError) as exc:
            raise TypeError(f"a usage mapping must be JSON-serializable: {exc}") from None
    elif usage is not None and not isinstance(usage, (bool, Usage)):
        raise TypeError(f"usage must be True, a Usage or a mapping, not {usage!r}")
    return usage
