"""The pure parts of agent control: limits accounting, hook decisions, tracing off/on."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from codex_app_server._protocol import tracing
from codex_app_server._protocol.events import EventBuilder, Reconnected
from codex_app_server._protocol.hooks import (
    Hooks,
    HookState,
    allow,
    as_decision,
    ask,
    decision_reply,
    deny,
    failed_before,
    hook_handlers,
    merge,
    tool_gate,
)
from codex_app_server._protocol.limits import LimitTracker, RunLimits
from codex_app_server._protocol.notifications import ConnectionGap, ConnectionResumed, Notification


def usage(last: int) -> Notification:
    params = {"tokenUsage": {"total": {"totalTokens": 0}, "last": {"totalTokens": last}}}
    return Notification("thread/tokenUsage/updated", params, "t", "th")


def started(kind: str, item_id: str = "i") -> Notification:
    return Notification("item/started", {"item": {"id": item_id, "type": kind}}, "t", "th")


def test_limits_count_tool_calls_tokens_turns_and_time() -> None:
    tracker = LimitTracker(RunLimits(max_tool_calls=1), 0.0)
    assert tracker.feed(started("agentMessage")) is None
    assert tracker.feed(started("commandExecution")) is None
    assert tracker.feed(started("fileChange")) == "max_tool_calls"
    tokens = LimitTracker(RunLimits(max_tokens=100), 0.0)
    assert tokens.feed(usage(60)) is None
    assert tokens.feed(usage(50)) == "max_tokens"
    turns = LimitTracker(RunLimits(max_turns=2), 0.0)
    assert turns.turn_started() is None and turns.turn_started() is None
    assert turns.turn_started() == "max_turns"
    timed = LimitTracker(RunLimits(max_duration=5), 10.0)
    assert timed.check_time(14.0) is None and timed.check_time(15.5) == "max_duration"


def test_limits_validate_and_tighten() -> None:
    with pytest.raises(ValueError):
        RunLimits(max_turns=0)
    with pytest.raises(ValueError):
        RunLimits(max_tokens=-1)
    merged = RunLimits(max_turns=5, max_tokens=10).tighter(RunLimits(max_turns=3))
    assert (merged.max_turns, merged.max_tokens, merged.max_tool_calls) == (3, 10, None)
    assert RunLimits().unbounded and not merged.unbounded


def test_hook_decisions() -> None:
    assert as_decision(None) == ask() and as_decision(True) == allow()
    assert as_decision("deny").action == "deny"
    with pytest.raises(TypeError):
        as_decision(42)
    approval = "item/commandExecution/requestApproval"
    assert decision_reply(approval, allow()) == {"decision": "accept"}
    assert decision_reply(approval, deny("x")) == {"decision": "decline"}
    assert decision_reply(approval, ask()) is None
    tool = decision_reply("item/tool/call", deny("not now"))
    assert tool is not None and tool["success"] is False
    assert "not now" in tool["contentItems"][0]["text"]
    assert failed_before(RuntimeError("x"), "m").action == "deny"


def test_reconnected_event() -> None:
    note = ConnectionResumed(ConnectionGap("ws://h", "t", "th", 1.5))
    event = EventBuilder()(note)
    assert event == Reconnected("th", "t", "ws://h", 1.5)


def test_tracing_is_off_without_a_provider(monkeypatch: Any) -> None:
    monkeypatch.delitem(sys.modules, "opentelemetry.trace", raising=False)
    assert tracing.tracer() is None
    assert tracing.request_span("thread/start") is None
    assert tracing.TurnTraces().start("th", None) is None


def test_tracing_is_off_with_the_api_but_no_provider(monkeypatch: Any) -> None:
    from opentelemetry import trace

    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)  # imported, never configured
    monkeypatch.delenv("OTEL_PYTHON_TRACER_PROVIDER", raising=False)
    assert tracing.tracer() is None
    assert tracing.request_span("thread/start") is None
    assert tracing.TurnTraces().start("th", None) is None
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", trace.NoOpTracerProvider())
    assert tracing.tracer() is None  # a no-op provider is off too


def test_turn_trace_spans_and_attributes() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traces = tracing.TurnTraces(provider)
    turn = traces.start("th", "gpt-5.5")
    assert turn is not None
    traces.opened(turn, "t")
    item = {"id": "c1", "type": "commandExecution", "command": "ls"}
    turn.feed(Notification("item/started", {"item": item}, "t", "th"))
    from codex_app_server._protocol.notifications import ServerRequest

    request = ServerRequest(
        1, "item/commandExecution/requestApproval", {"turnId": "t", "itemId": "c1"}
    )
    approval = traces.approval_span(request)
    tracing.end_span(approval)
    done = {**item, "exitCode": 0, "status": "completed"}
    turn.feed(Notification("item/completed", {"item": done}, "t", "th"))
    turn.feed(usage(7))
    failed = {"turn": {"id": "t", "status": "failed", "error": {"message": "boom"}}}
    turn.feed(Notification("turn/completed", failed, "t", "th"))
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert set(spans) == {"codex.turn", "codex.command", "codex.approval"}
    root, command, approval = spans["codex.turn"], spans["codex.command"], spans["codex.approval"]
    assert root.attributes is not None and command.attributes is not None
    assert root.attributes["gen_ai.request.model"] == "gpt-5.5"
    assert root.attributes["codex.turn.status"] == "failed"
    assert root.status.status_code.name == "ERROR"
    assert command.parent is not None and approval.parent is not None
    assert root.context is not None and command.context is not None
    assert command.parent.span_id == root.context.span_id
    assert approval.parent.span_id == command.context.span_id
    assert command.attributes["codex.exit_code"] == 0


def test_an_approval_read_before_its_item_is_still_the_items_child() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from codex_app_server._protocol.notifications import ServerRequest

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    traces = tracing.TurnTraces(provider)
    turn = traces.start("th", None)
    assert turn is not None
    traces.opened(turn, "t")
    # The approval's worker gets there before the streamer has read item/started.
    request = ServerRequest(
        1, "item/commandExecution/requestApproval", {"turnId": "t", "itemId": "c1"}
    )
    tracing.end_span(traces.approval_span(request))
    item = {"id": "c1", "type": "commandExecution", "command": "ls"}
    turn.feed(Notification("item/started", {"item": item}, "t", "th"))
    done = {**item, "exitCode": 0, "status": "completed"}
    turn.feed(Notification("item/completed", {"item": done}, "t", "th"))
    turn.finish("completed")
    spans = exporter.get_finished_spans()
    (command,) = [s for s in spans if s.name == "codex.command"]  # one span for the item
    (approval,) = [s for s in spans if s.name == "codex.approval"]
    assert approval.parent is not None and command.context is not None
    assert command.attributes is not None
    assert approval.parent.span_id == command.context.span_id
    assert command.attributes["codex.command"] == "ls"
    assert command.attributes["codex.exit_code"] == 0


def test_merge_takes_the_narrowest_scope_per_hook_point() -> None:
    def a(x: Any) -> None: ...
    def b(x: Any) -> None: ...

    client = Hooks(before_tool=a, after_tool=a, timeout=5)
    run = Hooks(before_tool=b, timeout=1)
    merged = merge(client, None, run)
    assert merged is not None
    assert (merged.before_tool, merged.after_tool, merged.timeout) == (b, a, 1)
    assert merge(None, client) is client and merge() is None
    state = HookState(client)
    assert state.before_tool() is a
    state.run = run
    assert state.before_tool() is b


def answer(gated: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    """A gated plain tool's reply (a dict: no hook here is async)."""
    reply = gated.invoke(arguments)
    assert isinstance(reply, dict)
    return reply


def test_gated_tools_and_approvals_ask_the_hook_in_effect() -> None:
    from codex_app_server._protocol.tools import GatedTool, tool, ungated

    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    states: dict[str, HookState] = {}
    gated = GatedTool(echo, tool_gate(states, "th"))
    assert gated.name == "echo" and ungated({"echo": gated})["echo"] is echo
    assert answer(gated, {"text": "hi"})["success"] is True  # no state: no hook, the tool runs
    uses: list[Any] = []

    def guard(use: Any) -> Any:
        uses.append(use)
        return deny("no echo") if use.kind == "tool" else allow()

    states["th"] = HookState(Hooks(before_tool=guard))
    states["th"].turn_id = "t1"
    reply = answer(gated, {"text": "hi"})
    assert reply["success"] is False and "no echo" in reply["contentItems"][0]["text"]
    assert (uses[0].tool, uses[0].turn_id, uses[0].arguments) == ("echo", "t1", {"text": "hi"})

    def broken(use: Any) -> Any:
        raise RuntimeError("boom")

    states["th"].run = Hooks(before_tool=broken)
    assert answer(gated, {"text": "hi"})["success"] is False  # a raising hook denies
    handlers = hook_handlers(states, {"item/commandExecution/requestApproval": lambda p: "x"})
    states["th"].run = Hooks(before_tool=lambda use: deny("not that"))
    params = {"threadId": "th", "turnId": "t1", "itemId": "i1", "command": "rm -rf /"}
    assert handlers.command_approval(params) == {"decision": "decline"}
    told: list[tuple[str, str, str]] = []
    states["th"].tell = lambda *args: told.append(args)
    assert handlers.command_approval(params) == {"decision": "decline"}
    assert told == [("th", "t1", "not that")]
    states["th"].run = Hooks(before_tool=lambda use: None)  # ask: the thread's handler
    assert handlers.command_approval(params) == "x"
    del states["th"]
    assert handlers.command_approval(params) == "x"  # no hook in effect


async def test_async_before_tool_gates_a_tool() -> None:
    from codex_app_server._protocol.tools import GatedTool, tool

    @tool
    def echo(text: str) -> str:
        """Echo."""
        return text

    async def guard(use: Any) -> Any:
        return allow()

    states = {"th": HookState(Hooks(before_tool=guard))}
    pending = GatedTool(echo, tool_gate(states, "th")).invoke({"text": "hi"})
    assert (await pending)["success"] is True  # type: ignore[misc]


def ends_before_its_interrupt(message: dict[str, Any], peer: Any) -> None:
    """A server whose turn reports usage over the limit and completes at once, so that the
    SDK's `turn/interrupt` comes too late (the runtime then answers "no active turn")."""
    from tests.support.mock_server import MockAppServer

    method = message.get("method")
    if method == "turn/start":
        turn = {"id": "T", "status": "inProgress", "items": []}
        peer.send({"id": message["id"], "result": {"turn": turn}})
        counts = {
            "inputTokens": 1990,
            "cachedInputTokens": 0,
            "outputTokens": 10,
            "reasoningOutputTokens": 0,
            "totalTokens": 2000,
        }
        usage = {"total": counts, "last": counts}
        params = {"threadId": "t", "turnId": "T", "tokenUsage": usage}
        peer.send({"method": "thread/tokenUsage/updated", "params": params})
        done = {**turn, "status": "completed"}
        peer.send({"method": "turn/completed", "params": {"threadId": "t", "turn": done}})
    elif method == "turn/interrupt":
        error = {"code": -32600, "message": "no active turn to interrupt"}
        peer.send({"id": message["id"], "error": error})
    else:
        MockAppServer()(message, peer)


def test_a_limit_reached_as_the_turn_ends_does_not_fail_the_run() -> None:
    from codex_app_server import AppServerConfig, Codex
    from codex_app_server._transport.mock import MockTransport

    transport = MockTransport(ends_before_its_interrupt)
    with Codex(AppServerConfig(request_timeout=5.0), transport=transport) as codex:
        result = codex.thread_start().run("go", limits=RunLimits(max_tokens=1000))
    assert result.stopped_by == "max_tokens"
    assert result.turn is not None and result.turn.status.value == "completed"
    assert any(m.get("method") == "turn/interrupt" for m in transport.received)


async def test_a_limit_reached_as_the_turn_ends_does_not_fail_the_run_async() -> None:
    from codex_app_server import AppServerConfig, AsyncCodex
    from codex_app_server._transport.mock import AsyncMockTransport

    transport = AsyncMockTransport(ends_before_its_interrupt)
    async with AsyncCodex(AppServerConfig(request_timeout=5.0), transport=transport) as codex:
        thread = await codex.thread_start()
        result = await thread.run("go", limits=RunLimits(max_tokens=1000))
    assert result.stopped_by == "max_tokens"
    assert result.turn is not None and result.turn.status.value == "completed"


def test_only_an_mcp_tool_approval_elicitation_asks_before_tool() -> None:
    from codex_app_server._protocol.server_requests import ELICITATION

    uses: list[Any] = []

    def guard(use: Any) -> Any:
        uses.append(use)
        return deny("not that tool")

    states = {"th": HookState(Hooks(before_tool=guard))}
    answered = {"action": "accept", "content": {"name": "Ada"}}
    handlers = hook_handlers(states, {ELICITATION: lambda params: answered})
    question = {"threadId": "th", "turnId": "t1", "serverName": "echo", "message": "Your name?"}
    assert handlers.elicitation(question) == answered  # a plain question: the handler's
    assert uses == []
    approval = {
        **question,
        "message": 'Allow the echo MCP server to run tool "echo"?',
        "_meta": {"codex_approval_kind": "mcp_tool_call", "tool_params": {"text": "hi"}},
    }
    assert handlers.elicitation(approval) == {"action": "decline"}
    (use,) = uses
    assert (use.kind, use.tool, use.arguments, use.turn_id) == (
        "tool",
        "echo",
        {"text": "hi"},
        "t1",
    )
    states["th"].run = Hooks(before_tool=lambda use: allow())
    assert handlers.elicitation(approval) == {"action": "accept"}
    del states["th"]
    assert handlers.elicitation(approval) == answered  # no hook in effect: the handler's


def test_a_sync_hook_that_fails_is_logged_with_what_happens_next(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Regression: the slot's result overwrote the outcome, so the log said "None".
    import logging
    import threading

    from codex_app_server._sync.backend import call_hook

    def boom(argument: Any) -> Any:
        raise RuntimeError("boom")

    release = threading.Event()
    with caplog.at_level(logging.ERROR, "codex_app_server"):
        assert call_hook(boom, 1, 5.0, "after_tool") is None
        with pytest.raises(RuntimeError, match="boom"):
            call_hook(boom, 1, 5.0, "before_prompt", strict=True)
        try:
            assert call_hook(lambda a: release.wait(10), 1, 0.05, "on_turn_end") is None
        finally:
            release.set()
    messages = [r.getMessage() for r in caplog.records]
    assert any("after_tool hook raised" in m and m.endswith("; ignoring it") for m in messages)
    assert any(m.endswith("; not starting the turn") for m in messages)
    assert "the on_turn_end hook timed out; ignoring it" in messages
