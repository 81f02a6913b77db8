"""`python -m codex_app_server.testing serve` and the CLI pointed at it by its exports."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def read_exports(proc: subprocess.Popen[str], timeout: float = 30.0) -> dict[str, str]:
    """The `export NAME=value` lines the server prints before `# ready`."""
    assert proc.stdout is not None
    stdout = proc.stdout
    lines: list[str] = []

    def read() -> None:
        while (line := stdout.readline()) and line.strip() != "# ready":
            lines.append(line)
        lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    if reader.is_alive() or not lines or lines[-1].strip() != "# ready":
        raise AssertionError(f"no `# ready` line from the server: {lines!r}")
    env: dict[str, str] = {}
    for line in lines[:-1]:
        (assignment,) = shlex.split(line.removeprefix("export "))
        name, _, value = assignment.partition("=")
        env[name] = value
    return env


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    argv = [sys.executable, "-m", "codex_app_server.testing", "serve"]
    argv += ["--home", str(tmp_path / "home"), "--reply", "Hello from the script."]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    try:
        yield proc, read_exports(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def codex_py(prompt: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full.update(env)
    argv = [sys.executable, "-m", "codex_app_server", "run", prompt]
    return subprocess.run(argv, env=full, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_cli_runs_against_the_served_model(
    server: tuple[subprocess.Popen[str], dict[str, str]], tmp_path: Path
) -> None:
    proc, env = server
    assert env["CODEX_HOME"] == str(tmp_path / "home")
    assert (tmp_path / "home" / "config.toml").is_file()
    assert env["MOCK_API_KEY"] and "127.0.0.1" in env["NO_PROXY"]

    first = codex_py("hello", env, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Hello from the script." in first.stdout
    second = codex_py("what now?", env, tmp_path)  # the queue is used up: an echo
    assert second.returncode == 0, second.stderr
    assert "scripted model: you said: what now?" in second.stdout

    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 0
    assert proc.stderr is not None
    log = proc.stderr.read()
    assert "request #1: 'hello'" in log and "request #2: 'what now?'" in log
    assert "error" not in log


def test_sigterm_stops_the_server(server: tuple[subprocess.Popen[str], dict[str, str]]) -> None:
    proc, _env = server
    proc.terminate()
    assert proc.wait(10) == 0
