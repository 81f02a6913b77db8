"""User input (plan mode) and MCP elicitations through the real app-server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import AppServerConfig, Codex, ServerRequestHandlers
from codex_app_server.generated import v2_all
from codex_app_server.testing import Reply, ScriptedModel

from .helpers import tool_output

pytestmark = pytest.mark.integration

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
