"""Cancellation: a cancelled await frees its waiter; a cancelled run() stops the turn.

Guarantees: cancelling a task awaiting a request or iterating a stream releases its waiter
(no pending request, no queue waiter, no task left), and the CancelledError always
propagates, even when the connection fails at the same moment. Cancelling `run()`
interrupts the turn on the server, also when the cancellation lands while `turn/start` is
in flight; `interrupt_on_cancel=False` opts out. Sync `run()` interrupts on Ctrl-C.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from codex_app_server import (
    AppServerClient,
    AsyncAppServerClient,
    AsyncCodex,
    Codex,
    Notification,
)
from codex_app_server._protocol.run_result import TurnCollector
from codex_app_server._sync.queues import Slot

from .conftest import TIMEOUT, fake_config, other_tasks


async def until(condition: Any, what: str) -> None:
    """Await `condition()` (a coroutine function) becoming true, polling the fake."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not await condition():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.002)


async def interrupts(client: AsyncAppServerClient) -> list[str]:
    result = await client.request("fake/received", {"method": "turn/interrupt"})
    return [m["params"]["turnId"] for m in result["messages"]]


async def active_turns(client: AsyncAppServerClient) -> list[str]:
    return (await client.request("fake/state"))["activeTurns"]  # type: ignore[no-any-return]


async def test_cancelling_a_request_frees_its_waiter() -> None:
    tasks_before = other_tasks()
    async with AsyncAppServerClient(fake_config()) as client:
        assert client._router is not None
        task = asyncio.ensure_future(client.request("fake/delay", {"ms": 300, "result": 1}))
        while client._router.pending_count == 0:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client._router.pending_count == 0
        # asyncio.wait_for on a request: same, and the late answer is dropped harmlessly.
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.request("fake/hang"), 0.05)
        assert client._router.pending_count == 0
        assert await client.request("fake/delay", {"ms": 400, "result": 2}) == 2
    assert other_tasks() == tasks_before


async def test_cancellation_is_not_swallowed_when_the_connection_fails_meanwhile() -> None:
    """Regression: a request cancelled just as the connection failed raised the connection
    error instead of CancelledError, so the cancellation was lost (wait_for / TaskGroup
    / timeouts then misbehave)."""
    client = AsyncAppServerClient(fake_config())
    await client.start()
    assert client._router is not None
    task = asyncio.ensure_future(client.request("fake/hang"))
    while client._router.pending_count == 0:
        await asyncio.sleep(0)
    closing = asyncio.ensure_future(client.close())
    await asyncio.sleep(0)  # close() fails every waiter: the request's future is now done...
    task.cancel()  # ...and the task is cancelled before it resumes
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()
    await closing


async def test_cancelling_a_stream_frees_its_waiter_and_the_turn_goes_on() -> None:
    tasks_before = other_tasks()
    async with AsyncCodex(fake_config()) as codex:
        thread = await codex.thread_start()
        handle = await thread.turn("DELTAS:20 DELAY_MS:20 a turn that takes a while")
        first = asyncio.Event()

        async def stream() -> None:
            async for _ in handle.stream():
                first.set()

        task = asyncio.ensure_future(stream())
        await asyncio.wait_for(first.wait(), TIMEOUT)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        queue = codex.client.turn_queue(handle.id)
        assert queue._waiter is None
        # Nothing was lost: a new reader gets the rest of the turn.
        turn = await handle.run()
        assert turn.status.value == "completed"
        final = handle.collector.final_response()
        assert final == "DELTAS:20 DELAY_MS:20 a turn that takes a while"
    assert other_tasks() == tasks_before


async def test_cancelling_run_interrupts_the_turn_on_the_server() -> None:
    tasks_before = other_tasks()
    async with AsyncCodex(fake_config()) as codex:
        client = codex.client
        thread = await codex.thread_start()
        task = asyncio.ensure_future(thread.run("SILENT"))

        async def started() -> bool:
            return len(await active_turns(client)) == 1

        await until(started, "the turn to start")
        (turn_id,) = await active_turns(client)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await interrupts(client) == [turn_id]
        assert await active_turns(client) == []
        assert client._router is not None and client._router.pending_count == 0
    assert other_tasks() == tasks_before


async def test_cancelling_run_with_interrupt_on_cancel_false_leaves_the_turn_running() -> None:
    async with AsyncCodex(fake_config()) as codex:
        client = codex.client
        thread = await codex.thread_start()
        task = asyncio.ensure_future(thread.run("SILENT", interrupt_on_cancel=False))

        async def started() -> bool:
            return len(await active_turns(client)) == 1

        await until(started, "the turn to start")
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await interrupts(client) == []
        assert len(await active_turns(client)) == 1


async def test_cancelling_run_while_turn_start_is_in_flight_still_interrupts() -> None:
    async with AsyncCodex(fake_config()) as codex:
        client = codex.client
        assert client._router is not None
        thread = await codex.thread_start()
        stall = asyncio.ensure_future(client.request("fake/stall"))  # hold every answer
        while client._router.pending_count == 0:
            await asyncio.sleep(0)
        task = asyncio.ensure_future(thread.run("SILENT"))
        while client._router.pending_count < 2:  # turn/start is out, unanswered
            await asyncio.sleep(0)
        task.cancel()
        await client.request("fake/unstall")  # now the turn/start answer arrives
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(await interrupts(client)) == 1
        assert await active_turns(client) == []
        stall.cancel()


def test_ctrl_c_in_sync_run_interrupts_the_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C is raised at a fixed point (as the first notification is collected) rather
    # than by a real SIGINT, whose landing spot, and so the test, would be random.
    feed = TurnCollector.feed

    def feed_then_ctrl_c(self: TurnCollector, note: Notification) -> None:
        feed(self, note)
        if note.method == "turn/started":
            raise KeyboardInterrupt

    monkeypatch.setattr(TurnCollector, "feed", feed_then_ctrl_c)
    with Codex(fake_config()) as codex:
        thread = codex.thread_start()
        with pytest.raises(KeyboardInterrupt):
            thread.run("SILENT")
        received = codex.client.request("fake/received", {"method": "turn/interrupt"})
        assert len(received["messages"]) == 1
        assert codex.client.request("fake/state")["activeTurns"] == []


def test_ctrl_c_while_a_sync_request_waits_leaves_no_waiter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: a KeyboardInterrupt in a waiting request() left its waiter registered."""
    with AppServerClient(fake_config()) as client:
        wait = Slot.get

        def get_then_ctrl_c(self: Slot, timeout: float | None) -> tuple[bool, Any]:
            raise KeyboardInterrupt

        monkeypatch.setattr(Slot, "get", get_then_ctrl_c)
        with pytest.raises(KeyboardInterrupt):
            client.request("fake/hang")
        monkeypatch.setattr(Slot, "get", wait)
        assert client._router.pending_count == 0
        assert client.request("fake/echo", {"after": 1}) == {"after": 1}
