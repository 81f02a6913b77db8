"""Reconnect for the sync client (remote transports): a mixin of `AppServerClient`.

When the connection drops, the reader thread fails the requests in flight with the
retryable `ConnectionLostError`, reconnects with backoff and jitter until the give-up time,
marks every active turn's stream with a `ConnectionResumed`, and a helper thread
re-initializes and resumes every loaded thread (the server then sends the rest of a running
turn). New requests wait for that. `stream_turn` recovers, from `thread/read`, the items a
turn with a gap never streamed. See docs/remote.md#reconnect.
"""

from __future__ import annotations

import contextlib
import logging
import threading
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


class SyncReconnect:
    """The reconnect half of `AppServerClient` (state is set up by its `__init__`)."""

    config: AppServerConfig
    initialize_result: dict[str, Any] | None
    _transport: Any
    _lock: threading.Lock
    _router: MessageRouter
    _closing: bool
    _error: CodexError | None
    _loaded: LoadedThreads
    _online: threading.Event
    _stop: threading.Event
    _resync_thread: threading.Thread | None

    def request(self, method: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def notify(self, method: str, params: Any = None) -> None:
        raise NotImplementedError

    def _recover_items(self, gaps: GapTracker, thread_id: str, turn_id: str) -> list[Notification]:
        """After a reconnect gap: the turn's items that never streamed, from `thread/read`."""
        try:
            stored = self.request("thread/read", {"threadId": thread_id, "includeTurns": True})
        except CodexError as exc:
            logger.warning("turn %s: could not read the thread after a gap: %s", turn_id, exc)
            return []
        return gaps.recovered(stored, thread_id, turn_id)

    def _url(self) -> str:
        return str(getattr(self._transport, "url", self.config.url))

    def _reconnecting_possible(self, error: CodexError | None = None) -> bool:
        return (
            self.config.reconnects
            and getattr(self._transport, "reconnectable", False)
            and self.initialize_result is not None
            and not self._closing
            and self._error is None
            and (error is None or not isinstance(error, MessageTooLargeError))
        )

    def _reconnect(self, error: CodexError) -> CodexError | None:
        """On the reader thread: fail requests in flight, reconnect with backoff, mark the
        active turns' streams, and re-initialize and resume threads on a helper thread.
        None when connected again; else the error to fail everything with."""
        lost_at = time.monotonic()
        self._online.clear()
        url = self._url()
        with self._lock:
            deliveries = self._router.fail_pending(lost_error(url))
        for sink, item in deliveries:
            with contextlib.suppress(Exception):
                sink.put_nowait(item)
        logger.warning("lost the connection to %s (%s); reconnecting", url, error)
        reconnect = getattr(self._transport, "reconnect")  # noqa: B009
        attempts, last = 0, None
        deadline = lost_at + self.config.reconnect_timeout
        limit = self.config.reconnect_max_attempts
        while not self._stop.is_set():
            attempts += 1
            try:
                reconnect(max(0.0, deadline - time.monotonic()))
                break
            except CodexError as exc:
                last = exc
            if (
                not may_retry(last)
                or (limit is not None and attempts >= limit)
                or time.monotonic() >= deadline
            ):
                return gave_up_error(url, time.monotonic() - lost_at, attempts, last)
            pause = min(delay(self.config, attempts), max(0.0, deadline - time.monotonic()))
            if self._stop.wait(pause):
                break
        if self._stop.is_set():
            return ClientClosedError("the client was closed")
        gap = time.monotonic() - lost_at
        with self._lock:
            active = self._router.active_turns()
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
        self._resync_thread = threading.Thread(
            target=self._resync, name="codex-app-server-resync", daemon=True
        )
        self._resync_thread.start()
        return None

    def _resync(self) -> None:
        """`initialize`, `initialized`, then `thread/resume` of every loaded thread."""
        try:
            self.request(
                "initialize", self.config.initialize_params(), timeout=self.config.startup_timeout
            )
            self.notify("initialized")
            for thread_id in self._loaded.ids():
                try:
                    self.request("thread/resume", {"threadId": thread_id})
                except ConnectionLostError:
                    raise
                except CodexError as exc:
                    logger.warning("could not resume thread %s after reconnect: %s", thread_id, exc)
        except CodexError as exc:
            logger.warning("re-initializing after reconnect failed: %s", exc)
        finally:
            self._online.set()
