"""`ClientBase`: what the two low-level clients share, none of it I/O.

`AppServerClient` (`_sync/client.py`: a reader thread, a worker pool) and
`AsyncAppServerClient` (`_async/client.py`: a reader task, futures) differ in how they
wait, read and write. Everything else lives here once: the options and the state built
from them, request and notification messages, result typing, the errors of a closed or
failed client, turn-stream and server-request bookkeeping, keyed routing, the replies to
server requests that time out or are too large, and when a reconnect is possible.

Router calls run under `_lock`: a `threading.Lock` on the thread side, a no-op on the
event loop (one thread, no lock needed). What the router hands back is delivered outside
the lock.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from .._constants import INTERRUPT_TIMEOUT_CAP
from .._logging import DEBUG, FaultLog, sdk_logger, trace_wire, wire_logger
from ..generated.methods import TURN_STARTING_METHODS
from .activity import RunningItems
from .batches import decode_batch, route_batch
from .errors import ClientClosedError, ClientNotStartedError, CodexError, MessageTooLargeError
from .handlers import HandlerRegistry, HandlersLike, ToolsLike
from .late_turns import second_reader_message
from .metadata import typed_metadata
from .notifications import CONNECTION_RESUMED, ServerRequest
from .params import build_params
from .reconnect import GapTracker, LoadedThreads
from .router import Delivery, Dropped, MessageRouter, NullIdError, OversizedRequest, Sink
from .server_requests import error_reply, timeout_reply
from .tracing import TurnTraces, approval_decision, end_span, request_span, use_span

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .._config import AppServerConfig
    from .metadata_models import InitializeResponse

logger = sdk_logger("codex_app_server")

M = TypeVar("M", bound="BaseModel")
#: A low-level server-request handler: gets the request, returns the result dict or model,
#: or raises (a `JsonRpcError` is sent as is; anything else as an internal error). On the
#: async client it may be an `async` function; a plain one runs in a worker thread there.
ServerRequestHandler = Callable[[ServerRequest], Any]


def deliver_quietly(deliveries: list[Delivery]) -> None:
    """Hand out failures (errors to every waiter): a sink that fails is ignored."""
    for sink, item in deliveries:
        with contextlib.suppress(Exception):
            sink.put_nowait(item)


def deliver(deliveries: list[Delivery]) -> None:
    """Hand each routed item to its sink, in order; a failing sink is logged.

    Consecutive items for one queue (a streaming turn's batch) go in one `put_many`: one
    lock and one wake-up of its reader per batch, not per notification (on the thread
    side, a wake-up per item had the reader and the consumer trade the GIL each time)."""
    i, n = 0, len(deliveries)
    while i < n:
        sink, item = deliveries[i]
        j = i + 1
        while j < n and deliveries[j][0] is sink:
            j += 1
        if j - i > 1 and hasattr(sink, "put_many"):
            try:
                sink.put_many([d[1] for d in deliveries[i:j]])
            except Exception:
                logger.exception("delivering %d items (%r first) failed", j - i, item)
        else:
            for _, one in deliveries[i:j]:
                try:
                    sink.put_nowait(one)
                except Exception:
                    logger.exception("delivering %r failed", one)
        i = j


def unwrap(delivered: bool, item: Any, timed_out: Callable[[], CodexError]) -> Any:
    """A queue's `(delivered, item)`: the item; raises the error it is, or `timed_out()`."""
    if not delivered:
        raise timed_out()
    if isinstance(item, BaseException):
        raise item
    return item


@contextmanager
def request_tracing(method: str) -> Iterator[None]:
    """The OpenTelemetry span of one request around a block (nothing if tracing is off)."""
    span = request_span(method) if "opentelemetry.trace" in sys.modules else None
    if span is None:
        yield
        return
    failure: BaseException | None = None
    try:
        with use_span(span):
            yield
    except BaseException as exc:
        failure = exc
        raise
    finally:
        end_span(span, failure)


@contextmanager
def approval_tracing(span: Any) -> Iterator[Callable[[Any], Any]]:
    """Around a server request's handler: `decided(result)` notes the decision on its
    approval span (None: tracing is off) and returns `result`; the span ends after."""
    if span is None:
        yield _same
        return

    def decided(result: Any) -> Any:
        span.set_attribute("codex.approval.decision", approval_decision(result) or "")
        return result

    failure: BaseException | None = None
    try:
        yield decided
    except BaseException as exc:
        failure = exc
        raise
    finally:
        end_span(span, failure)


def _same(result: Any) -> Any:
    return result


class CallSink:
    """A sink that calls `put(item)`: the router's server-request sink, the dispatcher."""

    __slots__ = ("put_nowait",)

    def __init__(self, put: Callable[[Any], None]) -> None:
        self.put_nowait = put


def tracing_on() -> bool:
    """Whether a request must go through `request_tracing` (OpenTelemetry is loaded)."""
    return "opentelemetry.trace" in sys.modules


def trace_send(message: dict[str, Any]) -> None:
    """Log an outgoing message on the wire trace, if it is on."""
    if wire_logger.isEnabledFor(DEBUG):
        trace_wire("send", message)


#: The methods `TurnReading.accept` looks at (a reconnect's gap, items that start and
#: complete): a stream passes any other notification, the deltas among them, as it is.
ACCEPT_LOOKS_AT = frozenset({CONNECTION_RESUMED, "item/started", "item/completed"})


class TurnReading:
    """One `stream_turn()`'s state: gaps left by a reconnect, the items still running.

    `gaps` is None on a connection that cannot reconnect: no gap can open in its stream,
    and a thousand waiting turns need not each keep the ids of the items they saw."""

    __slots__ = ("_client", "gaps", "running", "turn_id")

    def __init__(self, client: ClientBase, turn_id: str) -> None:
        self._client = client
        self.turn_id = turn_id
        self.gaps = GapTracker() if client._can_reconnect() else None
        self.running = RunningItems()

    def stuck(self) -> bool:
        """After a silence: True unless the client or a command is working on the turn."""
        return not (self.running or self._client._serving.get(self.turn_id))

    def accept(self, item: Any) -> bool:
        """Whether to yield `item` (raises an error item; skips a duplicate after a gap)."""
        if isinstance(item, BaseException):
            raise item
        if self.gaps is not None and not self.gaps.feed(item):
            return False
        self.running.feed(item)
        return True

    def finished(self) -> None:
        """The turn's `turn/completed` was read: the router forgets the turn."""
        client = self._client
        with client._lock:
            client._routing().turn_consumed(self.turn_id)


class ClientBase:
    """The no-I/O half of both low-level clients (see the module docstring)."""

    config: AppServerConfig
    _transport: Any
    _router: MessageRouter | None
    _global: Any
    _lock: AbstractContextManager[Any]

    def _setup(
        self,
        config: AppServerConfig,
        server_request_handler: ServerRequestHandler | None,
        handlers: HandlersLike,
        tools: ToolsLike,
        locks: Callable[[], AbstractContextManager[Any]],
        router_lock: AbstractContextManager[Any],
    ) -> None:
        """`locks()` makes the handler registry's mutex; `router_lock` guards the router."""
        self.config = config
        self.server_request_handler = server_request_handler
        self.handlers = HandlerRegistry(handlers, tools, lock=locks())
        self._lock = router_lock
        #: Rate-limited log of wire faults (garbage lines, dropped messages), with counts.
        self._faults = FaultLog(logger)
        self._closing = False
        self._error: CodexError | None = None
        self._streaming: set[str] = set()  # turns a stream_turn() is reading
        self._serving: dict[str, int] = {}  # turn id -> its server requests being handled
        self.initialize_result: dict[str, Any] | None = None
        self._metadata: InitializeResponse | None = None
        # Reconnect (remote transports): the threads to resume.
        self._loaded = LoadedThreads()
        #: The open turn traces (OpenTelemetry; empty unless tracing is on).
        self.traces = TurnTraces()

    @property
    def metadata(self) -> InitializeResponse:
        """The typed `initialize` response (user agent, platform, CODEX_HOME)."""
        if self._metadata is None:
            if self.initialize_result is None:
                raise ClientNotStartedError()
            self._metadata = typed_metadata(self.initialize_result)
        return self._metadata

    @property
    def closed(self) -> bool:
        return self._error is not None

    def _routing(self) -> MessageRouter:
        router = self._router
        if router is None:
            raise ClientNotStartedError()
        return router

    def _check_open(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closing:
            raise ClientClosedError("the client was closed")

    def _fail(self, error: CodexError) -> None:
        """Fail every waiter with `error` (the first failure wins)."""
        with self._lock:
            if self._error is not None:
                return
            self._error = error
            deliveries = self._router.fail_all(error) if self._router is not None else []
        deliver_quietly(deliveries)

    # -- requests -----------------------------------------------------------------------

    def _new_request(
        self, method: str, params: Any, slot: Sink, new_queue: Callable[[str], Sink]
    ) -> tuple[dict[str, Any], Any, Sink | None]:
        """(the request message, its wire params, the new turn's queue if it starts one):
        its waiter `slot` registered, the message traced if the wire trace is on."""
        router = self._routing()
        wire_params = build_params(params)
        turn_sink = new_queue(f"a turn ({method})") if method in TURN_STARTING_METHODS else None
        with self._lock:
            message = router.new_request(method, wire_params, slot, turn_sink=turn_sink)
        trace_send(message)
        return message, wire_params, turn_sink

    def _discard(self, request_id: Any) -> None:
        with self._lock:
            self._routing().discard_request(request_id)

    def _result(self, method: str, wire_params: Any, item: Any, response_model: Any) -> Any:
        """A response's result, typed by `response_model` (raises the error it is)."""
        if isinstance(item, BaseException):
            raise item
        self._loaded.note(method, wire_params, item)
        if response_model is not None:
            return response_model.model_validate(item)
        return item

    def _notification(self, method: str, params: Any) -> dict[str, Any]:
        self._check_open()
        message: dict[str, Any] = {"method": method}
        if params is not None:
            message["params"] = build_params(params)
        trace_send(message)
        return message

    def _interrupt_timeout(self) -> float:
        return min(
            self.config.resolve_timeout(None) or INTERRUPT_TIMEOUT_CAP, INTERRUPT_TIMEOUT_CAP
        )

    # -- notifications and turns --------------------------------------------------------

    @property
    def dropped_notifications(self) -> int:
        """How many global notifications were dropped because nobody read them."""
        return self._global.overflowed if self._global is not None else 0

    def dropped_for_turn(self, turn_id: str) -> int:
        """How many streaming deltas of `turn_id` the buffer budget shed (0 if unknown)."""
        if self._router is None:
            return 0
        with self._lock:
            sink = self._router.turn_sink(turn_id)
        return int(getattr(sink, "dropped", 0))

    def release_turn(self, turn_id: str) -> None:
        """Stop routing `turn_id` to its queue (its later notifications go to the global queue)."""
        if self._router is not None:
            with self._lock:
                self._router.unsubscribe_turn(turn_id)

    def _turn_queue(self, turn_id: str, kind: type[Any], new: Callable[[], Any]) -> Any:
        """`turn_id`'s queue (a `kind`), subscribed with `new()` on first use."""
        router = self._routing()
        with self._lock:
            sink = router.turn_sink(turn_id)
            if isinstance(sink, kind):
                return sink
            turn_queue = new()
            if self._error is not None:
                turn_queue.put_nowait(self._error)
            for buffered in router.subscribe_turn(turn_id, turn_queue):
                turn_queue.put_nowait(buffered)
            return turn_queue

    def _begin_stream(self, turn_id: str) -> TurnReading | None:
        """Claim `turn_id` for one reader; None when no event will ever arrive for it."""
        self._check_open()
        router = self._routing()
        with self._lock:
            if turn_id in self._streaming:
                raise CodexError(second_reader_message(turn_id))
            if not router.knows_turn(turn_id):
                return None
            self._streaming.add(turn_id)
        return TurnReading(self, turn_id)

    def _end_stream(self, turn_id: str) -> None:
        with self._lock:
            self._streaming.discard(turn_id)

    # -- reader -------------------------------------------------------------------------

    def _lines_reader(self) -> Any:
        """What the reader calls for every line that has arrived at once, if the transport
        can (stdio): else None, and it reads a line at a time. The sync client's reads go
        through its `ReadGate` (its waiters may read too)."""
        return getattr(self._transport, "read_lines", None)

    def _feed(self, lines: list[bytes]) -> None:
        """Decode, route (the router lock taken once for the batch) and deliver `lines`."""
        deliver(
            route_batch(
                self._routing(),
                self._lock,
                decode_batch(lines, self._faults),
                self.config.max_line_bytes,
                self._dropped,
            )
        )

    def _dropped(self, dropped: Dropped) -> None:
        """Log what the router dropped; answer a server request too large to read."""
        if isinstance(dropped, NullIdError):
            logger.error("%s: %.500r", dropped.reason, dropped.message)
        elif isinstance(dropped, OversizedRequest):
            self._faults.warning("oversized", "%s; answering it with an error", dropped.reason)
            assert dropped.error is not None
            self._reply_later(error_reply(dropped.request_id, dropped.error))
        else:
            self._faults.warning(
                "dropped", "dropped a message: %s: %.200r", dropped.reason, dropped.message
            )

    def _reply_later(self, message: dict[str, Any]) -> None:
        """Send `message` off the reader (each client says how)."""
        raise NotImplementedError

    # -- server requests ----------------------------------------------------------------

    def _serving_change(self, turn_id: str | None, change: int) -> None:
        """Count a turn's server requests being handled (its inactivity timer is paused)."""
        if turn_id is None:
            return
        with self._lock:
            count = self._serving.get(turn_id, 0) + change
            if count > 0:
                self._serving[turn_id] = count
            else:
                self._serving.pop(turn_id, None)

    def _timeout_reply(self, request: ServerRequest) -> dict[str, Any]:
        """The reply to a server request whose handler ran out of time (logged)."""
        seconds = self.config.server_request_timeout
        logger.warning(
            "server request %s was not answered within %gs; declining it", request.method, seconds
        )
        try:
            return result_reply(request, timeout_reply(request.method, request.params, seconds))
        except Exception as exc:
            return error_reply(request.id, exc)

    # -- keyed notification routing -----------------------------------------------------

    def subscribe_keyed(
        self,
        method: str,
        path: Sequence[str],
        value: str,
        sink: Sink,
        *,
        once: bool = False,
        tee: bool = False,
    ) -> None:
        """Route `method` notifications whose params at key `path` equal `value` to `sink`.

        The way turns are routed by turn id (see `MessageRouter.subscribe_key`): e.g.
        `("command/exec/outputDelta", ("processId",), "p1")`. Retained matches (see
        `retain_keyed`) are put into `sink` first; if the connection has failed, its error.
        `tee=True` observes: the notifications are routed as usual as well. `ValueError` if
        the key already has a subscriber. On the async client, call on its loop once started.
        """
        router = self._routing()
        with self._lock:
            replay = router.subscribe_key(method, tuple(path), value, sink, once=once, tee=tee)
            for note in replay:
                sink.put_nowait(note)
            if self._error is not None:
                sink.put_nowait(self._error)

    def unsubscribe_keyed(self, method: str, path: Sequence[str], value: str) -> None:
        """End a `subscribe_keyed` subscription (no error if there is none)."""
        if self._router is not None:
            with self._lock:
                self._router.unsubscribe_key(method, tuple(path), value)

    def retain_keyed(self, method: str, path: Sequence[str]) -> None:
        """Keep recent unclaimed `method` notifications keyed at `path` for a late subscriber."""
        router = self._routing()
        with self._lock:
            router.retain_key(method, tuple(path))

    # -- reconnect conditions -----------------------------------------------------------

    def _url(self) -> str:
        return str(getattr(self._transport, "url", self.config.url))

    def _can_reconnect(self) -> bool:
        """Whether this client may ever reconnect (its config and its transport allow it)."""
        return bool(self.config.reconnects and getattr(self._transport, "reconnectable", False))

    def _reconnecting_possible(self, error: CodexError | None = None) -> bool:
        return bool(
            self._can_reconnect()
            and self.initialize_result is not None
            and not self._closing
            and self._error is None
            and (error is None or not isinstance(error, MessageTooLargeError))
        )

    def _fail_pending(self, error: CodexError) -> None:
        """Fail the requests in flight (the connection dropped under them)."""
        with self._lock:
            deliveries = self._routing().fail_pending(error)
        deliver_quietly(deliveries)

    def _active_turns(self) -> list[tuple[str, Sink]]:
        with self._lock:
            return self._routing().active_turns()


def result_reply(request: ServerRequest, result: Any) -> dict[str, Any]:
    """The JSON-RPC reply carrying a server-request handler's `result`."""
    return {"id": request.id, "result": build_params(result)}
