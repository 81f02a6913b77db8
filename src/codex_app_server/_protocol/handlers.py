"""Typed handlers for the requests the app-server sends its client.

The app-server asks its client for decisions: command, file-change and permission
approvals, answers to the agent's questions, MCP elicitations, client-side tool calls,
auth-token refresh. A `ServerRequestHandlers` names a handler per kind of request (or per
method); it can be given client-wide (`Codex(handlers=...)`) and per thread
(`thread_start(handlers=...)`, also `thread_resume` and `thread_fork`).

A handler is a plain or `async` function. It receives the request's params as the
generated pydantic model (`CommandExecutionRequestApprovalParams`, ...) and returns one of:

* the generated response model, or the same as a dict;
* a decision string, translated into the method's reply: `"accept"`, `"acceptForSession"`,
  `"decline"`, `"cancel"` (and `"acceptWithExecpolicyAmendment"` for commands); `True` /
  `False` mean accept / decline;
* for `user_input`, also `{question_id: "answer" | ["answers"]}`;
* for `tool_call`, also a string: the tool's output text;
* `None`: no opinion; the next handler decides (the client-wide one after a thread's),
  and finally the safe default.

Every reply is validated against the generated response model before it is sent; an
invalid one is logged and replaced by the safe default. With no handler, the safe default
answers (see `_server_requests`): approvals are declined, nothing is ever accepted
silently. Handlers never run on the reader: the sync client runs them on a worker pool,
the async client awaits coroutine handlers as tasks and runs plain functions in a thread.
A handler that raises gets a JSON-RPC error sent back (a tool call gets `success: false`
with the message instead, so the agent sees it); one that does not answer within
`AppServerConfig.server_request_timeout` seconds is answered with the safe default.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union

from .._logging import sdk_logger
from .notifications import ServerRequest
from .server_requests import (
    AUTH_REFRESH,
    COMMAND_APPROVAL,
    ELICITATION,
    FILE_CHANGE_APPROVAL,
    PERMISSIONS_APPROVAL,
    TOOL_CALL,
    USER_INPUT,
)
from .tools import GatedTool, Tool, as_tools

if TYPE_CHECKING:
    from typing import TypeAlias, TypeVar

    from ..generated.v2_all import (
        ChatgptAuthTokensRefreshParams,
        ChatgptAuthTokensRefreshResponse,
        CommandExecutionRequestApprovalParams,
        CommandExecutionRequestApprovalResponse,
        DynamicToolCallParams,
        DynamicToolCallResponse,
        FileChangeRequestApprovalParams,
        FileChangeRequestApprovalResponse,
        McpServerElicitationRequestParams,
        McpServerElicitationRequestResponse,
        PermissionsRequestApprovalParams,
        PermissionsRequestApprovalResponse,
        ToolRequestUserInputParams,
        ToolRequestUserInputResponse,
    )
    from .replies import Plan

logger = sdk_logger("codex_app_server")

#: A simple answer to an approval (or to an elicitation: accept / decline / cancel).
Decision = Literal["accept", "acceptForSession", "decline", "cancel"]

if TYPE_CHECKING:
    _Reply: TypeAlias = Mapping[str, Any] | Decision | bool | None
    _P = TypeVar("_P")
    _R = TypeVar("_R")
    #: A handler of params `_P` answering `_R`, a simple reply, or a coroutine of either.
    _Handler: TypeAlias = Callable[[_P], _R | _Reply | Awaitable[_R | _Reply]]
    CommandApprovalHandler: TypeAlias = _Handler[
        CommandExecutionRequestApprovalParams, CommandExecutionRequestApprovalResponse | str
    ]
    FileChangeApprovalHandler: TypeAlias = _Handler[
        FileChangeRequestApprovalParams, FileChangeRequestApprovalResponse
    ]
    PermissionsApprovalHandler: TypeAlias = _Handler[
        PermissionsRequestApprovalParams, PermissionsRequestApprovalResponse
    ]
    UserInputHandler: TypeAlias = _Handler[ToolRequestUserInputParams, ToolRequestUserInputResponse]
    ElicitationHandler: TypeAlias = _Handler[
        McpServerElicitationRequestParams, McpServerElicitationRequestResponse
    ]
    ToolCallHandler: TypeAlias = _Handler[DynamicToolCallParams, DynamicToolCallResponse | str]
    AuthRefreshHandler: TypeAlias = _Handler[
        ChatgptAuthTokensRefreshParams, ChatgptAuthTokensRefreshResponse
    ]
else:  # the generated models load lazily: at run time these are just callables
    CommandApprovalHandler = FileChangeApprovalHandler = PermissionsApprovalHandler = Callable
    UserInputHandler = ElicitationHandler = ToolCallHandler = AuthRefreshHandler = Callable
#: A handler in `by_method`: typed params for a known method, the raw dict otherwise.
MethodHandler = Callable[[Any], Any]

#: Named slot -> the method it answers.
SLOT_METHODS: dict[str, str] = {
    "command_approval": COMMAND_APPROVAL,
    "file_change_approval": FILE_CHANGE_APPROVAL,
    "permissions_approval": PERMISSIONS_APPROVAL,
    "user_input": USER_INPUT,
    "elicitation": ELICITATION,
    "tool_call": TOOL_CALL,
    "auth_refresh": AUTH_REFRESH,
}
_METHOD_SLOTS = {method: slot for slot, method in SLOT_METHODS.items()}


@dataclass(frozen=True)
class ServerRequestHandlers:
    """Handlers for the app-server's requests, one per kind (all optional).

    Attributes:
        command_approval: `item/commandExecution/requestApproval`.
        file_change_approval: `item/fileChange/requestApproval`.
        permissions_approval: `item/permissions/requestApproval` (`"accept"` grants the
            requested permissions for the turn, `"acceptForSession"` for the session).
        user_input: `item/tool/requestUserInput` (the agent's questions, in plan mode).
        elicitation: `mcpServer/elicitation/request` (an MCP server asks for input).
        tool_call: `item/tool/call`, for dynamic tools not registered as `Tool`s.
        auth_refresh: `account/chatgptAuthTokens/refresh`.
        by_method: handlers keyed by method, for any server request (a method may not
            have both a named handler and a `by_method` one).

    >>> def review(params: CommandExecutionRequestApprovalParams) -> Decision:
    ...     return "accept" if params.command.startswith("ls") else "decline"
    >>> codex = Codex(handlers=ServerRequestHandlers(command_approval=review))  # doctest: +SKIP
    """

    command_approval: CommandApprovalHandler | None = None
    file_change_approval: FileChangeApprovalHandler | None = None
    permissions_approval: PermissionsApprovalHandler | None = None
    user_input: UserInputHandler | None = None
    elicitation: ElicitationHandler | None = None
    tool_call: ToolCallHandler | None = None
    auth_refresh: AuthRefreshHandler | None = None
    by_method: Mapping[str, MethodHandler] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_method = types.MappingProxyType(dict(self.by_method))
        object.__setattr__(self, "by_method", by_method)
        for method, handler in by_method.items():
            if not callable(handler):
                raise TypeError(f"the handler for {method!r} is not callable")
            slot = _METHOD_SLOTS.get(method)
            if slot is not None and getattr(self, slot) is not None:
                raise ValueError(f"{method!r} has both a {slot} handler and a by_method one")
        for slot in SLOT_METHODS:
            handler = getattr(self, slot)
            if handler is not None and not callable(handler):
                raise TypeError(f"the {slot} handler is not callable")

    def handler_for(self, method: str) -> MethodHandler | None:
        """The handler installed for `method`, if any."""
        slot = _METHOD_SLOTS.get(method)
        if slot is not None:
            handler = getattr(self, slot)
            if handler is not None:
                return handler  # type: ignore[no-any-return]
        return self.by_method.get(method)

    @classmethod
    def coerce(cls, value: HandlersLike) -> ServerRequestHandlers | None:
        """`value` as handlers: a `ServerRequestHandlers`, a {method: handler} mapping, None."""
        if value is None or isinstance(value, ServerRequestHandlers):
            return value
        if isinstance(value, Mapping):
            return cls(by_method=value)
        raise TypeError(
            "handlers must be a ServerRequestHandlers or a {method: handler} mapping, "
            f"not {type(value).__name__}"
        )


#: What `handlers=` accepts.
HandlersLike = Union[ServerRequestHandlers, Mapping[str, MethodHandler], None]  # noqa: UP007
#: What `tools=` accepts: `Tool`s or plain functions (wrapped with `Tool.from_function`).
ToolsLike = Union[Iterable[Union[Tool, Callable[..., Any]]], None]  # noqa: UP007


def _accept(params: Any) -> Decision:
    return "accept"


def _accept_mcp_tool_call(params: Any) -> Decision | None:
    """Accept an elicitation that is an MCP tool-call approval; pass on any other."""
    meta = getattr(params, "field_meta", None)
    if isinstance(meta, Mapping) and meta.get("codex_approval_kind") == "mcp_tool_call":
        return "accept"
    return None


#: Approve every command, file change, permission request and MCP tool call (an MCP
#: tool-call approval arrives as an elicitation). An explicit choice: with no handlers,
#: everything is declined. Questions, other elicitations and tool calls keep their safe
#: defaults. Combine with `dataclasses.replace(approve_all, user_input=...)`.
approve_all = ServerRequestHandlers(
    command_approval=_accept,
    file_change_approval=_accept,
    permissions_approval=_accept,
    elicitation=_accept_mcp_tool_call,
)


# -- registry and dispatch ---------------------------------------------------------------


# Internal records as plain slotted classes: a dataclass costs a cold import ~0.4 ms.


class _Scope:
    __slots__ = ("handlers", "tools")

    def __init__(self, handlers: ServerRequestHandlers | None, tools: Mapping[str, Tool]) -> None:
        self.handlers = handlers
        self.tools = tools


class _Call:
    __slots__ = ("argument", "function", "source")

    def __init__(self, function: Callable[[Any], Any], argument: Any, source: str) -> None:
        self.function = function
        self.argument = argument
        self.source = source

    @property
    def is_async(self) -> bool:
        fn = self.function
        if isinstance(fn, Tool):
            return fn.is_async
        bound = getattr(fn, "__self__", None)
        if isinstance(bound, Tool):  # Tool.invoke
            return bound.is_async
        return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004
        )


class HandlerRegistry:
    """The client's server-request handlers: client-wide, and per thread.

    `client.handlers` on `AppServerClient` / `AsyncAppServerClient`. Thread-safe.
    """

    def __init__(
        self,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
        *,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        # The driver brings the mutex (a `threading.Lock`): this layer does no I/O and
        # chooses no concurrency model; with none, the registry is single-threaded.
        self._lock: AbstractContextManager[Any] = lock if lock is not None else nullcontext()
        self._client = _Scope(ServerRequestHandlers.coerce(handlers), as_tools(tools))
        self._threads: dict[str, _Scope] = {}

    @property
    def handlers(self) -> ServerRequestHandlers | None:
        """The client-wide handlers."""
        return self._client.handlers

    @property
    def tools(self) -> dict[str, Tool]:
        """The client-wide tools, by name."""
        return dict(self._client.tools)

    def set_client(self, handlers: HandlersLike = None, tools: ToolsLike = None) -> None:
        """Replace the client-wide handlers and tools."""
        scope = _Scope(ServerRequestHandlers.coerce(handlers), as_tools(tools))
        with self._lock:
            self._client = scope

    def set_thread(
        self,
        thread_id: str,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
        *,
        inherit_from: str | None = None,
    ) -> None:
        """Handlers and tools for requests of `thread_id` (over the client-wide ones).

        With `inherit_from`, what that thread had is kept where nothing new is given
        (tools are merged, the new ones winning).
        """
        new_handlers = ServerRequestHandlers.coerce(handlers)
        new_tools = as_tools(tools)
        with self._lock:
            base = self._threads.get(inherit_from) if inherit_from is not None else None
            if base is not None:
                new_handlers = new_handlers if new_handlers is not None else base.handlers
                new_tools = {**base.tools, **new_tools}
            if new_handlers is None and not new_tools:
                self._threads.pop(thread_id, None)
            else:
                self._threads[thread_id] = _Scope(new_handlers, new_tools)

    def forget_thread(self, thread_id: str) -> None:
        """Drop what was set for `thread_id`."""
        with self._lock:
            self._threads.pop(thread_id, None)

    def thread_tools(self, thread_id: str) -> dict[str, Tool]:
        """The tools registered for `thread_id` itself."""
        with self._lock:
            scope = self._threads.get(thread_id)
        return dict(scope.tools) if scope is not None else {}

    def plan(self, request: ServerRequest, raw_handler: Callable[[Any], Any] | None) -> Plan:
        """Who answers `request`, in order."""
        from .replies import Plan, thread_of, typed_params  # per server request

        with self._lock:
            scopes = [self._threads.get(thread_of(request) or ""), self._client]
        calls: list[_Call] = []
        if raw_handler is not None:
            calls.append(_Call(raw_handler, request, "server_request_handler"))
        params, problem = typed_params(request.method, request.params)
        if problem is not None:
            logger.warning(
                "server request %s has params the generated model rejects (%s); "
                "answering it with the safe default",
                request.method,
                problem,
            )
            return Plan(request, None, calls)
        for where, scope in zip(("thread", "client"), scopes, strict=True):
            if scope is None:
                continue
            if request.method == TOOL_CALL:
                found = scope.tools.get(str(request.params.get("tool")))
                if found is not None:
                    source = f"{where} tool {found.name}"
                    if isinstance(found, GatedTool):  # its hook is told the call id
                        calls.append(_Call(found.invoke_request, request.params, source))
                    else:
                        calls.append(_Call(found.invoke, request.params.get("arguments"), source))
            handler = scope.handlers.handler_for(request.method) if scope.handlers else None
            if handler is not None:
                calls.append(_Call(handler, params, f"{where} handler"))
        return Plan(request, params, calls)


def dynamic_tools_param(
    client_tools: Mapping[str, Tool], thread_tools: Mapping[str, Tool]
) -> list[dict[str, Any]] | None:
    """The `dynamicTools` of `thread/start`: the client-wide tools and the thread's (a
    thread tool replaces a client-wide one of the same name); None when there are none."""
    merged = {**client_tools, **thread_tools}
    return [t.spec() for t in merged.values()] or None
