"""AsyncQueue.get(timeout): one re-armed timer per queue, not one per wait."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest

from codex_app_server._async.queues import AsyncQueue, timer_context


class CountingLoop:
    """Counts the timers a queue asks its loop for (everything else is the real loop's)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.timers = 0

    def call_at(
        self, when: float, callback: Any, *args: Any, context: Any = None
    ) -> asyncio.TimerHandle:
        self.timers += 1
        return self._loop.call_at(when, callback, *args, context=context)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)


async def test_many_waits_share_one_timer() -> None:
    loop = CountingLoop(asyncio.get_running_loop())
    context = timer_context()
    queue = AsyncQueue(loop, context=context)  # type: ignore[arg-type]

    async def feed() -> None:
        for i in range(50):
            await asyncio.sleep(0)
            queue.put_nowait(i)

    feeder = asyncio.ensure_future(feed())
    got = [(await queue.get(600.0))[1] for _ in range(50)]
    await feeder
    assert got == list(range(50))
    assert loop.timers == 1  # a timer (and its context) per wait made 50
    assert queue._timer is not None and queue._timer._context is context  # type: ignore[attr-defined]
    queue.disarm()


async def test_a_wait_times_out_after_its_own_timeout_when_the_timer_is_older() -> None:
    loop = asyncio.get_running_loop()
    queue = AsyncQueue(loop)
    loop.call_soon(queue.put_nowait, "first")
    assert await queue.get(0.05) == (True, "first")  # armed a timer for 50 ms from then
    started = loop.time()
    assert await asyncio.wait_for(queue.get(0.2), 5.0) == (False, None)
    # The older timer fired first and re-armed itself for this wait's own deadline.
    assert loop.time() - started >= 0.2 - 0.01


async def test_a_shorter_timeout_after_a_long_one_is_kept() -> None:
    loop = asyncio.get_running_loop()
    queue = AsyncQueue(loop)
    loop.call_soon(queue.put_nowait, "first")
    assert await queue.get(600.0) == (True, "first")  # armed a timer for 600 s
    # Unless the timer moves earlier, this waits 600 s.
    assert await asyncio.wait_for(queue.get(0.01), 5.0) == (False, None)


async def test_an_item_that_arrives_before_the_deadline_wins() -> None:
    loop = asyncio.get_running_loop()
    queue = AsyncQueue(loop)
    loop.call_soon(queue.put_nowait, "item")
    assert await asyncio.wait_for(queue.get(5.0), 5.0) == (True, "item")


async def test_a_cancelled_wait_leaves_the_queue_usable() -> None:
    queue = AsyncQueue(asyncio.get_running_loop())
    waiting = asyncio.ensure_future(queue.get(600.0))
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    queue.put_nowait("after")
    assert await asyncio.wait_for(queue.get(0.5), 5.0) == (True, "after")
    assert await asyncio.wait_for(queue.get(0.01), 5.0) == (False, None)


async def test_disarm_lets_a_finished_queue_go() -> None:
    """A stream that ends disarms its queue's timer, which would otherwise keep the queue
    (and what it refers to) alive until the stream's inactivity timeout, 600 s later."""
    loop = asyncio.get_running_loop()
    queue = AsyncQueue(loop)
    loop.call_soon(queue.put_nowait, "last")
    assert await queue.get(600.0) == (True, "last")
    ref = weakref.ref(queue)
    queue.disarm()
    del queue
    gc.collect()
    assert ref() is None
