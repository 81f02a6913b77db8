# The one source of both reconnect mixins: scripts/unasync.py  # unasync: async-only
# generates its blocking twin, _sync/reconnect.py.  # unasync: async-only
"""Reconnect for the low-level client (remote transports): a mixin of `AsyncAppServerClient`.

When the connection drops, the reader fails the requests in flight with the retryable
`ConnectionLostError`, reconnects with backoff and jitter until the give-up time, marks
every active turn's stream with a `ConnectionResumed`, and a helper re-initializes and
resumes every loaded thread (the server then sends the rest of a running turn). New
requests wait for that. `stream_turn` recovers, from `thread/read`, the items a turn with a
gap never streamed. See docs/remote.md#reconnect.

The client brings the seams: `_go_offline()` / `_set_online()` (the gate new requests wait
at), `_stopped()` (closing), `_pause(seconds)` (a wait that a close ends) and
`_spawn_resync()` (runs `_resync` off the reader).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from .._protocol.client_base import ClientBase
from .._protocol.errors import ClientClosedError, CodexError, ConnectionLostError
from .._protocol.notifications import ConnectionGap, ConnectionResumed, Notification
from .._protocol.reconnect import GapTracker, delay, gave_up_error, lost_error, may_retry

logger = logging.getLogger("codex_app_server")


class ReconnectMixin(ClientBase):
    """The reconnect half of `AsyncAppServerClient` (state is set up by its `__init__`)."""

    async def request(self, method: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    async def notify(self, method: str, params: Any = None) -> None:
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
