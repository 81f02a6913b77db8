"""`AppServerClient`: the low-level synchronous JSON-RPC client.

One reader thread per connection parses lines and asks the `MessageRouter` where each
goes; callers wait on their own slot or queue, so any number of threads can issue requests
and stream different turns at once. Server requests run on a small worker pool, never on
the reader.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .._config import AppServerConfig
from .._constants import CLOSE_WAIT_SLACK, INTERRUPT_TIMEOUT_CAP
from .._logging import FaultLog, trace_wire, wire_logger
from .._protocol.activity import RunningItems
from .._protocol.budget import BufferBudget
from .._protocol.errors import (
    ClientClosedError,
    ClientNotStartedError,
    CodexError,
    MessageTooLargeError,
    RequestTimeoutError,
    TransportError,
    TurnTimeoutError,
)
from .._protocol.handlers import HandlerRegistry, HandlersLike, ToolsLike
from .._protocol.late_turns import late_turn_notes, second_reader_message
from .._protocol.metadata import check_initialize_result, typed_metadata
from .._protocol.models import validate_as
from .._protocol.notifications import Notification, ServerRequest
from .._protocol.params import build_params
from .._protocol.reconnect import (
    GapTracker,
    LoadedThreads,
    lost_error,
)
from .._protocol.router import (
    Dropped,
    MessageRouter,
    NullIdError,
    OversizedRequest,
    Sink,
)
from .._protocol.server_requests import error_reply, timeout_reply
from .._protocol.tracing import (
    TurnTraces,
    approval_decision,
    end_span,
    request_span,
    use_span,
)
from .._protocol.wire import encode
from .._transport.base import Transport
from .._transport.connect import sync_transport_for
from .._warmup import WARMUP
from .._workers import HandlerPool
from ..generated.client_methods import SyncClientMethods
from ..generated.methods import TURN_COMPLETED, TURN_STARTING_METHODS
from .handlers import answer
from .queues import Queue, Slot
from .reader import decode_batch, deliver, route_batch
from .reconnect import SyncReconnect

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .._protocol.metadata_models import InitializeResponse

logger = logging.getLogger("codex_app_server")

M = TypeVar("M", bound="BaseModel")
#: A low-level server-request handler: gets the request, returns the result dict or model,
#: or raises (a `JsonRpcError` is sent as is; anything else as an internal error).
ServerRequestHandler = Callable[[ServerRequest], Any]


class AppServerClient(SyncReconnect, SyncClientMethods):
    """A synchronous connection to one app-server.

    Use as a context manager, or call `start()` and `close()`. Every client method of the
    protocol is available as a typed method (`thread_start`, `turn_start`, `fs_read_file`,
    ...); `request()` is the untyped escape hatch.
    """

    def __init__(
        self,
        config: AppServerConfig | None = None,
        *,
        transport: Transport | None = None,
        server_request_handler: ServerRequestHandler | None = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> None:
        """`handlers` / `tools`: client-wide server-request handlers and dynamic-tool
        implementations (see `ServerRequestHandlers`); `server_request_handler`, if given,
        sees every server request first, untyped (returning None passes it on)."""
        self.config = config or AppServerConfig()
        self._transport: Transport = transport or sync_transport_for(self.config)
        self.server_request_handler = server_request_handler
        self.handlers = HandlerRegistry(handlers, tools, lock=threading.Lock())
        self._lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._faults = FaultLog(logger)
        self._budget = BufferBudget(
            self.config.buffer_budget_bytes, self._faults.warning, lock=threading.Lock()
        )
        self._global = Queue(self.config.global_queue_size, name="global", budget=self._budget)
        self._router = MessageRouter(self._global, _Dispatch(self))
        self._reader: threading.Thread | None = None
        self._executor: HandlerPool | None = None
        # Timers that decline server requests whose handlers run too long; cancelled on close.
        self._reply_timers: set[threading.Timer] = set()
        self._started = False
        self._closing = False
        self._close_done = threading.Event()  # a close ran to its end
        self._close_running = False
        self._streaming: set[str] = set()  # turns a stream_turn() is reading
        self._serving: dict[str, int] = {}  # turn id -> its server requests being handled
        self._error: CodexError | None = None
        self.initialize_result: dict[str, Any] | None = None
        self._metadata: InitializeResponse | None = None
        # Reconnect (remote transports): threads to resume, and the gate new requests wait
        # at while the connection is being re-established.
        self._loaded = LoadedThreads()
        #: The open turn traces (OpenTelemetry; empty unless tracing is on).
        self.traces = TurnTraces()
        self._online = threading.Event()
        self._online.set()
        self._stop = threading.Event()
        self._resync_thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> dict[str, Any]:
        """Spawn the app-server, `initialize`, send `initialized`; return the raw result."""
        with self._state_lock:
            if self._closing:
                raise ClientClosedError("the client is closed")
            if self._started:
                if self.initialize_result is None:
                    raise ClientNotStartedError("the client's start() has not finished yet")
                return self.initialize_result
            self._started = True
        WARMUP.start()  # types what a turn needs while the app-server starts
        try:
            self._transport.start()
            self._reader = threading.Thread(
                target=self._read_loop, name="codex-app-server-reader", daemon=True
            )
            self._reader.start()
            result = check_initialize_result(
                self.request(
                    "initialize",
                    self.config.initialize_params(),
                    timeout=self.config.startup_timeout,
                )
            )
            self.notify("initialized")
        except BaseException:
            self.close()
            raise
        self.initialize_result = result
        return self.initialize_result

    @property
    def metadata(self) -> InitializeResponse:
        """The typed `initialize` response (user agent, platform, CODEX_HOME)."""
        if self._metadata is None:
            if self.initialize_result is None:
                raise ClientNotStartedError()
            self._metadata = typed_metadata(self.initialize_result)
        return self._metadata

    def close(self) -> None:
        """Stop the app-server and its whole process group. Idempotent, bounded, quiet.

        Safe from any thread: a concurrent (or later) caller returns once the first close
        is done, so after `close()` returns the app-server and the SDK's threads are gone.
        """
        self._stop.set()
        self._online.set()  # release requests waiting for a reconnect (they see the close)
        reader = self._reader
        current = threading.current_thread()
        grace = self.config.shutdown_grace
        deadline = time.monotonic() + 3 * grace + CLOSE_WAIT_SLACK
        while True:
            with self._state_lock:
                self._closing = True
                if self._close_done.is_set():
                    return
                closer = not self._close_running
                if closer:
                    self._close_running = True
                    break
            if reader is current:  # the reader may be the closer: never wait on it
                return
            # Another caller closes; if it is interrupted (Ctrl-C), take over.
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._close_done.wait(min(remaining, 0.05))
        done = False
        try:
            self._fail(ClientClosedError("the client was closed"))
            self._transport.close()
            self._release(reader, current)
            self._faults.flush()
            done = True
        finally:
            with self._state_lock:
                self._close_running = False
                if done:
                    # Only a close that ran to the end counts: after a Ctrl-C in its grace
                    # waits, the next close() does the rest of the job.
                    self._close_done.set()

    def _release(self, reader: threading.Thread | None, current: threading.Thread) -> None:
        """After the transport is closed: join the SDK's threads, bounded; close the pipes."""
        grace = self.config.shutdown_grace
        if reader is not None and reader is not current:
            reader.join(timeout=grace)
        release = getattr(self._transport, "release", None)
        if release is not None:
            reader_done = reader is None or reader is current or not reader.is_alive()
            release(stdout=reader_done)
        for timer in list(self._reply_timers):
            timer.cancel()
        executor = self._executor
        if executor is not None:
            # Idle workers exit at once; one running a handler that hangs is left behind
            # (a daemon thread: it does not keep the process alive).
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> AppServerClient:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._error is not None

    # -- JSON-RPC -------------------------------------------------------------------------

    @overload
    def request(
        self,
        method: str,
        params: Any = None,
        response_model: None = None,
        *,
        timeout: float | None = None,
    ) -> Any: ...

    @overload
    def request(
        self,
        method: str,
        params: Any = None,
        response_model: type[M] = ...,
        *,
        timeout: float | None = None,
    ) -> M: ...

    def request(
        self,
        method: str,
        params: Any = None,
        response_model: type[M] | None = None,
        *,
        timeout: float | None = None,
    ) -> Any:
        """Send a request and wait for its result.

        `params` may be a dict (sent as is) or a generated params model. `timeout` is
        seconds after the write (default: `config.request_timeout`; `math.inf`: forever).
        Raises the mapped `JsonRpcError`, `RequestTimeoutError` or `TransportClosedError`.
        """
        if "opentelemetry.trace" in sys.modules:  # else tracing cannot be on: no cost
            span = request_span(method)
            if span is not None:
                failure: BaseException | None = None
                try:
                    with use_span(span):
                        return self._request(method, params, response_model, timeout)
                except BaseException as exc:
                    failure = exc
                    raise
                finally:
                    end_span(span, failure)
        return self._request(method, params, response_model, timeout)

    def _request(self, method: str, params: Any, response_model: Any, timeout: float | None) -> Any:
        self._check_open()
        if not self._online.is_set() and threading.current_thread() is not self._resync_thread:
            # Reconnecting: wait (within this request's timeout) for the new connection.
            self._online.wait(self.config.resolve_timeout(timeout))
            self._check_open()
        slot = Slot()
        turn_sink = (
            Queue(name=f"a turn ({method})", budget=self._budget)
            if method in TURN_STARTING_METHODS
            else None
        )
        wire_params = build_params(params)
        with self._lock:
            message = self._router.new_request(method, wire_params, slot, turn_sink=turn_sink)
        request_id = message["id"]
        if wire_logger.isEnabledFor(logging.DEBUG):
            trace_wire("send", message)
        try:
            self._transport.write_line(encode(message))
        except BaseException as exc:
            with self._lock:
                self._router.discard_request(request_id)
            if isinstance(exc, CodexError):
                self._check_open()
                if self._reconnecting_possible():
                    raise lost_error(self._url()) from exc
            raise
        try:
            delivered, item = slot.get(self.config.resolve_timeout(timeout))
        except BaseException:  # KeyboardInterrupt: leave no waiter behind
            with self._lock:
                if turn_sink is not None and wire_params is not None:
                    # Ctrl-C while `turn/start` is in flight: the turn will start anyway;
                    # interrupt it as soon as its id is known, instead of losing it.
                    self._router.redirect_request(
                        request_id, _InterruptOnStart(self, wire_params.get("threadId"))
                    )
                else:
                    self._router.discard_request(request_id)
            raise
        if not delivered:
            with self._lock:
                self._router.discard_request(request_id)
            raise RequestTimeoutError(method, self.config.resolve_timeout(timeout) or 0.0)
        if isinstance(item, BaseException):
            raise item
        self._loaded.note(method, wire_params, item)
        if response_model is not None:
            return response_model.model_validate(item)
        return item

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification (no response)."""
        self._check_open()
        message: dict[str, Any] = {"method": method}
        if params is not None:
            message["params"] = build_params(params)
        if wire_logger.isEnabledFor(logging.DEBUG):
            trace_wire("send", message)
        self._transport.write_line(encode(message))

    def _typed_request(
        self,
        method: str,
        params: Any,
        fields: Mapping[str, Any],
        params_model: str | None,
        response_model: str | None,
        timeout: float | None,
    ) -> Any:
        result = self.request(method, build_params(params, fields, params_model), timeout=timeout)
        return validate_as(response_model, result)

    # -- notifications --------------------------------------------------------------------

    def next_notification(self, timeout: float | None = None) -> Notification:
        """The next notification that belongs to no turn (or to a turn nobody streams)."""
        delivered, item = self._global.get(timeout)
        if not delivered:
            raise RequestTimeoutError("next_notification", timeout or 0.0)
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[no-any-return]

    @property
    def dropped_notifications(self) -> int:
        """How many global notifications were dropped because nobody read them."""
        return self._global.overflowed

    @property
    def buffer_budget(self) -> BufferBudget:
        """The byte budget of what this client holds for lagging readers: `used`,
        `limit`, and `dropped` (notifications shed because it was full)."""
        return self._budget

    def dropped_for_turn(self, turn_id: str) -> int:
        """How many streaming deltas of `turn_id` the buffer budget shed (0 if unknown)."""
        with self._lock:
            sink = self._router.turn_sink(turn_id)
        return int(getattr(sink, "dropped", 0))

    def turn_queue(self, turn_id: str) -> Queue:
        """The queue `turn_id`'s notifications are routed to (subscribing if needed)."""
        with self._lock:
            sink = self._router.turn_sink(turn_id)
            if isinstance(sink, Queue):
                return sink
            turn_queue = Queue(name=f"turn {turn_id}", budget=self._budget)
            if self._error is not None:
                turn_queue.put(self._error)
            for buffered in self._router.subscribe_turn(turn_id, turn_queue):
                turn_queue.put(buffered)
            return turn_queue

    def next_turn_notification(self, turn_id: str, timeout: float | None = None) -> Notification:
        """The next notification of `turn_id`; raises `TurnTimeoutError` after `timeout`."""
        delivered, item = self.turn_queue(turn_id).get(timeout)
        if not delivered:
            raise TurnTimeoutError(turn_id, timeout or 0.0)
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[no-any-return]

    def stream_turn(
        self,
        turn_id: str,
        *,
        thread_id: str | None = None,
        inactivity_timeout: float | None = None,
    ) -> Iterator[Notification]:
        """Yield `turn_id`'s notifications up to and including `turn/completed`.

        If `inactivity_timeout` (default: `config.turn_inactivity_timeout`) passes with no
        notification, the turn is interrupted and `TurnTimeoutError` is raised.
        """
        limit = inactivity_timeout or self.config.turn_inactivity_timeout
        self._check_open()
        with self._lock:
            if turn_id in self._streaming:
                raise CodexError(second_reader_message(turn_id))
            known = self._router.knows_turn(turn_id)
            if known:
                self._streaming.add(turn_id)
        if not known:
            # Finished so long ago that it went out of retention, or read to its end: no
            # event will ever arrive for it again. Its result comes from `thread/read`.
            yield from late_turn_notes(turn_id, thread_id, self._read_thread(thread_id))
            return
        try:
            turn_queue = self.turn_queue(turn_id)
            gaps = GapTracker()
            running = RunningItems()
            while True:
                delivered, item = turn_queue.get(limit)
                if not delivered:
                    if running or self._serving.get(turn_id):
                        continue  # the client or a command is working: not silence
                    self._interrupt_quietly(thread_id, turn_id)
                    raise TurnTimeoutError(turn_id, limit or 0.0)
                if isinstance(item, BaseException):
                    raise item
                if not gaps.feed(item):
                    continue
                running.feed(item)
                if item.method == TURN_COMPLETED:
                    with self._lock:
                        self._router.turn_consumed(turn_id)
                    if gaps.gap and thread_id is not None:
                        yield from self._recover_items(gaps, thread_id, turn_id)
                    yield item
                    return
                yield item
        finally:
            with self._lock:
                self._streaming.discard(turn_id)

    def _read_thread(self, thread_id: str | None) -> Any:
        if thread_id is None:
            return None
        return self.request("thread/read", {"threadId": thread_id, "includeTurns": True})

    def release_turn(self, turn_id: str) -> None:
        """Stop routing `turn_id` to its queue (its later notifications go to the global queue)."""
        with self._lock:
            self._router.unsubscribe_turn(turn_id)

    def stream_text(self, thread_id: str, text: str, **turn_params: Any) -> Iterator[str]:
        """Start a turn with `text` and yield the agent's message deltas as they stream."""
        params = {"threadId": thread_id, "input": [{"type": "text", "text": text}], **turn_params}
        result = self.request("turn/start", params)
        turn_id = result["turn"]["id"]
        for note in self.stream_turn(turn_id, thread_id=thread_id):
            if note.method == "item/agentMessage/delta":
                yield note.params.get("delta", "")

    def _interrupt_quietly(self, thread_id: str | None, turn_id: str) -> None:
        if thread_id is None:
            return
        with contextlib.suppress(CodexError):
            self.request(
                "turn/interrupt",
                {"threadId": thread_id, "turnId": turn_id},
                timeout=min(
                    self.config.resolve_timeout(None) or INTERRUPT_TIMEOUT_CAP,
                    INTERRUPT_TIMEOUT_CAP,
                ),
            )

    # -- reader ---------------------------------------------------------------------------

    def _read_loop(self) -> None:
        while True:
            error = self._pump()
            if self._closing or not self._reconnecting_possible(error):
                break
            gave_up = self._reconnect(error)
            if gave_up is None:
                continue
            error = gave_up
            break
        if self._closing:
            error = ClientClosedError("the client was closed")
        self._fail(error)
        # The connection is dead: end the app-server's process group now rather than at
        # close(), so nothing it started outlives it (close() later waits for this).
        self.close()

    def _pump(self) -> CodexError:
        """Read and route until the connection ends; the error that explains the end."""
        error: CodexError
        read_line = self._transport.read_line
        # A transport that hands over every line that has arrived at once (stdio) saves a
        # readline() per message, and the router lock is taken once per batch.
        read_lines = getattr(self._transport, "read_lines", None)
        try:
            while True:
                if read_lines is not None:
                    lines = read_lines()
                    if not lines:
                        break
                else:
                    line = read_line()
                    if not line:
                        break
                    lines = [line]
                deliver(
                    route_batch(
                        self._router,
                        self._lock,
                        decode_batch(lines, self._faults),
                        self.config.max_line_bytes,
                        self._dropped,
                    )
                )
            error = self._transport.closed_error("the app-server closed its output")
        except MessageTooLargeError as exc:
            error = exc
        except Exception as exc:
            logger.exception("the reader failed")
            error = TransportError(f"the reader failed: {exc!r}")
        return error

    def _dropped(self, dropped: Dropped) -> None:
        if isinstance(dropped, NullIdError):
            logger.error("%s: %.500r", dropped.reason, dropped.message)
        elif isinstance(dropped, OversizedRequest):
            self._faults.warning("oversized", "%s; answering it with an error", dropped.reason)
            assert dropped.error is not None
            reply = error_reply(dropped.request_id, dropped.error)
            # Not from the reader: a write may block on a full pipe.
            with contextlib.suppress(RuntimeError):
                self._handler_pool().submit(self._send_raw, reply)
        else:
            self._faults.warning(
                "dropped", "dropped a message: %s: %.200r", dropped.reason, dropped.message
            )

    def _handler_pool(self) -> HandlerPool:
        if self._executor is None:
            # Daemon workers, one more whenever all are busy: a hung handler cannot keep
            # the process alive, and re-entrant handlers cannot starve each other.
            self._executor = HandlerPool()
        return self._executor

    def _fail(self, error: CodexError) -> None:
        with self._lock:
            if self._error is not None:
                return
            self._error = error
            deliveries = self._router.fail_all(error)
        for sink, item in deliveries:
            with contextlib.suppress(Exception):
                sink.put_nowait(item)

    def _check_open(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closing:
            raise ClientClosedError("the client was closed")

    # -- server requests ------------------------------------------------------------------

    def _waiting_on_client(self, turn_id: str | None, change: int) -> None:
        # Server requests of a turn being handled: its inactivity timer is paused meanwhile.
        if turn_id is None:
            return
        with self._lock:
            count = self._serving.get(turn_id, 0) + change
            if count > 0:
                self._serving[turn_id] = count
            else:
                self._serving.pop(turn_id, None)

    def _dispatch_server_request(self, request: ServerRequest) -> None:
        executor = self._handler_pool()
        self._waiting_on_client(request.turn_id, +1)
        reply = _ReplyOnce(self, request)
        timer = threading.Timer(self.config.server_request_timeout, reply.time_out)
        timer.daemon = True
        self._reply_timers.add(timer)
        timer.start()
        try:
            executor.submit(self._serve, request, reply, timer)
        except RuntimeError:  # executor shut down: the client is closing
            timer.cancel()
            self._reply_timers.discard(timer)
            self._waiting_on_client(request.turn_id, -1)

    def _serve(self, request: ServerRequest, reply: _ReplyOnce, timer: threading.Timer) -> None:
        try:
            span = self.traces.approval_span(request)
            if span is None:
                result = answer(self.handlers, request, self.server_request_handler)
            else:
                failure: BaseException | None = None
                try:
                    result = answer(self.handlers, request, self.server_request_handler)
                    span.set_attribute("codex.approval.decision", approval_decision(result) or "")
                except BaseException as exc:
                    failure = exc
                    raise
                finally:
                    end_span(span, failure)
            reply.send_result(result)
        except Exception as exc:  # logged by the dispatch; the server gets the error
            reply.send_error(exc)
        finally:
            timer.cancel()
            self._reply_timers.discard(timer)

    def _send_raw(self, message: dict[str, Any]) -> None:
        if self._error is not None:
            return
        if wire_logger.isEnabledFor(logging.DEBUG):
            trace_wire("send", message)
        with contextlib.suppress(CodexError):
            self._transport.write_line(encode(message))

    # -- keyed notification routing -------------------------------------------------------

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
        the key already has a subscriber.
        """
        with self._lock:
            replay = self._router.subscribe_key(
                method, tuple(path), value, sink, once=once, tee=tee
            )
            for note in replay:
                sink.put_nowait(note)
            if self._error is not None:
                sink.put_nowait(self._error)

    def unsubscribe_keyed(self, method: str, path: Sequence[str], value: str) -> None:
        """End a `subscribe_keyed` subscription (no error if there is none)."""
        with self._lock:
            self._router.unsubscribe_key(method, tuple(path), value)

    def retain_keyed(self, method: str, path: Sequence[str]) -> None:
        """Keep recent unclaimed `method` notifications keyed at `path` for a late subscriber."""
        with self._lock:
            self._router.retain_key(method, tuple(path))


class _Dispatch:
    """The router's server-request sink: hands each request to the worker pool."""

    def __init__(self, client: AppServerClient) -> None:
        self._client = client

    def put_nowait(self, request: ServerRequest) -> None:
        self._client._dispatch_server_request(request)


class _InterruptOnStart:
    """The waiter of a turn start whose caller was interrupted: interrupts the turn."""

    def __init__(self, client: AppServerClient, thread_id: Any) -> None:
        self._client = client
        self._thread_id = thread_id

    def put_nowait(self, result: Any) -> None:
        turn_id = result.get("turn", {}).get("id") if isinstance(result, dict) else None
        if not isinstance(turn_id, str) or not isinstance(self._thread_id, str):
            return
        # From the reader thread: send the interrupt from a worker (it waits for an answer).
        with contextlib.suppress(RuntimeError):
            self._client._handler_pool().submit(
                self._client._interrupt_quietly, self._thread_id, turn_id
            )


class _ReplyOnce:
    """Answers one server request exactly once: the handler's answer, or the timeout's."""

    def __init__(self, client: AppServerClient, request: ServerRequest) -> None:
        self._client = client
        self._request = request
        self._lock = threading.Lock()
        self._done = False

    def _claim(self) -> bool:
        with self._lock:
            if self._done:
                return False
            self._done = True
        self._client._waiting_on_client(self._request.turn_id, -1)
        return True

    def send_result(self, result: Any) -> None:
        if self._claim():
            self._client._send_raw({"id": self._request.id, "result": build_params(result)})

    def send_error(self, exc: BaseException) -> None:
        if self._claim():
            self._client._send_raw(error_reply(self._request.id, exc))

    def time_out(self) -> None:
        if not self._claim():
            return
        logger.warning(
            "server request %s was not answered within %gs; declining it",
            self._request.method,
            self._client.config.server_request_timeout,
        )
        try:
            result = timeout_reply(
                self._request.method,
                self._request.params,
                self._client.config.server_request_timeout,
            )
        except Exception as exc:
            self._client._send_raw(error_reply(self._request.id, exc))
        else:
            self._client._send_raw({"id": self._request.id, "result": result})
