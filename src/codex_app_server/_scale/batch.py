"""`arun_batch` / `run_batch`: run many tasks, resumably, on a pool or on Ray."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from .engine import Engine
from .progress import BatchProgress, ProgressCounter
from .results import ResultsWriter, done_ids
from .task import Task, TaskResult
from .workers import FleetSpec

if TYPE_CHECKING:
    import os

    from codex_app_server import AppServerConfig

Backend = Literal["local", "ray"]


async def arun_batch(
    tasks: Iterable[Task | Mapping[str, Any]],
    *,
    config: AppServerConfig | list[AppServerConfig] | None = None,
    workers: int = 2,
    concurrency: int = 8,
    results_path: str | os.PathLike[str] | None = None,
    resume: bool = False,
    rerun_failed: bool = False,
    backend: Backend = "local",
    retries: int = 0,
    timeout: float | None = 600.0,
    keep_threads: bool = False,
    max_worker_losses: int = 3,
    max_restarts: int = 3,
    progress: Callable[[BatchProgress], None] | None = None,
    ray_address: str | None = None,
    ray_actor_options: Mapping[str, Any] | None = None,
) -> AsyncIterator[TaskResult]:
    """Run `tasks`, yielding a `TaskResult` for each as it finishes (asyncio).

    A failing task is a result (`status` "failed", "interrupted" or "timed_out" and an
    `error`), never an exception; exceptions are for bad arguments only.

    Args:
        tasks: `Task`s, or dicts in the tasks-file form (`Task.from_json`). Ids must be unique.
        config: the app-server configuration for every worker, or one config per worker.
        workers: app-servers (local) or Ray actors to run on.
        concurrency: tasks running at once on each worker.
        results_path: a JSONL file that gets one line per finished task, flushed at once.
        resume: with `results_path`, skip the tasks that already have a row (a results file
            that exists is an error otherwise, so that no run overwrites another).
        rerun_failed: when resuming, run the tasks whose row is not "completed" again.
        backend: "local" (a pool of app-servers in this process) or "ray" (one Ray actor
            per worker; needs the `ray` extra).
        retries: extra attempts for a task that failed or timed out.
        timeout: seconds a task's turn may take (a task's own `timeout` wins; None: no limit).
        keep_threads: keep finished threads loaded instead of archiving them (archiving
            keeps the app-servers' memory flat over long runs).
        max_worker_losses: times a task may lose its worker (a killed app-server or actor)
            and be retried elsewhere before it is reported failed.
        max_restarts: restarts allowed per worker.
        progress: called with a `BatchProgress` after every change (in the batch's event
            loop: keep it quick).
        ray_address: with `backend="ray"`, the cluster to join when Ray is not initialised
            yet (None: a local instance).
        ray_actor_options: options for the worker actors (default `{"num_cpus": 1}`).
    """
    every = _tasks(tasks)
    skipped: set[str] = set()
    if results_path is not None and resume:
        skipped = done_ids(results_path, rerun_failed=rerun_failed)
    todo = [t for t in every if t.id not in skipped]
    if workers < 1 or concurrency < 1:
        raise ValueError("workers and concurrency must be at least 1")
    if backend not in ("local", "ray"):
        raise ValueError(f"unknown backend {backend!r}: 'local' or 'ray'")
    counter = ProgressCounter(total=len(every), skipped=len(every) - len(todo))
    writer = ResultsWriter(results_path, append=resume) if results_path is not None else None
    try:
        if not todo:
            if progress is not None:
                progress(counter.snapshot())
            return
        spec = FleetSpec.of(config, workers, concurrency=concurrency, max_restarts=max_restarts)
        if backend == "ray":
            from .ray_backend import RayWorkers

            fleet: Any = RayWorkers(spec, address=ray_address, actor_options=ray_actor_options)
        else:
            from .local import LocalWorkers

            fleet = LocalWorkers(spec)
        async with fleet:
            engine = Engine(
                todo,
                fleet.workers,
                concurrency=concurrency,
                retries=retries,
                timeout=timeout,
                keep_threads=keep_threads,
                max_worker_losses=max_worker_losses,
                writer=writer,
                counter=counter,
                progress=progress,
            )
            async for result in engine.results():
                yield result
    finally:
        if writer is not None:
            writer.close()


def run_batch(tasks: Iterable[Task | Mapping[str, Any]], **options: Any) -> BatchRun:
    """Run `tasks`, yielding a `TaskResult` for each as it finishes (the same options as
    `arun_batch`). The batch runs on an event loop in a background thread; stopping the
    iteration (break, Ctrl-C) stops the batch: turns in flight are interrupted, and rows
    already written stay, so a re-run with `resume=True` runs only the rest."""
    return BatchRun(tasks, options)


class BatchRun(Iterator[TaskResult]):
    """The iterator `run_batch` returns: results as they finish; `close()` stops the batch.

    Also a context manager (`with run_batch(...) as results:`) that closes it on exit.
    Internally: a queue fed by `arun_batch` on an event loop in a background thread."""

    _END = object()

    def __init__(self, tasks: Iterable[Task | Mapping[str, Any]], options: dict[str, Any]) -> None:
        self._finished = True
        materialised = list(tasks)
        _tasks(materialised)  # bad tasks raise here, in the caller's thread
        self._queue: queue.Queue[Any] = queue.Queue()
        self._loop = asyncio.new_event_loop()
        self._main: asyncio.Task[None] | None = None
        ready = threading.Event()
        self._thread = threading.Thread(
            target=self._serve,
            args=(materialised, options, ready),
            daemon=True,
            name="codex-batch",
        )
        self._finished = False
        self._thread.start()
        ready.wait()

    def _serve(self, tasks: list[Any], options: dict[str, Any], ready: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)

        async def pump() -> None:
            try:
                async for result in arun_batch(tasks, **options):
                    self._queue.put(result)
            except BaseException as exc:
                self._queue.put(_Failure(exc))
                if not isinstance(exc, (Exception, asyncio.CancelledError)):
                    raise
            finally:
                self._queue.put(self._END)

        self._main = self._loop.create_task(pump())
        ready.set()
        try:
            self._loop.run_until_complete(self._main)
        except BaseException:
            pass
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    def __iter__(self) -> BatchRun:
        return self

    def __enter__(self) -> BatchRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __next__(self) -> TaskResult:
        if self._finished:
            raise StopIteration
        try:
            item = self._queue.get()
        except BaseException:  # Ctrl-C while waiting
            self.close()
            raise
        if item is self._END:
            self._finished = True
            self._thread.join()
            raise StopIteration
        if isinstance(item, _Failure):
            if isinstance(item.exc, asyncio.CancelledError):
                return self.__next__()
            self._finished = True
            self._thread.join()
            raise item.exc
        return item  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the batch (interrupting turns in flight) and wait for it to wind down."""
        if self._finished:
            return
        self._finished = True
        main = self._main
        if main is not None and not self._loop.is_closed():
            with _suppress_closed():
                self._loop.call_soon_threadsafe(main.cancel)
        self._thread.join()

    def __del__(self) -> None:
        if not self._finished and self._thread.is_alive():
            self.close()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _suppress_closed:
    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, exc: object, tb: object) -> bool:
        return isinstance(exc, RuntimeError)  # the loop closed in the meantime


def _tasks(tasks: Iterable[Task | Mapping[str, Any]]) -> list[Task]:
    result: list[Task] = []
    seen: set[str] = set()
    for item in tasks:
        task = item if isinstance(item, Task) else Task.from_json(dict(item))
        if task.id in seen:
            raise ValueError(f"duplicate task id {task.id!r}")
        seen.add(task.id)
        result.append(task)
    return result
