# The one source of both reconnect mixins: scripts/unasync.py  # unasync: async-only
# generates its blocking twin, _sync/reconnect.py.  # unasync: async-only
"""The reader loop and reconnect (remote transports): a mixin of `AsyncAppServerClient`.

The reader reads, feeds the router, delivers (`ClientBase._feed`), until the connection
ends. When it drops, the reader fails the requests in flight with the retryable
`ConnectionLostError`, reconnects with backoff and jitter until the give-up time, marks
every active turn's stream with a `ConnectionResumed`, and a helper re-initializes and
resumes every loaded thread (the server then sends the rest of a running turn). New
requests wait for that. `stream_turn` recovers, from `thread/read`, the items a turn with a
gap never streamed. See docs/remote.md#reconnect.

The client brings the seams: `_close_after_reader()`, `_go_offline()` / `_set_online()`
(the gate new requests wait at), `_stopped()` (closing), `_pause(seconds)` (a wait that a
close ends) and `_spawn_resync()` (runs `_resync` off the reader).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .._constants import EXIT_STATUS_WAIT
from .._logging import sdk_logger
from .._protocol.client_base import ClientBase
from .._protocol.errors import (
    ClientClosedError,
    CodexError,
    ConnectionLostError,
    MessageTooLargeError,
    TransportError,
)
from .._protocol.notifications import ConnectionGap, ConnectionResumed, Notification
from .._protocol.reconnect import GapTracker, delay, gave_up_error, lost_error, may_retry

logger = sdk_logger("codex_app_server")


class ReconnectMixin(ClientBase):
    """The reconnect half of `AsyncAppServerClient` (state is set up by its `__init__`)."""

    async def request(self, method: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def notify(self, method: str, params: Any = None) -> None:
        raise NotImplementedError

    def _close_after_reader(self) -> None:
        raise NotImplementedError

    def _go_offline(self) -> None:
        raise NotImplementedError

    def _set_online(self) -> None:
        raise NotImplementedError

    def _stopped(self) -> bool:
        raise NotImplementedError

    async def _pause(self, seconds: float) -> None:
        raise NotImplementedError

    def _spawn_resync(self) -> None:
        raise NotImplementedError

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
        self._fail(error)
        self._set_online()  # requests waiting for a reconnect see the error
        # The connection is dead: end the app-server's process group now rather than at
        # close(), so nothing it started outlives it (close() waits for this).
        self._close_after_reader()

    async def _pump(self) -> CodexError:
        """Read and feed until the connection ends; the error that explains the end."""
        read_line = self._transport.read_line
        # A transport that hands over every line that has arrived at once (stdio) saves a
        # readline() per message (on the thread side, a router lock per message too).
        read_lines = self._lines_reader()
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
                self._feed(lines)
            # unasync: begin async-only
            wait_exit = getattr(self._transport, "wait_exit", None)
            if wait_exit is not None:  # for the exit code and last stderr lines, bounded
                await wait_exit(EXIT_STATUS_WAIT)
            # unasync: end
            return self._transport.closed_error("the app-server closed its output")  # type: ignore[no-any-return]
        # unasync: begin async-only
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
        # unasync: end
        except MessageTooLargeError as exc:
            return exc
        except Exception as exc:
            logger.exception("the reader failed")
            return TransportError(f"the reader failed: {exc!r}")

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

    async def _reconnect(self, error: CodexError) -> CodexError | None:
        """On the reader: fail requests in flight, reconnect with backoff, mark the active
        turns' streams, and re-initialize and resume threads off the reader.
        None when connected again; else the error to fail everything with."""
        lost_at = time.monotonic()
        self._go_offline()
        url = self._url()
        self._fail_pending(lost_error(url))
        logger.warning("lost the connection to %s (%s); reconnecting", url, error)
        reconnect = getattr(self._transport, "reconnect")  # noqa: B009
        attempts, last = 0, None
        deadline = lost_at + self.config.reconnect_timeout
        limit = self.config.reconnect_max_attempts
        while not self._stopped():
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
            await self._pause(
                min(delay(self.config, attempts), max(0.0, deadline - time.monotonic()))
            )
        if self._stopped():
            return ClientClosedError("the client was closed")
        gap = time.monotonic() - lost_at
        active = self._active_turns()
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
        self._spawn_resync()
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
