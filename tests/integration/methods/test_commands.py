"""Command execution and process methods, through their typed wrappers."""

from __future__ import annotations

import base64
import queue
from collections.abc import Callable
from typing import Any

import pytest

from codex_app_server import InvalidRequestError

from .harness import Env, covers

pytestmark = pytest.mark.integration


@covers("command/exec", "command/exec/write", "command/exec/terminate", "command/exec/resize")
def test_command_exec(env: Env) -> None:
    client = env.client
    done = client.command_exec(command=["bash", "-c", "echo out; echo err >&2; exit 3"])
    assert (done.exit_code, done.stdout, done.stderr) == (3, "out\n", "err\n")

    output = env.keyed("command/exec/outputDelta", ("processId",), "cat-1")
    results: queue.SimpleQueue[Any] = queue.SimpleQueue()
    exec_params = {
        "command": ["cat"],
        "processId": "cat-1",
        "streamStdin": True,
        "streamStdoutStderr": True,
    }
    runner = _in_thread(lambda: client.command_exec(exec_params), results)
    data = base64.b64encode(b"ping\n").decode()
    _retry_until_running(lambda: client.command_exec_write(process_id="cat-1", delta_base64=data))
    chunk = output.get(timeout=10)
    assert base64.b64decode(chunk.params["deltaBase64"]) == b"ping\n"
    client.command_exec_write(process_id="cat-1", close_stdin=True)
    assert results.get(timeout=10).exit_code == 0
    runner.join()

    tty = {
        "command": ["bash", "-c", "stty size; sleep 30"],
        "processId": "tty-1",
        "tty": True,
        "size": {"rows": 20, "cols": 70},
        "sandboxPolicy": {"type": "dangerFullAccess"},
    }
    tty_output = env.keyed("command/exec/outputDelta", ("processId",), "tty-1")
    runner = _in_thread(lambda: client.command_exec(tty), results)
    assert b"20 70" in base64.b64decode(tty_output.get(timeout=10).params["deltaBase64"])
    client.command_exec_resize(process_id="tty-1", size={"rows": 30, "cols": 90})  # type: ignore[arg-type]
    client.command_exec_terminate(process_id="tty-1")
    assert results.get(timeout=10).exit_code != 0
    runner.join()
    for process_id in ("cat-1", "tty-1"):
        client.unsubscribe_keyed("command/exec/outputDelta", ("processId",), process_id)


@covers("process/spawn", "process/writeStdin", "process/resizePty", "process/kill")
def test_processes(env: Env) -> None:
    client = env.client
    exited = env.keyed("process/exited", ("processHandle",), "p-cat")
    output = env.keyed("process/outputDelta", ("processHandle",), "p-cat")
    client.process_spawn(
        command=["cat"],
        cwd=str(env.workspace),
        process_handle="p-cat",
        stream_stdin=True,
        stream_stdout_stderr=True,
    )
    data = base64.b64encode(b"abc\n").decode()
    client.process_write_stdin(process_handle="p-cat", delta_base64=data)
    assert base64.b64decode(output.get(timeout=10).params["deltaBase64"]) == b"abc\n"
    client.process_kill(process_handle="p-cat")
    assert exited.get(timeout=10).params["processHandle"] == "p-cat"

    pty_exited = env.keyed("process/exited", ("processHandle",), "p-tty")
    client.process_spawn(
        command=["sleep", "30"],
        cwd=str(env.workspace),
        process_handle="p-tty",
        tty=True,
        size={"rows": 10, "cols": 40},  # type: ignore[arg-type]
    )
    client.process_resize_pty(process_handle="p-tty", size={"rows": 20, "cols": 50})  # type: ignore[arg-type]
    client.process_kill(process_handle="p-tty")
    assert pty_exited.get(timeout=10).params["processHandle"] == "p-tty"
    for handle, method in [
        ("p-cat", "process/exited"),
        ("p-cat", "process/outputDelta"),
        ("p-tty", "process/exited"),
    ]:
        client.unsubscribe_keyed(method, ("processHandle",), handle)


def _in_thread(call: Callable[[], Any], results: queue.SimpleQueue[Any]) -> Any:
    import threading

    def run() -> None:
        try:
            results.put(call())
        except BaseException as exc:
            results.put(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _retry_until_running(call: Callable[[], Any], attempts: int = 200) -> None:
    """`command/exec/write` right after the start may find no process yet: retry on that."""
    import threading

    for _ in range(attempts):
        try:
            call()
            return
        except InvalidRequestError as exc:
            if "no active command/exec" not in str(exc):
                raise
            threading.Event().wait(0.01)
    raise AssertionError("the command never started")
