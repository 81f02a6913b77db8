"""Reconnect for the asyncio client (remote transports): a mixin of `AsyncAppServerClient`.

When the connection drops, the reader task fails the requests in flight with the
retryable `ConnectionLostError`, reconnects with backoff and jitter until the give-up time,
marks every active turn's stream with a `ConnectionResumed`, and a helper task
re-initializes and resumes every loaded thread (the server then sends the rest of a running
turn). New requests wait for that. `stream_turn` recovers, from `thread/read`, the items a
turn with a gap never streamed. See docs/remote.md#reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from .._protocol.errors import (
    ClientClosedError,
    CodexError,
    ConnectionLostError,
    MessageTooLargeError,
)
from .._protocol.notifications import ConnectionGap, ConnectionResumed, Notification
from .._protocol.reconnect import (
    GapTracker,
    LoadedThreads,
    delay,
    gave_up_error,
    lost_error,
    may_retry,
)

if TYPE_CHECKING:
    from .._config import AppServerConfig
    from .._protocol.router import MessageRouter

logger = logging.getLogger("codex_app_server")


class AsyncReconnect:
    """The reconnect half of `AsyncAppServerClient` (state is set up by its `__init__`)."""

    config: AppServerConfig
    initialize_result: dict[str, Any] | None
    _transport: Any
    _router: MessageRouter | None
    _loop: asyncio.AbstractEventLoop | None
    _closing: bool
    _error: CodexError | None
    _loaded: LoadedThreads
    _online: asyncio.Future[None] | None
    _resync_task: asyncio.Task[None] | None

    async def request(self, method: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def notify(self, method: str, params: Any = None) -> None:
        raise NotImplementedError

    async def _recover_items(
        self, gaps: GapTracker, thread_id: str, turn_id: str
    ) -> list[Notification]:
        """After a reconnect gap: the turn's items that never streamed, from `thread/read`."""
        try:
            params = {"threadId": thread_id, "includeTurns": True}
            stored = await self.request("thread/read", params)
        except CodexError as exc:
            logger.warning("turn %s: could not read the thread after a gap: %s", turn_id, exc)
            return []
        return gaps.recovered(stored, thread_id, turn_id)

    def _url(self) -> str:
        return str(getattr(self._transport, "url", self.config.url))

    def _set_online(self) -> None:
        online, self._online = self._online, None
        if online is not None and not online.done():
            online.set_result(None)

    def _reconnecting_possible(self, error: CodexError | None = None) -> bool:
        return (
            self.config.reconnects
            and getattr(self._transport, "reconnectable", False)
            and self.initialize_result is not None
            and not self._closing
            and self._error is None
            and (error is None or not isinstance(error, MessageTooLargeError))
        )

    async def _reconnect(self, error: CodexError) -> CodexError | None:
        """In the reader task: fail requests in flight, reconnect with backoff, mark the
        active turns' streams, and re-initialize and resume threads in a helper task.
        None when connected again; else the error to fail everything with."""
        router, loop = self._router, self._loop
        assert router is not None and loop is not None
        lost_at = time.monotonic()
        if self._online is None:
            self._online = loop.create_future()
        url = self._url()
        for sink, item in router.fail_pending(lost_error(url)):
            with contextlib.suppress(Exception):
                sink.put_nowait(item)
        logger.warning("lost the connection to %s (%s); reconnecting", url, error)
        reconnect = getattr(self._transport, "reconnect")  # noqa: B009
        attempts, last = 0, None
        deadline = lost_at + self.config.reconnect_timeout
        limit = self.config.reconnect_max_attempts
        while not self._closing:
            attempts += 1
            try:
                await reconnect(max(0.0, deadline - time.monotonic()))
                break
            except CodexError as exc:
                last = exc
            if (
                not may_retry(last)
                or (limit is not None and attempts >= limit)
                or time.monotonic() >= deadline
            ):
                return gave_up_error(url, time.monotonic() - lost_at, attempts, last)
            await asyncio.sleep(
                min(delay(self.config, attempts), max(0.0, deadline - time.monotonic()))
            )
        if self._closing:
            return ClientClosedError("the client was closed")
        gap = time.monotonic() - lost_at
        active = router.active_turns()
        for turn_id, sink in active:
            sink.put_nowait(ConnectionResumed(ConnectionGap(url, turn_id, None, gap)))
        logger.warning(
            "reconnected to %s after %.2fs (%d attempt(s)); notifications sent meanwhile "
            "are lost; %d active turn(s) marked",
            url,
            gap,
            attempts,
            len(active),
        )
        self._resync_task = loop.create_task(self._resync(), name="codex-app-server-resync")
        return None

    async def _resync(self) -> None:
        """`initialize`, `initialized`, then `thread/resume` of every loaded thread."""
        try:
            await self.request(
                "initialize", self.config.initialize_params(), timeout=self.config.startup_timeout
            )
            await self.notify("initialized")
            for thread_id in self._loaded.ids():
                try:
                    await self.request("thread/resume", {"threadId": thread_id})
                except ConnectionLostError:
                    raise
                except CodexError as exc:
                    logger.warning("could not resume thread %s after reconnect: %s", thread_id, exc)
        except CodexError as exc:
            logger.warning("re-initializing after reconnect failed: %s", exc)
        finally:
            self._set_online()
