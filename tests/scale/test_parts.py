"""The batch's parts that need no app-server: tasks and results as JSON, the job queue,
the results file, progress."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from codex_app_server._scale.jobs import JobQueue
from codex_app_server._scale.results import ResultsWriter, done_ids
from codex_app_server.batch import BatchProgress, Task, TaskResult, read_results


def test_task_from_json() -> None:
    task = Task.from_json({"id": 7, "prompt": "p", "cwd": "/w", "thread_options": {"x": 1}})
    assert task.id == "7" and task.turn_input == "p"
    assert task.thread_kwargs() == {"x": 1, "cwd": "/w"}
    with pytest.raises(ValueError, match="unknown fields"):
        Task.from_json({"id": "a", "prompt": "p", "promt": "typo"})
    with pytest.raises(ValueError, match="non-empty"):
        Task.from_json({"prompt": "p"})


def test_result_round_trip_and_the_results_file(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    writer = ResultsWriter(path, append=False)
    writer.write(TaskResult(id="a", status="completed", final_response="x", metadata={"k": 1}))
    writer.write(TaskResult(id="b", status="timed_out", error="slow"))
    writer.close()
    rows = read_results(path)
    assert TaskResult.from_json(rows["a"]).final_response == "x"
    assert TaskResult.from_json(rows["b"]).status == "timed_out"
    assert done_ids(path) == {"a", "b"}
    assert done_ids(path, rerun_failed=True) == {"a"}
    with pytest.raises(FileExistsError):
        ResultsWriter(path, append=False)
    with pytest.raises(ValueError):
        TaskResult.from_json({"id": "c", "status": "weird"})


def test_progress_numbers() -> None:
    p = BatchProgress(total=10, skipped=2, completed=3, failed=1, running=2, elapsed=2.0)
    assert p.done == 6 and p.rate == 2.0 and p.eta == 2.0
    assert BatchProgress(total=3).eta is None


async def test_job_queue_puts_reruns_first_and_wakes_getters() -> None:
    queue: JobQueue[str] = JobQueue()
    queue.extend(["a", "b"])
    queue.put_nowait("again", front=True)
    assert [await queue.get() for _ in range(3)] == ["again", "a", "b"]
    getter = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    assert not getter.done()
    queue.put_nowait("c")
    assert await asyncio.wait_for(getter, 1) == "c"
    cancelled = asyncio.ensure_future(queue.get())
    other = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait("d")
    cancelled.cancel()  # woken and cancelled at once: the item goes to the other getter
    assert await asyncio.wait_for(other, 1) == "d"
