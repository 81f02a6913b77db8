"""The async stdio transport's reader: a backlog is handed over a chunk per loop pass."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from codex_app_server._config import AppServerConfig
from codex_app_server._constants import ASYNC_READ_CHUNK_BYTES
from codex_app_server._transport.async_stdio import AsyncStdioTransport

LINES = 4_000
WIDTH = 100  # bytes a line, newline included: the backlog is about 6 chunks


async def test_a_backlog_is_read_a_chunk_per_loop_pass() -> None:
    transport = AsyncStdioTransport(AppServerConfig())
    stdout = asyncio.StreamReader(limit=2**24)
    stdout.feed_data((b"x" * (WIDTH - 1) + b"\n") * LINES)  # all of it already arrived
    stdout.feed_eof()
    transport._proc = SimpleNamespace(stdout=stdout)  # type: ignore[assignment]
    got: list[bytes] = []
    passes: list[int] = []
    while True:
        ran: list[bool] = []
        asyncio.get_running_loop().call_soon(ran.append, True)
        lines = await transport.read_lines()  # no wait_for: its task would be a pass too
        if not lines:
            break
        assert len(lines) * WIDTH <= ASYNC_READ_CHUNK_BYTES + WIDTH
        passes.append(len(ran))
        got += lines
    assert got == [b"x" * (WIDTH - 1)] * LINES  # nothing lost, nothing split wrong
    # The data was all there: only the reader's own yield let the loop run, after every
    # full chunk (not before the first read).
    assert len(passes) > 3
    assert passes[0] == 0
    assert all(n == 1 for n in passes[1:])
