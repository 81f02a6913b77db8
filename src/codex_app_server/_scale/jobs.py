"""The batch's job queue: FIFO for new tasks, front of the line for tasks to run again
(so that the tasks of a dead worker finish soon after it died, not at the end)."""

from __future__ import annotations

import asyncio
import collections
from typing import Generic, TypeVar

T = TypeVar("T")


class JobQueue(Generic[T]):
    """An unbounded asyncio queue with `put_nowait(item, front=True)`."""

    def __init__(self) -> None:
        self._items: collections.deque[T] = collections.deque()
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def __len__(self) -> int:
        return len(self._items)

    def extend(self, items: list[T]) -> None:
        """Queue items at the back."""
        self._items.extend(items)
        for _ in items:
            self._wake()

    def put_nowait(self, item: T, *, front: bool = False) -> None:
        """Queue an item at the back, or at the front."""
        if front:
            self._items.appendleft(item)
        else:
            self._items.append(item)
        self._wake()

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def get(self) -> T:
        """The next item, waiting for one."""
        while not self._items:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._wake()  # woken, then cancelled: pass the item on to another getter
                raise
        return self._items.popleft()

    def get_nowait(self) -> T | None:
        """The next item, or None if there is none."""
        return self._items.popleft() if self._items else None
