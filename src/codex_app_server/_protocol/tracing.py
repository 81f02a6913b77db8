"""OpenTelemetry tracing: a span per turn, child spans per item and approval, and a span per
JSON-RPC request. Depends only on `opentelemetry-api` (the `otel` extra), and only lazily.

Off, at the cost of a dictionary lookup, unless a program has imported `opentelemetry.trace`
and set a real tracer provider (`trace.set_tracer_provider(...)`) or passes one: the SDK never
imports OpenTelemetry itself, so without it installed (or configured) there is nothing to pay.
The parent of every span is the caller's current context, so a program's own spans wrap ours.

Spans (names and attributes):

* `codex.turn` (INTERNAL): `codex.thread_id`, `codex.turn_id`, `gen_ai.request.model`,
  `codex.turn.status`, `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens`,
  `codex.usage.cached_input_tokens`, `codex.usage.reasoning_output_tokens`,
  `codex.usage.total_tokens`, and `codex.stopped_by` when a run limit ended it; status
  ERROR for a failed turn.
* children of the turn: `codex.command` (`codex.command`, `codex.exit_code`),
  `codex.file_change`, `codex.mcp_tool_call` / `codex.tool_call` (`codex.tool`), and
  `codex.approval` (`codex.approval.method`, `codex.approval.decision`), parented on the
  item it approves when that item's span is open.
* `<method>` (CLIENT) per JSON-RPC request: `rpc.system="jsonrpc"`, `rpc.method`,
  status ERROR with the exception recorded when it fails.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .._version import __version__

if TYPE_CHECKING:
    from .notifications import Notification, ServerRequest

__all__ = [
    "TRACER_NAME",
    "TurnTrace",
    "TurnTraces",
    "attached",
    "end_span",
    "request_span",
    "tracer",
    "use_span",
]

TRACER_NAME = "codex_app_server"

#: item type -> child span name.
_ITEM_SPANS = {
    "commandExecution": "codex.command",
    "fileChange": "codex.file_change",
    "mcpToolCall": "codex.mcp_tool_call",
    "dynamicToolCall": "codex.tool_call",
}
#: approval method -> the span name of the item it approves.
_APPROVED_ITEMS = {
    "item/commandExecution/requestApproval": "codex.command",
    "item/fileChange/requestApproval": "codex.file_change",
}
_tracers: dict[int, Any] = {}
_ENV: list[bool] = []


def _env_provider() -> bool:
    """Whether the environment names a tracer provider (read once)."""
    if not _ENV:
        import os

        _ENV.append("OTEL_PYTHON_TRACER_PROVIDER" in os.environ)
    return _ENV[0]


def tracer(provider: Any = None) -> Any:
    """The SDK's tracer, or None when tracing is off (no provider given and none set)."""
    if provider is None:
        trace = sys.modules.get("opentelemetry.trace")
        if trace is None:  # never imported: tracing cannot have been configured
            return None
        if getattr(trace, "_TRACER_PROVIDER", True) is None and not _env_provider():
            return None  # the fast "not configured" answer (get_tracer_provider reads env)
        provider = trace.get_tracer_provider()
        if isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
            return None
    found = _tracers.get(id(provider))
    if found is None or found[0] is not provider:
        found = (provider, provider.get_tracer(TRACER_NAME, __version__))
        _tracers[id(provider)] = found
    return found[1]


def request_span(method: str, provider: Any = None) -> Any:
    """A started CLIENT span for one JSON-RPC request (child of the current context), or
    None when tracing is off. End it with `end_span`."""
    active = tracer(provider)
    if active is None:
        return None
    from opentelemetry.trace import SpanKind

    return active.start_span(
        method,
        kind=SpanKind.CLIENT,
        attributes={
            "rpc.system": "jsonrpc",
            "rpc.method": method,
        },
    )


def end_span(span: Any, exc: BaseException | None = None) -> None:
    """End `span`, marking it failed with `exc` if given."""
    if exc is not None:
        from opentelemetry.trace import Status, StatusCode

        span.record_exception(exc)
        span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
    span.end()


class TurnTrace:
    """The spans of one turn: fed the turn's notifications by whoever streams it."""

    __slots__ = ("_context", "_items", "_tracer", "_usage", "span", "thread_id", "turn_id")

    def __init__(self, active: Any, thread_id: str, model: str | None) -> None:
        from opentelemetry import trace

        attributes: dict[str, Any] = {"codex.thread_id": thread_id}
        if model:
            attributes["gen_ai.request.model"] = model
        self._tracer = active
        self.span = active.start_span("codex.turn", attributes=attributes)
        self._context = trace.set_span_in_context(self.span)
        self._items: dict[str, Any] = {}
        self._usage: dict[str, Any] | None = None
        self.thread_id = thread_id
        self.turn_id: str | None = None

    def context(self) -> Any:
        """The OpenTelemetry context with the turn span current (to parent `turn/start`)."""
        return self._context

    def started(self, turn_id: str) -> None:
        self.turn_id = turn_id
        self.span.set_attribute("codex.turn_id", turn_id)

    def feed(self, note: Notification) -> None:
        """Record one of the turn's notifications."""
        method = note.method
        if method == "item/started" or method == "item/completed":
            item = note.params.get("item")
            if isinstance(item, dict):
                self._item(method == "item/completed", item)
        elif method == "thread/tokenUsage/updated":
            usage = note.params.get("tokenUsage")
            if isinstance(usage, dict):
                self._usage = usage
        elif method == "turn/completed":
            turn = note.params.get("turn")
            turn = turn if isinstance(turn, dict) else {}
            error = turn.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            self.finish(turn.get("status"), message)

    def _item(self, completed: bool, item: dict[str, Any]) -> None:
        name = _ITEM_SPANS.get(item.get("type"))  # type: ignore[arg-type]
        item_id = item.get("id")
        if name is None or not isinstance(item_id, str):
            return
        if not completed:  # open it (its approval may have opened it already)
            self._open_item(item_id, name).set_attributes(_item_attrs(item))
            return
        span = self._items.pop(item_id, None)
        if span is None:
            span = self._tracer.start_span(name, context=self._context)
        span.set_attributes(_item_attrs(item))
        status = item.get("status")
        if isinstance(status, str):
            span.set_attribute("codex.item.status", status)
        if status == "failed" or status == "declined":
            from opentelemetry.trace import Status, StatusCode

            span.set_status(Status(StatusCode.ERROR, status))
        span.end()

    def _open_item(self, item_id: str, name: str) -> Any:
        """The open span of item `item_id`, started now if it is not. The streamer (item
        notifications) and a handler's worker (approvals) may both get here first: the
        span that `setdefault` keeps is the item's (one that lost is never ended, so never
        exported)."""
        span = self._items.get(item_id)
        if span is None:
            new = self._tracer.start_span(name, context=self._context)
            span = self._items.setdefault(item_id, new)
        return span

    def approval_span(self, request: ServerRequest) -> Any:
        """A started `codex.approval` span for a server request of this turn, the child of
        the item it approves (whose span it opens if the item's notification has not been
        read yet: the request and the notification are read by different threads)."""
        from opentelemetry import trace

        item_id = request.params.get("itemId")
        parent = None
        if isinstance(item_id, str):
            name = _APPROVED_ITEMS.get(request.method)
            parent = self._items.get(item_id) if name is None else self._open_item(item_id, name)
        context = trace.set_span_in_context(parent) if parent is not None else self._context
        attributes: dict[str, Any] = {"codex.approval.method": request.method}
        if isinstance(item_id, str):
            attributes["codex.item_id"] = item_id
        return self._tracer.start_span("codex.approval", context=context, attributes=attributes)

    def finish(
        self, status: Any, error: str | None = None, *, stopped_by: str | None = None
    ) -> None:
        """End the turn span (and any item span left open); idempotent."""
        if not self.span.is_recording():
            return
        for span in list(self._items.values()):  # an approval's worker may add one
            span.end()
        self._items.clear()
        if isinstance(status, str):
            self.span.set_attribute("codex.turn.status", status)
        if stopped_by is not None:
            self.span.set_attribute("codex.stopped_by", stopped_by)
        self.span.set_attributes(_usage_attrs(self._usage))
        if status == "failed":
            from opentelemetry.trace import Status, StatusCode

            self.span.set_status(Status(StatusCode.ERROR, error or "the turn failed"))
        self.span.end()

    def fail(self, exc: BaseException) -> None:
        """The stream ended without `turn/completed` (timeout, closed connection)."""
        if self.span.is_recording():
            self.span.record_exception(exc)
            self.finish("failed", f"{type(exc).__name__}: {exc}")


#: An item's scalar fields that become span attributes: (wire key, attribute, type).
_ITEM_ATTRS: tuple[tuple[str, str, type], ...] = (
    ("command", "codex.command", str),
    ("exitCode", "codex.exit_code", int),
    ("tool", "codex.tool", str),
    ("server", "codex.mcp_server", str),
)


def _item_attrs(item: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {"codex.item_id": item.get("id") or ""}
    for key, name, kind in _ITEM_ATTRS:
        value = item.get(key)
        if isinstance(value, kind):
            attrs[name] = value
    changes = item.get("changes")
    if isinstance(changes, list):
        paths = [c.get("path") for c in changes if isinstance(c, dict)]
        attrs["codex.file_change.paths"] = [p for p in paths if isinstance(p, str)]
    return attrs


def _usage_attrs(usage: dict[str, Any] | None) -> dict[str, Any]:
    total = usage.get("total") if isinstance(usage, dict) else None
    if not isinstance(total, dict):
        return {}
    names = {
        "inputTokens": "gen_ai.usage.input_tokens",
        "outputTokens": "gen_ai.usage.output_tokens",
        "cachedInputTokens": "codex.usage.cached_input_tokens",
        "reasoningOutputTokens": "codex.usage.reasoning_output_tokens",
        "totalTokens": "codex.usage.total_tokens",
    }
    return {attr: total[key] for key, attr in names.items() if isinstance(total.get(key), int)}


class TurnTraces:
    """A client's open turn traces, by turn id (so that approvals find their turn)."""

    __slots__ = ("_open", "provider")

    def __init__(self, provider: Any = None) -> None:
        self.provider = provider
        self._open: dict[str, TurnTrace] = {}

    def start(self, thread_id: str, model: str | None) -> TurnTrace | None:
        """A new turn trace (its span started in the current context), or None when off."""
        active = tracer(self.provider)
        if active is None:
            return None
        return TurnTrace(active, thread_id, model)

    def opened(self, turn: TurnTrace, turn_id: str) -> None:
        turn.started(turn_id)
        self._open[turn_id] = turn

    def closed(self, turn_id: str) -> None:
        self._open.pop(turn_id, None)

    def of(self, turn_id: str) -> TurnTrace | None:
        """The open trace of `turn_id`, if any (to parent a request made for that turn)."""
        return self._open.get(turn_id) if self._open else None

    def approval_span(self, request: ServerRequest) -> Any:
        """A started approval span for `request`, or None (tracing off, or not a turn's)."""
        if not self._open:
            return None
        turn_id = request.params.get("turnId")
        turn = self._open.get(turn_id) if isinstance(turn_id, str) else None
        return turn.approval_span(request) if turn is not None else None


def approval_decision(reply: Any) -> str | None:
    """The decision an approval reply carries, for the span's attribute."""
    if not isinstance(reply, dict):
        return None
    decision = reply.get("decision", reply.get("action"))
    if isinstance(decision, str):
        return decision
    if isinstance(decision, dict) and decision:
        return str(next(iter(decision)))
    return None


def attached(turn: TurnTrace | None) -> Any:
    """A context manager making `turn`'s span current (a no-op for None)."""
    if turn is None:
        from contextlib import nullcontext

        return nullcontext()
    from opentelemetry.trace import use_span

    return use_span(turn.span, end_on_exit=False)


def use_span(span: Any) -> Any:
    """Make `span` current for a block, leaving its ending and status to the caller."""
    from opentelemetry import trace

    return trace.use_span(
        span, end_on_exit=False, record_exception=False, set_status_on_exception=False
    )
