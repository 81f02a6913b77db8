"""`run_batch` / `arun_batch` through real app-servers and the scripted model."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import AppServerConfig
from codex_app_server.batch import (
    BatchProgress,
    Task,
    TaskResult,
    arun_batch,
    read_results,
    run_batch,
)
from codex_app_server.testing import Reply, ScriptedModel

from .conftest import Echo, answer_for, kill_one_app_server

pytestmark = pytest.mark.integration


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_200_tasks_on_2_workers_each_get_their_own_answer(
    codex_config: AppServerConfig, echo: Echo, tmp_path: Path
) -> None:
    tasks = [Task(id=f"t{i}", prompt=f"question {i}", metadata={"n": i}) for i in range(200)]
    out = tmp_path / "results.jsonl"
    snapshots: list[BatchProgress] = []

    results = list(
        run_batch(
            tasks,
            config=codex_config,
            workers=2,
            concurrency=8,
            results_path=out,
            progress=snapshots.append,
        )
    )

    assert sorted(r.id for r in results) == sorted(t.id for t in tasks)
    for r in results:
        assert r.metadata is not None
        n = r.metadata["n"]
        assert r.status == "completed", r.error
        assert r.final_response == answer_for(f"question {n}")
        assert r.items[0]["type"] == "userMessage"
        assert r.thread_id and r.turn_id and r.duration > 0
    assert {r.worker for r in results} == {0, 1}  # both workers did work
    assert len({r.thread_id for r in results}) == 200
    written = rows(out)
    assert len(written) == 200 and len({row["id"] for row in written}) == 200
    assert written[0]["final_response"] == answer_for(f"question {written[0]['metadata']['n']}")
    assert snapshots[-1].completed == 200 and snapshots[-1].running == 0
    assert max(s.running for s in snapshots) <= 16


def test_failures_are_results_and_retries_apply(
    codex_config: AppServerConfig, echo: Echo, tmp_path: Path
) -> None:
    tasks = [Task(id="ok", prompt="fine"), Task(id="bad", prompt="please FAIL")]
    results = {r.id: r for r in run_batch(tasks, config=codex_config, workers=1, retries=2)}
    assert results["ok"].status == "completed"
    bad = results["bad"]
    assert bad.status == "failed"
    assert bad.error and "failed" in bad.error
    assert bad.attempts == 3
    assert echo.seen["please FAIL"] == 3


def test_timed_out_task(scripted_model: ScriptedModel, codex_config: AppServerConfig) -> None:
    scripted_model.enqueue(Reply.hang())
    try:
        (result,) = run_batch([Task(id="slow", prompt="hang")], config=codex_config, timeout=1)
    finally:
        scripted_model.release()
    assert result.status == "timed_out"
    assert "1" in (result.error or "")


def test_resume_runs_only_what_is_not_done(
    codex_config: AppServerConfig, echo: Echo, tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    tasks = [Task(id=f"t{i}", prompt=f"q{i}") for i in range(12)]
    first = run_batch(tasks, config=codex_config, workers=1, concurrency=1, results_path=out)
    done = [next(first) for _ in range(5)]
    first.close()  # like Ctrl-C: the batch stops, what was written stays
    written = {row["id"] for row in rows(out)}
    assert {r.id for r in done} <= written and len(written) < 12

    with pytest.raises(FileExistsError):  # no silent overwrite
        list(run_batch(tasks, config=codex_config, results_path=out))
    before = dict(echo.seen)
    rest = list(run_batch(tasks, config=codex_config, workers=2, results_path=out, resume=True))

    assert sorted(r.id for r in rest) == sorted(set(t.id for t in tasks) - written)
    for task in tasks:  # the model saw no new request for a task already done
        assert task.prompt is not None
        expected = before.get(task.prompt, 0) + (0 if task.id in written else 1)
        assert echo.seen.get(task.prompt, 0) == expected, task.id
    final = read_results(out)
    assert sorted(final) == sorted(t.id for t in tasks)
    assert all(row["status"] == "completed" for row in final.values())


def test_resume_survives_a_half_written_line(
    codex_config: AppServerConfig, echo: Echo, tmp_path: Path
) -> None:
    out = tmp_path / "results.jsonl"
    done = TaskResult(id="a", status="completed", final_response="x")
    out.write_text(json.dumps(done.to_json()) + "\n" + '{"id": "b", "stat')  # killed mid-write
    tasks = [Task(id="a", prompt="qa"), Task(id="b", prompt="qb")]
    (result,) = run_batch(tasks, config=codex_config, results_path=out, resume=True)
    assert result.id == "b" and result.final_response == answer_for("qb")
    assert set(read_results(out)) == {"a", "b"}
    assert "qa" not in echo.seen


def test_a_killed_app_server_loses_nothing(
    echo: Echo, codex_config: AppServerConfig, tmp_path: Path
) -> None:
    echo.delay = 0.1
    out = tmp_path / "results.jsonl"
    tasks = [Task(id=f"t{i}", prompt=f"q{i}") for i in range(60)]
    results: list[TaskResult] = []
    for result in run_batch(tasks, config=codex_config, workers=2, concurrency=4, results_path=out):
        results.append(result)
        if len(results) == 10:
            kill_one_app_server()

    assert all(r.status == "completed" for r in results), [r.error for r in results if not r.ok]
    assert Counter(r.id for r in results) == Counter(t.id for t in tasks)  # each exactly once
    assert Counter(row["id"] for row in rows(out)) == Counter(t.id for t in tasks)
    assert all(r.final_response == answer_for(f"q{r.id[1:]}") for r in results)
    assert any(r.attempts > 1 for r in results)  # tasks in flight were run again


async def test_arun_batch_is_the_async_twin(codex_config: AppServerConfig, echo: Echo) -> None:
    tasks = [{"id": f"j{i}", "prompt": f"json {i}"} for i in range(10)]
    seen = [r async for r in arun_batch(tasks, config=codex_config, workers=2, concurrency=3)]
    assert sorted(r.id for r in seen) == sorted(t["id"] for t in tasks)
    assert all(r.final_response == answer_for(f"json {r.id[1:]}") for r in seen)


def test_structured_output(scripted_model: ScriptedModel, codex_config: AppServerConfig) -> None:
    scripted_model.enqueue(Reply.text('{"answer": 42}'), Reply.text("not json"))
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    tasks = [
        Task(id="a", prompt="x", output_schema=schema),
        Task(id="b", prompt="y", output_schema=schema),
    ]
    results = {r.id: r for r in run_batch(tasks, config=codex_config, workers=1, concurrency=1)}
    assert results["a"].parsed == {"answer": 42}
    assert results["b"].status == "failed" and "structured output" in (results["b"].error or "")


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        run_batch([Task(id="a", prompt="x"), Task(id="a", prompt="y")])
    with pytest.raises(ValueError, match="exactly one"):
        Task(id="a")


def test_a_server_gone_for_good_hands_its_tasks_to_the_others(
    echo: Echo, codex_config: AppServerConfig
) -> None:
    echo.delay = 0.1
    tasks = [Task(id=f"g{i}", prompt=f"gone {i}") for i in range(30)]
    results: list[TaskResult] = []
    batch = run_batch(tasks, config=codex_config, workers=2, concurrency=4, max_restarts=0)
    for result in batch:
        results.append(result)
        if len(results) == 5:
            kill_one_app_server()
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert Counter(r.id for r in results) == Counter(t.id for t in tasks)
    late = results[12:]  # well after the kill: only the survivor works
    assert len({r.worker for r in late}) == 1
