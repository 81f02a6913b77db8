"""The Ray backend on a local Ray instance (runs in CI: `ray` is in the dev extra)."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray  # in the dev extra: this test runs in CI, it is never skipped

from codex_app_server import AppServerConfig
from codex_app_server.batch import Task, TaskResult, run_batch

from .conftest import Echo, answer_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def test_ray_backend_runs_tasks_and_survives_a_killed_actor(
    local_ray: None, echo: Echo, codex_config: AppServerConfig, tmp_path: Path
) -> None:
    echo.delay = 0.1
    out = tmp_path / "results.jsonl"
    tasks = [Task(id=f"r{i}", prompt=f"ray {i}") for i in range(40)]
    results: list[TaskResult] = []
    batch = run_batch(
        tasks, config=codex_config, workers=2, concurrency=4, backend="ray", results_path=out
    )
    for result in batch:
        results.append(result)
        if len(results) == 8:
            _kill_a_worker_actor()

    assert all(r.status == "completed" for r in results), [r.error for r in results if not r.ok]
    assert Counter(r.id for r in results) == Counter(t.id for t in tasks)
    assert all(r.final_response == answer_for(f"ray {r.id[1:]}") for r in results)
    assert {r.worker for r in results} == {0, 1}
    assert any(r.attempts > 1 for r in results)  # the dead actor's tasks ran again
    assert len(out.read_text().splitlines()) == 40


def _kill_a_worker_actor() -> None:
    """SIGKILL the process of one worker actor (Ray titles it `ray::CodexActor...`)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if title.startswith(b"ray::CodexActor"):
            os.kill(int(entry.name), signal.SIGKILL)
            return
    raise AssertionError("no worker actor process found")
