"""The raw floor: a minimal JSON-RPC driver for `codex app-server --listen stdio://`.

No SDK code. It spawns the process, writes newline-delimited JSON, reads stdout in large
chunks, splits lines, decodes them (orjson when installed, as the SDK does, else `json`)
and keeps, per turn, only what a benchmark needs: how many notifications and deltas
arrived and when `turn/completed` did. Notifications that arrive before the `turn/start`
response are kept on a record created on first sight, so nothing is lost.

`RawSync` is single-threaded (a selector and `os.read`); `RawAsync` is one asyncio reader
task on the subprocess pipe. This is the least work a correct client can do, so it is
what the SDK is compared against.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import selectors
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

try:
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads

    def _dumps(message: Any) -> bytes:
        return orjson.dumps(message) + b"\n"

except ImportError:  # pragma: no cover
    _loads = json.loads

    def _dumps(message: Any) -> bytes:
        return json.dumps(message, separators=(",", ":")).encode() + b"\n"


DELTA = "item/agentMessage/delta"
COMPLETED = "turn/completed"
CHUNK = 1 << 20


class RawError(Exception):
    """A JSON-RPC error response, or the connection ended."""


class TurnRecord:
    """What arrived for one turn."""

    __slots__ = ("completed_at", "deltas", "done", "notifications", "started", "status")

    def __init__(self, done: asyncio.Future[None] | None = None) -> None:
        self.notifications = 0
        self.deltas = 0
        self.started = False  # saw turn/started
        self.completed_at: float | None = None
        self.status: str | None = None
        self.done = done


def _turn_id(params: Mapping[str, Any]) -> str | None:
    turn_id = params.get("turnId")
    if turn_id is None:
        turn = params.get("turn")
        if isinstance(turn, dict):
            turn_id = turn.get("id")
    return turn_id if isinstance(turn_id, str) else None


def text_input(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}]


CLIENT_INFO = {
    "clientInfo": {"name": "raw_floor", "title": "raw floor", "version": "0"},
    "capabilities": {"experimentalApi": True},
}


class _Core:
    """Routing shared by both drivers: responses by id, notifications by turn."""

    def __init__(self) -> None:
        self.turns: dict[str, TurnRecord] = {}
        self.other_notifications = 0
        self._next_id = 0

    def _new_turn(self) -> TurnRecord:
        return TurnRecord()

    def turn(self, turn_id: str) -> TurnRecord:
        record = self.turns.get(turn_id)
        if record is None:
            record = self.turns[turn_id] = self._new_turn()
        return record

    def _on_response(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    def _on_server_request(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    def _dispatch(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is None:
            self._on_response(message)
            return
        if "id" in message:
            self._on_server_request(message)
            return
        params = message.get("params") or {}
        turn_id = _turn_id(params)
        if turn_id is None:
            self.other_notifications += 1
            return
        record = self.turns.get(turn_id)
        if record is None:
            record = self.turns[turn_id] = self._new_turn()
        record.notifications += 1
        if method == DELTA:
            record.deltas += 1
        elif method == COMPLETED:
            record.completed_at = time.perf_counter()
            record.status = params["turn"].get("status")
            if record.done is not None and not record.done.done():
                record.done.set_result(None)
        elif method == "turn/started":
            record.started = True


class PipedProcess:
    """A child process with piped stdin and stdout, its stdout non-blocking and watched by a
    selector: what a single-threaded blocking driver needs (also `tests/support/raw_driver`)."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None,
        cwd: str | os.PathLike[str] | None,
        stderr: Any = subprocess.DEVNULL,
    ) -> None:
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin = self.proc.stdin
        self.fd = self.proc.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.fd, selectors.EVENT_READ)

    def read(self, deadline: float) -> bytes | None:
        """What stdout has (up to 1 MiB), waiting until `deadline` (monotonic) at most:
        None if nothing came by then, b"" at EOF."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not self.selector.select(remaining):
            return None
        return os.read(self.fd, CHUNK)

    def close(self, grace: float = 2.0) -> int | None:
        """Close stdin, then terminate, then kill; return the exit code."""
        with contextlib.suppress(OSError):
            self.stdin.close()
        for stop in (None, self.proc.terminate, self.proc.kill):
            if stop is not None:
                stop()
            try:
                self.proc.wait(grace)
                break
            except subprocess.TimeoutExpired:
                continue
        self.selector.close()
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return self.proc.returncode


class RawSync(_Core):
    """Blocking, single-threaded: `pump()` reads and routes until a condition holds."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None, cwd: str | None) -> None:
        super().__init__()
        self._pipe = PipedProcess(argv, env, cwd)
        self.proc = self._pipe.proc
        self._out = self._pipe.stdin.fileno()
        self._partial = b""
        self.responses: dict[int, dict[str, Any]] = {}

    def _on_response(self, message: dict[str, Any]) -> None:
        self.responses[message.get("id")] = message  # type: ignore[index]

    def _on_server_request(self, message: dict[str, Any]) -> None:
        self.send({"id": message["id"], "error": {"code": -32601, "message": "not handled"}})

    def send(self, message: Mapping[str, Any]) -> None:
        data = _dumps(message)
        while data:
            written = os.write(self._out, data)
            data = data[written:]

    def send_request(self, method: str, params: Any = None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return self._next_id

    def result(self, request_id: int, timeout: float = 60.0) -> Any:
        self.pump(lambda: request_id in self.responses, timeout)
        reply = self.responses.pop(request_id)
        if "error" in reply:
            raise RawError(reply["error"])
        return reply.get("result")

    def request(self, method: str, params: Any = None, timeout: float = 60.0) -> Any:
        return self.result(self.send_request(method, params), timeout)

    def initialize(self) -> Any:
        result = self.request("initialize", CLIENT_INFO)
        self.send({"method": "initialized"})
        return result

    def pump(self, until: Callable[[], bool], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        loads, dispatch = _loads, self._dispatch
        read = self._pipe.read
        while not until():
            chunk = read(deadline)
            if chunk is None:
                raise TimeoutError("raw floor: timed out")
            if not chunk:
                raise RawError("the app-server closed its output")
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            for line in lines:
                if line:
                    dispatch(loads(line))

    def start_turn(self, thread_id: str, text: str) -> str:
        result = self.request("turn/start", {"threadId": thread_id, "input": text_input(text)})
        turn_id: str = result["turn"]["id"]
        self.turn(turn_id)
        return turn_id

    def wait_turn(self, turn_id: str, timeout: float = 120.0) -> TurnRecord:
        record = self.turn(turn_id)
        self.pump(lambda: record.completed_at is not None, timeout)
        return record

    def close(self) -> None:
        self._pipe.close()


class RawAsync(_Core):
    """One reader task; requests are futures; each turn record has a `done` future."""

    def __init__(self) -> None:
        super().__init__()
        self._loop = asyncio.get_running_loop()
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    def _new_turn(self) -> TurnRecord:
        return TurnRecord(self._loop.create_future())

    async def start(
        self, argv: Sequence[str], env: Mapping[str, str] | None, cwd: str | None
    ) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        self._reader = self._loop.create_task(self._read_loop())

    async def _read_loop(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        read = self.proc.stdout.read
        loads, dispatch = _loads, self._dispatch
        partial = b""
        while True:
            chunk = await read(CHUNK)
            if not chunk:
                break
            *lines, partial = (partial + chunk).split(b"\n")
            for line in lines:
                if line:
                    dispatch(loads(line))
        error = RawError("the app-server closed its output")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        for record in self.turns.values():
            if record.done is not None and not record.done.done():
                record.done.set_exception(error)

    def _on_response(self, message: dict[str, Any]) -> None:
        future = self._pending.pop(message.get("id"), None)  # type: ignore[arg-type]
        if future is not None and not future.done():
            future.set_result(message)

    def _on_server_request(self, message: dict[str, Any]) -> None:
        self.send({"id": message["id"], "error": {"code": -32601, "message": "not handled"}})

    def send(self, message: Mapping[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(_dumps(message))

    async def request(self, method: str, params: Any = None) -> Any:
        assert self.proc is not None and self.proc.stdin is not None
        self._next_id += 1
        request_id = self._next_id
        future = self._pending[request_id] = self._loop.create_future()
        message: dict[str, Any] = {"id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        await self.proc.stdin.drain()
        reply = await future
        if "error" in reply:
            raise RawError(reply["error"])
        return reply.get("result")

    async def initialize(self) -> Any:
        result = await self.request("initialize", CLIENT_INFO)
        self.send({"method": "initialized"})
        return result

    async def start_turn(self, thread_id: str, text: str) -> tuple[str, TurnRecord]:
        params = {"threadId": thread_id, "input": text_input(text)}
        result = await self.request("turn/start", params)
        turn_id: str = result["turn"]["id"]
        return turn_id, self.turn(turn_id)

    async def run_turn(self, thread_id: str, text: str) -> TurnRecord:
        _, record = await self.start_turn(thread_id, text)
        assert record.done is not None
        await record.done
        return record

    async def close(self) -> None:
        proc = self.proc
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
        for stop in (None, proc.terminate, proc.kill):
            if stop is not None and proc.returncode is None:
                stop()
            try:
                await asyncio.wait_for(proc.wait(), 2.0)
                break
            except asyncio.TimeoutError:
                continue
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
