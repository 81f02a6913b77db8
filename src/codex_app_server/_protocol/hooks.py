"""Python hooks: the points where a program steers a run (pure types and decisions).

Four hook points, each set on the client, a thread or one `run()` (see Scopes below):

* `before_tool(ToolUse)`: before a command, a file change, an MCP tool call (its approval,
  an elicitation) or a dynamic tool runs. Return
  `allow()`, `deny("why")` (the model is told the message: a tool call's failure text, or
  a steer sent before a command or file change is declined) or `ask()` (the approval handler
  decides; `None` means the same). Built on the approval protocol: a hook on commands or
  file changes makes the SDK start turns with `approval_policy="untrusted"` and
  `approvals_reviewer="user"` (unless the caller chose others) so that every command is
  put to the client first; a dynamic tool call is put to it by nature.
* `after_tool(ToolResult)`: when a command, file change or tool call completed: observe it;
  return a string to queue it as a steer (`turn/steer`), or None.
* `before_prompt(PromptContext)`: before a prompt is sent (`turn()`, `run()` and its
  follow-ups): return a replacement input, or None to send it as is.
* `on_turn_end(TurnEnd)`: when a turn completed: return a follow-up prompt to continue
  (bounded by `RunLimits.max_turns`), or None to stop.

Scopes: `Codex(hooks=...)`, `thread_start` / `thread_resume` / `thread_fork(hooks=...)` and
`run(hooks=...)`; per hook point the narrowest scope that sets one wins (`merge`).

A hook may be a plain or `async` function (`async` ones with the asyncio API only). Fail
safe, always logged: a `before_tool` that raises denies (one that does not answer within
`AppServerConfig.server_request_timeout`: the approval's safe default, decline); a
`before_prompt` that raises or exceeds `Hooks.timeout` seconds stops the turn before it is
sent, the error raised to the caller; `after_tool` and `on_turn_end` that raise or time out
are treated as having returned None.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union

from .._logging import sdk_logger
from .models import typed_thread_item
from .server_requests import (
    COMMAND_APPROVAL,
    ELICITATION,
    FILE_CHANGE_APPROVAL,
    TOOL_CALL,
    tool_failure,
)

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

logger = sdk_logger("codex_app_server")

ToolKind = Literal["command", "file_change", "tool"]
_KINDS: dict[str, ToolKind] = {
    COMMAND_APPROVAL: "command",
    FILE_CHANGE_APPROVAL: "file_change",
    TOOL_CALL: "tool",
    ELICITATION: "tool",  # an MCP tool-call approval (see `mcp_tool_approval`)
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
        kind: `"command"`, `"file_change"` or `"tool"` (a dynamic or MCP tool).
        thread_id / turn_id / item_id: where (item_id None for an MCP call: its approval
            carries no item id).
        command: the command line (commands), tool: the tool's name (tools; for an MCP
            call read from the approval's message, `params.server_name` is the server).
        arguments: a tool call's arguments.
        params: the typed request params (`CommandExecutionRequestApprovalParams`, ...,
            the typed elicitation params for an MCP call).
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


def merge(*scopes: Hooks | None) -> Hooks | None:
    """The hooks in effect, from the widest scope to the narrowest (client, thread, run):
    per hook point the narrowest scope that sets one wins; `timeout` is the narrowest's."""
    given = [h for h in scopes if h is not None]
    if len(given) <= 1:
        return given[0] if given else None
    chosen = {
        point: next((getattr(h, point) for h in reversed(given) if getattr(h, point)), None)
        for point in _POINTS
    }
    return Hooks(**chosen, timeout=given[-1].timeout)


_POINTS = ("before_tool", "after_tool", "before_prompt", "on_turn_end")


class HookState:
    """The hooks of one thread: its own (the client's merged in) and, while a `run(...,
    hooks=...)` goes, that run's; the thread's current turn; and `tell(thread_id, turn_id,
    message)`, the driver's way to steer a deny message in (a declined approval carries no
    message: the decision is a bare enum), which may return an awaitable."""

    __slots__ = ("approvals", "hooks", "run", "tell", "turn_id")

    def __init__(
        self, hooks: Hooks | None, tell: Callable[[str, str, str], Any] | None = None
    ) -> None:
        self.hooks = hooks
        self.run: Hooks | None = None
        self.turn_id: str | None = None
        self.tell = tell
        #: (approval policy, reviewer) the thread's hook needs but the runtime did not take
        #: (see `pending_approvals`): sent with the next `turn/start`.
        self.approvals: tuple[Any, Any] | None = None

    def current(self) -> Hooks | None:
        return self.hooks if self.run is None else merge(self.hooks, self.run)

    def before_tool(self) -> Callable[[ToolUse], _Ret] | None:
        hooks = self.current()
        return hooks.before_tool if hooks is not None else None


def hook_states(client: Any) -> dict[str, HookState]:
    """The `HookState` of each thread of `client` (by thread id), made on first use."""
    states: dict[str, HookState] | None = getattr(client, "_hook_states", None)
    if states is None:
        states = {}
        client._hook_states = states
    return states


def needs_approvals(hooks: Hooks | None) -> bool:
    """Whether a `before_tool` hook is set (turns then ask the client first)."""
    return hooks is not None and hooks.before_tool is not None


def pending_approvals(sent: dict[str, Any], answer: Any) -> tuple[Any, Any] | None:
    """The approval settings of `thread/resume` / `thread/fork` params `sent` that the
    runtime's `answer` does not report in effect (a loaded thread keeps its own on
    resume), or None when it took them."""
    policy, reviewer = sent.get("approvalPolicy"), sent.get("approvalsReviewer")
    got = answer if isinstance(answer, dict) else {}
    if got.get("approvalPolicy") == policy and got.get("approvalsReviewer") == reviewer:
        return None
    return policy, reviewer


def tool_use(method: str, params: dict[str, Any], typed: Any) -> ToolUse | None:
    """The `ToolUse` a server request describes, or None if it is not a hook point."""
    kind = _KINDS.get(method)
    if kind is None:
        return None
    command = params.get("command")
    tool = params.get("tool")
    if method == ELICITATION:  # no tool field, no item id: the name is in the message
        found = re.search(r'run tool "([^"]+)"', str(params.get("message") or ""))
        tool = found.group(1) if found else None
        meta = params.get("_meta")
        params = {
            **params,
            "arguments": meta.get("tool_params") if isinstance(meta, dict) else None,
        }
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


def tool_result(raw_item: dict[str, Any], thread_id: Any, turn_id: Any) -> Any:
    """The `ToolResult` for a completed item (typed here), or None for an item that is no
    tool's (not validated: agent messages and reasoning cost nothing)."""
    kind = _ITEM_KINDS.get(raw_item.get("type"))  # type: ignore[arg-type]
    if kind is None:
        return None
    typed = typed_thread_item(raw_item)
    return ToolResult(kind, _s(thread_id), _s(turn_id), _s(raw_item.get("id")), typed)


def mcp_tool_approval(params: dict[str, Any]) -> bool:
    """Whether elicitation params (wire form) are the runtime's MCP tool-call approval."""
    meta = params.get("_meta")
    return isinstance(meta, dict) and meta.get("codex_approval_kind") == "mcp_tool_call"


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


def decision_reply(method: str, decision: HookDecision) -> dict[str, Any] | None:
    """The server-request reply for a decision; None for `ask` (the handlers answer)."""
    if decision.action == "ask":
        return None
    if method == TOOL_CALL:
        if decision.action == "deny":
            return tool_failure(decision.message or "denied by the client's hook")
        return None  # allowed: the tool's own implementation answers
    if method == ELICITATION:
        return {"action": "accept" if decision.action == "allow" else "decline"}
    return {"decision": "accept" if decision.action == "allow" else "decline"}


def failed_before(exc: BaseException | None, where: str) -> HookDecision:
    """Fail safe: a `before_tool` hook that raised (or timed out, `exc` None) denies."""
    if exc is None:
        logger.error("the before_tool hook of %s timed out; denying", where)
        return deny("denied: the client's hook did not answer in time")
    logger.error("the before_tool hook of %s raised %r; denying", where, exc, exc_info=exc)
    return deny("denied: the client's hook failed")


def failed_after(hook: str, exc: BaseException | None, outcome: str = "ignoring it") -> None:
    """A hook other than `before_tool` raised or timed out: logged (then treated as None,
    or, for `before_prompt`, raised: `outcome` says which)."""
    if exc is None:
        logger.error("the %s hook timed out; %s", hook, outcome)
    else:
        logger.error("the %s hook raised %r; %s", hook, exc, outcome, exc_info=exc)


def follow_up(value: Any) -> Input | None:
    """An `on_turn_end` / `before_prompt` return value as input (None: stop / keep)."""
    if value is None or value == "":
        return None
    return value  # type: ignore[no-any-return]


def _s(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def decide(
    before: Callable[[ToolUse], _Ret], use: ToolUse, then: Callable[[HookDecision], Any]
) -> Any:
    """`then(decision)` for what `before(use)` decided (a coroutine if the hook is `async`):
    a hook that raises or returns something else denies (fail safe, logged)."""
    where = use.kind if use.command is None else f"{use.kind} {use.command!r}"
    try:
        value = before(use)
    except Exception as exc:
        return then(failed_before(exc, where))
    if inspect.isawaitable(value):
        return _decide_later(value, where, then)
    return then(_decision(value, where))


async def _decide_later(
    value: Awaitable[Any], where: str, then: Callable[[HookDecision], Any]
) -> Any:
    try:
        decision = _decision(await value, where)
    except Exception as exc:
        decision = failed_before(exc, where)
    result = then(decision)
    return await result if inspect.isawaitable(result) else result


def _decision(value: Any, where: str) -> HookDecision:
    try:
        return as_decision(value)
    except TypeError as exc:
        return failed_before(exc, where)


def hook_handlers(states: dict[str, HookState], base: Any) -> Any:
    """`ServerRequestHandlers` that put command and file-change approvals to the
    `before_tool` hook in effect for the request's thread (looked up in `states` at each
    request, so a run's hook applies while it runs): allow accepts, deny declines (and
    steers the message in first, through `HookState.tell`), ask leaves it to `base` (the
    thread's handlers) or the client-wide ones. With no hook in effect, `base` answers as
    if unwrapped."""
    from dataclasses import replace

    from .handlers import ServerRequestHandlers
    from .models import to_wire

    base = ServerRequestHandlers.coerce(base) or ServerRequestHandlers()

    def make(method: str, fallback: Any) -> Any:
        def handler(params: Any) -> Any:
            raw = to_wire(params) if hasattr(params, "model_dump") else dict(params or {})
            state = states.get(raw.get("threadId") or "")
            before = state.before_tool() if state is not None else None
            if before is None or (method == ELICITATION and not mcp_tool_approval(raw)):
                return fallback(params) if fallback is not None else None
            use = tool_use(method, raw, params)
            assert use is not None and state is not None

            def then(decision: HookDecision) -> Any:
                if decision.action == "ask":
                    return fallback(params) if fallback is not None else None
                reply = decision_reply(method, decision)
                if decision.action != "deny" or state.tell is None or use.turn_id is None:
                    return reply
                # Steered in while the approval waits, so the model reads it with the
                # decline, in the same request.
                told = state.tell(use.thread_id or "", use.turn_id, decision.message or "")
                return _then_reply(told, reply) if inspect.isawaitable(told) else reply

            return decide(before, use, then)

        return handler

    gated = (COMMAND_APPROVAL, FILE_CHANGE_APPROVAL, ELICITATION)
    return replace(
        base,
        by_method={m: h for m, h in base.by_method.items() if m not in gated},
        command_approval=make(COMMAND_APPROVAL, base.handler_for(COMMAND_APPROVAL)),
        file_change_approval=make(FILE_CHANGE_APPROVAL, base.handler_for(FILE_CHANGE_APPROVAL)),
        elicitation=make(ELICITATION, base.handler_for(ELICITATION)),
    )


def shared_hook_handlers(client: Any) -> Any:
    """`hook_handlers(hook_states(client), None)`, made once per client and shared by every
    thread without handlers of its own (the hook in effect is looked up per request), so a
    thousand threads do not each hold three closures over the same state."""
    wrapped = getattr(client, "_hook_handlers", None)
    if wrapped is None:
        wrapped = client._hook_handlers = hook_handlers(hook_states(client), None)
    return wrapped


async def _then_reply(told: Awaitable[Any], reply: Any) -> Any:
    await told
    return reply


def tool_gate(
    states: dict[str, HookState], thread_id: str
) -> Callable[[str, Any, str | None], Any]:
    """The check a thread's dynamic tools pass before they run (see `GatedTool`): None to
    run the tool, or the failure reply that tells the model the hook's deny message. The
    call id is the `dynamicToolCall` item's id (the runtime uses one for both)."""

    def gate(name: str, arguments: Any, call_id: str | None = None) -> Any:
        state = states.get(thread_id)
        before = state.before_tool() if state is not None else None
        if before is None or state is None:
            return None
        use = ToolUse("tool", thread_id, state.turn_id, call_id, tool=name, arguments=arguments)
        return decide(before, use, lambda decision: decision_reply(TOOL_CALL, decision))

    return gate
