"""One app-server of a pool: its `AsyncCodex`, its load, and its (bounded) restarts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from codex_app_server import AppServerConfig, AsyncCodex, CodexError, PoolError

__all__ = ["PoolError", "PoolServer", "home_key"]

logger = logging.getLogger("codex_app_server.pool")


def home_key(config: AppServerConfig) -> str | None:
    """What identifies the CODEX_HOME a server uses (None: unknown, e.g. a remote server).

    Servers with the same key share threads: a thread of a dead one can be resumed on
    another.
    """
    if getattr(config, "url", None):
        return None
    home = config.codex_home
    if home is None:
        home = (config.env or {}).get("CODEX_HOME") or os.environ.get("CODEX_HOME")
    if home is None:
        home = os.path.join(os.path.expanduser("~"), ".codex")
    return os.path.realpath(os.fspath(home))


class PoolServer:
    """An app-server in a pool.

    Attributes:
        index: its position in the pool.
        config: how it is started (the same config on every restart).
        codex: the current `AsyncCodex` (a new one after each restart).
        active_turns: turns running on it now.
        threads: ids of the pool threads placed on it.
        restarts: how many times it was restarted.
        failed: True once it died more often than the pool allows: it takes no more work.
    """

    def __init__(
        self,
        index: int,
        config: AppServerConfig,
        *,
        max_restarts: int,
        max_turns: int | None,
        codex_kwargs: dict[str, Any],
        drain_notifications: bool = False,
    ) -> None:
        self.index = index
        self.config = config
        self.home = home_key(config)
        self.codex = AsyncCodex(config, **codex_kwargs)
        self.active_turns = 0
        self.threads: set[str] = set()
        self.restarts = 0
        self.failed = False
        self.max_restarts = max_restarts
        self._codex_kwargs = codex_kwargs
        self._slots = asyncio.Semaphore(max_turns) if max_turns else None
        self._lock = asyncio.Lock()
        self._tried = False
        self._up = False
        self._drain = drain_notifications
        self._drainer: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        state = "failed" if self.failed else ("up" if self.healthy else "down")
        return f"PoolServer({self.index}, {state}, turns={self.active_turns})"

    @property
    def healthy(self) -> bool:
        """Started and its connection is open."""
        return self._up and not self.failed and not self.codex.client.closed

    @property
    def pid(self) -> int | None:
        """The app-server's process id (None when not known, e.g. a remote server)."""
        transport = getattr(self.codex.client, "_transport", None)
        pid = getattr(transport, "pid", None)
        return pid if isinstance(pid, int) else None

    @property
    def load(self) -> tuple[int, int]:
        """Ordering key for placement: running turns, then threads placed."""
        return (self.active_turns, len(self.threads))

    async def start(self) -> None:
        """Start the server (the pool calls this; see `AsyncCodexPool.start`)."""
        await self.ensure_up()
        if not self.healthy:
            raise PoolError(f"app-server {self.index} could not be started")

    async def ensure_up(self) -> bool:
        """Restart the server if it died (within `max_restarts`). False: it is gone for good."""
        if self.healthy:
            return True
        async with self._lock:
            while not self.healthy:
                if self.failed:
                    return False
                if self._tried:
                    if self.restarts >= self.max_restarts:
                        logger.warning("app-server %d is down for good", self.index)
                        self.failed = True
                        await self._close_quietly()
                        return False
                    self.restarts += 1
                    logger.warning("app-server %d died: restart %d", self.index, self.restarts)
                    await self._close_quietly()
                    self.codex = AsyncCodex(self.config, **self._codex_kwargs)
                self._tried = True
                try:
                    await self.codex.start()
                    self._up = True
                    if self._drain:
                        self._drainer = asyncio.ensure_future(drain_global(self.codex))
                except CodexError as exc:
                    logger.warning("app-server %d did not start: %s", self.index, exc)
                    self._up = False
            return True

    def mark_dead(self) -> None:
        """Note that the server died (its client may not have noticed yet)."""
        self._up = False

    @contextlib.asynccontextmanager
    async def turn_slot(self) -> AsyncIterator[None]:
        """Hold one of the server's turn slots (`max_turns_per_server`) for a turn."""
        if self._slots is not None:
            await self._slots.acquire()
        self.active_turns += 1
        try:
            yield
        finally:
            self.active_turns -= 1
            if self._slots is not None:
                self._slots.release()

    async def close(self) -> None:
        self.failed = True
        await self._close_quietly()

    async def _close_quietly(self) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
            self._drainer = None
        with contextlib.suppress(Exception):
            await self.codex.close()


async def drain_global(codex: AsyncCodex) -> None:
    """Read and drop the notifications that belong to no turn (`thread/started`,
    `thread/status/changed`, ...): a batch never reads them, and a long run would fill the
    client's global queue (and log about it)."""
    with contextlib.suppress(Exception):
        while True:
            await codex.client.next_notification()
