"""`codex-py batch` end to end, in a subprocess, against the real app-server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from codex_app_server import AppServerConfig
from codex_app_server.testing import ScriptedModel

from ..support.echo_model import Echo, answer_for

pytestmark = pytest.mark.integration


def batch(config: AppServerConfig, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CODEX_HOME"}
    env.update(config.env or {})
    assert config.codex_home is not None
    argv = [sys.executable, "-m", "codex_app_server", "batch", *args]
    argv += ["--codex-home", os.fspath(config.codex_home)]
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, cwd=config.cwd, timeout=120
    )


def test_batch_cli_runs_reports_and_resumes(
    codex_config: AppServerConfig, echo: Echo, tmp_path: Path
) -> None:
    tasks = tmp_path / "tasks.jsonl"
    lines = [{"id": f"c{i}", "prompt": f"cli {i}", "metadata": {"i": i}} for i in range(20)]
    lines.append({"id": "broken", "prompt": "this will FAIL"})
    tasks.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = tmp_path / "results.jsonl"

    first = batch(codex_config, str(tasks), "--out", str(out), "--workers", "2", "-c", "4")
    assert first.returncode == 1, first.stderr  # one task failed
    assert "[batch] 21/21 done: 20 completed, 1 failed" in first.stderr  # plain lines: piped
    assert "batch done: 21 tasks: 20 completed, 1 failed" in first.stderr
    assert "not completed: broken" in first.stderr
    rows = {row["id"]: row for row in map(json.loads, out.read_text().splitlines())}
    assert len(rows) == 21 and rows["broken"]["status"] == "failed"
    assert rows["c7"]["final_response"] == answer_for("cli 7")

    again = batch(codex_config, str(tasks), "--out", str(out))
    assert again.returncode == 2 and "--resume" in again.stderr  # never overwrites

    seen = dict(echo.seen)
    resumed = batch(codex_config, str(tasks), "--out", str(out), "--resume")
    assert resumed.returncode == 1 and echo.seen == seen  # nothing re-run

    echo_fixed = tmp_path / "fixed.jsonl"
    fixed = [*lines[:-1], {"id": "broken", "prompt": "now fine"}]
    echo_fixed.write_text("\n".join(json.dumps(line) for line in fixed))
    rerun = batch(codex_config, str(echo_fixed), "--out", str(out), "--resume", "--rerun-failed")
    assert rerun.returncode == 0, rerun.stderr
    assert "21 completed" in rerun.stderr
    assert echo.seen["now fine"] == 1


def test_batch_cli_usage_errors(codex_config: AppServerConfig, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "prompt": "x"}\nnot json\n')
    result = batch(codex_config, str(bad), "--out", str(tmp_path / "o.jsonl"))
    assert result.returncode == 2 and "bad.jsonl:2" in result.stderr


def test_ctrl_c_stops_the_batch_and_resume_finishes_it(
    scripted_model: ScriptedModel, echo: Echo, codex_config: AppServerConfig, tmp_path: Path
) -> None:
    echo.delay = 0.2
    tasks = tmp_path / "tasks.jsonl"
    ids = [f"k{i}" for i in range(30)]
    tasks.write_text("".join(json.dumps({"id": i, "prompt": f"ctrl {i}"}) + "\n" for i in ids))
    out = tmp_path / "results.jsonl"
    env = {k: v for k, v in os.environ.items() if k != "CODEX_HOME"}
    env.update(codex_config.env or {})
    argv = [sys.executable, "-m", "codex_app_server", "batch", str(tasks), "--out", str(out)]
    argv += ["-w", "1", "-c", "2", "--codex-home", os.fspath(codex_config.codex_home or "")]
    proc = subprocess.Popen(argv, env=env, cwd=codex_config.cwd, stderr=subprocess.PIPE, text=True)
    try:
        scripted_model.wait_for_requests(6, timeout=60)  # some tasks done, some in flight
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "batch stopped" in stderr
    first = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert 0 < len(first) < 30 and len(set(first)) == len(first)

    resumed = batch(codex_config, str(tasks), "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(row["id"] for row in rows) == sorted(ids)  # each task exactly once
    assert all(row["status"] == "completed" for row in rows)
