"""A minimal synchronous JSON-RPC driver for the app-server over stdio.

No SDK code: it spawns the process, writes newline-delimited JSON and reads it back with a
selector and a byte buffer (no reader thread), so it doubles as the "raw floor" for
benchmarks. Messages that arrive while waiting for a response are kept, in order, for
`read_until()`.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from benchmarks.raw_floor import PipedProcess

if TYPE_CHECKING:
    from codex_app_server import AppServerConfig

Message = dict[str, Any]


class RawRpcError(Exception):
    """The app-server answered a request with a JSON-RPC error."""

    def __init__(self, method: str, error: Mapping[str, Any]) -> None:
        super().__init__(f"{method}: {error.get('code')} {error.get('message')}")
        self.error = dict(error)


class RawDriver:
    """Drive `codex app-server --listen stdio://` by hand.

    >>> with RawDriver.spawn(config) as rpc:            # doctest: +SKIP
    ...     thread_id = rpc.request("thread/start", {})["thread"]["id"]
    ...     done = rpc.run_turn(thread_id, "hi")          # notifications up to turn/completed
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._pipe = PipedProcess(argv, env, cwd, stderr=self._stderr)
        self.proc = self._pipe.proc
        self._stdin = self._pipe.stdin
        self._lines: deque[bytes] = deque()  # complete lines not yet parsed
        self._partial = b""  # the start of the next line
        self._next_id = 0
        #: Messages read but not yet consumed (notifications and server requests).
        self.pending: deque[Message] = deque()

    @classmethod
    def spawn(cls, config: AppServerConfig, *, initialize: bool = True) -> RawDriver:
        """Start the app-server an `AppServerConfig` describes (and initialize it)."""
        driver = cls(config.build_argv(), config.build_env(), config.cwd)
        if initialize:
            driver.initialize(config.initialize_params())
        return driver

    def __enter__(self) -> RawDriver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- writing

    def send(self, message: Mapping[str, Any]) -> None:
        """Write one message."""
        self._stdin.write(json.dumps(message).encode() + b"\n")
        self._stdin.flush()

    def notify(self, method: str, params: Any = None) -> None:
        """Send a notification."""
        self.send({"method": method} if params is None else {"method": method, "params": params})

    def respond(self, request_id: Any, result: Any) -> None:
        """Answer a server request."""
        self.send({"id": request_id, "result": result})

    def request(self, method: str, params: Any = None, timeout: float = 10.0) -> Any:
        """Send a request and return its result; other messages go to `pending`."""
        self._next_id += 1
        request_id = self._next_id
        message: Message = {"id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline, f"the response to {method}")
            if reply.get("id") == request_id and "method" not in reply:
                if "error" in reply:
                    raise RawRpcError(method, reply["error"])
                return reply.get("result")
            self.pending.append(reply)

    def initialize(self, params: Mapping[str, Any] | None = None) -> Any:
        """`initialize` then `initialized`."""
        params = params or {
            "clientInfo": {"name": "raw", "title": "raw", "version": "0"},
            "capabilities": {"experimentalApi": True},
        }
        result = self.request("initialize", dict(params))
        self.notify("initialized")
        return result

    # ---- reading

    def read_until(
        self, predicate: Callable[[Message], bool], timeout: float = 10.0
    ) -> list[Message]:
        """Read messages until one satisfies `predicate`; return all read, that one last."""
        deadline = time.monotonic() + timeout
        seen: list[Message] = []
        while True:
            message = (
                self.pending.popleft()
                if self.pending
                else self._read(deadline, "a matching message", seen)
            )
            seen.append(message)
            if predicate(message):
                return seen

    def run_turn(self, thread_id: str, text: str, timeout: float = 10.0) -> list[Message]:
        """Start a turn and read up to its `turn/completed`; return those messages."""
        turn = self.request(
            "turn/start",
            {"threadId": thread_id, "input": [{"type": "text", "text": text}]},
            timeout,
        )["turn"]
        return self.read_until(turn_completed(turn["id"]), timeout)

    def _read(self, deadline: float, what: str, seen: Sequence[Message] = ()) -> Message:
        while True:
            while self._lines:
                line = self._lines.popleft()
                if line.strip():
                    message: Message = json.loads(line)
                    return message
            chunk = self._pipe.read(deadline)
            if chunk is None:
                methods = [m.get("method", m.get("id")) for m in seen][-20:]
                raise TimeoutError(f"timed out waiting for {what}; last read: {methods}")
            if not chunk:
                raise EOFError(f"app-server exited ({self.proc.poll()}): {self.stderr()}")
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            self._lines.extend(lines)

    def stderr(self, limit: int = 4000) -> str:
        """The tail of what the app-server wrote to stderr."""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-limit:]

    # ---- shutdown

    def close(self, grace: float = 2.0) -> int | None:
        """Close stdin, then terminate, then kill; return the exit code."""
        try:
            return self._pipe.close(grace)
        finally:
            self._stderr.close()


def turn_completed(turn_id: str | None = None) -> Callable[[Message], bool]:
    """A predicate: `turn/completed` (for `turn_id`, if given)."""

    def predicate(message: Message) -> bool:
        if message.get("method") != "turn/completed":
            return False
        return turn_id is None or message["params"]["turn"]["id"] == turn_id

    return predicate


def of_method(messages: Sequence[Message], method: str) -> list[Message]:
    """The params of each message with this method."""
    return [m["params"] for m in messages if m.get("method") == method]
