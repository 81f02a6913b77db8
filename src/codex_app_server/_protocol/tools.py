"""Python functions as agent tools (the app-server's experimental dynamic tools).

>>> @tool
... def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
...     '''The current weather in a city.
...
...     Args:
...         city: the city name, e.g. "Paris".
...         unit: temperature unit.
...     '''
...     return f"22 {unit} and sunny in {city}"
>>> thread = codex.thread_start(tools=[get_weather])          # doctest: +SKIP

The tool's name is the function's, its description the docstring's summary, its input
schema is built by pydantic from the signature (type hints, defaults, `Annotated[...,
Field(description=...)]`, and per-argument descriptions from an `Args:` section or
`:param x:` lines). A function whose only parameter is a pydantic model takes the model's
fields as its input. When the agent calls the tool, the arguments are validated, the
function runs (a coroutine function is awaited), and its return value goes back to the
agent as text: a string as is, anything else as JSON. Invalid arguments or an exception
go back as `success: false` with the message, so the agent can see what went wrong.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, overload

from .._logging import sdk_logger
from .server_requests import tool_failure, tool_text

if TYPE_CHECKING:
    from pydantic import BaseModel

logger = sdk_logger("codex_app_server")

F = TypeVar("F", bound=Callable[..., Any])

# Patterns as sources, compiled by `re` (and cached there) when a tool is first defined:
# compiling them at import would cost every cold start, tools or not.
#: A name the OpenAI API accepts for a function tool.
_NAME = r"^[A-Za-z0-9_-]{1,64}$"
_SECTION = (
    r"^\s*(Args|Arguments|Parameters|Params|Returns?|Yields?|Raises|Examples?|Notes?)\s*:\s*$"
)
_GOOGLE_ARG = r"^\s*\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$"
_SPHINX_ARG = r"^\s*:param\s+(?:[^:]*\s)?(\w+)\s*:\s*(.*)$"

#: A dynamic-tool reply (`DynamicToolCallResponse` on the wire).
ToolReply = dict[str, Any]


class Tool:
    """A Python callable the agent can call as a tool.

    Build one with `@tool` or `Tool.from_function(fn)`. Calling the `Tool` calls the
    function, so a decorated function keeps working as a function.

    Attributes:
        name / description / input_schema: what the agent sees (`dynamicTools` entry).
        function: the wrapped callable.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str,
        description: str,
        input_schema: dict[str, Any],
        bind: Callable[[Any], tuple[tuple[Any, ...], dict[str, Any]]],
    ) -> None:
        if not re.match(_NAME, name):
            raise ValueError(
                f"tool name {name!r} must be 1-64 letters, digits, underscores or hyphens"
            )
        self.function = function
        self.name = name
        self.description = description
        self.input_schema = input_schema
        self._bind = bind
        self.is_async = inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
            getattr(function, "__call__", None)  # noqa: B004
        )
        self.__doc__ = getattr(function, "__doc__", None)
        self.__wrapped__ = function

    @classmethod
    def from_function(
        cls,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Tool:
        """A tool from `function`: name, description and input schema derived from it.

        `name` and `description` override the function's name and docstring summary.
        """
        if isinstance(function, Tool):
            return function
        doc = inspect.getdoc(function) or ""
        summary, arg_docs = _parse_docstring(doc)
        tool_name = name or getattr(function, "__name__", None) or type(function).__name__
        schema, bind = _signature_schema(function, tool_name, arg_docs)
        return cls(
            function,
            name=tool_name,
            description=description if description is not None else (summary or tool_name),
            input_schema=schema,
            bind=bind,
        )

    def spec(self) -> dict[str, Any]:
        """The `dynamicTools` entry for `thread/start`."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema,
        }

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r})"

    def invoke(self, arguments: Any) -> ToolReply | Awaitable[ToolReply]:
        """Run the tool on the agent's `arguments`; the reply for `item/tool/call`.

        Never raises: invalid arguments and exceptions become `success: false` replies. For
        a coroutine function the result is an awaitable of the reply.
        """
        try:
            args, kwargs = self._bind(_decode_arguments(arguments))
        except ValueError as exc:  # pydantic.ValidationError included
            return tool_failure(f"invalid arguments for tool {self.name!r}: {_brief(exc)}")
        try:
            value = self.function(*args, **kwargs)
        except Exception as exc:
            return self._failed(exc)
        if inspect.isawaitable(value):
            return self._finish(value)
        return tool_output(value)

    async def _finish(self, pending: Awaitable[Any]) -> ToolReply:
        try:
            value = await pending
        except Exception as exc:
            return self._failed(exc)
        return tool_output(value)

    def _failed(self, exc: Exception) -> ToolReply:
        logger.warning("tool %s raised %s: %s", self.name, type(exc).__name__, exc)
        return tool_failure(f"tool {self.name!r} failed: {type(exc).__name__}: {exc}")


class GatedTool(Tool):
    """`tool` behind a check that runs first: `gate(name, arguments, call_id)` returns None
    to let the tool run, or the reply to send instead (a thread's `before_tool` deny), or an
    awaitable of either (an `async` hook). Registered per thread by the high-level API."""

    def __init__(self, tool: Tool, gate: Callable[[str, Any, str | None], Any]) -> None:
        self.__dict__.update(vars(tool))
        self.original: Tool = tool.original if isinstance(tool, GatedTool) else tool
        self._gate = gate

    def invoke(
        self, arguments: Any, call_id: str | None = None
    ) -> ToolReply | Awaitable[ToolReply]:
        verdict = self._gate(self.name, arguments, call_id)
        if inspect.isawaitable(verdict):
            return self._after(verdict, arguments)
        return self.original.invoke(arguments) if verdict is None else verdict

    def invoke_request(self, params: Mapping[str, Any]) -> ToolReply | Awaitable[ToolReply]:
        """`invoke` for an `item/tool/call` request's params: the gate is told the call id
        (the id of the call's `dynamicToolCall` item)."""
        call_id = params.get("callId")
        return self.invoke(params.get("arguments"), call_id if isinstance(call_id, str) else None)

    async def _after(self, verdict: Awaitable[Any], arguments: Any) -> ToolReply:
        reply = await verdict
        if reply is None:
            reply = self.original.invoke(arguments)
            if inspect.isawaitable(reply):
                reply = await reply
        return reply  # type: ignore[no-any-return]


def ungated(tools: Mapping[str, Tool]) -> dict[str, Tool]:
    """`tools` with the `GatedTool` wrappers taken off (to gate them again elsewhere)."""
    return {n: t.original if isinstance(t, GatedTool) else t for n, t in tools.items()}


@overload
def tool(function: F, /) -> Tool: ...


@overload
def tool(
    *, name: str | None = None, description: str | None = None
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a function an agent tool: `@tool` or `@tool(name=..., description=...)`."""
    if function is not None:
        return Tool.from_function(function, name=name, description=description)

    def decorate(fn: Callable[..., Any]) -> Tool:
        return Tool.from_function(fn, name=name, description=description)

    return decorate


def as_tools(tools: Iterable[Tool | Callable[..., Any]] | None) -> dict[str, Tool]:
    """Tools (or plain functions, wrapped) by name; a repeated name is an error."""
    by_name: dict[str, Tool] = {}
    for item in tools or ():
        t = item if isinstance(item, Tool) else Tool.from_function(item)
        if t.name in by_name:
            raise ValueError(f"two tools are named {t.name!r}")
        by_name[t.name] = t
    return by_name


def tool_output(value: Any) -> ToolReply:
    """A tool's return value as the reply the agent reads."""
    from .models import to_wire

    if isinstance(value, str):
        return tool_text(value)
    dumped = to_wire(value) if hasattr(value, "model_dump") else value
    if isinstance(dumped, Mapping) and "contentItems" in dumped and "success" in dumped:
        return dict(dumped)  # already a DynamicToolCallResponse
    if hasattr(value, "model_dump_json"):
        return tool_text(value.model_dump_json())
    try:
        from pydantic_core import to_json

        return tool_text(to_json(value).decode())
    except Exception:  # not JSON-serializable: its text
        return tool_text(str(value))


# -- schema ---------------------------------------------------------------------------


def _decode_arguments(arguments: Any) -> Any:
    if arguments is None:
        return {}
    if isinstance(arguments, (str, bytes)):
        try:
            return json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"the arguments are not JSON: {exc}") from None
    return arguments


def _signature_schema(
    function: Callable[..., Any], name: str, arg_docs: Mapping[str, str]
) -> tuple[dict[str, Any], Callable[[Any], tuple[tuple[Any, ...], dict[str, Any]]]]:
    from pydantic import BaseModel, ConfigDict, Field, create_model
    from pydantic.fields import FieldInfo

    signature = inspect.signature(function)
    hints = _type_hints(function)
    params = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"tool {name!r}: *args and **kwargs parameters are not supported")

    def annotation(p: inspect.Parameter) -> Any:
        hint = hints.get(p.name, p.annotation)
        return Any if hint is inspect.Parameter.empty or isinstance(hint, str) else hint

    if len(params) == 1:
        only = annotation(params[0])
        if isinstance(only, type) and issubclass(only, BaseModel):
            return _model_input(params[0], only, arg_docs)

    # Fields are named arg_0, arg_1, ... with the parameter names as aliases, so that any
    # parameter name works (even one a BaseModel attribute would shadow, such as `json`).
    fields: dict[str, Any] = {}
    for i, p in enumerate(params):
        hint = annotation(p)
        extra: dict[str, Any] = {"alias": p.name}
        if p.name in arg_docs and not _has_description(hint, p.default):
            extra["description"] = arg_docs[p.name]
        if isinstance(p.default, FieldInfo):
            hint = Annotated[hint, p.default]  # the user's Field(...) carries the default
        elif p.default is not inspect.Parameter.empty:
            extra["default"] = p.default
        fields[f"arg_{i}"] = (hint, Field(**extra))
    args_model = create_model(
        f"{name}_arguments",
        __config__=ConfigDict(extra="forbid", populate_by_name=False),
        **fields,
    )
    schema = args_model.model_json_schema(by_alias=True)
    schema.pop("title", None)
    schema.setdefault("properties", {})
    for prop in schema["properties"].values():
        if isinstance(prop, dict):
            prop.pop("title", None)

    return schema, _binder(params, args_model)


def _model_input(
    param: inspect.Parameter, model: type[BaseModel], arg_docs: Mapping[str, str]
) -> tuple[dict[str, Any], Callable[[Any], tuple[tuple[Any, ...], dict[str, Any]]]]:
    """A tool whose one parameter is a pydantic model: its fields are the arguments."""
    model_schema = model.model_json_schema()
    model_schema.pop("title", None)
    if "description" not in model_schema and param.name in arg_docs:
        model_schema["description"] = arg_docs[param.name]

    def bind_model(arguments: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        value = model.model_validate(arguments)
        if param.kind is param.POSITIONAL_ONLY:
            return (value,), {}
        return (), {param.name: value}

    return model_schema, bind_model


def _binder(
    params: list[inspect.Parameter], args_model: type[BaseModel]
) -> Callable[[Any], tuple[tuple[Any, ...], dict[str, Any]]]:
    """Validated arguments (fields `arg_0`, `arg_1`, ...) as the call's args and kwargs."""

    def bind(arguments: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        validated = args_model.model_validate(arguments)
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for i, p in enumerate(params):
            value = getattr(validated, f"arg_{i}")
            if p.kind is p.POSITIONAL_ONLY:
                args.append(value)
            else:
                kwargs[p.name] = value
        return tuple(args), kwargs

    return bind


def _type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    """The resolved annotations; string annotations naming a class local to the caller
    (a tool defined inside a function) are resolved in the callers' frames."""
    try:
        return typing.get_type_hints(function, include_extras=True)
    except NameError:
        pass
    frame = sys._getframe(1)
    for _ in range(12):
        frame = frame.f_back  # type: ignore[assignment]
        if frame is None:
            break
        try:
            return typing.get_type_hints(function, localns=frame.f_locals, include_extras=True)
        except NameError:
            continue
    return {}  # unresolvable: the raw annotations are used (strings become Any)


def _has_description(hint: Any, default: Any) -> bool:
    """True when the parameter already says what it is (`Field(description=...)`)."""
    if getattr(default, "description", None):
        return True
    return any(getattr(meta, "description", None) for meta in getattr(hint, "__metadata__", ()))


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary (text before the first section) and per-argument descriptions."""
    summary: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in doc.splitlines():
        sphinx = re.match(_SPHINX_ARG, line)
        if sphinx:
            section, current = "sphinx", sphinx.group(1)
            args[current] = sphinx.group(2).strip()
            continue
        header = re.match(_SECTION, line)
        if header:
            section = header.group(1).lower()
            current = None
            continue
        if line.strip().startswith(":"):  # :returns:, :raises ...: end the summary
            section, current = "sphinx", None
            continue
        if section is None:
            summary.append(line)
        elif section in ("args", "arguments", "parameters", "params"):
            match = re.match(_GOOGLE_ARG, line)
            indent = len(line) - len(line.lstrip())
            if match and (current is None or indent <= _arg_indent(doc, current)):
                current = match.group(1)
                args[current] = match.group(2).strip()
            elif current is not None and line.strip():
                args[current] = f"{args[current]} {line.strip()}".strip()
        elif section == "sphinx" and current is not None and line.strip():
            args[current] = f"{args[current]} {line.strip()}".strip()
    return " ".join(" ".join(summary).split()), args


def _arg_indent(doc: str, name: str) -> int:
    for line in doc.splitlines():
        match = re.match(_GOOGLE_ARG, line)
        if match and match.group(1) == name:
            return len(line) - len(line.lstrip())
    return 0


def _brief(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            parts = []
            for error in errors():
                loc = ".".join(str(x) for x in error.get("loc", ())) or "arguments"
                parts.append(f"{loc}: {error.get('msg')}")
            if parts:
                return "; ".join(parts)
        except Exception:
            pass
    return str(exc)
