"""Drive the fake app-server over raw pipes (not through the SDK), line by line."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).with_name("fake_app_server.py")
TIMEOUT = 10.0
QUIET = 0.2  # only for asserting that nothing arrives


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


class Fake:
    """One fake app-server process with line-level access to its stdout."""

    def __init__(
        self,
        *scenarios: str,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        new_session: bool = False,
    ) -> None:
        args = [sys.executable, str(SCRIPT), *(f"--scenario={s}" for s in scenarios)]
        self.proc = subprocess.Popen(
            [*args, *extra_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
            start_new_session=new_session,
        )
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._stderr = bytearray()
        self._stderr_lock = threading.Lock()
        self._stderr_done = threading.Event()
        self._next_id = 1
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self._lines.put(line)
        self._lines.put(b"")  # EOF marker

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        stderr: Any = self.proc.stderr  # a BufferedReader: read1 returns what is there
        for chunk in iter(lambda: stderr.read1(65536), b""):
            with self._stderr_lock:
                self._stderr += chunk
        self._stderr_done.set()

    # -- writing ---------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: Any = None) -> int:
        req_id = self._next_id
        self._next_id += 1
        message: dict[str, Any] = {"id": req_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return req_id

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    # -- reading ---------------------------------------------------------------

    def read_line(self, timeout: float = TIMEOUT) -> bytes:
        """The next raw stdout line; b"" means EOF."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no stdout line within {timeout}s") from None

    def read(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        line = self.read_line(timeout)
        assert line, "unexpected EOF on stdout"
        message = json.loads(line)
        assert isinstance(message, dict)
        return message

    def read_until(self, match: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Messages up to and including the first one that matches."""
        messages = []
        while True:
            message = self.read()
            messages.append(message)
            if match(message):
                return messages

    def response(self, req_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(the response to req_id, the messages that came before it)."""
        *before, response = self.read_until(lambda m: m.get("id") == req_id and "method" not in m)
        return response, before

    def call(self, method: str, params: Any = None) -> Any:
        response, _ = self.response(self.request(method, params))
        assert "error" not in response, response
        return response["result"]

    def call_error(self, method: str, params: Any = None) -> dict[str, Any]:
        response, _ = self.response(self.request(method, params))
        assert "error" in response, response
        error: dict[str, Any] = response["error"]
        return error

    def assert_quiet(self, timeout: float = QUIET) -> None:
        with pytest.raises(queue.Empty):
            line = self._lines.get(timeout=timeout)
            pytest.fail(f"unexpected output: {line[:200]!r}")

    def assert_eof(self) -> None:
        assert self.read_line() == b""

    def stderr(self) -> str:
        with self._stderr_lock:
            return self._stderr.decode(errors="replace")

    def wait_exit(self, timeout: float = TIMEOUT) -> int:
        code = self.proc.wait(timeout)
        assert self._stderr_done.wait(timeout)
        return code

    # -- protocol helpers ------------------------------------------------------

    def initialize(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call(
            "initialize", {"clientInfo": {"name": "test", "version": "0"}}
        )
        self.send({"method": "initialized"})
        return result

    def start_thread(self) -> str:
        response, before = self.response(self.request("thread/start", {}))
        thread_id: str = response["result"]["thread"]["id"]
        assert before == []
        started = self.read()
        assert started["method"] == "thread/started"
        assert started["params"]["thread"]["id"] == thread_id
        return thread_id

    def start_turn(self, thread_id: str, text: str) -> str:
        params = {"threadId": thread_id, "input": [{"type": "text", "text": text}]}
        result = self.call("turn/start", params)
        assert result["turn"]["status"] == "inProgress"
        turn_id: str = result["turn"]["id"]
        return turn_id

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(TIMEOUT)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def is_completed(turn_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("method") == "turn/completed" and m["params"]["turn"]["id"] == turn_id


def methods(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("method", "<response>") for m in messages]
