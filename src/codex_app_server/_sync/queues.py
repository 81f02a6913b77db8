"""Queues the sync driver hands to the router as sinks (thread-safe)."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from .._logging import log_queue_overflow


class Slot:
    """A one-shot waiter for one response (thread-safe)."""

    __slots__ = ("_event", "_item")

    def __init__(self) -> None:
        self._event = threading.Event()
        self._item: Any = None

    def put_nowait(self, item: Any) -> None:
        if not self._event.is_set():
            self._item = item
            self._event.set()

    def get(self, timeout: float | None) -> tuple[bool, Any]:
        """(True, item) when delivered, (False, None) on timeout."""
        if self._event.wait(timeout):
            return True, self._item
        return False, None


class Queue:
    """A thread-safe FIFO, optionally bounded: past `maxsize` (0: unbounded) it drops its
    oldest item and counts what it dropped. The blocking twin of `AsyncQueue`."""

    def __init__(self, maxsize: int = 0, name: str = "global") -> None:
        self._items: deque[Any] = deque()
        self._maxsize = maxsize
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self.overflowed = 0

    def put_nowait(self, item: Any) -> None:
        with self._cond:
            self._items.append(item)
            if self._maxsize and len(self._items) > self._maxsize:
                self._items.popleft()
                self.overflowed += 1
                log_queue_overflow(self._name, self._maxsize, self.overflowed)
            self._cond.notify()

    def get(self, timeout: float | None = None) -> tuple[bool, Any]:
        """(True, item), or (False, None) after `timeout` seconds with nothing."""
        with self._cond:
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
            return True, self._items.popleft()

    def get_nowait(self) -> tuple[bool, Any]:
        with self._cond:
            if self._items:
                return True, self._items.popleft()
            return False, None

    def __len__(self) -> int:
        return len(self._items)
