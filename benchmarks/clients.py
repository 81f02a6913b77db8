"""The clients the benchmark compares and how their workers are launched.

`ours` and `raw` run in this venv; `official` (the `openai-codex` package) in its own,
`benchmarks/.venv-official`, created on first use.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OFFICIAL_VENV = REPO / "benchmarks" / ".venv-official"
OFFICIAL_PACKAGE = "openai-codex"

#: Only the package root: what `import codex_app_server` costs (ours only).
IMPORT_ROOT = "import codex_app_server"
#: Scenarios a client does not run (the official async client parks an executor thread per
#: waiting stream: tens of idle turns would starve it, and there is nothing to measure).
NOT_RUN = {"memory_async": {"official"}}

IMPORT_STATEMENTS = {
    # What a program needs before it can run a turn, sync or async.
    "ours": "from codex_app_server import AppServerConfig, AsyncCodex, Codex",
    "raw": "import benchmarks.raw_floor",
    "official": "from openai_codex import AsyncCodex, Codex, CodexConfig",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Client:
    name: str
    python: str | None
    label: str
    note: str = ""

    @property
    def available(self) -> bool:
        return self.python is not None


def runtime_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("openai-codex-cli-bin")
    except metadata.PackageNotFoundError:
        return None


def _official_version(python: Path) -> str | None:
    try:
        out = subprocess.run(
            [str(python), "-c", "import openai_codex; print(openai_codex.__version__)"],
            capture_output=True,
            text=True,
            timeout=120,
            env=worker_env(None),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def ensure_official(setup: bool, version: str | None) -> Client:
    """The official package's venv: reuse it, or create it (when `setup`), or say why not."""
    python = OFFICIAL_VENV / "bin" / "python"
    installed = _official_version(python) if python.exists() else None
    if installed is None and setup:
        log(f"setting up {OFFICIAL_VENV.relative_to(REPO)} (pip install {OFFICIAL_PACKAGE}) ...")
        try:
            if not python.exists():
                subprocess.run([sys.executable, "-m", "venv", str(OFFICIAL_VENV)], check=True)
            wanted = [f"{OFFICIAL_PACKAGE}=={version}"] if version else []
            for requirement in [*wanted, OFFICIAL_PACKAGE]:
                done = subprocess.run(
                    [str(python), "-m", "pip", "install", "--quiet", requirement],
                    capture_output=True,
                    text=True,
                    timeout=900,
                )
                if done.returncode == 0:
                    break
                log(f"  pip install {requirement} failed: {done.stderr.strip()[-300:]}")
        except (OSError, subprocess.SubprocessError) as exc:
            log(f"  could not create the venv: {exc}")
        installed = _official_version(python) if python.exists() else None
    if installed is None:
        why = "not installed" if not setup else "could not be installed"
        return Client("official", None, "official", f"`{OFFICIAL_PACKAGE}` {why}")
    return Client("official", str(python), f"official {installed}")


def worker_env(pycache: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    # Import times are measured with bytecode caches for every client alike: in a shared
    # prefix that the warm-up run fills, whatever PYTHONDONTWRITEBYTECODE says here.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    if pycache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    env["PYTHONPATH"] = str(REPO)
    return env
