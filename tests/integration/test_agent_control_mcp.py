"""Agent control on MCP tool calls, through the real app-server, the scripted model and the
local echo MCP server (`tests/support/echo_mcp.py`): `after_tool` gets the completed typed
`mcpToolCall` item, the turn has its `codex.mcp_tool_call` span, and `before_tool` answers
the runtime's MCP tool-call approval (an elicitation). Sync and async."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    Codex,
    Hooks,
    ToolResult,
    ToolUse,
    allow,
    approve_all,
    deny,
)
from codex_app_server.generated.v2_all import McpToolCallThreadItem
from codex_app_server.testing import Reply, ScriptedModel
from tests.support.echo_mcp import echo_mcp_settings

pytestmark = pytest.mark.integration


@pytest.fixture
def config(scripted_model: ScriptedModel, tmp_path: Path) -> AppServerConfig:
    return scripted_model.config(tmp_path, settings=echo_mcp_settings(tmp_path))


def mcp_call(text: str, call_id: str = "m1") -> Reply:
    """The model calls the echo server's `echo` tool. The runtime offers MCP tools as a
    `namespace` entry (`mcp__echo`, tool `echo`; for the default model behind
    `tool_search`), and routes a `function_call` by its `namespace` and `name`."""
    return Reply.function_call("echo", {"text": text}, call_id=call_id, namespace="mcp__echo")


def check_done(seen: list[ToolResult], thread_id: str, model: ScriptedModel) -> None:
    (done,) = seen
    assert done.kind == "tool" and done.thread_id == thread_id and done.item_id == "m1"
    item = done.item
    assert isinstance(item, McpToolCallThreadItem)
    assert (item.server, item.tool, item.status.value) == ("echo", "echo", "completed")
    assert item.result is not None and "echo: hi" in json.dumps(item.result.model_dump())
    outputs = [o["output"] for r in model.requests for o in r.function_call_outputs]
    assert any("echo: hi" in str(o) for o in outputs)  # the model read the tool's answer


def test_after_tool_gets_the_completed_mcp_call_and_its_span_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: InMemorySpanExporter
) -> None:
    scripted_model.enqueue(mcp_call("hi"), Reply.text("done"))
    seen: list[ToolResult] = []
    # The runtime asks before an MCP tool runs (an elicitation; with approval_policy
    # "never" the call fails instead): approve_all accepts it.
    with Codex(config, handlers=approve_all) as codex:
        thread = codex.thread_start(
            approval_policy="on-request", hooks=Hooks(after_tool=seen.append)
        )
        result = thread.run("echo hi")
    assert result.final_response == "done"
    check_done(seen, thread.id, scripted_model)
    finished = spans.get_finished_spans()
    (span,) = [s for s in finished if s.name == "codex.mcp_tool_call"]
    assert span.attributes is not None
    assert span.attributes["codex.mcp_server"] == "echo" and span.attributes["codex.tool"] == "echo"
    assert span.attributes["codex.item_id"] == "m1"
    (turn,) = [s for s in finished if s.name == "codex.turn"]
    assert span.parent is not None and span.parent.span_id == turn.context.span_id


async def test_after_tool_gets_the_completed_mcp_call_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(mcp_call("hi"), Reply.text("done"))
    seen: list[ToolResult] = []

    async def after(done: ToolResult) -> None:
        seen.append(done)

    async with AsyncCodex(config, handlers=approve_all) as codex:
        thread = await codex.thread_start(
            approval_policy="on-request", hooks=Hooks(after_tool=after)
        )
        result = await thread.run("echo hi")
    assert result.final_response == "done"
    check_done(seen, thread.id, scripted_model)


# -- before_tool answers the MCP tool-call approval ----------------------------------------


async def test_before_tool_denies_an_mcp_call_and_tells_the_model_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(mcp_call("hi"), Reply.text("done"))
    uses: list[ToolUse] = []
    seen: list[ToolResult] = []

    async def guard(use: ToolUse) -> Any:
        uses.append(use)
        return deny("no echoing today")

    # approve_all would accept the approval: the hook answers first.
    async with AsyncCodex(config, handlers=approve_all) as codex:
        thread = await codex.thread_start(hooks=Hooks(before_tool=guard, after_tool=seen.append))
        result = await thread.run("echo hi")
    assert result.final_response == "done"
    (use,) = uses
    assert (use.kind, use.tool, use.arguments) == ("tool", "echo", {"text": "hi"})
    assert use.thread_id == thread.id and use.turn_id == result.turn.id  # type: ignore[union-attr]
    assert use.params.server_name == "echo"
    (done,) = seen
    assert done.item.status.value == "failed" and done.item.result is None  # it never ran
    _, second = scripted_model.requests
    assert [o["call_id"] for o in second.function_call_outputs] == ["m1"]
    assert "echo: hi" not in str(second.function_call_outputs)
    assert second.last_user_text == "no echoing today"


def test_before_tool_allows_an_mcp_call_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(mcp_call("hi"), Reply.text("done"))
    seen: list[ToolResult] = []
    with Codex(config) as codex:  # no handlers: without the hook, the approval is declined
        thread = codex.thread_start(
            hooks=Hooks(before_tool=lambda use: allow(), after_tool=seen.append)
        )
        result = thread.run("echo hi")
    assert result.final_response == "done"
    check_done(seen, thread.id, scripted_model)
