"""The asyncio stdio transport: `AsyncStdioTransport` spawns `codex app-server --listen
stdio://` with asyncio's subprocess support (no threads at all), in a process group of its
own (see `process.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from .._config import AppServerConfig
from .._constants import ASYNC_READ_CHUNK_BYTES, EXIT_STATUS_WAIT
from .._protocol.errors import MessageTooLargeError, TransportClosedError, TransportError
from .process import ChildTransport, kill_group, track


class _ExitAwareProtocol(asyncio.subprocess.SubprocessStreamProtocol):
    """asyncio's subprocess protocol, plus a callback the moment the process exits.

    (`Process.wait()` also waits for every pipe to close, which a child that inherited one
    can put off forever.)
    """

    def __init__(
        self, limit: int, loop: asyncio.AbstractEventLoop, on_exit: Callable[[], None]
    ) -> None:
        super().__init__(limit=limit, loop=loop)
        self._on_exit = on_exit

    def process_exited(self) -> None:
        super().process_exited()
        self._on_exit()


class AsyncStdioTransport(ChildTransport):
    """Spawns the app-server with asyncio's subprocess support: no threads at all."""

    def __init__(self, config: AppServerConfig) -> None:
        self._init_child(config)
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr_task: asyncio.Task[None] | None = None
        self._exited: asyncio.Future[None] | None = None
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self._backlog = False

    async def start(self) -> None:
        argv = self._config.build_argv()
        loop = asyncio.get_running_loop()
        self._exited = loop.create_future()
        limit = self._config.max_line_bytes
        try:
            transport, protocol = await loop.subprocess_exec(
                lambda: _ExitAwareProtocol(limit, loop, self._on_exit),
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=self._config.cwd,
                env=self._config.build_env(),
                start_new_session=True,
            )
        except OSError as exc:
            raise TransportError(f"could not start the app-server {argv[0]!r}: {exc}") from exc
        self._proc = asyncio.subprocess.Process(transport, protocol, loop)
        track(self)
        if self._exited.done():  # it exited before we knew its pid
            kill_group(self._proc.pid, signal.SIGKILL)
        self._stderr_task = loop.create_task(self._drain_stderr())

    def _on_exit(self) -> None:
        # The app-server is gone: end its process group with it, so no shell or MCP server
        # outlives it, nor keeps our pipes open (which would hide the exit from the reader).
        if self._exited is not None and not self._exited.done():
            self._exited.set_result(None)
        if self._proc is not None:
            kill_group(self._proc.pid, signal.SIGKILL)

    async def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        stream = self._proc.stderr
        while True:
            try:
                raw = await stream.readline()
            except ValueError:  # an over-long stderr line: skip it
                continue
            except Exception:
                return
            if not raw:
                return
            self._stderr.feed(raw)

    def abandon(self) -> None:
        """SIGKILL the app-server's process group now, unless it was reaped (no waiting).

        For an owner that can no longer close properly: its loop is ending (`asyncio.run`
        cancelled the reader of a client nobody closed), or the interpreter is exiting.
        """
        proc = self._proc
        if (
            proc is not None
            and proc.returncode is None
            and not (self._exited is not None and self._exited.done())
        ):
            kill_group(proc.pid, signal.SIGKILL)
        if proc is not None:
            # Release the pipes while the loop still runs (a closed loop: nothing to do).
            with contextlib.suppress(Exception):
                proc._transport.close()  # type: ignore[attr-defined]

    async def write_line(self, data: bytes) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or self._closed:
            raise self.closed_error("the app-server connection is closed")
        try:
            proc.stdin.write(data)
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError, RuntimeError) as exc:
            # The pipe broke because the process is dying: wait (bounded) for its exit
            # status and last stderr lines, so the error says why whichever side noticed
            # first (a failed write often beats the reader to the EOF).
            await self.wait_exit(EXIT_STATUS_WAIT)
            raise self.closed_error(f"writing to the app-server failed ({exc})") from exc

    async def read_line(self) -> bytes:
        proc = self._proc
        if proc is None or proc.stdout is None:
            return b""
        try:
            return await proc.stdout.readline()
        except ValueError as exc:  # LimitOverrunError surfaces as ValueError from readline
            raise MessageTooLargeError(
                f"the app-server sent a line longer than max_line_bytes="
                f"{self._config.max_line_bytes}"
            ) from exc

    async def read_lines(self) -> list[bytes]:
        """Every complete line that has arrived (at least one, waiting if need be), without
        their newlines; [] at end of stream. A last line with no newline is returned at EOF.

        The reader's hot path (see `LineSplitter`): one read and one split per chunk
        instead of a `readline()` per message. Do not mix with `read_line()`. A line longer
        than `max_line_bytes` comes back as an `OversizedLine` (its size and head, never
        held whole), which the client reports or answers for, and reading goes on.
        """
        proc = self._proc
        if proc is None or proc.stdout is None or self._eof:
            return []
        if self._backlog:  # the last read filled a whole chunk: let the loop run first
            await asyncio.sleep(0)
        read, split = proc.stdout.read, self._split
        while True:
            chunk = await read(ASYNC_READ_CHUNK_BYTES)
            self._backlog = len(chunk) == ASYNC_READ_CHUNK_BYTES
            lines = split(chunk)
            if lines is not None:
                return lines

    def closed_error(self, reason: str) -> TransportClosedError:
        return self._closed_error(reason)

    async def wait_exit(self, timeout: float) -> int | None:
        """Wait up to `timeout` for the process to exit and its stderr to end; the exit code."""
        pending = [f for f in (self._exited, self._stderr_task) if f is not None and not f.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        return self.returncode

    async def _wait_exited(self, timeout: float) -> bool:
        if self._exited is None:
            return True
        if not self._exited.done():
            await asyncio.wait([self._exited], timeout=timeout)
        return self._exited.done()

    async def close(self) -> None:
        # Shielded, so a cancelled close() still finishes reaping the process.
        if self._close_task is None:
            self._close_task = asyncio.get_running_loop().create_task(self._close())
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        """Close stdin, wait; SIGTERM the group, wait; SIGKILL it. Bounded (3 x grace)."""
        try:
            await self._close_steps()
        except asyncio.CancelledError:
            # Only the loop's end cancels this shielded task (`asyncio.run` cancelling what
            # is left): no time for the graceful steps, but no orphan either.
            self.abandon()
            raise

    async def _close_steps(self) -> None:
        self._closed = True
        proc = self._proc
        if proc is None:
            return
        grace = self._config.shutdown_grace
        if proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
        if not await self._wait_exited(grace):
            kill_group(proc.pid, signal.SIGTERM)
            # A stopped (SIGSTOP) process acts on SIGTERM only once it is continued.
            kill_group(proc.pid, signal.SIGCONT)
            if not await self._wait_exited(grace):
                kill_group(proc.pid, signal.SIGKILL)
                await self._wait_exited(grace)
        # No signal once the app-server is reaped (its pid, the group id, may be reused):
        # `_on_exit` ended the rest of the group as it exited.
        stderr_task = self._stderr_task
        if stderr_task is not None:
            if not stderr_task.done():  # its last lines are on their way
                await asyncio.wait([stderr_task], timeout=min(grace, EXIT_STATUS_WAIT))
            stderr_task.cancel()
            with contextlib.suppress(BaseException):
                await stderr_task
