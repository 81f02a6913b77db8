"""Python hooks: the points where a program steers a run (pure types and decisions).

Four hook points, on the client, a thread or one `run()` (chained in that order):

* `before_tool(ToolUse)`: before a command, a file change or a dynamic tool runs. Return
  `allow()`, `deny("why")` (the model sees the message) or `ask()` (the approval handler
  decides; `None` means the same). Built on the approval protocol: a hook on commands or
  file changes makes the SDK start turns with `approval_policy="untrusted"` and
  `approvals_reviewer="user"` (unless the caller chose others) so that every command is
  put to the client first; a dynamic tool call is put to it by nature.
* `after_tool(ToolResult)`: when a command, file change or tool call completed: observe it;
  return a string to queue it as a steer (`turn/steer`), or None.
* `before_prompt(PromptContext)`: before a prompt is sent: return a replacement input, or
  None to send it as is.
* `on_turn_end(TurnEnd)`: when a turn completed: return a follow-up prompt to continue
  (bounded by `RunLimits.max_turns`), or None to stop.

A hook may be a plain or `async` function. One that raises or does not return within
`Hooks.timeout` seconds fails safe and is logged: `before_tool` denies, the others are
treated as having returned None.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union

from .server_requests import COMMAND_APPROVAL, FILE_CHANGE_APPROVAL, TOOL_CALL, tool_failure

if TYPE_CHECKING:
    from .inputs import Input
    from .run_result import RunResult

__all__ = [
    "HookDecision",
    "Hooks",
    "PromptContext",
    "ToolResult",
    "ToolUse",
    "TurnEnd",
    "allow",
    "ask",
    "deny",
]

logger = logging.getLogger("codex_app_server")

ToolKind = Literal["command", "file_change", "tool"]
_KINDS: dict[str, ToolKind] = {
    COMMAND_APPROVAL: "command",
    FILE_CHANGE_APPROVAL: "file_change",
    TOOL_CALL: "tool",
}
_ITEM_KINDS: dict[str, ToolKind] = {
    "commandExecution": "command",
    "fileChange": "file_change",
    "dynamicToolCall": "tool",
    "mcpToolCall": "tool",
}


@dataclass(frozen=True)
class HookDecision:
    """What a `before_tool` hook decided: `allow()`, `deny(message)` or `ask()`."""

    action: Literal["allow", "deny", "ask"]
    message: str | None = None


def allow() -> HookDecision:
    """Let the command, file change or tool call run."""
    return HookDecision("allow")


def deny(message: str = "denied by the client's hook") -> HookDecision:
    """Stop it; `message` is what the model is told."""
    return HookDecision("deny", message)


def ask() -> HookDecision:
    """Leave it to the approval handler (`ServerRequestHandlers`), as with no hook."""
    return HookDecision("ask")


@dataclass(frozen=True)
class ToolUse:
    """What is about to run.

    Attributes:
        kind: `"command"`, `"file_change"` or `"tool"` (a dynamic tool).
        thread_id / turn_id / item_id: where.
        command: the command line (commands), tool: the tool's name (tools).
        arguments: a tool call's arguments.
        params: the typed request params (`CommandExecutionRequestApprovalParams`, ...).
    """

    kind: ToolKind
    thread_id: str | None
    turn_id: str | None
    item_id: str | None
    command: str | None = None
    tool: str | None = None
    arguments: Any = None
    params: Any = field(default=None, repr=False)


@dataclass(frozen=True)
class ToolResult:
    """What completed: `item` is the typed item (`CommandExecutionThreadItem`, ...)."""

    kind: ToolKind
    thread_id: str | None
    turn_id: str | None
    item_id: str | None
    item: Any = field(repr=False)


@dataclass(frozen=True)
class PromptContext:
    """A prompt about to be sent (`turn` counts the run's turns, 1 for the first)."""

    thread_id: str
    input: Any
    turn: int


@dataclass(frozen=True)
class TurnEnd:
    """A completed turn: its `RunResult` and the run's turn count so far."""

    thread_id: str
    turn_id: str
    status: str | None
    result: RunResult = field(repr=False)
    turn: int


_Ret = Union[Any, Awaitable[Any]]  # noqa: UP007


@dataclass(frozen=True)
class Hooks:
    """Hook functions (plain or `async`), all optional; see the module docs."""

    before_tool: Callable[[ToolUse], _Ret] | None = None
    after_tool: Callable[[ToolResult], _Ret] | None = None
    before_prompt: Callable[[PromptContext], _Ret] | None = None
    on_turn_end: Callable[[TurnEnd], _Ret] | None = None
    timeout: float = 30.0


def chain(*scopes: Hooks | None) -> tuple[Hooks, ...]:
    """The hooks that apply, outermost (client) first."""
    return tuple(h for h in scopes if h is not None)


def needs_approvals(hooks: tuple[Hooks, ...]) -> bool:
    """Whether a `before_tool` hook is installed (turns then ask the client first)."""
    return any(h.before_tool is not None for h in hooks)


def tool_use(method: str, params: dict[str, Any], typed: Any) -> ToolUse | None:
    """The `ToolUse` a server request describes, or None if it is not a hook point."""
    kind = _KINDS.get(method)
    if kind is None:
        return None
    command = params.get("command")
    tool = params.get("tool")
    return ToolUse(
        kind,
        _s(params.get("threadId")),
        _s(params.get("turnId")),
        _s(params.get("itemId", params.get("callId"))),
        command=command if isinstance(command, str) else None,
        tool=tool if isinstance(tool, str) else None,
        arguments=params.get("arguments"),
        params=typed,
    )


def tool_result(raw_item: dict[str, Any], typed: Any, thread_id: Any, turn_id: Any) -> Any:
    """The `ToolResult` for a completed item, or None for an item that is no tool's."""
    kind = _ITEM_KINDS.get(raw_item.get("type"))  # type: ignore[arg-type]
    if kind is None:
        return None
    return ToolResult(kind, _s(thread_id), _s(turn_id), _s(raw_item.get("id")), typed)


def as_decision(value: Any) -> HookDecision:
    """A hook's return value as a decision (None / True / "allow" / ... accepted)."""
    if value is None:
        return ask()
    if isinstance(value, HookDecision):
        return value
    if value is True or value == "allow":
        return allow()
    if value is False or value == "deny":
        return deny()
    if value == "ask":
        return ask()
    raise TypeError(f"a before_tool hook must return allow(), deny(...) or ask(), not {value!r}")


def combine(decisions: list[HookDecision]) -> HookDecision:
    """Several scopes' decisions as one: any deny wins, then any allow, else ask."""
    for decision in decisions:
        if decision.action == "deny":
            return decision
    return allow() if any(d.action == "allow" for d in decisions) else ask()


def decision_reply(method: str, decision: HookDecision) -> dict[str, Any] | None:
    """The server-request reply for a decision; None for `ask` (the handlers answer)."""
    if decision.action == "ask":
        return None
    if method == TOOL_CALL:
        if decision.action == "deny":
            return tool_failure(decision.message or "denied by the client's hook")
        return None  # allowed: the tool's own implementation answers
    return {"decision": "accept" if decision.action == "allow" else "decline"}


def failed_before(exc: BaseException | None, where: str) -> HookDecision:
    """Fail safe: a `before_tool` hook that raised (or timed out, `exc` None) denies."""
    if exc is None:
        logger.error("the before_tool hook of %s timed out; denying", where)
        return deny("denied: the client's hook did not answer in time")
    logger.error("the before_tool hook of %s raised %r; denying", where, exc, exc_info=exc)
    return deny("denied: the client's hook failed")


def failed_after(hook: str, exc: BaseException | None) -> None:
    """A hook other than `before_tool` raised or timed out: logged, treated as None."""
    if exc is None:
        logger.error("the %s hook timed out; ignoring it", hook)
    else:
        logger.error("the %s hook raised %r; ignoring it", hook, exc, exc_info=exc)


def follow_up(value: Any) -> Input | None:
    """An `on_turn_end` / `before_prompt` return value as input (None: stop / keep)."""
    if value is None or value == "":
        return None
    return value  # type: ignore[no-any-return]


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def hook_handlers(hooks: Hooks, base: Any) -> Any:
    """`ServerRequestHandlers` that put commands, file changes and dynamic tool calls to
    `hooks.before_tool` first: allow accepts, deny declines (a tool call fails with the
    message), ask leaves it to `base` (the thread's handlers) or the client-wide ones.
    A hook that raises denies (logged)."""
    import inspect
    from dataclasses import replace

    from .handlers import ServerRequestHandlers
    from .models import to_wire

    before = hooks.before_tool
    base = ServerRequestHandlers.coerce(base) or ServerRequestHandlers()
    if before is None:
        return base

    def make(method: str, fallback: Any) -> Any:
        def use_of(params: Any) -> ToolUse:
            raw = to_wire(params) if hasattr(params, "model_dump") else dict(params or {})
            found = tool_use(method, raw, params)
            assert found is not None
            return found

        def settle(decision: HookDecision, params: Any) -> Any:
            if decision.action == "ask":
                return fallback(params) if fallback is not None else None
            return decision_reply(method, decision)

        if inspect.iscoroutinefunction(before):

            async def async_handler(params: Any) -> Any:
                try:
                    decision = as_decision(await before(use_of(params)))
                except Exception as exc:
                    decision = failed_before(exc, method)
                result = settle(decision, params)
                return await result if inspect.isawaitable(result) else result

            return async_handler

        def handler(params: Any) -> Any:
            try:
                decision = as_decision(before(use_of(params)))
            except Exception as exc:
                decision = failed_before(exc, method)
            return settle(decision, params)

        return handler

    return replace(
        base,
        command_approval=make(COMMAND_APPROVAL, base.command_approval),
        file_change_approval=make(FILE_CHANGE_APPROVAL, base.file_change_approval),
    )
