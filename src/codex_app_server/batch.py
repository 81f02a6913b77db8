"""Run many Codex tasks: resumable batch runs on a pool of app-servers or on Ray.

>>> from codex_app_server.batch import Task, run_batch
>>> tasks = [Task(id=f"t{i}", prompt=f"Summarise file {i}.txt") for i in range(100)]
>>> for result in run_batch(tasks, workers=2, concurrency=8, results_path="results.jsonl"):
...     print(result.id, result.status, result.final_response)

`run_batch` is an iterator; `arun_batch` is its asyncio twin (an async iterator). A
failing task is a result, never an exception. See docs/scale.md.
"""

from __future__ import annotations

from ._scale.batch import Backend, BatchRun, arun_batch, run_batch
from ._scale.progress import BatchProgress
from ._scale.results import read_results
from ._scale.task import Task, TaskResult, TaskStatus

__all__ = [
    "Backend",
    "BatchProgress",
    "BatchRun",
    "Task",
    "TaskResult",
    "TaskStatus",
    "arun_batch",
    "read_results",
    "run_batch",
]
