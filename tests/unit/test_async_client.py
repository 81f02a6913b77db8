"""The async client and high-level API on the in-process mock async_transport (parity with sync)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from codex_app_server import (
    AppServerConfig,
    AsyncAppServerClient,
    AsyncCodex,
    ClientClosedError,
    InvalidParamsError,
    RequestTimeoutError,
    ServerBusyError,
    TransportClosedError,
    TurnTimeoutError,
    UnknownNotification,
)
from codex_app_server.testing import AsyncMockTransport, MockPeer, answer_initialize
from tests.support.mock_server import FAST, MockAppServer, is_reply


@pytest.fixture
def codex(async_codex: AsyncCodex) -> AsyncCodex:
    """This module's `codex` is the asyncio one."""
    return async_codex


async def test_lazy_start_on_first_call(async_transport: AsyncMockTransport) -> None:
    codex = AsyncCodex(FAST, transport=async_transport)
    assert async_transport.received == []
    thread = await codex.thread_start()
    assert [m.get("method") for m in async_transport.received[:3]] == [
        "initialize",
        "initialized",
        "thread/start",
    ]
    assert thread.id.startswith("thr_")
    assert codex.metadata.platform_os == "linux"
    await codex.close()


async def test_concurrent_starts_share_one_initialize(async_transport: AsyncMockTransport) -> None:
    codex = AsyncCodex(FAST, transport=async_transport)
    await asyncio.gather(*(codex.thread_start() for _ in range(5)))
    assert [m.get("method") for m in async_transport.received].count("initialize") == 1
    await codex.close()


async def test_concurrent_requests_out_of_order() -> None:
    n = 32
    received: list[dict[str, Any]] = []

    def handler(message: dict[str, Any], peer: MockPeer) -> None:
        if answer_initialize(message, peer) or message.get("method") != "echo":
            return
        received.append(message)
        if len(received) == n:
            for m in reversed(received):
                peer.send({"id": m["id"], "result": m["params"]})

    async with AsyncAppServerClient(FAST, transport=AsyncMockTransport(handler)) as c:
        results = await asyncio.gather(*(c.request("echo", {"i": i}) for i in range(n)))
    assert results == [{"i": i} for i in range(n)]


async def test_run_and_early_events(server: MockAppServer, codex: AsyncCodex) -> None:
    server.events_before_response = True
    thread = await codex.thread_start()
    result = await thread.run("one two three")
    assert result.final_response == "one two three"


async def test_interleaved_turns_in_two_tasks(server: MockAppServer, codex: AsyncCodex) -> None:
    server.hold_turns = True
    thread = await codex.thread_start()
    a = await thread.turn("a1 a2 a3")
    b = await thread.turn("b1 b2")

    async def consume(handle: Any) -> list[str]:
        return [
            n.params["delta"]
            async for n in handle.stream()
            if n.method == "item/agentMessage/delta"
        ]

    tasks = [asyncio.ensure_future(consume(h)) for h in (a, b)]
    server.release(b.id)
    server.release(a.id)
    got = await asyncio.gather(*tasks)
    assert got == [["a1", "a2", "a3"], ["b1", "b2"]]


async def test_release_from_another_thread(server: MockAppServer, codex: AsyncCodex) -> None:
    server.hold_turns = True
    handle = await (await codex.thread_start()).turn("x y")
    threading.Thread(target=server.release, args=(handle.id,)).start()
    turn = await handle.run()
    assert turn.status.value == "completed"


async def test_unknown_notifications(
    async_transport: AsyncMockTransport, server: MockAppServer, codex: AsyncCodex
) -> None:
    server.hold_turns = True
    handle = await (await codex.thread_start()).turn("x")
    async_transport.send({"method": "brand/new", "params": {"turnId": handle.id}})
    async_transport.send({"method": "brand/global", "params": {}})
    server.release(handle.id)
    notes = [n async for n in handle.stream()]
    assert isinstance(
        next(n for n in notes if n.method == "brand/new").payload, UnknownNotification
    )
    assert (await codex.client.next_notification(timeout=5)).method == "brand/global"


@pytest.mark.parametrize(("code", "cls"), [(-32602, InvalidParamsError), (-32001, ServerBusyError)])
async def test_errors_mapped(
    server: MockAppServer, codex: AsyncCodex, code: int, cls: type
) -> None:
    server.errors["thread/start"] = {"code": code, "message": "no"}
    with pytest.raises(cls):
        await codex.thread_start()


async def test_timeout_and_cancellation_free_the_waiter(
    async_transport: AsyncMockTransport, codex: AsyncCodex
) -> None:
    await codex.start()
    async_transport.handler = None
    with pytest.raises(RequestTimeoutError):
        await codex.client.request("silent", {}, timeout=0.05)
    task = asyncio.ensure_future(codex.client.request("silent", {}))
    await asyncio.sleep(0)  # let it write
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert codex.client._router is not None and codex.client._router.pending_count == 0


async def test_exit_wakes_waiters(
    async_transport: AsyncMockTransport, server: MockAppServer, codex: AsyncCodex
) -> None:
    server.hold_turns = True
    handle = await (await codex.thread_start()).turn("x")
    async_transport.handler = None
    pending = asyncio.ensure_future(codex.client.request("never", {}))
    await asyncio.sleep(0)
    async_transport.exit(9, ["segfault-ish"])
    with pytest.raises(TransportClosedError) as info:
        await pending
    assert info.value.exit_code == 9 and "segfault-ish" in str(info.value)
    with pytest.raises(TransportClosedError):
        await handle.run()
    with pytest.raises(TransportClosedError):
        await codex.thread_start()
    await codex.close()


async def test_closed_client_refuses_work(codex: AsyncCodex) -> None:
    await codex.start()
    await asyncio.gather(codex.close(), codex.close())
    with pytest.raises(ClientClosedError):
        await codex.thread_start()


async def test_cancelled_run_interrupts_the_turn(
    async_transport: AsyncMockTransport, server: MockAppServer, codex: AsyncCodex
) -> None:
    server.hold_turns = True
    thread = await codex.thread_start()
    task = asyncio.ensure_future(thread.run("x"))
    for _ in range(10_000):
        if server.held or task.done():
            break
        await asyncio.sleep(0)
    assert server.held, task
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert any(m.get("method") == "turn/interrupt" for m in async_transport.received)


async def test_turn_inactivity_timeout(
    async_transport: AsyncMockTransport, server: MockAppServer
) -> None:
    server.hold_turns = True
    config = AppServerConfig(request_timeout=5.0, turn_inactivity_timeout=0.05)
    async with AsyncCodex(config, transport=async_transport) as codex:
        handle = await (await codex.thread_start()).turn("x")
        with pytest.raises(TurnTimeoutError):
            await handle.run()
        assert any(m.get("method") == "turn/interrupt" for m in async_transport.received)


async def test_default_decline_and_async_handler(async_transport: AsyncMockTransport) -> None:
    seen: list[str] = []

    async def handler(request: Any) -> Any:
        seen.append(request.method)
        return {"decision": "accept"}

    async with AsyncAppServerClient(FAST, transport=async_transport) as c:
        async_transport.send(
            {"id": 1, "method": "item/commandExecution/requestApproval", "params": {}}
        )
        reply = await asyncio.to_thread(async_transport.wait_for, lambda m: is_reply(m, 1))
        assert reply["result"] == {"decision": "decline"}
        c.server_request_handler = handler
        async_transport.send(
            {"id": 2, "method": "item/commandExecution/requestApproval", "params": {}}
        )
        reply = await asyncio.to_thread(async_transport.wait_for, lambda m: is_reply(m, 2))
        assert reply["result"] == {"decision": "accept"}
    assert seen == ["item/commandExecution/requestApproval"]


async def test_slow_sync_handler_does_not_block_the_loop(
    async_transport: AsyncMockTransport, server: MockAppServer
) -> None:
    release = threading.Event()

    def slow(request: Any) -> Any:
        release.wait(10)
        return {"decision": "decline"}

    async with AsyncCodex(FAST, transport=async_transport) as codex:
        codex.client.server_request_handler = slow
        async_transport.send(
            {"id": 3, "method": "item/commandExecution/requestApproval", "params": {}}
        )
        result = await (await codex.thread_start()).run("still responsive")
        assert result.final_response == "still responsive"
        release.set()
