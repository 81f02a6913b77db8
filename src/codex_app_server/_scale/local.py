"""The local backend: an `AsyncCodexPool` whose servers are the batch's workers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .pool import AsyncCodexPool
from .workers import LocalWorker

if TYPE_CHECKING:
    from .workers import FleetSpec


class LocalWorkers:
    """`workers` app-servers in this process (`async with` starts and stops them)."""

    def __init__(self, spec: FleetSpec) -> None:
        from codex_app_server import AppServerConfig

        self.pool = AsyncCodexPool(
            [config or AppServerConfig() for config in spec.configs],
            max_turns_per_server=spec.concurrency,
            max_restarts=spec.max_restarts,
            drain_notifications=True,
        )
        self.workers = [LocalWorker(server) for server in self.pool.servers]

    async def __aenter__(self) -> LocalWorkers:
        await self.pool.start()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.pool.close()
