"""`AsyncAppServerClient`: the low-level asyncio JSON-RPC client.

Native asyncio: one reader task per connection, futures for responses, loop-local queues
for turns. No thread is involved per request or per event, so a thousand silent turns cost
a thousand small queues, not a thousand blocked executor threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from .._config import AppServerConfig
from .._constants import EXIT_STATUS_WAIT, INTERRUPT_TIMEOUT_CAP
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
from .._protocol.wire import OversizedLine, decode, encode
from .._transport.base import AsyncTransport
from .._transport.connect import async_transport_for
from .._warmup import WARMUP
from .._workers import HandlerPool
from ..generated.client_methods import AsyncClientMethods
from ..generated.methods import TURN_COMPLETED, TURN_STARTING_METHODS
from .handlers import answer
from .queues import TIMED_OUT, AsyncQueue, AsyncSlot
from .reconnect import AsyncReconnect

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .._protocol.metadata_models import InitializeResponse

logger = logging.getLogger("codex_app_server")

M = TypeVar("M", bound="BaseModel")
#: An async-client server-request handler: sync or async callable taking the request and
#: returning the result; a plain function runs in a worker thread so it cannot block the loop.
AsyncServerRequestHandler = Callable[[ServerRequest], Any]


class AsyncAppServerClient(AsyncReconnect, AsyncClientMethods):
    """An asyncio connection to one app-server. `async with` it, or `start()`/`close()`."""

    def __init__(
        self,
        config: AppServerConfig | None = None,
        *,
        transport: AsyncTransport | None = None,
        server_request_handler: AsyncServerRequestHandler | None = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> None:
        """`handlers` / `tools`: client-wide server-request handlers and dynamic-tool
        implementations (see `ServerRequestHandlers`); `server_request_handler`, if given,
        sees every server request first, untyped (returning None passes it on)."""
        self.config = config or AppServerConfig()
        self._transport: AsyncTransport = transport or async_transport_for(self.config)
        self.server_request_handler = server_request_handler
        self.handlers = HandlerRegistry(handlers, tools, lock=threading.Lock())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._global: AsyncQueue | None = None
        self._router: MessageRouter | None = None
        self._reader: asyncio.Task[None] | None = None
        self._start_task: asyncio.Task[dict[str, Any]] | None = None
        self._start_waiters = 0
        self._budget: BufferBudget | None = None
        self._streaming: set[str] = set()  # turns a stream_turn() is reading
        self._serving: dict[str, int] = {}  # turn id -> its server requests being handled
        self._handler_tasks: set[asyncio.Task[None]] = set()
        # Plain-function handlers run here: daemon threads (a hung one cannot keep the
        # process alive nor hold up `asyncio.run`), one more whenever all are busy.
        self._handler_pool: HandlerPool | None = None
        self._closing = False
        self._close_task: asyncio.Task[None] | None = None
        self._error: CodexError | None = None
        #: Rate-limited log of wire faults (garbage lines, dropped messages), with counts.
        self._faults = FaultLog(logger)
        self.initialize_result: dict[str, Any] | None = None
        self._metadata: InitializeResponse | None = None
        # Reconnect (remote transports): threads to resume; while reconnecting, new
        # requests wait for `_online` (a future set once the connection is back).
        self._loaded = LoadedThreads()
        #: The open turn traces (OpenTelemetry; empty unless tracing is on).
        self.traces = TurnTraces()
        self._online: asyncio.Future[None] | None = None
        self._resync_task: asyncio.Task[None] | None = None

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> dict[str, Any]:
        """Spawn, `initialize`, `initialized`. Concurrent callers share one start."""
        if self._closing:
            raise ClientClosedError("the client is closed")
        if self._start_task is None:
            self._start_task = asyncio.get_running_loop().create_task(self._start())
        start_task = self._start_task
        self._start_waiters += 1
        try:
            return await asyncio.shield(start_task)
        except asyncio.CancelledError:
            if self._start_waiters == 1 and not start_task.done():
                # The last caller gave up (cancelled, or `wait_for` timed out): the start
                # must not go on unseen, nor leave its app-server running. Cancelling it
                # closes the client (`_start`); waiting here means the process is gone
                # when the cancellation arrives.
                start_task.cancel()
                await asyncio.wait([start_task])
                await self.close()
            raise
        finally:
            self._start_waiters -= 1

    async def _start(self) -> dict[str, Any]:
        WARMUP.start()  # types what a turn needs while the app-server starts
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._budget = BufferBudget(self.config.buffer_budget_bytes, self._faults.warning)
        self._global = AsyncQueue(
            loop, self.config.global_queue_size, name="global", budget=self._budget
        )
        self._router = MessageRouter(self._global, _AsyncDispatch(self))
        try:
            await self._transport.start()
            self._reader = loop.create_task(self._read_loop(), name="codex-app-server-reader")
            result = check_initialize_result(
                await self.request(
                    "initialize",
                    self.config.initialize_params(),
                    timeout=self.config.startup_timeout,
                )
            )
            await self.notify("initialized")
        except BaseException:
            await self.close()
            raise
        self.initialize_result = result
        return self.initialize_result

    @property
    def metadata(self) -> InitializeResponse:
        """The typed `initialize` response."""
        if self._metadata is None:
            if self.initialize_result is None:
                raise ClientNotStartedError()
            self._metadata = typed_metadata(self.initialize_result)
        return self._metadata

    async def close(self) -> None:
        """Stop the app-server and its process group. Idempotent, bounded, cancellation-safe.

        Every caller (and a cancelled one's close, which goes on) waits for the one close:
        when it returns, the app-server is gone and none of the client's tasks is left.
        """
        await asyncio.shield(self._begin_close())

    def _begin_close(self) -> asyncio.Task[None]:
        if self._close_task is None:
            self._closing = True
            self._close_task = asyncio.get_running_loop().create_task(self._close())
        return self._close_task

    async def _close(self) -> None:
        self._set_online()
        self._fail(ClientClosedError("the client was closed"))
        try:
            await self._transport.close()
        finally:
            if self._reader is not None and self._reader is not asyncio.current_task():
                self._reader.cancel()
                with contextlib.suppress(BaseException):
                    await self._reader
            tasks = list(self._handler_tasks)
            for task in tasks:
                task.cancel()
            if tasks:  # bounded: a handler that ignores cancellation is left behind
                await asyncio.wait(tasks, timeout=self.config.shutdown_grace)
            if self._handler_pool is not None:
                self._handler_pool.shutdown(wait=False, cancel_futures=True)
            self._faults.flush()

    async def __aenter__(self) -> AsyncAppServerClient:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def closed(self) -> bool:
        return self._error is not None

    # -- JSON-RPC -------------------------------------------------------------------------

    @overload
    async def request(
        self,
        method: str,
        params: Any = None,
        response_model: None = None,
        *,
        timeout: float | None = None,
    ) -> Any: ...

    @overload
    async def request(
        self,
        method: str,
        params: Any = None,
        response_model: type[M] = ...,
        *,
        timeout: float | None = None,
    ) -> M: ...

    async def request(
        self,
        method: str,
        params: Any = None,
        response_model: type[M] | None = None,
        *,
        timeout: float | None = None,
    ) -> Any:
        """Send a request and await its result (see `AppServerClient.request`).

        Cancelling the awaiting task releases its waiter.
        """
        if "opentelemetry.trace" in sys.modules:  # else tracing cannot be on: no cost
            span = request_span(method)
            if span is not None:
                failure: BaseException | None = None
                try:
                    with use_span(span):
                        return await self._request(method, params, response_model, timeout)
                except BaseException as exc:
                    failure = exc
                    raise
                finally:
                    end_span(span, failure)
        return await self._request(method, params, response_model, timeout)

    async def _request(
        self, method: str, params: Any, response_model: Any, timeout: float | None
    ) -> Any:
        self._check_open()
        router = self._router
        loop = self._loop
        if router is None or loop is None:
            raise CodexError("the client is not started: await client.start() or use `async with`")
        online = self._online
        if online is not None and asyncio.current_task() is not self._resync_task:
            # Reconnecting: wait (within this request's timeout) for the new connection.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(online), self.config.resolve_timeout(timeout))
            self._check_open()
        slot = AsyncSlot(loop)
        turn_sink = (
            AsyncQueue(loop, name=f"a turn ({method})", budget=self._budget)
            if method in TURN_STARTING_METHODS
            else None
        )
        message = router.new_request(method, build_params(params), slot, turn_sink=turn_sink)
        request_id = message["id"]
        limit = self.config.resolve_timeout(timeout)
        if wire_logger.isEnabledFor(logging.DEBUG):
            trace_wire("send", message)
        try:
            await self._transport.write_line(encode(message))
            item = await slot.wait(limit)
        except asyncio.CancelledError:
            router.discard_request(request_id)
            raise  # never swallowed, even if the connection failed meanwhile
        except BaseException as exc:
            router.discard_request(request_id)
            self._check_open()
            if isinstance(exc, CodexError) and self._reconnecting_possible():
                raise lost_error(self._url()) from exc
            raise
        if item is TIMED_OUT:
            router.discard_request(request_id)
            raise RequestTimeoutError(method, limit or 0.0)
        if isinstance(item, BaseException):
            raise item
        self._loaded.note(method, params, item)
        if response_model is not None:
            return response_model.model_validate(item)
        return item

    async def notify(self, method: str, params: Any = None) -> None:
        """Send a notification."""
        self._check_open()
        message: dict[str, Any] = {"method": method}
        if params is not None:
            message["params"] = build_params(params)
        if wire_logger.isEnabledFor(logging.DEBUG):
            trace_wire("send", message)
        await self._transport.write_line(encode(message))

    async def _typed_request(
        self,
        method: str,
        params: Any,
        fields: Mapping[str, Any],
        params_model: str | None,
        response_model: str | None,
        timeout: float | None,
    ) -> Any:
        wire = build_params(params, fields, params_model)
        result = await self.request(method, wire, timeout=timeout)
        if not WARMUP.done:
            await WARMUP.wait()
        return validate_as(response_model, result)

    # -- notifications --------------------------------------------------------------------

    async def next_notification(self, timeout: float | None = None) -> Notification:
        """The next notification that belongs to no turn (or to a turn nobody streams)."""
        if self._global is None:
            raise ClientNotStartedError()
        delivered, item = await self._global.get(timeout)
        if not delivered:
            raise RequestTimeoutError("next_notification", timeout or 0.0)
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[no-any-return]

    @property
    def dropped_notifications(self) -> int:
        """How many global notifications were dropped because nobody read them."""
        return self._global.overflowed if self._global is not None else 0

    @property
    def buffer_budget(self) -> BufferBudget | None:
        """The byte budget of what this client holds for lagging readers (once started):
        `used`, `limit`, and `dropped` (notifications shed because it was full)."""
        return self._budget

    def dropped_for_turn(self, turn_id: str) -> int:
        """How many streaming deltas of `turn_id` the buffer budget shed (0 if unknown)."""
        sink = self._router.turn_sink(turn_id) if self._router is not None else None
        return int(getattr(sink, "dropped", 0))

    def turn_queue(self, turn_id: str) -> AsyncQueue:
        """The queue `turn_id`'s notifications are routed to (subscribing if needed)."""
        router, loop = self._router, self._loop
        if router is None or loop is None:
            raise ClientNotStartedError()
        sink = router.turn_sink(turn_id)
        if isinstance(sink, AsyncQueue):
            return sink
        turn_queue = AsyncQueue(loop, name=f"turn {turn_id}", budget=self._budget)
        if self._error is not None:
            turn_queue.put_nowait(self._error)
        for buffered in router.subscribe_turn(turn_id, turn_queue):
            turn_queue.put_nowait(buffered)
        return turn_queue

    async def next_turn_notification(
        self, turn_id: str, timeout: float | None = None
    ) -> Notification:
        """The next notification of `turn_id`; raises `TurnTimeoutError` after `timeout`."""
        delivered, item = await self.turn_queue(turn_id).get(timeout)
        if not delivered:
            raise TurnTimeoutError(turn_id, timeout or 0.0)
        if isinstance(item, BaseException):
            raise item
        return item  # type: ignore[no-any-return]

    async def stream_turn(
        self,
        turn_id: str,
        *,
        thread_id: str | None = None,
        inactivity_timeout: float | None = None,
    ) -> AsyncIterator[Notification]:
        """Yield `turn_id`'s notifications up to and including `turn/completed`."""
        limit = inactivity_timeout or self.config.turn_inactivity_timeout
        if turn_id in self._streaming:
            raise CodexError(second_reader_message(turn_id))
        router = self._router
        assert router is not None, "call start() first"
        self._check_open()
        if not router.knows_turn(turn_id):
            # Finished so long ago that it went out of retention, or read to its end: no
            # event will ever arrive for it again. Its result comes from `thread/read`.
            for note in late_turn_notes(
                turn_id, thread_id, await self._read_thread(thread_id, turn_id)
            ):
                yield note
            return
        self._streaming.add(turn_id)
        try:
            turn_queue = self.turn_queue(turn_id)
            gaps = GapTracker()
            running = RunningItems()
            while True:
                delivered, item = turn_queue.get_nowait()
                if not delivered:
                    delivered, item = await turn_queue.get(limit)
                if not delivered:
                    if running or self._serving.get(turn_id):
                        continue  # the client or a command is working: not silence
                    await self._interrupt_quietly(thread_id, turn_id)
                    raise TurnTimeoutError(turn_id, limit or 0.0)
                if isinstance(item, BaseException):
                    raise item
                if not gaps.feed(item):
                    continue
                running.feed(item)
                if item.method == TURN_COMPLETED:
                    router.turn_consumed(turn_id)
                    if gaps.gap and thread_id is not None:
                        for recovered in await self._recover_items(gaps, thread_id, turn_id):
                            yield recovered
                    yield item
                    return
                yield item
        finally:
            self._streaming.discard(turn_id)

    async def _read_thread(self, thread_id: str | None, turn_id: str) -> Any:
        if thread_id is None:
            return None
        return await self.request("thread/read", {"threadId": thread_id, "includeTurns": True})

    def release_turn(self, turn_id: str) -> None:
        """Stop routing `turn_id` to its queue."""
        if self._router is not None:
            self._router.unsubscribe_turn(turn_id)

    async def stream_text(
        self, thread_id: str, text: str, **turn_params: Any
    ) -> AsyncIterator[str]:
        """Start a turn with `text` and yield the agent's message deltas as they stream."""
        params = {"threadId": thread_id, "input": [{"type": "text", "text": text}], **turn_params}
        result = await self.request("turn/start", params)
        turn_id = result["turn"]["id"]
        async for note in self.stream_turn(turn_id, thread_id=thread_id):
            if note.method == "item/agentMessage/delta":
                yield note.params.get("delta", "")

    async def _interrupt_quietly(self, thread_id: str | None, turn_id: str) -> None:
        if thread_id is None:
            return
        with contextlib.suppress(CodexError):
            await self.request(
                "turn/interrupt",
                {"threadId": thread_id, "turnId": turn_id},
                timeout=min(
                    self.config.resolve_timeout(None) or INTERRUPT_TIMEOUT_CAP,
                    INTERRUPT_TIMEOUT_CAP,
                ),
            )

    # -- reader ---------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        while True:
            error = await self._pump()
            if self._closing or not self._reconnecting_possible(error):
                break
            gave_up = await self._reconnect(error)
            if gave_up is None:
                continue
            error = gave_up
            break
        if self._closing:
            error = ClientClosedError("the client was closed")
        self._set_online()
        self._fail(error)
        # The connection is dead: end the app-server's process group now rather than at
        # close(), so nothing it started outlives it (close() awaits this same task).
        self._begin_close()

    async def _pump(self) -> CodexError:
        """Read and route until the connection ends; the error that explains the end."""
        router = self._router
        assert router is not None
        read_line = self._transport.read_line
        # A transport that hands over every line that has arrived at once (stdio) saves a
        # readline() per message; any other is read a line at a time.
        read_lines = getattr(self._transport, "read_lines", None)
        route = router.route
        error: CodexError
        try:
            while True:
                if read_lines is not None:
                    lines = await read_lines()
                    if not lines:
                        break
                else:
                    line = await read_line()
                    if not line:
                        break
                    lines = [line]
                self._deliver(lines, route)
            wait_exit = getattr(self._transport, "wait_exit", None)
            if wait_exit is not None:  # for the exit code and last stderr lines, bounded
                await wait_exit(EXIT_STATUS_WAIT)
            error = self._transport.closed_error("the app-server closed its output")
        except asyncio.CancelledError:
            if not self._closing:
                # Cancelled by someone other than close(): typically `asyncio.run` ending
                # with this client never closed. Nothing will close it now: end the
                # app-server's process group at once, rather than leave it running.
                self._fail(TransportError("the reader task was cancelled"))
                abandon = getattr(self._transport, "abandon", None)
                if abandon is not None:
                    abandon()
            raise
        except MessageTooLargeError as exc:
            error = exc
        except Exception as exc:
            logger.exception("the reader failed")
            error = TransportError(f"the reader failed: {exc!r}")
        return error

    def _deliver(self, lines: list[bytes], route: Callable[[Any], Any]) -> None:
        """Decode, route and deliver each line; one that fails is logged and skipped."""
        tracing = wire_logger.isEnabledFor(logging.DEBUG)
        router = self._router
        assert router is not None
        for line in lines:
            try:
                message = decode(line)
            except Exception:  # ValueError, or RecursionError from the stdlib parser
                if isinstance(line, OversizedLine):
                    routed = router.route_oversized(
                        line.head, line.size, self.config.max_line_bytes
                    )
                else:
                    self._faults.warning(
                        "not JSON", "skipping a line that is not JSON: %.200r", line
                    )
                    continue
            else:
                if tracing:
                    trace_wire("recv", message)
                try:
                    routed = route(message)
                except Exception:  # one odd message must never kill the reader
                    logger.exception("skipping a message that could not be routed: %.200r", line)
                    continue
            if isinstance(routed, Dropped):
                self._dropped(routed, line)
                continue
            for sink, item in routed:
                try:
                    sink.put_nowait(item)
                except Exception:
                    logger.exception("delivering %r failed", item)

    def _dropped(self, dropped: Dropped, line: bytes) -> None:
        if isinstance(dropped, NullIdError):
            logger.error("%s: %.500r", dropped.reason, line)
        elif isinstance(dropped, OversizedRequest):
            self._faults.warning("oversized", "%s; answering it with an error", dropped.reason)
            assert self._loop is not None and dropped.error is not None
            task = self._loop.create_task(
                self._send_raw(error_reply(dropped.request_id, dropped.error))
            )
            self._handler_tasks.add(task)
            task.add_done_callback(self._handler_tasks.discard)
        else:
            shown = line.head if isinstance(line, OversizedLine) else line
            self._faults.warning("dropped", "dropped a message: %s: %.200r", dropped.reason, shown)

    def _fail(self, error: CodexError) -> None:
        if self._error is not None:
            return
        self._error = error
        if self._router is None:
            return
        for sink, item in self._router.fail_all(error):
            with contextlib.suppress(Exception):
                sink.put_nowait(item)

    def _check_open(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closing:
            raise ClientClosedError("the client was closed")

    # -- server requests ------------------------------------------------------------------

    def _dispatch_server_request(self, request: ServerRequest) -> None:
        assert self._loop is not None
        task = self._loop.create_task(self._serve(request))
        self._handler_tasks.add(task)
        task.add_done_callback(self._handler_tasks.discard)

    async def _serve(self, request: ServerRequest) -> None:
        # While a turn's server request is being handled, its inactivity timer is paused.
        turn_id = request.turn_id
        if turn_id is not None:
            self._serving[turn_id] = self._serving.get(turn_id, 0) + 1
        try:
            await self._serve_once(request)
        finally:
            if turn_id is not None:
                count = self._serving.pop(turn_id, 1) - 1
                if count > 0:
                    self._serving[turn_id] = count

    async def _serve_once(self, request: ServerRequest) -> None:
        try:
            result = await asyncio.wait_for(
                self._run_handler(request), self.config.server_request_timeout
            )
        except asyncio.TimeoutError:
            logger.warning(
                "server request %s was not answered within %gs; declining it",
                request.method,
                self.config.server_request_timeout,
            )
            try:
                result = timeout_reply(
                    request.method, request.params, self.config.server_request_timeout
                )
            except Exception as exc:
                await self._send_raw(error_reply(request.id, exc))
                return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # logged by the dispatch; the server gets the error
            await self._send_raw(error_reply(request.id, exc))
            return
        await self._send_raw({"id": request.id, "result": build_params(result)})

    async def _run_handler(self, request: ServerRequest) -> Any:
        if self._handler_pool is None:
            self._handler_pool = HandlerPool()
        answering = answer(self.handlers, request, self.server_request_handler, self._handler_pool)
        span = self.traces.approval_span(request)
        if span is None:
            return await answering
        return await traced_answer(span, answering)

    async def _send_raw(self, message: dict[str, Any]) -> None:
        if self._error is not None:
            return
        if wire_logger.isEnabledFor(logging.DEBUG):
            trace_wire("send", message)
        with contextlib.suppress(CodexError):
            await self._transport.write_line(encode(message))

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

        See `AppServerClient.subscribe_keyed` (`tee`, `once`, retained matches). Call on the
        client's loop, once started.
        """
        router = self._router
        if router is None:
            raise ClientNotStartedError()
        replay = router.subscribe_key(method, tuple(path), value, sink, once=once, tee=tee)
        for note in replay:
            sink.put_nowait(note)
        if self._error is not None:
            sink.put_nowait(self._error)

    def unsubscribe_keyed(self, method: str, path: Sequence[str], value: str) -> None:
        """End a `subscribe_keyed` subscription (no error if there is none)."""
        if self._router is not None:
            self._router.unsubscribe_key(method, tuple(path), value)

    def retain_keyed(self, method: str, path: Sequence[str]) -> None:
        """Keep recent unclaimed `method` notifications keyed at `path` for a late subscriber."""
        router = self._router
        if router is None:
            raise ClientNotStartedError()
        router.retain_key(method, tuple(path))


async def traced_answer(span: Any, answering: Any) -> Any:
    """Await a server request's answer inside its approval span."""
    failure: BaseException | None = None
    try:
        result = await answering
        span.set_attribute("codex.approval.decision", approval_decision(result) or "")
        return result
    except BaseException as exc:
        failure = exc
        raise
    finally:
        end_span(span, failure)


class _AsyncDispatch:
    """The router's server-request sink: one task per request, off the reader."""

    def __init__(self, client: AsyncAppServerClient) -> None:
        self._client = client

    def put_nowait(self, request: ServerRequest) -> None:
        self._client._dispatch_server_request(request)
