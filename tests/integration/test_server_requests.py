"""Server requests through the real app-server and the scripted model: approvals declined
by default and accepted by handlers (checked on disk), per-thread overrides, failures,
timeouts, user input, elicitations, and a slow handler that does not stall another turn."""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    Codex,
    ServerRequestHandlers,
    approve_all,
)
from codex_app_server.generated import v2_all
from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

pytestmark = pytest.mark.integration

ASKS = {"approval_policy": "untrusted", "approvals_reviewer": "user"}


@pytest.fixture
def config(scripted_model: ScriptedModel, tmp_path: Path) -> AppServerConfig:
    """Commands may write in the workspace, so an approved `touch` really creates a file."""
    return scripted_model.config(tmp_path, sandbox_mode="workspace-write")


@pytest.fixture
def workspace(config: AppServerConfig) -> Path:
    assert config.cwd is not None
    return Path(config.cwd)


def touch_then_answer(model: ScriptedModel, name: str = "marker.txt") -> None:
    model.enqueue(Reply.shell(f"touch {name} && echo made", call_id="c1"), Reply.text("done"))


def tool_output(model: ScriptedModel, call_id: str = "c1") -> str:
    for request in reversed(model.requests):
        for output in request.function_call_outputs:
            if output["call_id"] == call_id:
                return str(output["output"])
    raise AssertionError(f"no output for {call_id} reached the model")


def item_statuses(result: Any) -> list[tuple[str, str | None]]:
    out = []
    for item in result.items:
        root = getattr(item, "root", item)
        status = getattr(root, "status", None)
        out.append((root.type, getattr(status, "value", status)))
    return out


# -- command approvals ---------------------------------------------------------------------


def test_command_is_declined_by_default(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    touch_then_answer(scripted_model)
    with Codex(config) as codex:
        result = codex.thread_start(**ASKS).run("make the marker")
    assert result.final_response == "done"
    assert not (workspace / "marker.txt").exists()
    assert ("commandExecution", "declined") in item_statuses(result)
    assert "rejected by user" in tool_output(scripted_model)


def test_command_accepted_by_a_typed_handler_runs(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    seen: list[v2_all.CommandExecutionRequestApprovalParams] = []

    def review(params: v2_all.CommandExecutionRequestApprovalParams) -> str:
        seen.append(params)
        return "accept" if "touch marker.txt" in (params.command or "") else "decline"

    touch_then_answer(scripted_model)
    with Codex(config, handlers=ServerRequestHandlers(command_approval=review)) as codex:
        thread = codex.thread_start(**ASKS)
        result = thread.run("make the marker")
    assert (workspace / "marker.txt").exists()
    assert ("commandExecution", "completed") in item_statuses(result)
    assert "made" in tool_output(scripted_model)
    (params,) = seen
    assert isinstance(params, v2_all.CommandExecutionRequestApprovalParams)
    assert (params.thread_id, params.item_id) == (thread.id, "c1")
    assert params.cwd is not None and Path(params.cwd) == workspace
    assert params.proposed_execpolicy_amendment == ["touch", "marker.txt"]


def test_accept_for_session_stops_asking_for_the_same_command(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    calls: list[str | None] = []

    def once(params: v2_all.CommandExecutionRequestApprovalParams) -> str:
        calls.append(params.command)
        return "acceptForSession"

    scripted_model.enqueue(
        Reply.shell("touch again.txt", call_id="c1"),
        Reply.shell("touch again.txt", call_id="c2"),
        Reply.text("twice"),
    )
    with Codex(config, handlers={"item/commandExecution/requestApproval": once}) as codex:
        assert codex.thread_start(**ASKS).run("twice").final_response == "twice"
    assert len(calls) == 1
    assert (workspace / "again.txt").exists()
    assert "exited with code 0" in tool_output(scripted_model, "c2")


def test_approve_all_is_the_explicit_yes(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    touch_then_answer(scripted_model)
    with Codex(config, handlers=approve_all) as codex:
        codex.thread_start(**ASKS).run("make the marker")
    assert (workspace / "marker.txt").exists()


def test_thread_handlers_override_the_client_wide_ones(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    scripted_model.respond_with(
        lambda req: (
            Reply.text("ok")
            if req.function_call_outputs
            else Reply.shell(f"touch {req.last_user_text}.txt", call_id="c1")
        )
    )
    strict = ServerRequestHandlers(command_approval=lambda p: "decline")
    with Codex(config, handlers=approve_all) as codex:
        codex.thread_start(**ASKS, handlers=strict).run("strict")
        codex.thread_start(**ASKS).run("relaxed")
    assert not (workspace / "strict.txt").exists()
    assert (workspace / "relaxed.txt").exists()


def test_cancel_interrupts_the_turn(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    touch_then_answer(scripted_model)
    with Codex(config, handlers={"item/commandExecution/requestApproval": lambda p: "cancel"}) as c:
        result = c.thread_start(**ASKS).run("make the marker")
    assert result.turn is not None and result.turn.status.value == "interrupted"
    assert not (workspace / "marker.txt").exists()


def test_handler_that_raises_fails_the_approval_and_the_client_keeps_working(
    scripted_model: ScriptedModel,
    config: AppServerConfig,
    workspace: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(params: Any) -> str:
        raise RuntimeError("reviewer crashed")

    touch_then_answer(scripted_model)
    scripted_model.enqueue(Reply.text("still here"))
    with Codex(config, handlers=ServerRequestHandlers(command_approval=broken)) as codex:
        thread = codex.thread_start(**ASKS)
        assert thread.run("make the marker").final_response == "done"
        assert not (workspace / "marker.txt").exists()
        assert thread.run("next").final_response == "still here"
    # A JSON-RPC error reply is a failed approval for the server: the command did not run.
    assert "approval request failed" in tool_output(scripted_model)
    assert any("reviewer crashed" in r.getMessage() for r in caplog.records)


def test_handler_that_never_returns_is_declined_after_the_timeout(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    config = scripted_model.config(
        tmp_path, sandbox_mode="workspace-write", server_request_timeout=0.5
    )
    release = threading.Event()

    def stuck(params: Any) -> str:
        release.wait(30)
        return "accept"

    touch_then_answer(scripted_model)
    try:
        with Codex(config, handlers=ServerRequestHandlers(command_approval=stuck)) as codex:
            started = time.monotonic()
            result = codex.thread_start(**ASKS).run("make the marker")
            elapsed = time.monotonic() - started
    finally:
        release.set()
    assert result.final_response == "done"
    assert 0.5 <= elapsed < 10
    assert "rejected by user" in tool_output(scripted_model)
    assert config.cwd is not None and not (Path(config.cwd) / "marker.txt").exists()


# -- other approvals -------------------------------------------------------------------

PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"


@pytest.mark.parametrize("decision", [None, "accept"])
def test_file_change_approval(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path, decision: str | None
) -> None:
    seen: list[Any] = []

    def review(params: v2_all.FileChangeRequestApprovalParams) -> str | None:
        seen.append(params)
        return decision

    scripted_model.enqueue(Reply.custom_tool_call("apply_patch", PATCH, call_id="c1"))
    scripted_model.enqueue(Reply.text("patched"))
    with Codex(config, handlers=ServerRequestHandlers(file_change_approval=review)) as codex:
        result = codex.thread_start(**ASKS).run("add hello.txt")
    assert isinstance(seen[0], v2_all.FileChangeRequestApprovalParams)
    if decision is None:  # the handler had no opinion: the safe default declined
        assert not (workspace / "hello.txt").exists()
        assert ("fileChange", "declined") in item_statuses(result)
        assert "rejected" in tool_output(scripted_model)
    else:
        assert (workspace / "hello.txt").read_text() == "hello\n"
        assert ("fileChange", "completed") in item_statuses(result)


@pytest.mark.parametrize("decision", [None, "accept"])
def test_permissions_approval(
    scripted_model: ScriptedModel, tmp_path: Path, decision: str | None
) -> None:
    config = scripted_model.config(tmp_path, settings={"features.request_permissions_tool": True})
    seen: list[v2_all.PermissionsRequestApprovalParams] = []

    def review(params: v2_all.PermissionsRequestApprovalParams) -> str | None:
        seen.append(params)
        return decision

    request = {"reason": "fetch docs", "permissions": {"network": {"enabled": True}}}
    scripted_model.enqueue(Reply.function_call("request_permissions", request, call_id="c1"))
    scripted_model.enqueue(Reply.text("ok"))
    with Codex(config, handlers=ServerRequestHandlers(permissions_approval=review)) as codex:
        codex.thread_start(**ASKS).run("get network")
    assert seen[0].permissions.network is not None and seen[0].permissions.network.enabled
    granted = tool_output(scripted_model)
    if decision is None:
        assert '"network":null' in granted
    else:
        assert '"network":{"enabled":true}' in granted


# -- questions and elicitations ---------------------------------------------------------

QUESTIONS = {
    "questions": [
        {
            "id": "color",
            "header": "Color",
            "question": "Which color?",
            "options": [
                {"label": "Red (Recommended)", "description": "warm"},
                {"label": "Blue", "description": "cold"},
            ],
        }
    ]
}
PLAN_MODE = {
    "mode": "plan",
    "settings": {"model": "gpt-5.5", "reasoning_effort": None, "developer_instructions": None},
}


@pytest.mark.parametrize("answer", [None, "Blue"])
def test_user_input_in_plan_mode(
    scripted_model: ScriptedModel, codex_config: AppServerConfig, answer: str | None
) -> None:
    seen: list[v2_all.ToolRequestUserInputParams] = []

    def ask_user(params: v2_all.ToolRequestUserInputParams) -> dict[str, str] | None:
        seen.append(params)
        return None if answer is None else {q.id: answer for q in params.questions}

    scripted_model.enqueue(Reply.function_call("request_user_input", QUESTIONS, call_id="c1"))
    scripted_model.enqueue(Reply.text("noted"))
    with Codex(codex_config, handlers=ServerRequestHandlers(user_input=ask_user)) as codex:
        thread = codex.thread_start()
        started = codex.client.request(
            "turn/start",
            {
                "threadId": thread.id,
                "input": [{"type": "text", "text": "pick a color"}],
                "collaborationMode": PLAN_MODE,
            },
        )
        list(codex.client.stream_turn(started["turn"]["id"]))
    assert [q.id for q in seen[0].questions] == ["color"]
    if answer is None:
        assert tool_output(scripted_model) == '{"answers":{}}'
    else:
        assert tool_output(scripted_model) == '{"answers":{"color":{"answers":["Blue"]}}}'


MCP_SERVER = r"""
import json, sys

def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()

def receive():
    line = sys.stdin.readline()
    if not line:
        sys.exit(0)
    return json.loads(line)

while True:
    message = receive()
    method = message.get("method")
    if method == "initialize":
        send({"jsonrpc": "2.0", "id": message["id"], "result": {
            "protocolVersion": message["params"]["protocolVersion"],
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "asker", "version": "1"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": message["id"], "result": {"tools": [{
            "name": "ask_name", "description": "Ask the user's name",
            "inputSchema": {"type": "object", "properties": {}}}]}})
    elif method == "tools/call":
        send({"jsonrpc": "2.0", "id": "el-1", "method": "elicitation/create", "params": {
            "message": "What is your name?",
            "requestedSchema": {"type": "object", "properties": {"name": {"type": "string"}},
                                "required": ["name"]}}})
        reply = receive()
        while reply.get("id") != "el-1":
            reply = receive()
        outcome = reply.get("result", reply.get("error"))
        send({"jsonrpc": "2.0", "id": message["id"], "result": {"content": [
            {"type": "text", "text": "elicitation said: " + json.dumps(outcome)}]}})
    elif "id" in message and method is not None:
        send({"jsonrpc": "2.0", "id": message["id"], "result": {}})
"""


def call_mcp_tool(model: ScriptedModel) -> None:
    """The model calls `ask_name` of the `asker` MCP server (a namespaced function call)."""
    call = {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "c1",
        "name": "ask_name",
        "namespace": "mcp__asker",
        "arguments": "{}",
    }
    model.enqueue(
        Reply.raw(
            [
                {"type": "response.created", "response": {"id": "resp_mcp"}},
                {"type": "response.output_item.done", "output_index": 0, "item": call},
                {"type": "response.completed", "response": {"id": "resp_mcp"}},
            ]
        ),
        Reply.text("ok"),
    )


@pytest.fixture
def mcp_config(scripted_model: ScriptedModel, tmp_path: Path) -> AppServerConfig:
    script = tmp_path / "mcp_asker.py"
    script.write_text(MCP_SERVER)
    # A model slug outside the bundled catalog: MCP tools are offered directly, not
    # deferred behind tool search.
    return scripted_model.config(
        tmp_path,
        model="scripted-mcp-model",
        extra_toml=f'[mcp_servers.asker]\ncommand = "{sys.executable}"\nargs = ["{script}"]\n',
    )


def test_elicitations_declined_by_default(
    scripted_model: ScriptedModel, mcp_config: AppServerConfig
) -> None:
    call_mcp_tool(scripted_model)
    with Codex(mcp_config) as codex:
        codex.thread_start(approval_policy="untrusted").run("ask my name")
    # The MCP tool-call approval (an elicitation) was declined: the tool never ran.
    output = tool_output(scripted_model)
    assert "user rejected MCP tool call" in output
    assert "elicitation said" not in output


def test_elicitations_answered_by_a_handler(
    scripted_model: ScriptedModel, mcp_config: AppServerConfig
) -> None:
    seen: list[Any] = []

    def elicit(params: Any) -> Any:
        seen.append(params)
        meta = params.field_meta or {}
        if meta.get("codex_approval_kind") == "mcp_tool_call":
            return "accept"  # the MCP tool-call approval
        return {"action": "accept", "content": {"name": "Ada"}}  # the server's question

    call_mcp_tool(scripted_model)
    with Codex(mcp_config, handlers=ServerRequestHandlers(elicitation=elicit)) as codex:
        codex.thread_start(approval_policy="untrusted").run("ask my name")
    assert [type(p).__name__ for p in seen] == ["FormMcpServerElicitationRequestParams"] * 2
    assert seen[1].message == "What is your name?"
    assert 'elicitation said: {"action": "accept", "content": {"name": "Ada"}}' in tool_output(
        scripted_model
    )


# -- a slow handler does not stall the client --------------------------------------------

STREAM_DELTAS = 120


def _responder(shell: str) -> Callable[[RecordedRequest], Reply]:
    def respond(req: RecordedRequest) -> Reply:
        if req.last_user_text == "stream":
            return Reply.text("w " * STREAM_DELTAS, deltas=STREAM_DELTAS, delay=0.01)
        if req.function_call_outputs:
            return Reply.text("handled")
        return Reply.shell(shell, call_id="slow")

    return respond


def _largest_gap(times: list[float]) -> float:
    return max(b - a for a, b in itertools.pairwise(times))


def test_two_second_handler_does_not_stall_another_turn_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    entered = threading.Event()
    window: list[float] = []

    def slow(params: Any) -> str:
        window.append(time.monotonic())
        entered.set()
        time.sleep(2.0)  # the scenario: a reviewer that takes 2 s
        window.append(time.monotonic())
        return "decline"

    scripted_model.respond_with(_responder("touch slow.txt"))
    with Codex(config, handlers=ServerRequestHandlers(command_approval=slow)) as codex:
        asking = codex.thread_start(**ASKS).turn("run it")
        other = codex.thread_start()
        assert entered.wait(30)
        t0 = time.monotonic()
        codex.models()  # another request, answered while the handler sleeps
        request_latency = time.monotonic() - t0
        deltas = [
            time.monotonic()
            for note in other.turn("stream").stream()
            if note.method == "item/agentMessage/delta"
        ]
        asking.run()
    assert len(deltas) == STREAM_DELTAS
    assert len(window) == 2 and deltas[0] < window[1], "the other turn streamed during the handler"
    gap = _largest_gap(deltas)
    print(
        f"\n[sync] handler 2 s; other turn: {len(deltas)} deltas, largest gap {gap * 1000:.1f} ms,"
        f" {sum(window[0] <= t <= window[1] for t in deltas)} during the handler;"
        f" model/list answered in {request_latency * 1000:.1f} ms"
    )
    assert gap < 0.5
    assert request_latency < 0.5
    assert asking.collector.final_response() == "handled"


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_two_second_handler_does_not_stall_another_turn_async(
    scripted_model: ScriptedModel, config: AppServerConfig, kind: str
) -> None:
    entered = threading.Event()
    window: list[float] = []

    async def slow_async(params: Any) -> str:
        window.append(time.monotonic())
        entered.set()
        await asyncio.sleep(2.0)
        window.append(time.monotonic())
        return "decline"

    def slow_sync(params: Any) -> str:  # would freeze the loop if it ran on it
        window.append(time.monotonic())
        entered.set()
        time.sleep(2.0)
        window.append(time.monotonic())
        return "decline"

    handler = slow_async if kind == "async" else slow_sync
    scripted_model.respond_with(_responder("touch slow.txt"))
    async with AsyncCodex(config, handlers={"item/commandExecution/requestApproval": handler}) as c:
        asking = await (await c.thread_start(**ASKS)).turn("run it")
        other = await c.thread_start()
        assert await asyncio.to_thread(entered.wait, 30)
        t0 = time.monotonic()
        await c.models()
        request_latency = time.monotonic() - t0
        deltas = [
            time.monotonic()
            async for note in (await other.turn("stream")).stream()
            if note.method == "item/agentMessage/delta"
        ]
        await asking.run()
    assert len(deltas) == STREAM_DELTAS
    assert len(window) == 2 and deltas[0] < window[1]
    gap = _largest_gap(deltas)
    print(
        f"\n[async, {kind} handler] handler 2 s; other turn: {len(deltas)} deltas, largest gap"
        f" {gap * 1000:.1f} ms, {sum(window[0] <= t <= window[1] for t in deltas)} during the"
        f" handler; model/list answered in {request_latency * 1000:.1f} ms"
    )
    assert gap < 0.5
    assert request_latency < 0.5
    assert asking.collector.final_response() == "handled"
