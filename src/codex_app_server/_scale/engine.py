"""The batch engine: a queue of tasks, `concurrency` slots per worker, results written once.

Each slot takes the next task and runs it on its worker. A task whose worker died goes
back on the queue (a slot of any worker takes it: "retried elsewhere"); a failed task is
retried up to `retries` times; every other outcome is final, written to the results file
(once per id) and yielded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import KW_ONLY, dataclass

from .jobs import JobQueue
from .progress import BatchProgress, ProgressCounter
from .results import ResultsWriter
from .runner import WorkerBusy, WorkerGone, WorkerLost
from .task import Task, TaskResult, failed_result
from .workers import BatchWorker

logger = logging.getLogger("codex_app_server.batch")

_BUSY_DELAY = 0.1


@dataclass
class _Job:
    task: Task
    attempts: int = 0  # times started
    losses: int = 0  # of those, ended by the worker's death


@dataclass(eq=False)
class Engine:
    """Runs `tasks` on `workers`; iterate `results()` to drive it."""

    tasks: Sequence[Task]
    workers: Sequence[BatchWorker]
    _: KW_ONLY
    concurrency: int
    retries: int
    timeout: float | None
    keep_threads: bool
    max_worker_losses: int
    writer: ResultsWriter | None
    counter: ProgressCounter
    progress: Callable[[BatchProgress], None] | None

    def __post_init__(self) -> None:
        self._queue: JobQueue[_Job | None] = JobQueue()
        self._queue.extend([_Job(task) for task in self.tasks])
        self._remaining = len(self.tasks)
        self._written: set[str] = set()
        self._out: asyncio.Queue[TaskResult | None] = asyncio.Queue()
        self._live_slots = 0
        self._stopping = False

    async def results(self) -> AsyncIterator[TaskResult]:
        """Run the batch, yielding each final result as it is written."""
        if self._remaining == 0:
            return
        slots = [
            asyncio.ensure_future(self._slot(worker))
            for worker in self.workers
            for _ in range(self.concurrency)
        ]
        self._live_slots = len(slots)
        self._report()
        try:
            for _ in range(self._remaining):  # every result emitted is yielded once
                result = await self._out.get()
                if result is None:
                    break
                yield result
        finally:
            self._stopping = True
            for slot in slots:
                slot.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*slots, return_exceptions=True)

    async def _slot(self, worker: BatchWorker) -> None:
        try:
            while True:
                job = await self._queue.get()
                if job is None:
                    return
                if not await self._run(worker, job):
                    return
        finally:
            self._live_slots -= 1
            if self._live_slots == 0 and self._remaining > 0 and not self._stopping:
                self._fail_queued("no worker is left to run it")

    async def _run(self, worker: BatchWorker, job: _Job) -> bool:
        """Run one job; False when the worker is gone for good (the slot ends)."""
        job.attempts += 1
        self.counter.running += 1
        self._report()
        try:
            result = await worker.run(
                job.task, timeout=self.timeout, keep_thread=self.keep_threads, attempt=job.attempts
            )
        except WorkerGone:
            job.attempts -= 1  # never started: it goes to another worker, no loss counted
            self._queue.put_nowait(job, front=True)
            return False
        except WorkerLost as exc:
            job.losses += 1
            logger.warning("task %s lost its worker %d: %s", job.task.id, worker.index, exc)
            if job.losses > self.max_worker_losses:
                self._emit(
                    failed_result(
                        job.task,
                        f"its worker died {job.losses} times: {exc}",
                        attempts=job.attempts,
                        worker=worker.index,
                    )
                )
            else:
                self._queue.put_nowait(job, front=True)  # first in line for a live worker
            return await worker.recover()
        except WorkerBusy:
            job.attempts -= 1
            self._queue.put_nowait(job)
            await asyncio.sleep(_BUSY_DELAY)
            return True
        finally:
            self.counter.running -= 1
        failures = job.attempts - job.losses
        if result.status in ("failed", "timed_out") and failures <= self.retries:
            logger.info("task %s %s; retrying: %s", job.task.id, result.status, result.error)
            self._queue.put_nowait(job)
            return True
        self._emit(result)
        return True

    def _emit(self, result: TaskResult) -> None:
        if result.id in self._written:  # each result row is written once
            return
        self._written.add(result.id)
        if self.writer is not None:
            self.writer.write(result)
        if result.ok:
            self.counter.completed += 1
        else:
            self.counter.failed += 1
        self._remaining -= 1
        self._out.put_nowait(result)
        self._report()
        if self._remaining == 0:
            for _ in range(len(self.workers) * self.concurrency):
                self._queue.put_nowait(None)

    def _fail_queued(self, reason: str) -> None:
        while len(self._queue):
            job = self._queue.get_nowait()
            if job is not None:
                self._emit(failed_result(job.task, reason, attempts=job.attempts))
        self._out.put_nowait(None)

    def _report(self) -> None:
        if self.progress is not None:
            try:
                self.progress(self.counter.snapshot())
            except Exception:  # a broken progress display must not stop the batch
                logger.exception("the batch progress callback failed")
