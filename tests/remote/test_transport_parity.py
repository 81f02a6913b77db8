"""The same core scenarios over stdio, ws and unix: the layers above the transport do not
know which one they run on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    Codex,
    approve_all,
    start_listening_server,
    tool,
)
from codex_app_server.testing import Reply, ScriptedModel
from tests.support.replies import last_word_repeated

pytestmark = pytest.mark.integration


@pytest.fixture(params=["stdio", "ws", "unix"])
def any_config(
    request: pytest.FixtureRequest, codex_config: AppServerConfig
) -> Iterator[AppServerConfig]:
    """A client config for a spawned stdio app-server, or for a listening ws / unix one."""
    if request.param == "stdio":
        yield codex_config
        return
    listen = "ws://127.0.0.1:0" if request.param == "ws" else "unix://"
    with start_listening_server(codex_config, listen=listen) as server:
        yield server.client_config()


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_run_with_usage(scripted_model: ScriptedModel, any_config: AppServerConfig) -> None:
    scripted_model.enqueue(Reply.text("Hello.", deltas=3, usage=True))
    with Codex(any_config) as codex:
        result = codex.thread_start(model="gpt-5.5").run("Say hello.")
    assert result.final_response == "Hello."
    assert result.usage is not None and result.usage.total.total_tokens > 0


def test_interrupt(scripted_model: ScriptedModel, any_config: AppServerConfig) -> None:
    scripted_model.enqueue(Reply.text("a " * 300, deltas=300, delay=0.01))
    with Codex(any_config) as codex:
        handle = codex.thread_start().turn("go")
        for note in handle.stream():
            if note.method == "item/agentMessage/delta":
                handle.interrupt()
                break
        assert handle.run().status.value == "interrupted"


def test_approval_and_tool(scripted_model: ScriptedModel, any_config: AppServerConfig) -> None:
    scripted_model.enqueue(
        Reply.shell("echo approved-run", call_id="c1"),
        Reply.function_call("add", {"a": 2, "b": 3}, call_id="t1"),
        Reply.text("done"),
    )
    with Codex(any_config, handlers=approve_all, tools=[add]) as codex:
        thread = codex.thread_start(approval_policy="untrusted", approvals_reviewer="user")
        assert thread.run("do it").final_response == "done"
    outputs = {
        o["call_id"]: o["output"] for r in scripted_model.requests for o in r.function_call_outputs
    }
    assert "approved-run" in outputs["c1"]
    assert "5" in outputs["t1"]


async def test_async_concurrent_streams(
    scripted_model: ScriptedModel, any_config: AppServerConfig
) -> None:
    scripted_model.respond_with(last_word_repeated(20))
    async with AsyncCodex(any_config) as codex:
        threads = await asyncio.gather(*(codex.thread_start() for _ in range(4)))
        results: list[Any] = await asyncio.gather(
            *(t.run(f"say w{i}") for i, t in enumerate(threads))
        )
    assert [r.final_response for r in results] == [" ".join([f"w{i}"] * 20) for i in range(4)]
