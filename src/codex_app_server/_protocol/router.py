"""The message router: one sans-IO core that says where every incoming message goes.

The app-server connection is one ordered stream. One reader per connection parses each
line and hands the dict to `MessageRouter.route`, which answers with deliveries:
`(sink, item)` pairs. A sink is whatever the driver registered (a one-slot waiter for a
request, a queue for a turn, the global queue, the server-request dispatcher); the router
never calls it, never blocks and never does I/O, so the sync driver (a reader thread) and
the async driver (a reader task) share it, and it is tested exhaustively on its own.

Routing rules:

* a response goes to the waiter registered for its id; an error becomes the mapped
  `JsonRpcError`. A response to an unknown id is dropped (`Dropped`).
* a turn-starting request (`turn/start`, `review/start`, `thread/queue/start`) may carry a
  turn sink: when its response names the turn, the sink is subscribed to that turn in the
  same step, so nothing that follows can be missed, and notifications that raced ahead of
  the response are replayed.
* a notification with a turn id goes to that turn's sink; with no subscriber yet it is
  buffered and replayed on subscription; `turn/completed` of a turn nobody subscribed to
  frees its buffer. A subscribed turn is detached when its `turn/completed` is delivered;
  later notifications for it go to the global sink.
* a notification with no turn goes to the global sink.
* a request from the server goes to the server-request sink.

Keyed subscriptions (notifications routed by a key in their params, checked before the
turn rules) are the router's `KeyedRoutes` part, in `keyed.py`.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from typing import Any

from .._constants import DEFAULT_FINISHED_TURN_RETENTION
from ..generated.methods import TURN_COMPLETED, TURN_STARTING_METHODS
from .errors import MessageTooLargeError, map_jsonrpc_error
from .keyed import MAX_RETAINED_KEYED, Delivery, KeyedRoutes, KeyPath, Sink
from .notifications import Notification, ServerRequest, dig
from .wire import oversized_target

__all__ = [
    "MAX_BUFFERED_NOTIFICATIONS",
    "MAX_RETAINED_KEYED",
    "MAX_UNCLAIMED_TURNS",
    "Delivery",
    "Dropped",
    "KeyPath",
    "MessageRouter",
    "NullIdError",
    "OversizedRequest",
    "Sink",
]

#: Turns with buffered notifications and no subscriber, kept at most (oldest dropped).
MAX_UNCLAIMED_TURNS = 1024
#: Notifications buffered for unclaimed turns, in all, at most (the oldest are dropped).
MAX_BUFFERED_NOTIFICATIONS = 10_000


# Plain slotted classes, not dataclasses: each dataclass costs a cold import ~0.4 ms (its
# methods are compiled from source), and these are internal records.


class Dropped:
    """A message that goes nowhere, and why (the driver logs it)."""

    __slots__ = ("message", "reason")

    def __init__(self, reason: str, message: Any) -> None:
        self.reason = reason
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r})"


class NullIdError(Dropped):
    """An error response with `id: null` that could not be matched to a request (log loudly)."""

    __slots__ = ()


class OversizedRequest(Dropped):
    """A server request too large to read: the driver answers `request_id` with `error`."""

    __slots__ = ("error", "request_id")

    def __init__(
        self, reason: str, message: Any, request_id: Any = None, error: BaseException | None = None
    ) -> None:
        super().__init__(reason, message)
        self.request_id = request_id
        self.error = error


class _Pending:
    __slots__ = ("method", "sink", "turn_sink")

    def __init__(self, method: str, sink: Sink, turn_sink: Sink | None) -> None:
        self.method = method
        self.sink = sink
        self.turn_sink = turn_sink


class MessageRouter(KeyedRoutes):
    """Sans-IO routing state for one connection. Not thread-safe: drivers serialize calls."""

    def __init__(
        self,
        global_sink: Sink,
        server_request_sink: Sink,
        *,
        finished_retention: int = DEFAULT_FINISHED_TURN_RETENTION,
    ) -> None:
        self.global_sink = global_sink
        self.server_request_sink = server_request_sink
        self._finished_retention = finished_retention
        self._next_id = 0
        self._pending: dict[int | str, _Pending] = {}
        self._turns: dict[str, Sink] = {}
        self._buffers: OrderedDict[str, deque[Notification]] = OrderedDict()
        self._finished: OrderedDict[str, Sink | None] = OrderedDict()
        # Turn-starting requests in flight: while any is, a completed turn's buffer is held,
        # because its response (which claims the turn) may still be on its way.
        self._claims_in_flight = 0
        self._held_completed: list[str] = []
        self.dropped_buffers = 0
        self._buffered_total = 0
        #: Notifications of unclaimed turns dropped because the buffers were full.
        self.dropped_buffered = 0
        self._init_keyed()

    # -- requests ---------------------------------------------------------------------

    def new_request(
        self, method: str, params: Any, sink: Sink, *, turn_sink: Sink | None = None
    ) -> dict[str, Any]:
        """Register a waiter and return the request message to write."""
        self._next_id += 1
        request_id = self._next_id
        self._pending[request_id] = _Pending(method, sink, turn_sink)
        if turn_sink is not None:
            self._claims_in_flight += 1
        message: dict[str, Any] = {"id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        return message

    def discard_request(self, request_id: int | str) -> bool:
        """Forget a waiter (timeout, cancellation, failed write). True if it was pending."""
        pending = self._pending.pop(request_id, None)
        if pending is None:
            return False
        self._claim_settled(pending)
        return True

    def redirect_request(self, request_id: int | str, sink: Sink) -> bool:
        """Deliver a pending request's response to `sink` instead (its caller gave up but
        the response still matters, e.g. to interrupt a turn being started)."""
        pending = self._pending.get(request_id)
        if pending is None:
            return False
        pending.sink = sink
        return True

    def _claim_settled(self, pending: _Pending) -> None:
        if pending.turn_sink is None:
            return
        self._claims_in_flight -= 1
        if self._claims_in_flight == 0 and self._held_completed:
            for turn_id in self._held_completed:
                self._pop_buffer(turn_id)
            self._held_completed.clear()

    def _pop_pending(self, request_id: int | str) -> _Pending | None:
        pending = self._pending.pop(request_id, None)
        if pending is None and isinstance(request_id, str) and request_id.isdigit():
            pending = self._pending.pop(int(request_id), None)
        return pending

    @property
    def pending_count(self) -> int:
        return len(self._pending)

    # -- turns ------------------------------------------------------------------------

    def subscribe_turn(self, turn_id: str, sink: Sink) -> list[Notification]:
        """Route `turn_id` to `sink`; return what was buffered, for the driver to replay first."""
        self._turns[turn_id] = sink
        buffered = self._pop_buffer(turn_id)
        return list(buffered) if buffered else []

    def unsubscribe_turn(self, turn_id: str) -> None:
        """Stop routing `turn_id`; later notifications for it go to the global sink."""
        if self._turns.pop(turn_id, None) is not None:
            self._remember_finished(turn_id, None)

    def turn_sink(self, turn_id: str) -> Sink | None:
        """The sink of a subscribed turn, or of a finished one still retained.

        (Compared with None, never by truth: an empty queue defining `__len__` is falsy.)
        """
        sink = self._turns.get(turn_id)
        if sink is None:
            sink = self._finished.get(turn_id)
        return sink

    def knows_turn(self, turn_id: str) -> bool:
        """True if `turn_id` is subscribed, buffered, or finished and still retained.

        False for a turn that finished so long ago that it went out of retention, one whose
        events were read to the end or released, or one this connection never saw:
        subscribing to it would wait for events that are over.
        """
        return (
            turn_id in self._turns
            or turn_id in self._buffers
            or self._finished.get(turn_id) is not None
        )

    def turn_consumed(self, turn_id: str) -> None:
        """A reader got `turn_id`'s `turn/completed`: its queue holds nothing more to read,
        so a later reader is told the turn is over (`knows_turn` False) instead of waiting."""
        if self._finished.get(turn_id) is not None:
            self._finished[turn_id] = None

    @property
    def subscribed_turns(self) -> int:
        return len(self._turns)

    @property
    def buffered_turns(self) -> int:
        return len(self._buffers)

    @property
    def buffered_notifications(self) -> int:
        return self._buffered_total

    def _pop_buffer(self, turn_id: str) -> deque[Notification] | None:
        buffer = self._buffers.pop(turn_id, None)
        if buffer is not None:
            self._buffered_total -= len(buffer)
        return buffer

    def _buffer(self, turn_id: str, note: Notification) -> None:
        buffer = self._buffers.get(turn_id)
        if buffer is None:
            buffer = self._buffers[turn_id] = deque()
            if len(self._buffers) > MAX_UNCLAIMED_TURNS:
                self._pop_buffer(next(iter(self._buffers)))
                self.dropped_buffers += 1
        buffer.append(note)
        self._buffered_total += 1
        if self._buffered_total > MAX_BUFFERED_NOTIFICATIONS:
            # Shed the oldest notification of the oldest turn: a flood for a turn nobody
            # claims must not grow memory without bound.
            oldest_id, oldest = next(iter(self._buffers.items()))
            oldest.popleft()
            self._buffered_total -= 1
            self.dropped_buffered += 1
            if not oldest:
                del self._buffers[oldest_id]

    # -- routing ----------------------------------------------------------------------

    def route(self, message: Any) -> list[Delivery] | Dropped:
        """Say where one parsed message goes."""
        if not isinstance(message, dict):
            return Dropped("not a JSON object", message)
        method = message.get("method")
        if method is None:
            if "id" in message and ("result" in message or "error" in message):
                return self._route_response(message)
            return Dropped("neither a request, a response nor a notification", message)
        if not isinstance(method, str):
            return Dropped("method is not a string", message)
        if "id" in message and message["id"] is not None:
            params = message.get("params")
            request = ServerRequest(
                message["id"], method, params if isinstance(params, dict) else {}
            )
            return [(self.server_request_sink, request)]
        note = Notification.from_wire(method, message.get("params"))
        if method in self._keyed or method in self._retain:
            return self._route_notification(note)
        return self._route_by_turn(note)  # the hot path: a turn's deltas

    def _route_response(self, message: dict[str, Any]) -> list[Delivery] | Dropped:
        request_id = message["id"]
        if request_id is None and "error" in message:
            return self._route_null_id_error(message)
        if not isinstance(request_id, (int, str)) or isinstance(request_id, bool):
            # We only send integer ids; anything else (a list would not even hash) is noise.
            return Dropped(f"response to unknown request id {request_id!r}", message)
        pending = self._pop_pending(request_id)
        if pending is None:
            return Dropped(f"response to unknown request id {request_id!r}", message)
        if "error" in message:
            self._claim_settled(pending)
            return [(pending.sink, map_jsonrpc_error(message["error"]))]
        result = message.get("result")
        deliveries: list[Delivery] = [(pending.sink, result)]
        if pending.turn_sink is not None and pending.method in TURN_STARTING_METHODS:
            turn_id = dig(result, ("turn", "id"))
            if turn_id is not None and turn_id in self._turns:
                # The server folded this input into a turn already running on the thread
                # (it answers with that turn's id): keep its one subscription. Replacing it
                # would leave the first reader waiting forever; a second concurrent reader
                # of the same turn gets a clear error from the client instead.
                turn_id = None
            if turn_id is not None:
                if turn_id in self._held_completed:
                    self._held_completed.remove(turn_id)
                    self._finished.pop(turn_id, None)
                for buffered in self.subscribe_turn(turn_id, pending.turn_sink):
                    deliveries.append((pending.turn_sink, buffered))
                    if buffered.method == TURN_COMPLETED:
                        self._detach(turn_id)
        self._claim_settled(pending)
        return deliveries

    def _route_null_id_error(self, message: dict[str, Any]) -> list[Delivery] | Dropped:
        # JSON-RPC: `"id": null` when the server could not read the request's id. With one
        # request in flight it can only be that one: fail it now rather than at its timeout.
        # With several, nobody can tell which: the driver logs it loudly (`NullIdError`).
        if len(self._pending) == 1:
            request_id = next(iter(self._pending))
            pending = self._pending.pop(request_id)
            self._claim_settled(pending)
            return [(pending.sink, map_jsonrpc_error(message["error"]))]
        return NullIdError(
            f"an error response with id null while {len(self._pending)} requests were in "
            "flight (which one failed cannot be known)",
            message,
        )

    def _route_notification(self, note: Notification) -> list[Delivery]:
        if note.method in self._keyed or note.method in self._retain:
            keyed, route_on = self._route_keyed(note)
            if not route_on:
                return keyed
            if keyed:
                return keyed + self._route_by_turn(note)
        return self._route_by_turn(note)

    def _route_by_turn(self, note: Notification) -> list[Delivery]:
        turn_id = note.turn_id
        if turn_id is None:
            return [(self.global_sink, note)]
        sink = self._turns.get(turn_id)
        if sink is not None:
            if note.method == TURN_COMPLETED:
                self._detach(turn_id)
            return [(sink, note)]
        if turn_id in self._finished:
            return [(self.global_sink, note)]
        if note.method == TURN_COMPLETED:
            self._remember_finished(turn_id, None)
            if self._claims_in_flight:
                # A turn/start response may yet claim this turn: hold its buffer until then.
                self._buffer(turn_id, note)
                self._held_completed.append(turn_id)
                return []
            # Nobody holds this turn: free what it buffered.
            self._pop_buffer(turn_id)
            return [(self.global_sink, note)]
        self._buffer(turn_id, note)
        return []

    def _detach(self, turn_id: str) -> None:
        sink = self._turns.pop(turn_id, None)
        self._remember_finished(turn_id, sink)

    def _remember_finished(self, turn_id: str, sink: Sink | None) -> None:
        self._finished[turn_id] = sink
        self._finished.move_to_end(turn_id)
        while len(self._finished) > self._finished_retention:
            self._finished.popitem(last=False)

    # -- failure ----------------------------------------------------------------------

    def fail_pending(self, error: BaseException) -> list[Delivery]:
        """The connection dropped but will be re-established: wake every request waiter
        with `error`; turn and keyed subscriptions stay (their streams go on)."""
        deliveries: list[Delivery] = [(p.sink, error) for p in self._pending.values()]
        self._pending.clear()
        self._claims_in_flight = 0
        for turn_id in self._held_completed:
            self._pop_buffer(turn_id)
        self._held_completed.clear()
        return deliveries

    def active_turns(self) -> list[tuple[str, Sink]]:
        """The subscribed turns that have not completed, with their sinks."""
        return list(self._turns.items())

    def route_oversized(self, head: bytes, size: int, limit: int) -> list[Delivery] | Dropped:
        """Say whom a skipped line over `limit` bytes cost (see `wire.oversized_target`).

        A response fails its request with `MessageTooLargeError`; a turn's notification
        fails that turn's stream; a server request is to be answered with an error
        (`OversizedRequest`); anything else is dropped. The connection goes on.
        """
        error = MessageTooLargeError(
            f"the app-server sent a message of {size} bytes, over max_line_bytes={limit}; "
            "it was skipped"
        )
        target = oversized_target(head)
        if target is not None:
            kind, key = target
            if kind == "request":
                return OversizedRequest(str(error), head[:200], key, error)
            deliveries = (
                self.fail_request(key, error) if kind == "response" else self.fail_turn(key, error)
            )
            if deliveries:
                return deliveries
            return Dropped(f"{error} (for {kind} {key!r}, which nobody waits for)", head[:200])
        return Dropped(f"{error} (it names no request or turn)", head[:200])

    def fail_request(self, request_id: Any, error: BaseException) -> list[Delivery]:
        """Fail one pending request (its response could not be read); [] if unknown."""
        if not isinstance(request_id, (int, str)) or isinstance(request_id, bool):
            return []
        pending = self._pop_pending(request_id)
        if pending is None:
            return []
        self._claim_settled(pending)
        return [(pending.sink, error)]

    def fail_turn(self, turn_id: str, error: BaseException) -> list[Delivery]:
        """Fail one subscribed turn's stream (one of its notifications could not be read)
        and detach it; [] if nobody streams it (its buffer, if any, is dropped)."""
        sink = self._turns.get(turn_id)
        if sink is None:
            self._pop_buffer(turn_id)
            return []
        self._detach(turn_id)
        return [(sink, error)]

    def fail_all(self, error: BaseException) -> list[Delivery]:
        """The connection is gone: wake every waiter and stream with `error`."""
        deliveries: list[Delivery] = [(p.sink, error) for p in self._pending.values()]
        deliveries += [(sink, error) for sink in self._turns.values()]
        deliveries += self._fail_keyed(error)
        deliveries.append((self.global_sink, error))
        self._pending.clear()
        self._claims_in_flight = 0
        self._held_completed.clear()
        for turn_id in list(self._turns):
            self._detach(turn_id)
        self._buffers.clear()
        self._buffered_total = 0
        return deliveries
