"""Agent control through the real app-server and the scripted model: typed events, a
before-tool hook (checked on disk), follow-ups bounded by max_turns, tool-call and token
limits interrupting a turn, and OpenTelemetry spans with their parents. Sync and async."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    Codex,
    Hooks,
    ItemCompleted,
    ReasoningDelta,
    RunLimitExceeded,
    RunLimits,
    TextDelta,
    TokenUsage,
    ToolUse,
    TurnCompleted,
    TurnEnd,
    TurnStarted,
    allow,
    deny,
)
from codex_app_server.testing import Reply, ScriptedModel, Usage

pytestmark = pytest.mark.integration


def command_turn(model: ScriptedModel) -> None:
    model.enqueue(
        Reply.shell("echo hi", call_id="c1", reasoning="Let me check."),
        Reply.text("It said hi.", usage=True),
    )


def check_events(events: list[Any]) -> None:
    assert isinstance(events[0], TurnStarted)
    reasoning = "".join(e.delta for e in events if isinstance(e, ReasoningDelta))
    assert reasoning == "Let me check."
    commands = [
        e.item for e in events if isinstance(e, ItemCompleted) and e.item_type == "commandExecution"
    ]
    assert len(commands) == 1 and "echo hi" in commands[0].command
    assert commands[0].exit_code == 0
    assert "".join(e.delta for e in events if isinstance(e, TextDelta)) == "It said hi."
    assert any(isinstance(e, TokenUsage) for e in events)
    last = events[-1]
    match last:
        case TurnCompleted(status="completed", usage=usage):
            assert usage is not None and usage.total.total_tokens > 0
        case _:
            raise AssertionError(f"the last event is {last!r}")


def test_typed_events_sync(scripted_model: ScriptedModel, config: AppServerConfig) -> None:
    command_turn(scripted_model)
    with Codex(config) as codex:
        handle = codex.thread_start(approval_policy="never").turn("check")
        check_events(list(handle.events()))


async def test_typed_events_async(scripted_model: ScriptedModel, config: AppServerConfig) -> None:
    command_turn(scripted_model)
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(approval_policy="never")
        handle = await thread.turn("check")
        check_events([event async for event in handle.events()])


# -- before_tool hook ----------------------------------------------------------------------


def rm_then_ls(model: ScriptedModel) -> None:
    model.enqueue(
        Reply.shell("rm keep.txt", call_id="c1"),
        Reply.shell("ls", call_id="c2"),
        Reply.text("done"),
    )


def guard(use: ToolUse) -> Any:
    assert use.kind == "command" and use.thread_id and use.turn_id
    # The runtime hands over the shell line it will run: "/bin/bash -c 'rm keep.txt'".
    return deny("no deleting") if "rm " in (use.command or "") else allow()


def statuses(result: Any) -> dict[str, str]:
    out = {}
    for item in result.items:
        root = getattr(item, "root", item)
        if root.type == "commandExecution":
            out[root.command] = root.status.value
    return out


def test_before_tool_denies_rm_allows_ls_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    (workspace / "keep.txt").write_text("x")
    rm_then_ls(scripted_model)
    seen: list[str] = []

    def hook(use: ToolUse) -> Any:
        seen.append(use.command or "")
        return guard(use)

    with Codex(config) as codex:
        result = codex.thread_start(hooks=Hooks(before_tool=hook)).run("clean up")
    assert (workspace / "keep.txt").exists()  # the denied rm did not run
    found = statuses(result)
    assert [v for k, v in found.items() if "rm keep.txt" in k] == ["declined"]
    assert [v for k, v in found.items() if k.endswith("ls")] == ["completed"]
    assert len(seen) == 2


async def test_before_tool_async_hook_and_failing_hook_denies(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    (workspace / "keep.txt").write_text("x")
    rm_then_ls(scripted_model)

    async def hook(use: ToolUse) -> Any:
        if "ls" in (use.command or ""):
            raise RuntimeError("boom")  # fails safe: denied
        return allow() if False else guard(use)

    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(hooks=Hooks(before_tool=hook))
        result = await thread.run("clean up")
    assert (workspace / "keep.txt").exists()
    assert set(statuses(result).values()) == {"declined"}


# -- follow-ups and limits -----------------------------------------------------------------


def test_on_turn_end_continues_twice_then_max_turns_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("one"), Reply.text("two"), Reply.text("three"))
    ends: list[TurnEnd] = []

    def more(end: TurnEnd) -> str:
        ends.append(end)
        return "keep going"

    with Codex(config) as codex:
        thread = codex.thread_start()
        result = thread.run("start", limits=RunLimits(max_turns=3), on_turn_end=more)
    assert result.final_response == "three"
    assert result.stopped_by == "max_turns" and result.turns == 3
    assert [e.turn for e in ends] == [1, 2, 3]
    assert len(scripted_model.requests) == 3


async def test_on_turn_end_max_turns_raises_when_asked_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("one"), Reply.text("two"), Reply.text("three"))

    async def more(end: TurnEnd) -> str | None:
        return "again"

    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()
        with pytest.raises(RunLimitExceeded) as caught:
            await thread.run(
                "start", limits=RunLimits(max_turns=3), on_turn_end=more, raise_on_limit=True
            )
    assert caught.value.limit == "max_turns"
    assert caught.value.result is not None and caught.value.result.final_response == "three"


def many_commands(model: ScriptedModel, n: int = 4) -> None:
    model.enqueue(
        *(Reply.shell(f"echo {i}", call_id=f"c{i}", usage=True) for i in range(n)),
        Reply.text("done"),
    )


def test_max_tool_calls_interrupts_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    many_commands(scripted_model)
    with Codex(config) as codex:
        thread = codex.thread_start(approval_policy="never")
        result = thread.run("go", limits=RunLimits(max_tool_calls=1))
    assert result.stopped_by == "max_tool_calls"
    assert result.turn is not None and result.turn.status.value == "interrupted"
    # the call over the limit is the second response: its command may finish and be
    # posted back before the interrupt lands, but no further call is asked for
    assert 2 <= len(scripted_model.requests) <= 3


async def test_max_tokens_interrupts_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    big = Usage(input_tokens=600, output_tokens=10)
    scripted_model.enqueue(
        *(Reply.shell(f"echo {i}", call_id=f"c{i}", usage=big) for i in range(4)),
        Reply.text("done"),
    )
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(
            approval_policy="never", limits=RunLimits(max_tokens=1000)
        )
        result = await thread.run("go")
    assert result.stopped_by == "max_tokens"
    assert result.turn is not None and result.turn.status.value == "interrupted"
    # the call over the limit is the second response: its command may finish and be
    # posted back before the interrupt lands, but no further call is asked for
    assert 2 <= len(scripted_model.requests) <= 3


# -- tracing -------------------------------------------------------------------------------


def check_spans(exporter: InMemorySpanExporter, thread_id: str, outer_id: int) -> None:
    finished = exporter.get_finished_spans()
    by_name: dict[str, list[Any]] = {}
    for span in finished:
        by_name.setdefault(span.name, []).append(span)
    (turn,) = by_name["codex.turn"]
    assert turn.parent is not None and turn.parent.span_id == outer_id
    assert turn.attributes["codex.thread_id"] == thread_id
    assert turn.attributes["codex.turn.status"] == "completed"
    assert turn.attributes["codex.usage.total_tokens"] > 0
    assert turn.attributes["codex.turn_id"]
    (command,) = by_name["codex.command"]
    assert command.parent.span_id == turn.context.span_id
    assert "echo hi" in command.attributes["codex.command"]
    assert command.attributes["codex.exit_code"] == 0
    (approval,) = by_name["codex.approval"]
    assert approval.parent.span_id == command.context.span_id
    assert approval.attributes["codex.approval.decision"] == "accept"
    (start,) = by_name["turn/start"]
    assert start.parent.span_id == turn.context.span_id
    assert start.attributes["rpc.system"] == "jsonrpc"
    (thread_start,) = by_name["thread/start"]
    assert thread_start.parent.span_id == outer_id


def test_spans_sync(scripted_model: ScriptedModel, config: AppServerConfig, spans: Any) -> None:
    command_turn(scripted_model)
    tracer = trace.get_tracer("test")
    with Codex(config) as codex, tracer.start_as_current_span("outer") as outer:
        thread = codex.thread_start(hooks=Hooks(before_tool=lambda use: allow()), model="gpt-5.5")
        thread.run("check")
    check_spans(spans, thread.id, outer.get_span_context().span_id)


async def test_spans_async(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    command_turn(scripted_model)
    tracer = trace.get_tracer("test")
    async with AsyncCodex(config) as codex:
        with tracer.start_as_current_span("outer") as outer:
            thread = await codex.thread_start(hooks=Hooks(before_tool=lambda use: allow()))
            await thread.run("check")
    check_spans(spans, thread.id, outer.get_span_context().span_id)
