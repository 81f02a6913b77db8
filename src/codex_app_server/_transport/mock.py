"""In-process transports for tests: a Python function plays the app-server.

>>> def server(message, peer):
...     if message.get("method") == "initialize":
...         peer.send({"id": message["id"], "result": MOCK_INITIALIZE_RESULT})
>>> client = AppServerClient(transport=MockTransport(server))

`handler(message, peer)` is called with every message the client writes (parsed), in the
writer's thread (sync) or on the event loop (async); it may `peer.send(...)` any number of
messages back, now or later, from any thread. `peer.exit(code, stderr)` ends the stream
like a process exit.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from .._protocol.errors import ClientNotStartedError, TransportClosedError
from .._protocol.wire import encode

MockHandler = Callable[[dict[str, Any], "MockPeer"], None]

#: A valid `initialize` result for mocks.
MOCK_INITIALIZE_RESULT: dict[str, Any] = {
    "userAgent": "mock-app-server/0.0.0",
    "codexHome": "/tmp/mock-codex-home",
    "platformFamily": "unix",
    "platformOs": "linux",
}


def answer_initialize(message: dict[str, Any], peer: MockPeer) -> bool:
    """Answer `initialize` with `MOCK_INITIALIZE_RESULT`; True if `message` was it."""
    if message.get("method") == "initialize":
        peer.send({"id": message["id"], "result": MOCK_INITIALIZE_RESULT})
        return True
    return False


class MockPeer:
    """The server side of a mock transport: what handlers and tests use."""

    def __init__(self, handler: MockHandler | None) -> None:
        self.handler = handler
        self.received: list[dict[str, Any]] = []
        self.exit_code: int | None = None
        self.stderr_tail: list[str] = []
        self._cond = threading.Condition()

    def send(self, message: Any) -> None:
        """Send one message (a dict) to the client."""
        self.send_raw(encode(message))

    def send_raw(self, line: bytes) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def exit(self, exit_code: int | None = 0, stderr: Sequence[str] = ()) -> None:
        """End the stream, as if the app-server exited with `exit_code`."""
        if self.exit_code is not None:
            return
        self.exit_code = exit_code
        self.stderr_tail = list(stderr)
        self._eof()

    def _eof(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _receive(self, data: bytes) -> None:
        message = json.loads(data)
        with self._cond:
            self.received.append(message)
            self._cond.notify_all()
        if self.handler is not None:
            self.handler(message, self)

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 5.0
    ) -> dict[str, Any]:
        """Block until the client has written a message matching `predicate`; return it."""
        with self._cond:
            found: list[dict[str, Any]] = []

            def match() -> bool:
                found[:] = [m for m in self.received if predicate(m)]
                return bool(found)

            if not self._cond.wait_for(match, timeout):
                raise TimeoutError("the client did not send the expected message")
            return found[0]

    def closed_error(self, reason: str) -> TransportClosedError:
        return TransportClosedError(reason, exit_code=self.exit_code, stderr_tail=self.stderr_tail)


class MockTransport(MockPeer):
    """A `Transport` whose server is `handler`."""

    def __init__(self, handler: MockHandler | None = None) -> None:
        super().__init__(handler)
        self._out: deque[bytes] = deque()  # b"": end of stream
        self._out_cond = threading.Condition(threading.Lock())
        self._ended = False
        self._woken = False
        self.closed = False

    def start(self) -> None:
        pass

    def write_line(self, data: bytes) -> None:
        if self.closed or self.exit_code is not None:
            raise self.closed_error("the mock app-server is closed")
        self._receive(data)

    def read_line(self) -> bytes:
        with self._out_cond:
            while not self._out:
                self._out_cond.wait()
            return self._out.popleft()

    def read_lines(self) -> list[bytes]:
        """Every line sent so far (at least one, blocking if need be); [] at end of stream.
        Like the stdio transport's: the client's reader thread reads with it."""
        with self._out_cond:
            while not self._out and not self._ended:
                self._out_cond.wait()
        return self.read_ready() or []

    def wait_readable(self, deadline: float | None) -> bool:
        """Block until a line (or the end) was sent (True), or `deadline` (monotonic)
        passes or `wake()` is called (False)."""
        with self._out_cond:
            while not self._out and not self._ended:
                if self._woken:
                    self._woken = False
                    return False
                if deadline is None:
                    self._out_cond.wait()
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._out_cond.wait(remaining)
            return True

    def wake(self) -> None:
        """Make a `wait_readable()` under way (or the next one) return False at once."""
        with self._out_cond:
            self._woken = True
            self._out_cond.notify_all()

    def read_ready(self) -> list[bytes] | None:
        """Every line sent so far, without blocking ([] if none); None at end of stream."""
        with self._out_cond:
            if self._ended:
                return None
            lines = list(self._out)
            self._out.clear()
        if b"" in lines:
            self._ended = True
            del lines[lines.index(b"") :]
            return lines or None
        return lines

    def send_raw(self, line: bytes) -> None:
        with self._out_cond:
            self._out.append(line)
            self._out_cond.notify_all()

    def _eof(self) -> None:
        self.send_raw(b"")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.exit(0)


class AsyncMockTransport(MockPeer):
    """An `AsyncTransport` whose server is `handler` (sends are thread-safe)."""

    def __init__(self, handler: MockHandler | None = None) -> None:
        super().__init__(handler)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._out: asyncio.Queue[bytes] | None = None
        self._early: list[bytes] = []
        self.closed = False

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._out = asyncio.Queue()
        for line in self._early:
            self._out.put_nowait(line)
        self._early.clear()

    async def write_line(self, data: bytes) -> None:
        if self.closed or self.exit_code is not None:
            raise self.closed_error("the mock app-server is closed")
        self._receive(data)

    async def read_line(self) -> bytes:
        if self._out is None:
            raise ClientNotStartedError("the mock transport is not started: call start() first")
        return await self._out.get()

    def send_raw(self, line: bytes) -> None:
        if self._out is None or self._loop is None:
            self._early.append(line)
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._out.put_nowait(line)
        else:
            self._loop.call_soon_threadsafe(self._out.put_nowait, line)

    def _eof(self) -> None:
        self.send_raw(b"")

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.exit(0)
