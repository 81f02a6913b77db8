"""What the batch engine runs tasks on: a `BatchWorker` per app-server (or Ray actor)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from .runner import run_task

if TYPE_CHECKING:
    from codex_app_server import AppServerConfig

    from .server import PoolServer
    from .task import Task, TaskResult


@dataclass(frozen=True)
class FleetSpec:
    """What a backend makes its workers of (`LocalWorkers`, `RayWorkers`): one worker per
    config, each running up to `concurrency` tasks at once and restarted at most
    `max_restarts` times."""

    configs: list[AppServerConfig | None]
    concurrency: int
    max_restarts: int

    @classmethod
    def of(
        cls,
        config: AppServerConfig | list[AppServerConfig] | None,
        workers: int,
        *,
        concurrency: int,
        max_restarts: int,
    ) -> FleetSpec:
        """`config` as given if it is a list (`workers` is then its length), else `workers`
        times."""
        configs: list[AppServerConfig | None] = (
            list(config) if isinstance(config, list) else [config] * workers
        )
        return cls(configs, concurrency, max_restarts)


class BatchWorker(Protocol):
    """One worker: runs tasks (several at once) and comes back after dying, if it can."""

    index: int

    async def run(
        self, task: Task, *, timeout: float | None, keep_thread: bool, attempt: int
    ) -> TaskResult:
        """Run the task; raise `WorkerLost` if the worker died under it."""
        ...

    async def recover(self) -> bool:
        """Restart after a death; False when the worker is gone for good."""
        ...


class LocalWorker:
    """A pool's app-server as a batch worker."""

    def __init__(self, server: PoolServer) -> None:
        self.server = server
        self.index = server.index

    async def run(
        self, task: Task, *, timeout: float | None, keep_thread: bool, attempt: int
    ) -> TaskResult:
        from .runner import WorkerGone, WorkerLost

        server = self.server
        if not await server.ensure_up():
            raise WorkerGone(f"app-server {self.index} is down for good")
        codex = server.codex
        async with server.turn_slot():
            try:
                return await run_task(
                    codex,
                    task,
                    timeout=timeout,
                    keep_thread=keep_thread,
                    worker=self.index,
                    attempt=attempt,
                )
            except WorkerLost:
                if server.codex is codex:
                    server.mark_dead()
                raise

    async def recover(self) -> bool:
        return await self.server.ensure_up()
