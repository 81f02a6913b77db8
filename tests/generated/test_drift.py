"""The committed generated files match what the pinned runtime's schema produces."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import datamodel_code_generator  # noqa: F401  (a dev dependency: missing it is a failure)

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "update_sdk_artifacts.py"
GENERATED_DIR = REPO_ROOT / "src" / "codex_app_server" / "generated"
TIMEOUT = 600  # regenerating takes ~15 s of CPU; a loaded machine stretches it


def run_check(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", *extra],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def test_generated_files_are_up_to_date() -> None:
    proc = run_check()
    assert proc.returncode == 0, (
        "generated files drifted from the runtime schema; run "
        "`python scripts/update_sdk_artifacts.py`\n" + proc.stdout + proc.stderr
    )


def test_check_reports_a_changed_file(tmp_path: Path) -> None:
    """The check is real: a one-line change in a copy of the files is reported."""
    copy = tmp_path / "generated"
    shutil.copytree(GENERATED_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "notification_registry.py"
    target.write_text(target.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    proc = run_check("--generated-dir", str(copy))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "notification_registry.py" in proc.stdout
    assert "v2_all.py" not in proc.stdout
