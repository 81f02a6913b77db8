"""The wheel that scripts/build makes installs into a clean venv and works there.

What a user who installs the package (not a checkout) gets: the SDK, the pinned `codex`
runtime as a dependency, and the `codex-py` command, whose demo runs a real turn offline.
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


def _run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        argv, capture_output=True, text=True, timeout=600, **kwargs
    )


def test_the_wheel_installs_into_a_clean_venv_and_runs_the_demo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    built = _run([str(ROOT / "scripts" / "build"), "--outdir", str(dist)], cwd=ROOT)
    assert built.returncode == 0, built.stdout + built.stderr
    wheels = sorted(dist.glob("codex_app_server-*-py3-none-any.whl"))
    sdists = sorted(dist.glob("codex_app_server-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in dist.iterdir())

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    installed = _run([str(python), "-m", "pip", "install", "--quiet", str(wheels[0])])
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # Run from outside the checkout, with nothing of it on the path.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = _run(
        [str(python), "-c", "import codex_app_server, sys; print(codex_app_server.__file__)"],
        cwd=tmp_path,
        env=env,
    )
    assert where.returncode == 0 and str(env_dir) in where.stdout, where.stdout + where.stderr
    helped = _run([str(env_dir / "bin" / "codex-py"), "--help"], cwd=tmp_path, env=env)
    assert helped.returncode == 0 and "demo" in helped.stdout, helped.stdout + helped.stderr
    demo = _run([str(env_dir / "bin" / "codex-py"), "demo"], cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    # Piped: the answer on stdout, the live progress on stderr.
    assert "Hello from a real shell!" in demo.stdout
    assert "[done] turn completed" in demo.stderr
