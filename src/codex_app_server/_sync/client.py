"""`AppServerClient`: the low-level synchronous JSON-RPC client.

One reader thread per connection parses lines and asks the `MessageRouter` where each
goes; callers wait on their own slot or queue, so any number of threads can issue requests
and stream different turns at once. Server requests run on a small worker pool, never on
the reader.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import TYPE_CHECKING, Any

from .._config import AppServerConfig
from .._constants import CLOSE_WAIT_SLACK
from .._logging import sdk_logger
from .._protocol.budget import BufferBudget
from .._protocol.client_base import (
    CallSink,
    ServerRequestHandler,
    approval_tracing,
    result_reply,
    trace_send,
)
from .._protocol.errors import (
    ClientClosedError,
    ClientNotStartedError,
    CodexError,
    RequestTimeoutError,
)
from .._protocol.handlers import HandlersLike, ToolsLike
from .._protocol.metadata import check_initialize_result
from .._protocol.notifications import ServerRequest
from .._protocol.reconnect import lost_error
from .._protocol.router import MessageRouter
from .._protocol.server_requests import error_reply
from .._protocol.wire import encode
from .._transport.base import Transport
from .._transport.connect import sync_transport_for
from .._warmup import WARMUP
from ..generated.client_methods_sync import SyncClientMethods
from .handlers import answer
from .queues import GlobalQueue, Queue, Slot
from .read_gate import ReadGate
from .streaming import StreamingMixin

if TYPE_CHECKING:
    from .._workers import HandlerPool

logger = sdk_logger("codex_app_server")

#: What a transport needs for its client's waiters to read for themselves (`ReadGate`);
#: one that can reconnect keeps the reader thread alone (a reconnect is the reader's job).
_GATED = ("wait_readable", "read_lines", "read_ready", "wake")

__all__ = ["AppServerClient", "ServerRequestHandler"]


class AppServerClient(StreamingMixin, SyncClientMethods):
    """A synchronous connection to one app-server.

    Use as a context manager, or call `start()` and `close()`. Every client method of the
    protocol is available as a typed method (`thread_start`, `turn_start`, `fs_read_file`,
    ...); `request()` is the untyped escape hatch.
    """

    _router: MessageRouter  # made in __init__, never None here
    _lock: threading.Lock

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
        config = config or AppServerConfig()
        handler = server_request_handler
        self._setup(config, handler, handlers, tools, threading.Lock, threading.Lock())
        self._transport: Transport = transport or sync_transport_for(config)
        self._state_lock = threading.Lock()
        self._budget = BufferBudget(
            config.buffer_budget_bytes, self._faults.warning, lock=threading.Lock()
        )
        # Waiters read the connection themselves while nobody else does (see ReadGate):
        # transports that can say when data is there (stdio, the mock).
        self._gate: ReadGate | None = None
        t = self._transport
        if all(hasattr(t, name) for name in _GATED) and not hasattr(t, "reconnect"):
            self._gate = ReadGate(t.wait_readable, t.read_lines, t.read_ready, self._feed, t.wake)  # type: ignore[attr-defined]
        self._global = GlobalQueue(
            config.global_queue_size, name="global", budget=self._budget, gate=self._gate
        )
        self._router = MessageRouter(self._global, CallSink(self._dispatch_server_request))
        self._reader: threading.Thread | None = None
        self._executor: HandlerPool | None = None
        # Timers that decline server requests whose handlers run too long; cancelled on close.
        self._reply_timers: set[threading.Timer] = set()
        self._started = False
        self._close_done = threading.Event()  # a close ran to its end
        self._close_running = False
        # Reconnect (remote transports): the gate new requests wait at while the
        # connection is being re-established.
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
            if self._gate is not None:
                self._gate.close()  # the reader thread reads on to the end, nobody else
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

    # -- JSON-RPC -------------------------------------------------------------------------

    def _request(self, method: str, params: Any, response_model: Any, timeout: float | None) -> Any:
        self._check_open()
        limit = self.config.resolve_timeout(timeout)
        if not self._online.is_set() and threading.current_thread() is not self._resync_thread:
            # Reconnecting: wait (within this request's timeout) for the new connection.
            self._online.wait(limit)
            self._check_open()
        slot = Slot(self._gate)
        message, wire_params, turn_sink = self._new_request(method, params, slot, self._new_queue)
        request_id = message["id"]
        try:
            self._transport.write_line(encode(message))
        except BaseException as exc:
            self._discard(request_id)
            if isinstance(exc, CodexError):
                self._check_open()
                if self._reconnecting_possible():
                    raise lost_error(self._url()) from exc
            raise
        try:
            delivered, item = slot.get(limit)
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
            self._discard(request_id)
            raise RequestTimeoutError(method, limit or 0.0)
        return self._result(method, wire_params, item, response_model)

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification (no response)."""
        self._transport.write_line(encode(self._notification(method, params)))

    # -- notifications --------------------------------------------------------------------

    @property
    def buffer_budget(self) -> BufferBudget:
        """The byte budget of what this client holds for lagging readers: `used`,
        `limit`, and `dropped` (notifications shed because it was full)."""
        return self._budget

    def turn_queue(self, turn_id: str) -> Queue:
        """The queue `turn_id`'s notifications are routed to (subscribing if needed)."""
        return self._turn_queue(  # type: ignore[no-any-return]
            turn_id, Queue, lambda: self._new_queue(f"turn {turn_id}")
        )

    def _new_queue(self, name: str) -> Queue:
        return Queue(name=name, budget=self._budget, gate=self._gate)

    # -- reader ---------------------------------------------------------------------------

    def _close_after_reader(self) -> None:
        self.close()

    def _lines_reader(self) -> Any:
        if self._gate is not None:
            return self._gate.background_lines
        return super()._lines_reader()

    def _reply_later(self, message: dict[str, Any]) -> None:
        # Not from the reader: a write may block on a full pipe.
        with contextlib.suppress(RuntimeError):
            self._handler_pool().submit(self._send_raw, message)

    def _handler_pool(self) -> HandlerPool:
        if self._executor is None:
            from .._workers import HandlerPool  # concurrent.futures: when a reply is deferred

            # Daemon workers, one more whenever all are busy: a hung handler cannot keep
            # the process alive, and re-entrant handlers cannot starve each other.
            self._executor = HandlerPool()
        return self._executor

    # -- reconnect seams (see ReconnectMixin) ---------------------------------------------

    def _go_offline(self) -> None:
        self._online.clear()

    def _set_online(self) -> None:
        self._online.set()

    def _stopped(self) -> bool:
        return self._stop.is_set()

    def _pause(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _spawn_resync(self) -> None:
        self._resync_thread = threading.Thread(
            target=self._resync, name="codex-app-server-resync", daemon=True
        )
        self._resync_thread.start()

    # -- server requests ------------------------------------------------------------------

    def _dispatch_server_request(self, request: ServerRequest) -> None:
        executor = self._handler_pool()
        self._serving_change(request.turn_id, +1)
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
            self._serving_change(request.turn_id, -1)

    def _serve(self, request: ServerRequest, reply: _ReplyOnce, timer: threading.Timer) -> None:
        try:
            with approval_tracing(self.traces.approval_span(request)) as decided:
                result = decided(answer(self.handlers, request, self.server_request_handler))
            reply.send(result_reply(request, result))
        except Exception as exc:  # logged by the dispatch; the server gets the error
            reply.send(error_reply(request.id, exc))
        finally:
            timer.cancel()
            self._reply_timers.discard(timer)

    def _send_raw(self, message: dict[str, Any]) -> None:
        if self._error is not None:
            return
        trace_send(message)
        with contextlib.suppress(CodexError):
            self._transport.write_line(encode(message))


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
        self._client._serving_change(self._request.turn_id, -1)
        return True

    def send(self, message: dict[str, Any]) -> None:
        if self._claim():
            self._client._send_raw(message)

    def time_out(self) -> None:
        if self._claim():
            self._client._send_raw(self._client._timeout_reply(self._request))
