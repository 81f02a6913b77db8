"""Keyed subscriptions: the router's rules for notifications keyed by a value in their params.

The way turns are routed by turn id: `subscribe_key("account/login/completed",
("loginId",), login_id, sink)` sends that login's completion to `sink`;
`command/exec/outputDelta` is keyed by `processId`. A keyed subscription is checked before
the turn rules and takes the notification, unless it is a `tee` (an observer: the
notification is routed as usual too). `once` drops it after one delivery.
`retain_key(method, path)` keeps recent unclaimed keyed notifications of `method`
(bounded) so that a subscriber that learns its key from a response still gets a
notification that raced ahead of it. `KeyedRoutes` is a part of `MessageRouter`.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Protocol

from .notifications import Notification, dig

#: Unclaimed keyed notifications retained for a late subscriber, at most (oldest dropped).
MAX_RETAINED_KEYED = 64

#: A key path into a notification's raw params, e.g. ``("loginId",)``.
KeyPath = tuple[str, ...]


class Sink(Protocol):
    """Where the driver wants items delivered (queue.SimpleQueue, asyncio.Queue, a waiter)."""

    def put_nowait(self, item: Any, /) -> None: ...


Delivery = tuple[Sink, Any]


class _KeyedSubscription:
    __slots__ = ("once", "sink", "tee")  # a plain class: a dataclass costs the import ~0.4 ms

    def __init__(self, sink: Sink, once: bool, tee: bool) -> None:
        self.sink = sink
        self.once = once
        self.tee = tee


class KeyedRoutes:
    """The keyed-subscription state and rules of `MessageRouter` (a part of it)."""

    def _init_keyed(self) -> None:
        # method -> key path -> key value -> subscription (methods with none are absent)
        self._keyed: dict[str, dict[KeyPath, dict[str, _KeyedSubscription]]] = {}
        # method -> key paths whose unclaimed notifications are retained
        self._retain: dict[str, set[KeyPath]] = {}
        self._retained: deque[Notification] = deque(maxlen=MAX_RETAINED_KEYED)

    def subscribe_key(
        self,
        method: str,
        path: KeyPath,
        value: str,
        sink: Sink,
        *,
        once: bool = False,
        tee: bool = False,
    ) -> list[Notification]:
        """Route `method` notifications whose params at `path` equal `value` to `sink`.

        Returns the retained notifications that match (see `retain_key`), oldest first, for
        the driver to deliver before anything else. With `once`, the subscription ends after
        one delivery (a retained match counts). With `tee`, the notification is also routed
        as if there were no subscription. One subscription per (method, path, value):
        `ValueError` if it is taken.
        """
        by_path = self._keyed.get(method, {})
        if value in by_path.get(path, {}):
            raise ValueError(f"{method} {'.'.join(path)}={value!r} already has a subscriber")
        replay: list[Notification] = []
        for note in list(self._retained):
            if note.method == method and dig(note.params, path) == value:
                self._retained.remove(note)
                replay.append(note)
                if once:
                    return replay
        self._keyed.setdefault(method, {}).setdefault(path, {})[value] = _KeyedSubscription(
            sink, once, tee
        )
        return replay

    def unsubscribe_key(self, method: str, path: KeyPath, value: str) -> bool:
        """End a keyed subscription. True if there was one."""
        by_path = self._keyed.get(method)
        if by_path is None or by_path.get(path, {}).pop(value, None) is None:
            return False
        if not by_path[path]:
            del by_path[path]
            if not by_path:
                del self._keyed[method]
        return True

    def retain_key(self, method: str, path: KeyPath) -> None:
        """From now on, retain unclaimed `method` notifications that have a key at `path`."""
        self._retain.setdefault(method, set()).add(path)

    @property
    def keyed_subscriptions(self) -> int:
        return sum(len(v) for by_path in self._keyed.values() for v in by_path.values())

    @property
    def retained_count(self) -> int:
        return len(self._retained)

    def _route_keyed(self, note: Notification) -> tuple[list[Delivery], bool]:
        """The keyed deliveries of `note`, and whether it is still to be routed as usual."""
        by_path = self._keyed.get(note.method)
        if by_path is not None:
            for path, subscriptions in by_path.items():
                value = dig(note.params, path)
                if value is None:
                    continue
                subscription = subscriptions.get(value)
                if subscription is None:
                    continue
                if subscription.once:
                    self.unsubscribe_key(note.method, path, value)
                return [(subscription.sink, note)], subscription.tee
        paths = self._retain.get(note.method)
        if paths and any(dig(note.params, path) is not None for path in paths):
            self._retained.append(note)
        return [], True

    def _fail_keyed(self, error: BaseException) -> list[Delivery]:
        """End every keyed subscription, each told `error`; drop what is retained."""
        deliveries: list[Delivery] = [
            (subscription.sink, error)
            for by_path in self._keyed.values()
            for subscriptions in by_path.values()
            for subscription in subscriptions.values()
        ]
        self._keyed.clear()
        self._retained.clear()
        return deliveries
