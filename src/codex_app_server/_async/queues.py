"""Queues the async driver hands to the router as sinks (one event loop each)."""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from typing import Any

from .._logging import log_queue_overflow
from .._protocol.budget import BufferBudget, note_size
from .._protocol.held import HeldItems
from .._protocol.packed import Packing

#: What a timed-out async waiter receives instead of an item.
TIMED_OUT: Any = object()


class AsyncSlot:
    """A one-shot waiter for one response on the event loop.

    Timeouts use `loop.call_later` and a sentinel rather than `asyncio.wait_for`, which on
    Python < 3.12 can swallow a cancellation that races with the result. The timer runs in
    `context` when given (see `timer_context`) rather than in a copy of the caller's.
    """

    __slots__ = ("context", "future")

    def __init__(
        self, loop: asyncio.AbstractEventLoop, context: contextvars.Context | None = None
    ) -> None:
        self.future: asyncio.Future[Any] = loop.create_future()
        self.context = context

    def put_nowait(self, item: Any) -> None:
        if not self.future.done():
            self.future.set_result(item)

    def expire(self) -> None:
        self.put_nowait(TIMED_OUT)

    async def wait(self, timeout: float | None) -> Any:
        """The item, or `TIMED_OUT` after `timeout` seconds."""
        if timeout is None:
            return await self.future
        timer = self.future.get_loop().call_later(timeout, self.expire, context=self.context)
        try:
            return await self.future
        finally:
            timer.cancel()


class AsyncQueue(HeldItems):
    """A FIFO for one event loop: cheaper than asyncio.Queue, optionally bounded (drop oldest).

    With a `budget`, what it holds counts against the client's `BufferBudget`, which may
    shed its streaming deltas (its oldest items of any kind, for the global queue) when
    the client holds too much for readers that lag; `dropped` counts them. Its timer runs
    in `context` when given (see `timer_context`).
    """

    __slots__ = ("__weakref__", "_context", "_deadline", "_loop", "_timer", "_waiter")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        maxsize: int = 0,
        name: str = "turn",
        budget: BufferBudget | None = None,
        context: contextvars.Context | None = None,
    ) -> None:
        self._loop = loop
        self._context = context
        self._waiter: asyncio.Future[None] | None = None
        #: When the waiter in `get()` times out (None: it waits without a deadline).
        self._deadline: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        super().__init__(maxsize, name, budget)

    def put_nowait(self, item: Any) -> None:
        self._items.append(item)
        budget = self._budget
        if budget is not None:
            size = note_size(item)
            self._sizes.append(size)
            budget.used += size  # no lock on one event loop (see BufferBudget)
            if budget.used > budget.limit > 0:
                budget.shed()
        if self._maxsize and len(self._items) > self._maxsize:
            self._items.popleft()
            if budget is not None:
                budget.used -= self._sizes.popleft()
            self.overflowed += 1
            log_queue_overflow(self.name, self._maxsize, self.overflowed)
        self._wake()

    def put_many(self, items: list[Any]) -> None:
        """`put_nowait` each of `items`, in order, waking the reader once."""
        budget = self._budget
        if not self._maxsize:
            self._items.extend(items)
            if budget is not None:
                sizes = [note_size(item) for item in items]
                self._sizes.extend(sizes)
                budget.used += sum(sizes)  # no lock on one event loop (see BufferBudget)
                if budget.used > budget.limit > 0:
                    budget.shed()
            self._wake()
            return
        for item in items:  # a bounded queue drops its oldest one at a time
            self.put_nowait(item)

    def _wake(self) -> None:
        """Wake the reader waiting in `get()`, if any."""
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
            if timeout is None:
                self._deadline = None
            else:
                self._arm(self._loop.time() + timeout)
            try:
                if await waiter is TIMED_OUT and not self._items:
                    return False, None
            finally:
                if self._waiter is waiter:
                    self._waiter = None
        return True, self._take()

    def _arm(self, deadline: float) -> None:
        """Make the waiter time out at `deadline`.

        One timer serves every wait: a reader that waits again and again (a turn's stream,
        between deltas) moves `_deadline` on and leaves the timer as it is; when it fires
        before the deadline it re-arms itself for it. That spares a timer handle and a
        context per wait, which, with a thousand turns waiting, is what the garbage
        collector's older generations would otherwise be full of.
        """
        self._deadline = deadline
        timer = self._timer
        if timer is None or timer.when() > deadline:
            if timer is not None:
                timer.cancel()
            self._timer = self._loop.call_at(
                deadline, self._on_timer, deadline, context=self._context
            )

    def _on_timer(self, when: float) -> None:
        self._timer = None
        waiter, deadline = self._waiter, self._deadline
        if waiter is None or deadline is None:
            return  # nobody waits with a deadline: the next wait arms a timer again
        if deadline <= when:
            self._deadline = None
            if not waiter.done():
                waiter.set_result(TIMED_OUT)
        else:
            self._timer = self._loop.call_at(
                deadline, self._on_timer, deadline, context=self._context
            )

    def disarm(self) -> None:
        """Cancel the timer a finished reader left armed (it holds the queue until it
        fires, up to the reader's timeout later)."""
        timer = self._timer
        if timer is not None:
            self._timer = None
            timer.cancel()
        self._deadline = None

    def get_nowait(self) -> tuple[bool, Any]:
        if self._items:
            return True, self._take()
        return False, None

    def take_all(self) -> deque[Any]:
        """Every item there, oldest first (empty if none), their bytes released at once: a
        stream's reader takes a batch in one call instead of one call per item."""
        items, size = self._take_all()
        if size:
            assert self._budget is not None
            self._budget.used -= size
        return items

    def put_back(self, items: deque[Any]) -> None:
        """Return what `take_all` took and nobody consumed (a stream abandoned mid-batch)."""
        size = self._put_back(items)
        if size:
            assert self._budget is not None
            self._budget.used += size
        if items:
            self._wake()

    def _take(self) -> Any:
        budget = self._budget
        if budget is not None:
            budget.used -= self._sizes.popleft()
        return self._items.popleft()

    def shed(self, target: int) -> int:
        """Drop droppable items, oldest first, until `target` bytes are freed."""
        freed = self._shed_items(target)
        if freed:
            assert self._budget is not None
            self._budget.release(freed)
        return freed


class AsyncGlobalQueue(Packing, AsyncQueue):
    """The global queue: an `AsyncQueue` that holds its notifications packed (see
    `_protocol/packed.py`: most are never read, and a process keeps thousands)."""

    __slots__ = ()


def timer_context() -> contextvars.Context:
    """An empty context for one event loop's timeout timers.

    A timer made without one copies the caller's context: an object per request, and with
    a thousand turns waiting, one more for the garbage collector to walk each time. The
    timers here only set a future's result (whose waiters run in their own contexts), so
    they need none. One per client, not per process: a context cannot be entered by two
    threads at once, and two clients may run on two loops in two threads.
    """
    return contextvars.Context()
