"""`AsyncAppServerClient`: the low-level asyncio JSON-RPC client.

Native asyncio: one reader task per connection, futures for responses, loop-local queues
for turns. No thread is involved per request or per event, so a thousand silent turns cost
a thousand small queues, not a thousand blocked executor threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from .._config import AppServerConfig
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
from .._transport.base import AsyncTransport
from .._transport.connect import async_transport_for
from .._warmup import WARMUP
from ..generated.client_methods_async import AsyncClientMethods
from .handlers import answer
from .queues import TIMED_OUT, AsyncGlobalQueue, AsyncQueue, AsyncSlot, timer_context
from .streaming import StreamingMixin

if TYPE_CHECKING:
    from .._workers import HandlerPool

logger = sdk_logger("codex_app_server")

#: An async-client server-request handler: sync or async callable taking the request and
#: returning the result; a plain function runs in a worker thread so it cannot block the loop.
AsyncServerRequestHandler = ServerRequestHandler


class AsyncAppServerClient(StreamingMixin, AsyncClientMethods):
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
        """As `AppServerClient()`; here a plain-function handler runs in a worker thread,
        an `async` one on the loop."""
        config = config or AppServerConfig()
        # One loop, one thread: the router needs no lock (the handler registry does, for
        # plain handlers in threads).
        self._setup(config, server_request_handler, handlers, tools, threading.Lock, nullcontext())
        self._transport: AsyncTransport = transport or async_transport_for(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._global: AsyncQueue | None = None
        self._router: MessageRouter | None = None
        self._reader: asyncio.Task[None] | None = None
        self._start_task: asyncio.Task[dict[str, Any]] | None = None
        self._start_waiters = 0
        self._budget: BufferBudget | None = None
        #: The context the timeout timers of requests and queues run in (`timer_context`).
        self._timers = timer_context()
        self._handler_tasks: set[asyncio.Task[None]] = set()
        # Plain-function handlers run here: daemon threads (a hung one cannot keep the
        # process alive nor hold up `asyncio.run`), one more whenever all are busy.
        self._handler_pool: HandlerPool | None = None
        self._close_task: asyncio.Task[None] | None = None
        # While reconnecting, new requests wait for `_online` (set once the connection is
        # back).
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
        self._global = AsyncGlobalQueue(
            loop,
            self.config.global_queue_size,
            name="global",
            budget=self._budget,
            context=self._timers,
        )
        self._router = MessageRouter(self._global, CallSink(self._dispatch_server_request))
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

    # -- JSON-RPC -------------------------------------------------------------------------

    async def _request(
        self, method: str, params: Any, response_model: Any, timeout: float | None
    ) -> Any:
        self._check_open()
        loop = self._loop
        if self._router is None or loop is None:
            raise CodexError("the client is not started: await client.start() or use `async with`")
        online = self._online
        limit = self.config.resolve_timeout(timeout)
        if online is not None and asyncio.current_task() is not self._resync_task:
            # Reconnecting: wait (within this request's timeout) for the new connection.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(online), limit)
            self._check_open()
        slot = AsyncSlot(loop, self._timers)
        message, wire_params, _ = self._new_request(method, params, slot, self._new_queue)
        request_id = message["id"]
        try:
            await self._transport.write_line(encode(message))
            item = await slot.wait(limit)
        except asyncio.CancelledError:
            self._discard(request_id)
            raise  # never swallowed, even if the connection failed meanwhile
        except BaseException as exc:
            self._discard(request_id)
            self._check_open()
            if isinstance(exc, CodexError) and self._reconnecting_possible():
                raise lost_error(self._url()) from exc
            raise
        if item is TIMED_OUT:
            self._discard(request_id)
            raise RequestTimeoutError(method, limit or 0.0)
        return self._result(method, wire_params, item, response_model)

    async def notify(self, method: str, params: Any = None) -> None:
        """Send a notification."""
        await self._transport.write_line(encode(self._notification(method, params)))

    # -- notifications --------------------------------------------------------------------

    @property
    def buffer_budget(self) -> BufferBudget | None:
        """The byte budget of what this client holds for lagging readers (once started):
        `used`, `limit`, and `dropped` (notifications shed because it was full)."""
        return self._budget

    def turn_queue(self, turn_id: str) -> AsyncQueue:
        """The queue `turn_id`'s notifications are routed to (subscribing if needed)."""
        loop = self._loop
        if loop is None:
            raise ClientNotStartedError()
        return self._turn_queue(  # type: ignore[no-any-return]
            turn_id, AsyncQueue, lambda: self._new_queue(f"turn {turn_id}")
        )

    def _new_queue(self, name: str) -> AsyncQueue:
        assert self._loop is not None
        return AsyncQueue(self._loop, name=name, budget=self._budget, context=self._timers)

    # -- reader ---------------------------------------------------------------------------

    def _close_after_reader(self) -> None:
        self._begin_close()

    def _reply_later(self, message: dict[str, Any]) -> None:
        self._spawn(self._send_raw(message))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` as a task of the client (cancelled by close)."""
        assert self._loop is not None
        task = self._loop.create_task(work)
        self._handler_tasks.add(task)
        task.add_done_callback(self._handler_tasks.discard)

    # -- reconnect seams (see ReconnectMixin) ---------------------------------------------

    def _go_offline(self) -> None:
        if self._online is None:
            assert self._loop is not None
            self._online = self._loop.create_future()

    def _set_online(self) -> None:
        online, self._online = self._online, None
        if online is not None and not online.done():
            online.set_result(None)

    def _stopped(self) -> bool:
        return self._closing

    async def _pause(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def _spawn_resync(self) -> None:
        assert self._loop is not None
        self._resync_task = self._loop.create_task(self._resync(), name="codex-app-server-resync")

    # -- server requests ------------------------------------------------------------------

    def _dispatch_server_request(self, request: ServerRequest) -> None:
        self._spawn(self._serve(request))

    async def _serve(self, request: ServerRequest) -> None:
        # While a turn's server request is being handled, its inactivity timer is paused.
        self._serving_change(request.turn_id, +1)
        try:
            await self._send_raw(await self._answer(request))
        finally:
            self._serving_change(request.turn_id, -1)

    async def _answer(self, request: ServerRequest) -> dict[str, Any]:
        try:
            result = await asyncio.wait_for(
                self._run_handler(request), self.config.server_request_timeout
            )
        except asyncio.TimeoutError:
            return self._timeout_reply(request)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # logged by the dispatch; the server gets the error
            return error_reply(request.id, exc)
        return result_reply(request, result)

    async def _run_handler(self, request: ServerRequest) -> Any:
        if self._handler_pool is None:
            from .._workers import HandlerPool  # on the first server request

            self._handler_pool = HandlerPool()
        answering = answer(self.handlers, request, self.server_request_handler, self._handler_pool)
        with approval_tracing(self.traces.approval_span(request)) as decided:
            return decided(await answering)

    async def _send_raw(self, message: dict[str, Any]) -> None:
        if self._error is not None:
            return
        trace_send(message)
        with contextlib.suppress(CodexError):
            await self._transport.write_line(encode(message))
