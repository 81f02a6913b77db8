"""Shared helpers for the reliability tests: the fake app-server, leak and process checks."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import AppServerConfig

#: Tests that read process states from /proc (Linux).
requires_proc = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads process states from /proc"
)

FAKE_APP_SERVER = Path(__file__).resolve().parents[1] / "support" / "fake_app_server.py"

#: Generous ceilings: a test that hits one has failed (they are never waited out on success).
TIMEOUT = 10.0

#: Thread names the SDK gives its own threads.
SDK_THREAD_PREFIXES = ("codex-",)
#: The process-wide background warm-up (`codex_app_server._warmup`), started by the first client.
WARMUP_THREAD = "codex-app-server-warmup"


def fake_config(*scenarios: str, **overrides: Any) -> AppServerConfig:
    """An `AppServerConfig` that launches the fake app-server with `scenarios`."""
    argv = [sys.executable, str(FAKE_APP_SERVER)]
    for scenario in scenarios:
        argv += ["--scenario", scenario]
    settings: dict[str, Any] = {
        "request_timeout": TIMEOUT,
        "startup_timeout": TIMEOUT,
        "env": {"FAKE_APP_SERVER_SCENARIOS": ""},
    }
    settings.update(overrides)
    return AppServerConfig(launch_args_override=argv, **settings)


def sdk_threads() -> list[threading.Thread]:
    """The live threads the SDK started (reader, stderr drain, exit watch, workers)."""
    return [
        t for t in threading.enumerate() if t.is_alive() and t.name.startswith(SDK_THREAD_PREFIXES)
    ]


def other_tasks() -> set[asyncio.Task[Any]]:
    """Every pending task on the running loop but the caller's."""
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()}


def process_is_alive(pid: int) -> bool:
    """True while `pid` runs; False once it is gone or a zombie (dead, not yet reaped).

    A zombie counts as dead: orphans are reaped by PID 1, which some containers never do.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a recycled pid of another user
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            state = stat.read().rsplit(b")", 1)[1].split()[0]
    except FileNotFoundError:  # no /proc (macOS): the pid exists, assume it runs
        return sys.platform != "linux"
    except (ProcessLookupError, IndexError):
        return False
    return state not in (b"Z", b"X")


def wait_for(condition: Callable[[], bool], timeout: float = TIMEOUT, what: str = "") -> None:
    """Wait until `condition()` holds (checked every few ms); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.002)


def kill_quietly(pid: int | None) -> None:
    if pid is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def no_thread_leaks() -> Iterator[None]:
    """Fail the test if an SDK thread started during it is still alive at its end."""
    before = set(sdk_threads())
    yield
    assert_no_new_sdk_threads(before)


def assert_no_new_sdk_threads(before: set[threading.Thread]) -> None:
    """No SDK thread but those in `before` is alive (the warm-up is waited for: it runs once
    per process, whichever test starts the first client, and must end on its own)."""
    for thread in sdk_threads():
        if thread.name == WARMUP_THREAD and thread not in before:
            thread.join(TIMEOUT)
    leaked = [t.name for t in sdk_threads() if t not in before]
    assert not leaked, f"SDK threads outlived the test: {leaked}"


@pytest.fixture
def children() -> Iterator[list[int]]:
    """Pids a test spawned through the fake; SIGKILLed at the end whatever happened."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        kill_quietly(pid)
