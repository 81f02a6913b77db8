"""Queues the sync driver hands to the router as sinks (thread-safe)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._logging import log_queue_overflow
from .._protocol.budget import BufferBudget, note_size
from .._protocol.held import HeldItems
from .._protocol.packed import Packing

if TYPE_CHECKING:
    from .read_gate import ReadGate


class Slot:
    """A one-shot waiter for one response (thread-safe). With a `gate`, the waiting thread
    reads the connection itself while nobody else does (see `ReadGate`)."""

    __slots__ = ("_asleep", "_event", "_gate", "_item")

    def __init__(self, gate: ReadGate | None = None) -> None:
        self._event = threading.Event()
        self._item: Any = None
        self._gate = gate
        self._asleep = 0  # waiters asleep for a reader (see ReadGate.woke)

    def put_nowait(self, item: Any) -> None:
        if not self._event.is_set():
            self._item = item
            self._event.set()
            if self._gate is not None:
                self._gate.delivered(self)

    def _sleep(self, timeout: float | None) -> None:
        self._event.wait(timeout)

    def _ready(self) -> bool:
        return self._event.is_set()

    def get(self, timeout: float | None) -> tuple[bool, Any]:
        """(True, item) when delivered, (False, None) on timeout."""
        gate = self._gate
        if gate is not None:
            event = self._event
            deadline = None if timeout is None else time.monotonic() + timeout
            while not event.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    return False, None
                gate.step(self, deadline)
            return True, self._item
        if self._event.wait(timeout):
            return True, self._item
        return False, None


class Queue(HeldItems):
    """A FIFO that drops its oldest item past `maxsize` and counts what it dropped.

    The global queue (`name="global"`, any notification may be shed when the budget is
    full) and every turn's queue (`maxsize=0`, only streaming deltas may be shed). With a
    `budget`, what it holds counts against the client's `BufferBudget`; `dropped` counts
    what the budget shed. With a `gate`, a waiting thread reads the connection itself while
    nobody else does (see `ReadGate`). The blocking twin of `AsyncQueue`.
    """

    def __init__(
        self,
        maxsize: int = 0,
        name: str = "global",
        budget: BufferBudget | None = None,
        gate: ReadGate | None = None,
    ) -> None:
        # `with self._lock` where nothing waits: a plain lock's enter and exit are C code, so
        # a Ctrl-C cannot land between taking and releasing it (a Condition's are Python).
        self._lock = threading.Lock()  # first: the budget may shed
        self._cond = threading.Condition(self._lock)
        self._gate = gate
        self._asleep = 0  # waiters asleep for a reader (see ReadGate.woke)
        super().__init__(maxsize, name, budget)

    def put_nowait(self, item: Any) -> None:
        self.put_many((item,))

    put = put_nowait

    def put_many(self, items: Sequence[Any]) -> None:
        """`put_nowait` each of `items`, in order, under one lock and with one wake-up."""
        budget = self._budget
        sizes = [note_size(item) for item in items] if budget is not None else []
        size = sum(sizes)
        with self._lock:
            self._items.extend(items)
            if budget is not None:
                self._sizes.extend(sizes)
            while self._maxsize and len(self._items) > self._maxsize:
                self._items.popleft()
                self.overflowed += 1
                if budget is not None:
                    size -= self._sizes.popleft()
                log_queue_overflow(self.name, self._maxsize, self.overflowed)
            self._cond.notify(len(items))
        if self._gate is not None:
            self._gate.delivered(self)
        if budget is not None and budget.charge(size):
            budget.shed()

    def _take(self) -> Any:
        if self._budget is not None:  # the size estimated when it was queued
            self._budget.release(self._sizes.popleft())
        return self._items.popleft()

    def take_all(self) -> deque[Any]:
        """Every item there, oldest first (empty if none), under one lock acquisition and
        with one budget release: a stream's reader takes a batch at a time."""
        with self._lock:
            items, size = self._take_all()
        if size:
            assert self._budget is not None
            self._budget.release(size)
        return items

    def put_back(self, items: deque[Any]) -> None:
        """Return what `take_all` took and nobody consumed (a stream abandoned mid-batch)."""
        with self._lock:
            size = self._put_back(items)
            self._cond.notify()
        if self._gate is not None:
            self._gate.delivered(self)
        if size:
            assert self._budget is not None
            self._budget.charge(size)

    def get(self, timeout: float | None = None) -> tuple[bool, Any]:
        """(True, item), or (False, None) after `timeout` seconds with nothing."""
        if self._gate is not None:
            return self._gated_get(self._gate, timeout)
        with self._lock:
            if timeout is None:
                while not self._items:
                    self._cond.wait()
            else:
                deadline = time.monotonic() + timeout
                while not self._items:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        return False, None
                    self._cond.wait(remaining)
            return True, self._take()

    def _gated_get(self, gate: ReadGate, timeout: float | None) -> tuple[bool, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        lock = self._lock
        while True:
            with lock:
                if self._items:
                    return True, self._take()
            if deadline is not None and time.monotonic() >= deadline:
                return False, None
            gate.step(self, deadline)

    def _sleep(self, timeout: float | None) -> None:
        with self._lock:
            if not self._items:
                self._cond.wait(timeout)

    def _ready(self) -> bool:
        return bool(self._items)

    def disarm(self) -> None:
        """Nothing to cancel: a blocking wait times itself (see `AsyncQueue.disarm`)."""

    @property
    def held_bytes(self) -> int:
        """The estimated bytes this queue holds (readers take items from other threads)."""
        with self._lock:
            return sum(self._sizes)

    def shed(self, target: int) -> int:
        """Drop droppable items, oldest first, until `target` bytes are freed."""
        with self._lock:
            freed = self._shed_items(target)
        if freed and self._budget is not None:
            self._budget.release(freed)
        return freed

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def get_nowait(self) -> tuple[bool, Any]:
        with self._lock:
            if self._items:
                return True, self._take()
            return False, None


class GlobalQueue(Packing, Queue):
    """The global queue: a `Queue` that holds its notifications packed (see
    `_protocol/packed.py`: most are never read, and a process keeps thousands)."""

    __slots__ = ()
