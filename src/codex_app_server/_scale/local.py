"""The local backend: an `AsyncCodexPool` whose servers are the batch's workers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .pool import AsyncCodexPool
from .workers import LocalWorker

if TYPE_CHECKING:
    from codex_app_server import AppServerConfig


class LocalWorkers:
    """`workers` app-servers in this process (`async with` starts and stops them)."""

    def __init__(
        self,
        config: AppServerConfig | list[AppServerConfig] | None,
        workers: int,
        *,
        concurrency: int,
        max_restarts: int,
    ) -> None:
        size = None if isinstance(config, list) else workers
        if isinstance(config, list) and len(config) != workers:
            workers = len(config)
        self.pool = AsyncCodexPool(
            config,
            size=size,
            max_turns_per_server=concurrency,
            max_restarts=max_restarts,
            drain_notifications=True,
        )
        self.workers = [LocalWorker(server) for server in self.pool.servers]

    async def __aenter__(self) -> LocalWorkers:
        await self.pool.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.pool.close()
