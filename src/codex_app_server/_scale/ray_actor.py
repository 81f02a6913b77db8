"""The Ray worker actor's body: an app-server and an `AsyncCodex` inside a Ray actor.

A plain class, made a Ray actor by `ray_backend` (so that importing this module does not
import Ray). Its app-server's death is reported as `LOST`, and the actor starts a new one
on its next call; the death of the actor itself is the driver's business.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from .runner import WorkerBusy, WorkerLost, run_task
from .server import drain_global

if TYPE_CHECKING:
    from codex_app_server import AppServerConfig, AsyncCodex

    from .task import Task, TaskResult

#: What `CodexActor.run` returns when the app-server died under the task.
LOST = "__codex_worker_lost__"
#: ... and when the app-server answered -32001 (overloaded) before the task started.
BUSY = "__codex_worker_busy__"


class CodexActor:
    """Owns one app-server; runs tasks on it, several at once."""

    def __init__(self, config: AppServerConfig | None, index: int, max_restarts: int) -> None:
        self._config = config
        self._index = index
        self._max_restarts = max_restarts
        self._restarts = 0
        self._codex: AsyncCodex | None = None
        self._lock = asyncio.Lock()
        self._drainer: asyncio.Future[None] | None = None

    async def start(self) -> int:
        """Start the app-server; the actor's process id."""
        await self._ensure_codex()
        return os.getpid()

    async def _ensure_codex(self) -> AsyncCodex:
        from codex_app_server import AsyncCodex

        async with self._lock:
            codex = self._codex
            if codex is not None and not codex.client.closed:
                return codex
            if codex is not None:
                if self._restarts >= self._max_restarts:
                    raise RuntimeError(f"worker {self._index}: its app-server died too often")
                self._restarts += 1
                if self._drainer is not None:
                    self._drainer.cancel()
                await codex.close()
            codex = AsyncCodex(self._config)
            await codex.start()
            self._drainer = asyncio.ensure_future(drain_global(codex))
            self._codex = codex
            return codex

    async def run(self, task: Task, timeout: float | None, keep_thread: bool, attempt: int) -> Any:
        """A `TaskResult`, or `LOST` / `BUSY`."""
        codex = await self._ensure_codex()
        try:
            result: TaskResult = await run_task(
                codex,
                task,
                timeout=timeout,
                keep_thread=keep_thread,
                worker=self._index,
                attempt=attempt,
            )
        except WorkerLost:
            return LOST
        except WorkerBusy:
            return BUSY
        return result

    async def server_pids(self) -> list[int]:
        """Process ids of the app-servers this actor started (for tests and benchmarks)."""
        from .procs import app_server_pids

        return app_server_pids(os.getpid())

    async def close(self) -> None:
        if self._drainer is not None:
            self._drainer.cancel()
        if self._codex is not None:
            await self._codex.close()
