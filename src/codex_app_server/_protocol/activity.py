"""What pauses a turn's inactivity timer (sans-IO).

`turn_inactivity_timeout` detects a turn that went silent because the model or the server
stalled. Two silences are not that, and do not count:

* a server request of the turn waiting on the client (an approval the user is still
  deciding, a tool call running in the client): the client is the one working;
* a command or tool the server is running for the turn (an `item/started` of one of
  `RUNNING_ITEM_TYPES` with no `item/completed` yet): a silent build is not a stalled
  turn. Bound such commands with the runtime's own command timeout instead.

The timer restarts, with its full length, at each notification and when the last such
wait ends.
"""

from __future__ import annotations

from .notifications import Notification

#: Item types whose run is the server working, not the turn being silent.
RUNNING_ITEM_TYPES = frozenset(
    {"commandExecution", "mcpToolCall", "dynamicToolCall", "collabAgentToolCall", "webSearch"}
)


class RunningItems:
    """The command/tool items of one turn that have started and not completed."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: set[str] | None = None  # made by the first one that starts

    def feed(self, note: Notification) -> None:
        method = note.method
        if method != "item/started" and method != "item/completed":
            return
        item = note.params.get("item")
        if not isinstance(item, dict) or item.get("type") not in RUNNING_ITEM_TYPES:
            return
        item_id = str(item.get("id"))
        if method == "item/started":
            if self._ids is None:
                self._ids = set()
            self._ids.add(item_id)
        elif self._ids is not None:
            self._ids.discard(item_id)

    def __bool__(self) -> bool:
        return bool(self._ids)
