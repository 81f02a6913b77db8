"""The Ray backend: one Ray actor per worker, each owning an app-server and an `AsyncCodex`.

Tasks reach the actors through the batch engine's slots (`concurrency` per actor: the
work in flight is bounded); results come back to the driver as each finishes. An actor
that dies (its node went away, `ray.kill`, a crash) is replaced, at most `max_restarts`
times per worker, and its tasks in flight are retried by the engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .ray_actor import BUSY, LOST, CodexActor
from .runner import WorkerBusy, WorkerGone, WorkerLost

if TYPE_CHECKING:
    from codex_app_server import AppServerConfig

    from .task import Task, TaskResult
    from .workers import FleetSpec

logger = logging.getLogger("codex_app_server.batch")

#: Seconds an actor may take to be placed and start its app-server.
ACTOR_START_TIMEOUT = 120.0
DEFAULT_ACTOR_OPTIONS: Mapping[str, Any] = {"num_cpus": 1}


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('backend="ray" needs Ray: pip install "codex-app-server[ray]"') from exc
    return ray


class RayWorker:
    """A worker actor as seen by the driver."""

    def __init__(self, fleet: RayWorkers, index: int, config: AppServerConfig | None) -> None:
        self.index = index
        self._fleet = fleet
        self._config = config
        self.actor: Any = None
        self.generation = 0
        self.replacements = 0
        self._dead_generation: int | None = None
        self._lock = asyncio.Lock()

    async def spawn(self) -> None:
        ray = _ray()
        actor = self._fleet.actor_class.options(**self._fleet.actor_options).remote(
            self._config, self.index, self._fleet.max_restarts
        )
        try:
            await asyncio.wait_for(_await(actor.start.remote()), ACTOR_START_TIMEOUT)
        except asyncio.TimeoutError:
            with contextlib.suppress(Exception):
                ray.kill(actor)
            raise RuntimeError(
                f"Ray worker {self.index} did not start within {ACTOR_START_TIMEOUT:.0f} s: "
                "does the cluster have the resources asked for in ray_actor_options "
                f"({dict(self._fleet.actor_options)})?"
            ) from None
        self.actor = actor
        self.generation += 1

    async def run(
        self, task: Task, *, timeout: float | None, keep_thread: bool, attempt: int
    ) -> TaskResult:
        ray = _ray()
        actor, generation = self.actor, self.generation
        if actor is None:
            raise WorkerGone(f"Ray worker {self.index} is gone")
        try:
            out = await _await(actor.run.remote(task, timeout, keep_thread, attempt))
        except (ray.exceptions.RayActorError, ray.exceptions.RayTaskError) as exc:
            self._dead_generation = generation
            raise WorkerLost(f"Ray worker {self.index}: {type(exc).__name__}: {exc}") from exc
        if isinstance(out, str) and out == LOST:
            raise WorkerLost(f"the app-server of Ray worker {self.index} died")
        if isinstance(out, str) and out == BUSY:
            raise WorkerBusy(f"the app-server of Ray worker {self.index} is overloaded")
        return out  # type: ignore[no-any-return]

    async def recover(self) -> bool:
        """Replace the actor if it died (once per death, however many slots noticed)."""
        dead = self._dead_generation
        if dead is None or dead != self.generation:
            return self.actor is not None  # the app-server restarts inside the actor
        async with self._lock:
            if dead != self.generation:
                return self.actor is not None
            ray = _ray()
            with contextlib.suppress(Exception):
                ray.kill(self.actor)
            self.actor = None
            if self.replacements >= self._fleet.max_restarts:
                logger.warning("Ray worker %d died too often: giving up", self.index)
                return False
            self.replacements += 1
            logger.warning("Ray worker %d died: replacing it (%d)", self.index, self.replacements)
            try:
                await self.spawn()
            except Exception as exc:
                logger.warning("Ray worker %d could not be replaced: %s", self.index, exc)
                return False
            return True

    async def close(self) -> None:
        if self.actor is None:
            return
        ray = _ray()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(_await(self.actor.close.remote()), 10)
        with contextlib.suppress(Exception):
            ray.kill(self.actor)
        self.actor = None


class RayWorkers:
    """`workers` Ray actors (`async with` starts and stops them)."""

    def __init__(
        self,
        spec: FleetSpec,
        *,
        address: str | None = None,
        actor_options: Mapping[str, Any] | None = None,
    ) -> None:
        ray = _ray()
        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        self.max_restarts = spec.max_restarts
        options = dict(DEFAULT_ACTOR_OPTIONS if actor_options is None else actor_options)
        options.setdefault("max_concurrency", spec.concurrency + 4)
        self.actor_options = options
        self.actor_class = ray.remote(CodexActor)
        self.workers = [RayWorker(self, i, c) for i, c in enumerate(spec.configs)]

    async def __aenter__(self) -> RayWorkers:
        try:
            # One first: app-servers starting together on a fresh CODEX_HOME fail.
            await self.workers[0].spawn()
            await asyncio.gather(*(w.spawn() for w in self.workers[1:]))
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    async def close(self) -> None:
        await asyncio.gather(*(w.close() for w in self.workers), return_exceptions=True)


async def _await(ref: Any) -> Any:
    return await ref
