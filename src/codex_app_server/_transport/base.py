"""The transport interface: byte lines in and out of an app-server.

A transport moves newline-delimited JSON lines; it knows nothing of JSON-RPC. The sync
clients use `Transport`, the async ones `AsyncTransport`; the stdio transports
(`stdio.py`) spawn the app-server, the mock ones (`mock.py`) are in-memory test doubles.
"""

from __future__ import annotations

from typing import Protocol

from .._protocol.errors import TransportClosedError


class Transport(Protocol):
    """A line-oriented, blocking connection to an app-server.

    One that also has `read_lines()`, `read_ready()`, `wait_readable(deadline)` and
    `wake()` (stdio, `MockTransport`), and cannot reconnect, lets the client's waiting
    threads read for themselves (see `_sync/read_gate.py`).
    """

    def start(self) -> None: ...

    def write_line(self, data: bytes) -> None:
        """Write one message (`data` ends with a newline). Thread-safe."""

    def read_line(self) -> bytes:
        """Block for the next line; b"" at end of stream. Called from one reader thread."""

    def close(self) -> None:
        """Release everything; bounded in time; idempotent."""

    def closed_error(self, reason: str) -> TransportClosedError:
        """The error that explains why the stream ended (exit code, stderr tail)."""


class AsyncTransport(Protocol):
    """A line-oriented asyncio connection to an app-server."""

    async def start(self) -> None: ...

    async def write_line(self, data: bytes) -> None: ...

    async def read_line(self) -> bytes: ...

    async def close(self) -> None: ...

    def closed_error(self, reason: str) -> TransportClosedError: ...
