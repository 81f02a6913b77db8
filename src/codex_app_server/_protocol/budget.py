"""`BufferBudget`: one byte budget for everything a client holds for readers that lag.

Every turn queue and the global queue of one client charge the estimated size of each
notification they hold, and release it when it is read. When the total passes the budget,
the queue holding the most is shed until the total is back under 90% of the budget:

* from a turn queue, the oldest **streaming deltas** (`item/agentMessage/delta`,
  `item/commandExecution/outputDelta`, ...: methods ending in ``Delta`` or ``/delta``)
  are dropped. Everything else (`item/completed`, `turn/completed`, errors, approvals'
  context) is kept, so `run()`'s result stays exact: only the live stream has a gap;
* from the global queue, its oldest notifications.

A live reader's queue is small, so the shedding falls on the turns nobody reads. What was
dropped is counted on each queue (`dropped`) and logged (rate-limited). Sizes are
estimates of the memory held (objects included), not of the wire bytes.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol
from weakref import WeakSet

#: Estimated cost of one notification object (Notification, params dict, id strings).
NOTE_OVERHEAD = 560
#: The same for a packed one (`packed.py`: a tuple and its id strings) besides its JSON.
PACKED_OVERHEAD = 280


def is_droppable(method: str) -> bool:
    """True for the streaming deltas a lagging turn queue may shed."""
    return method.endswith(("Delta", "/delta"))


def shed_oldest(
    items: deque[Any], sizes: deque[int], target: int, drop_any: bool
) -> tuple[deque[Any], deque[int], int, int]:
    """Drop droppable items of a queue (`sizes`: each item's `note_size`, in step), oldest
    first, until `target` bytes are freed: any notification with `drop_any`, else only
    streaming deltas. Returns (kept items, their sizes, bytes freed, items dropped)."""
    freed = dropped = 0
    kept: deque[Any] = deque()
    kept_sizes: deque[int] = deque()
    while items and freed < target:
        item = items.popleft()
        size = sizes.popleft()
        method = item[0] if item.__class__ is tuple else getattr(item, "method", None)
        if method is not None and (drop_any or is_droppable(method)):
            freed += size
            dropped += 1
        else:
            kept.append(item)
            kept_sizes.append(size)
    kept.extend(items)
    kept_sizes.extend(sizes)
    return kept, kept_sizes, freed, dropped


def _value_size(value: Any) -> int:
    kind = value.__class__
    if kind is str:
        return 49 + len(value)
    if kind is dict:
        return 64 + sum(40 + _value_size(v) for v in value.values())
    if kind is list:
        return 56 + sum(8 + _value_size(v) for v in value)
    return 32


def note_size(item: Any) -> int:
    """The estimated memory one queued item holds (0 for errors and other markers)."""
    if item.__class__ is tuple:  # a packed notification (`packed.py`)
        return PACKED_OVERHEAD + len(item[1])
    params = getattr(item, "params", None)
    if params is None:
        return 0
    delta = params.get("delta")
    if delta.__class__ is str and len(params) <= 6:  # the hot path: a streamed delta
        return NOTE_OVERHEAD + len(delta)
    return NOTE_OVERHEAD + _value_size(params)


class Shedder(Protocol):
    """A queue the budget can shed from."""

    @property
    def held_bytes(self) -> int:
        """The estimated bytes the queue holds."""
        ...

    def shed(self, target: int) -> int:
        """Drop droppable items, oldest first, until `target` bytes are freed; the bytes freed."""
        ...


class BufferBudget:
    """The byte budget shared by one client's queues.

    `lock` guards the counters (the sync driver passes a `threading.Lock`: readers release
    from their own threads). Only the connection's reader charges and sheds. Without a
    lock (the async driver: one event loop), `AsyncQueue` adds to and takes from `used`
    itself, sparing two calls per notification on the hot path.
    """

    def __init__(
        self,
        limit: int,
        warn: Callable[..., None] | None = None,
        *,
        lock: AbstractContextManager[Any] | None = None,
    ) -> None:
        self.limit = limit
        self.used = 0
        #: Notifications shed because the budget was full, in all.
        self.dropped = 0
        self._warn = warn
        self._lock: AbstractContextManager[Any] = (
            lock if lock is not None else contextlib.nullcontext()
        )
        self._shedding = False
        self._queues: WeakSet[Any] = WeakSet()

    def register(self, queue: Shedder) -> None:
        with self._lock:
            self._queues.add(queue)

    def charge(self, size: int) -> bool:
        """Count `size` more bytes held; True if the budget is now over its limit."""
        with self._lock:
            self.used += size
            return self.limit > 0 and self.used > self.limit

    def release(self, size: int) -> None:
        with self._lock:
            self.used -= size

    def shed(self) -> None:
        """Bring the total under 90% of the limit, shedding the largest queues first."""
        if self._shedding:
            return
        self._shedding = True
        try:
            target = self.limit * 9 // 10
            tried: set[int] = set()
            while self.used > target:
                with self._lock:
                    candidates = [q for q in self._queues if id(q) not in tried]
                if not candidates:
                    return
                victim = max(candidates, key=lambda q: q.held_bytes)
                tried.add(id(victim))
                before = getattr(victim, "dropped", 0)
                freed = victim.shed(self.used - target)
                dropped = getattr(victim, "dropped", 0) - before
                if freed:
                    self.dropped += dropped
                    if self._warn is not None:
                        self._warn(
                            "buffer budget",
                            "the buffer budget (%d bytes) is full: dropped %d streaming "
                            "notifications (%d bytes) of %s, which nobody is reading "
                            "(%d dropped so far)",
                            self.limit,
                            dropped,
                            freed,
                            getattr(victim, "name", "a queue"),
                            self.dropped,
                        )
        finally:
            self._shedding = False
