"""The benchmark harness must not rot: run it in --quick mode on one tiny scenario.

No timing is asserted (targets are checked by the benchmark itself, on a quiet machine);
this only proves that the harness, the raw floor and our SDK still run end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def test_benchmark_quick_smoke(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--only",
            "stream_async",
            "--clients",
            "ours,raw",
            "--no-setup",
            "--out",
            str(out),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    table = done.stdout
    assert "async stream of 2,000 deltas: notifications/s" in table
    assert "failed" not in table.lower(), table
    assert "| every delta delivered (ours, all streaming scenarios) | all | all | PASS |" in table
    assert (out / "results.md").read_text() == table
    assert (out / "results.json").exists()
