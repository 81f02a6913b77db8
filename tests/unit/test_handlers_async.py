"""Server-request handlers on the async client: defaults, typed handlers, failures, tools,
and that a slow handler does not block the loop."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from typing import Any, Literal

from codex_app_server import (
    AsyncAppServerClient,
    AsyncCodex,
    ServerRequestHandlers,
    approve_all,
    tool,
)
from codex_app_server.generated import v2_all
from codex_app_server.testing import AsyncMockTransport
from tests.support.mock_server import FAST

from .handler_samples import (
    AUTH_REFRESH,
    COMMAND,
    FILE_CHANGE,
    SAMPLES,
    TOOL_CALL,
    USER_INPUT,
    SlowHandler,
    ask_async,
)

# -- async client ------------------------------------------------------------------------


async def test_async_client_defaults_and_typed_handlers(
    async_transport: AsyncMockTransport,
) -> None:
    async def review(params: v2_all.CommandExecutionRequestApprovalParams) -> str:
        return "accept" if "touch" in (params.command or "") else "decline"

    def answer(params: v2_all.ToolRequestUserInputParams) -> dict[str, str]:
        assert threading.current_thread() is not threading.main_thread()
        return {"color": "Red"}

    handlers = ServerRequestHandlers(command_approval=review, user_input=answer)
    async with AsyncAppServerClient(FAST, transport=async_transport, handlers=handlers):
        assert (await ask_async(async_transport, COMMAND))["result"] == {"decision": "accept"}
        assert (await ask_async(async_transport, USER_INPUT))["result"] == {
            "answers": {"color": {"answers": ["Red"]}}
        }
        assert (await ask_async(async_transport, FILE_CHANGE))["result"] == {"decision": "decline"}
        assert (await ask_async(async_transport, AUTH_REFRESH))["error"]["code"] == -32000


async def test_async_handler_failures_and_timeouts(async_transport: AsyncMockTransport) -> None:
    async def broken(params: Any) -> str:
        raise RuntimeError("async bug")

    async def stuck(params: Any) -> Literal["accept"]:
        await asyncio.Event().wait()
        return "accept"

    config = dataclasses.replace(FAST, server_request_timeout=0.2)
    handlers = ServerRequestHandlers(command_approval=broken, file_change_approval=stuck)
    async with AsyncAppServerClient(config, transport=async_transport, handlers=handlers) as c:
        reply = await ask_async(async_transport, COMMAND)
        assert reply["error"]["code"] == -32603 and "async bug" in reply["error"]["message"]
        assert (await ask_async(async_transport, FILE_CHANGE))["result"] == {"decision": "decline"}
        assert (await c.request("thread/start", {}))["thread"]["id"]


async def test_async_tools_and_thread_handlers(async_transport: AsyncMockTransport) -> None:
    @tool
    async def fetch(url: str) -> str:
        """Fetch a URL."""
        await asyncio.sleep(0)
        return f"<html>{url}</html>"

    async with AsyncCodex(FAST, transport=async_transport, handlers=approve_all) as codex:
        thread = await codex.thread_start(tools=[fetch], handlers={COMMAND: lambda p: "cancel"})
        params = {**SAMPLES[TOOL_CALL], "threadId": thread.id, "tool": "fetch"}
        result = (
            await ask_async(async_transport, TOOL_CALL, {**params, "arguments": {"url": "u"}})
        )["result"]
        assert result == {
            "contentItems": [{"type": "inputText", "text": "<html>u</html>"}],
            "success": True,
        }
        cancel = await ask_async(
            async_transport, COMMAND, {**SAMPLES[COMMAND], "threadId": thread.id}
        )
        assert cancel["result"] == {"decision": "cancel"}
        accept = await ask_async(async_transport, COMMAND)
        assert accept["result"] == {"decision": "accept"}
        start = next(m for m in async_transport.received if m.get("method") == "thread/start")
        assert start["params"]["dynamicTools"][0]["name"] == "fetch"


async def test_async_slow_handler_does_not_block_the_loop(
    async_transport: AsyncMockTransport, slow_handler: SlowHandler
) -> None:
    handlers = {COMMAND: slow_handler}
    async with AsyncCodex(FAST, transport=async_transport, handlers=handlers) as codex:
        async_transport.send({"id": "srv-slow", "method": COMMAND, "params": SAMPLES[COMMAND]})
        assert await asyncio.to_thread(slow_handler.entered.wait, 5)
        result = await (await codex.thread_start()).run("the loop is free")
        assert result.final_response == "the loop is free"
        slow_handler.release.set()
