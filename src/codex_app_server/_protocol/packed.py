"""Notifications held packed while a queue keeps them for a reader that may never come.

The global queue keeps up to `global_queue_size` (10,000) notifications that belong to no
turn, for `next_notification()`, and most programs never read it: a `thread/started`
per thread, two `thread/status/changed` and more per turn. As a `Notification`, each is a
tree of dicts and lists (a `thread/started` holds about 2.4 KB of them) that the garbage
collector walks at every collection of the oldest generation, for as long as the process
runs. Packed, it is one tuple `(method, params as JSON bytes, turn id, thread id)`: a
tuple of strings and bytes, which the collector stops tracking at its first pass, holding
less than half the memory. Packing costs one encode when queued and one decode when read,
a few microseconds each, and only these queues pay it: a turn's deltas never go there.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from .notifications import Notification
from .wire import decode, encode_value


def pack(item: Any) -> Any:
    """`item` packed if it is a `Notification` whose params JSON can hold; else `item`."""
    if item.__class__ is not Notification:
        return item
    try:
        body = encode_value(item.params)
    except (TypeError, ValueError):  # not from the wire (a test, a replay): keep it whole
        return item
    return (item.method, body, item.turn_id, item.thread_id)


def unpack(item: Any) -> Any:
    """What `pack` made back into a `Notification` (equal to the one packed)."""
    if item.__class__ is not tuple:
        return item
    method, body, turn_id, thread_id = item
    return Notification(method, decode(body), turn_id, thread_id)


class Packing:
    """Put before a queue class in the bases (`class G(Packing, Queue)`): what is queued
    is held packed, what is taken is unpacked. Both drivers' global queues."""

    __slots__ = ()

    def put_nowait(self, item: Any) -> None:
        super().put_nowait(pack(item))  # type: ignore[misc]

    def put_many(self, items: Sequence[Any]) -> None:
        super().put_many([pack(item) for item in items])  # type: ignore[misc]

    def _take(self) -> Any:
        return unpack(super()._take())  # type: ignore[misc]

    def take_all(self) -> deque[Any]:
        return deque(unpack(item) for item in super().take_all())  # type: ignore[misc]

    def put_back(self, items: deque[Any]) -> None:
        super().put_back(deque(pack(item) for item in items))  # type: ignore[misc]
