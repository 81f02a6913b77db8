"""Remote app-servers through the asyncio API: errors and deaths, as with the sync one."""

from __future__ import annotations

import asyncio
import time

import pytest

from codex_app_server import (
    AppServerConfig,
    AppServerProcess,
    AsyncCodex,
    AuthenticationError,
    TransportClosedError,
    TransportError,
)
from codex_app_server.testing import Reply, ScriptedModel

pytestmark = pytest.mark.integration


async def test_auth_and_nothing_listening(ws_server: AppServerProcess) -> None:
    with pytest.raises(AuthenticationError, match="HTTP 401"):
        await AsyncCodex(AppServerConfig(url=ws_server.url)).start()
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"nothing is listening at ws://127\.0\.0\.1:9"):
        await AsyncCodex(AppServerConfig(url="ws://127.0.0.1:9")).start()
    assert time.monotonic() - started < 1.0


async def test_server_killed_mid_turn(
    scripted_model: ScriptedModel, ws_server: AppServerProcess
) -> None:
    scripted_model.enqueue(Reply.text("x " * 500, deltas=500, delay=0.01))
    async with AsyncCodex(ws_server.client_config(reconnect=False)) as codex:
        handle = await (await codex.thread_start()).turn("go")
        stream = handle.stream()
        async for note in stream:
            if note.method == "item/agentMessage/delta":
                break
        killed = time.monotonic()
        await asyncio.to_thread(ws_server.kill)
        with pytest.raises(TransportClosedError, match="ended"):
            async for _ in stream:
                pass
        assert time.monotonic() - killed < 1.0


async def test_close_leaves_the_server_running(
    scripted_model: ScriptedModel, server: AppServerProcess
) -> None:
    scripted_model.enqueue(Reply.text("kept"), Reply.text("resumed"))
    async with AsyncCodex(server.client_config()) as codex:
        thread = await codex.thread_start()
        assert (await thread.run("one")).final_response == "kept"
    assert server.returncode is None
    async with AsyncCodex(server.client_config()) as codex:
        resumed = await codex.thread_resume(thread.id)
        assert (await resumed.run("two")).final_response == "resumed"
