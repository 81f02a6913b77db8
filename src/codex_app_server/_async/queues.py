"""Queues the async driver hands to the router as sinks (one event loop each)."""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from .._logging import log_queue_overflow

#: What a timed-out async waiter receives instead of an item.
TIMED_OUT: Any = object()


class AsyncSlot:
    """A one-shot waiter for one response on the event loop.

    Timeouts use `loop.call_later` and a sentinel rather than `asyncio.wait_for`, which on
    Python < 3.12 can swallow a cancellation that races with the result.
    """

    __slots__ = ("future",)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.future: asyncio.Future[Any] = loop.create_future()

    def put_nowait(self, item: Any) -> None:
        if not self.future.done():
            self.future.set_result(item)

    def expire(self) -> None:
        self.put_nowait(TIMED_OUT)

    async def wait(self, timeout: float | None) -> Any:
        """The item, or `TIMED_OUT` after `timeout` seconds."""
        if timeout is None:
            return await self.future
        timer = self.future.get_loop().call_later(timeout, self.expire)
        try:
            return await self.future
        finally:
            timer.cancel()


class AsyncQueue:
    """A FIFO for one event loop: cheaper than asyncio.Queue, optionally bounded (drop oldest)."""

    __slots__ = ("_items", "_loop", "_maxsize", "_name", "_waiter", "overflowed")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, maxsize: int = 0, name: str = "turn"
    ) -> None:
        self._items: deque[Any] = deque()
        self._loop = loop
        self._maxsize = maxsize
        self._name = name
        self._waiter: asyncio.Future[None] | None = None
        self.overflowed = 0

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        if self._maxsize and len(self._items) > self._maxsize:
            self._items.popleft()
            self.overflowed += 1
            log_queue_overflow(self._name, self._maxsize, self.overflowed)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def get(self, timeout: float | None = None) -> tuple[bool, Any]:
        """(True, item), or (False, None) after `timeout` seconds with nothing."""
        while not self._items:
            waiter: asyncio.Future[Any] = self._loop.create_future()
            self._waiter = waiter
            timer = None
            if timeout is not None:
                timer = self._loop.call_later(timeout, _expire, waiter)
            try:
                if await waiter is TIMED_OUT and not self._items:
                    return False, None
            finally:
                if timer is not None:
                    timer.cancel()
                if self._waiter is waiter:
                    self._waiter = None
        return True, self._items.popleft()

    def get_nowait(self) -> tuple[bool, Any]:
        if self._items:
            return True, self._items.popleft()
        return False, None

    def __len__(self) -> int:
        return len(self._items)


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_result(TIMED_OUT)
