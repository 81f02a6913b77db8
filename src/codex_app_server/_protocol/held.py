"""`HeldItems`: what a queue holds for a reader that lags, counted against the byte budget.

The state and the bookkeeping both sinks share (`_sync/queues.Queue`,
`_async/queues.AsyncQueue`): the items, the drop-oldest bound, the bytes held and what was
shed. How a reader waits for an item (a condition, a future) is theirs.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .budget import BufferBudget, note_size, shed_oldest


class HeldItems:
    """A FIFO's items and their accounting (no waiting here; the queue guards the calls)."""

    __slots__ = (
        "_budget",
        "_drop_any",
        "_items",
        "_maxsize",
        "dropped",
        "held_bytes",
        "name",
        "overflowed",
    )

    def __init__(self, maxsize: int, name: str, budget: BufferBudget | None) -> None:
        self._items: deque[Any] = deque()
        self._maxsize = maxsize
        self.name = name
        self.overflowed = 0
        self.dropped = 0
        self.held_bytes = 0
        self._budget = budget
        # The global queue may shed any notification; a turn's queue only streaming deltas.
        self._drop_any = name == "global"
        if budget is not None:
            budget.register(self)

    def shed(self, target: int) -> int:
        raise NotImplementedError

    def _shed_items(self, target: int) -> int:
        """Drop droppable items until `target` bytes are freed; the bytes freed (the
        caller releases them from the budget)."""
        self._items, freed, dropped = shed_oldest(self._items, target, self._drop_any)
        self.dropped += dropped
        self.held_bytes -= freed
        return freed

    def _forget(self, item: Any) -> None:
        """`item` left the queue: its bytes are no longer held."""
        if self._budget is not None:
            size = note_size(item)
            self.held_bytes -= size
            self._budget.release(size)

    def __len__(self) -> int:
        return len(self._items)
