"""`HeldItems`: what a queue holds for a reader that lags, counted against the byte budget.

The state and the bookkeeping both sinks share (`_sync/queues.Queue`,
`_async/queues.AsyncQueue`): the items, the drop-oldest bound, the bytes held and what was
shed. How a reader waits for an item (a condition, a future) is theirs.

With a budget, each item's estimated size (`note_size`) is computed once, when it is
queued, and kept beside it in `_sizes` (in step with `_items`): taking the item releases
that same number without estimating it again. What one queue holds (`held_bytes`) is
summed only when the budget sheds, which is rare, rather than kept per item.
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
        "_sizes",
        "dropped",
        "name",
        "overflowed",
    )

    def __init__(self, maxsize: int, name: str, budget: BufferBudget | None) -> None:
        self._items: deque[Any] = deque()
        self._maxsize = maxsize
        self.name = name
        self.overflowed = 0
        self.dropped = 0
        #: Each held item's size, in step with `_items` (only with a budget).
        self._sizes: deque[int] = deque()
        self._budget = budget
        # The global queue may shed any notification; a turn's queue only streaming deltas.
        self._drop_any = name == "global"
        if budget is not None:
            budget.register(self)

    def shed(self, target: int) -> int:
        raise NotImplementedError

    @property
    def held_bytes(self) -> int:
        """The estimated bytes this queue holds (0 without a budget)."""
        return sum(self._sizes)

    def _shed_items(self, target: int) -> int:
        """Drop droppable items until `target` bytes are freed; the bytes freed (the
        caller releases them from the budget)."""
        self._items, self._sizes, freed, dropped = shed_oldest(
            self._items, self._sizes, target, self._drop_any
        )
        self.dropped += dropped
        return freed

    def _take_all(self) -> tuple[deque[Any], int]:
        """Every held item, oldest first, and their bytes (the caller guards and releases)."""
        items = self._items
        if not items:
            return deque(), 0
        self._items = deque()
        size = sum(self._sizes)
        self._sizes = deque()
        return items, size

    def _put_back(self, items: deque[Any]) -> int:
        """Put `items` (taken, not consumed) back in front, in order; their bytes (the
        caller guards and charges)."""
        self._items.extendleft(reversed(items))
        if self._budget is None:
            return 0
        sizes = [note_size(item) for item in items]
        self._sizes.extendleft(reversed(sizes))
        return sum(sizes)

    def __len__(self) -> int:
        return len(self._items)
