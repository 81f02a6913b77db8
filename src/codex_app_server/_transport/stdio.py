"""The stdio transports: `StdioTransport` and
`AsyncStdioTransport` spawn `codex app-server --listen stdio://` in a process group of its
own, so that closing ends every process the app-server started (shells, MCP servers).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import IO

from .._config import AppServerConfig
from .._constants import EXIT_STATUS_WAIT, READ_CHUNK_BYTES, STDERR_LINE_LIMIT, STDERR_TAIL_LINES
from .._logging import redact_text
from .._protocol.errors import MessageTooLargeError, TransportClosedError, TransportError
from .._protocol.wire import OversizedLine
from .lines import LineSplitter

#: Bytes read at a time while skipping the rest of an oversized line.
_SKIP_CHUNK = 1024 * 1024

stderr_logger = logging.getLogger("codex_app_server.stderr")


class _StderrTail:
    """Keeps the last lines of stderr and forwards each to the `codex_app_server.stderr` logger."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    def feed(self, raw: bytes) -> None:
        line = raw[:STDERR_LINE_LIMIT].decode("utf-8", "replace").rstrip("\r\n")
        if line:
            self.lines.append(line)
            if stderr_logger.isEnabledFor(logging.DEBUG):
                stderr_logger.debug("%s", redact_text(line))


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


# Transports whose app-server may still run: at interpreter exit each is abandoned (its
# process group SIGKILLed), so that a client nobody closed leaves no orphan behind.
_LIVE: weakref.WeakSet[StdioTransport | AsyncStdioTransport] = weakref.WeakSet()
_atexit_registered = False


def _track(transport: StdioTransport | AsyncStdioTransport) -> None:
    global _atexit_registered
    _LIVE.add(transport)
    if not _atexit_registered:
        _atexit_registered = True
        atexit.register(_abandon_all)


def _abandon_all() -> None:
    for transport in list(_LIVE):
        with contextlib.suppress(Exception):
            transport.abandon()


class StdioTransport:
    """Spawns the app-server and talks to it over its stdin/stdout (blocking I/O)."""

    def __init__(self, config: AppServerConfig) -> None:
        self._config = config
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdin: IO[bytes] | None = None
        self._stdout: IO[bytes] | None = None
        self._write_lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._stderr = _StderrTail()
        self._stderr_thread: threading.Thread | None = None
        self._exit_thread: threading.Thread | None = None
        self._exited = threading.Event()
        self._closing = False
        self._closed = False
        self._lines = LineSplitter(config.max_line_bytes)
        self._eof = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """The exit status once the app-server has exited (negative: killed by a signal)."""
        return self._proc.returncode if self._proc else None

    def start(self) -> None:
        argv = self._config.build_argv()
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self._config.cwd,
                env=self._config.build_env(),
                start_new_session=True,
            )
        except OSError as exc:
            raise TransportError(f"could not start the app-server {argv[0]!r}: {exc}") from exc
        self._proc = proc
        _track(self)
        self._stdin = proc.stdin
        assert proc.stdout is not None
        self._stdout = proc.stdout
        self._stderr_thread = threading.Thread(
            target=self._drain_stderr, name="codex-app-server-stderr", daemon=True
        )
        self._stderr_thread.start()
        self._exit_thread = threading.Thread(
            target=self._watch_exit, name="codex-app-server-exit", daemon=True
        )
        self._exit_thread.start()

    def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        readline = self._proc.stderr.readline
        for raw in iter(lambda: readline(STDERR_LINE_LIMIT), b""):
            self._stderr.feed(raw)

    def _watch_exit(self) -> None:
        # Ends the app-server's process group the moment it exits: a shell or MCP server it
        # started must not outlive it, nor keep our pipes open (a child holding stdout would
        # hide the exit from the reader forever). The group is killed before the app-server
        # is reaped, while its pid (the group id) cannot have been reused.
        proc = self._proc
        assert proc is not None
        killed = False
        with contextlib.suppress(AttributeError, OSError):  # no waitid: kill after reaping
            os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
            _kill_group(proc.pid, signal.SIGKILL)
            killed = True
        proc.wait()
        if not killed:
            _kill_group(proc.pid, signal.SIGKILL)
        self._exited.set()

    def abandon(self) -> None:
        """SIGKILL the app-server's process group now, unless it was reaped (no waiting).

        For an owner that can no longer close properly: interpreter exit, a dead loop.
        """
        proc = self._proc
        if proc is not None and not self._exited.is_set() and proc.returncode is None:
            _kill_group(proc.pid, signal.SIGKILL)

    def write_line(self, data: bytes) -> None:
        stdin = self._stdin
        if stdin is None or self._closing:
            raise self.closed_error("the app-server connection is closed")
        with self._write_lock:
            try:
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, ValueError, OSError) as exc:
                raise self.closed_error(f"writing to the app-server failed ({exc})") from exc

    def read_line(self) -> bytes:
        stdout = self._stdout
        if stdout is None:
            return b""
        limit = self._config.max_line_bytes
        try:
            line = stdout.readline(limit + 1)
        except (ValueError, OSError):
            return b""
        if len(line) > limit and not line.endswith(b"\n"):
            return self._skip_rest(stdout, line)
        return line

    def read_lines(self) -> list[bytes]:
        """Every complete line that has arrived (at least one, blocking if need be), without
        their newlines; [] at end of stream. A last line with no newline is returned at EOF.

        The reader's hot path (see `LineSplitter`): one `read1` of the buffered pipe per
        chunk. Do not mix with `read_line()`. Lines longer than `max_line_bytes` raise
        `MessageTooLargeError`, as `read_line()` does. Like `read_line()`, it blocks holding
        the pipe's buffer lock, so the pipe is closed only once the reader is done (see
        `release`).
        """
        stdout = self._stdout
        if stdout is None or self._eof:
            return []
        # Popen's stdout is a BufferedReader; anything else is read with read().
        read1 = getattr(stdout, "read1", stdout.read)
        feed = self._lines.feed
        while True:
            try:
                chunk = read1(READ_CHUNK_BYTES)
            except (ValueError, OSError):
                chunk = b""
            if not chunk:
                self._eof = True
                return self._lines.finish()
            lines = feed(chunk)
            if lines is not None:
                return lines

    @staticmethod
    def _skip_rest(stdout: IO[bytes], start: bytes) -> OversizedLine:
        # Over the limit: drop the rest of the line in bounded reads and hand over only its
        # head, so that it costs the one request or turn it was for, not the connection.
        size = len(start)
        head = start[:4096]
        del start
        while True:
            try:
                rest = stdout.readline(_SKIP_CHUNK)
            except (ValueError, OSError):
                break
            size += len(rest)
            if not rest or rest.endswith(b"\n"):
                size -= 1 if rest.endswith(b"\n") else 0
                break
        return OversizedLine(head, size)

    def closed_error(self, reason: str) -> TransportClosedError:
        # Give a dying process a moment to be reaped and its last stderr lines to arrive,
        # bounded so that waiters learn of the death promptly.
        deadline = time.monotonic() + EXIT_STATUS_WAIT
        if self._proc is not None:
            self._exited.wait(EXIT_STATUS_WAIT)
        if self._stderr_thread is not None:
            self._stderr_thread.join(max(0.0, deadline - time.monotonic()))
        return TransportClosedError(
            reason, exit_code=self.returncode, stderr_tail=list(self._stderr.lines)
        )

    def close(self) -> None:
        """Close stdin, wait; SIGTERM the group, wait; SIGKILL it. Bounded (3 x grace).

        Idempotent; a concurrent caller returns once the first one is done.
        """
        with self._close_lock:
            if self._closed:
                return
            self._closing = True
            if self._proc is not None:
                # Interrupted (Ctrl-C in a grace wait), it is not done: the next close()
                # takes it up again instead of returning early.
                self._terminate(self._proc)
            self._closed = True

    def _terminate(self, proc: subprocess.Popen[bytes]) -> None:
        grace = self._config.shutdown_grace
        # A writer stuck on a full pipe (a frozen server) holds the write lock: then skip the
        # EOF step; the signals below break the pipe and free the writer.
        if self._write_lock.acquire(timeout=grace):
            try:
                with contextlib.suppress(OSError, ValueError):
                    if self._stdin is not None:
                        self._stdin.close()
            finally:
                self._write_lock.release()
            exited = self._exited.wait(grace)
        else:
            exited = self._exited.is_set()
        if not exited:
            _kill_group(proc.pid, signal.SIGTERM)
            # A stopped (SIGSTOP) process acts on SIGTERM only once it is continued.
            _kill_group(proc.pid, signal.SIGCONT)
            if not self._exited.wait(grace):
                _kill_group(proc.pid, signal.SIGKILL)
                self._exited.wait(grace)
        # No signal once the app-server is reaped: its pid, the group id, may be reused by
        # then. The exit watcher ended the rest of the group as the app-server exited.
        # stdout is left to the reader thread, which now sees EOF; closing a pipe under a
        # blocked reader would block on the buffer lock (see `release`).

    def release(self, *, stdout: bool = True) -> None:
        """Close the pipes once their readers are done with them (bounded).

        `stdout=False` when the reader thread may still be blocked on it: closing a
        buffered pipe under a blocked reader blocks until that read returns.
        """
        proc = self._proc
        if proc is None:
            return
        grace = self._config.shutdown_grace
        for thread in (self._stderr_thread, self._exit_thread):
            if thread is not None and thread is not threading.current_thread():
                thread.join(grace)
        streams: list[IO[bytes] | None] = []
        if stdout:
            streams.append(proc.stdout)
        if self._stderr_thread is None or not self._stderr_thread.is_alive():
            streams.append(proc.stderr)
        for stream in streams:
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()
        if self._write_lock.acquire(blocking=False):
            try:
                with contextlib.suppress(OSError, ValueError):
                    if self._stdin is not None:
                        self._stdin.close()
            finally:
                self._write_lock.release()


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


class AsyncStdioTransport:
    """Spawns the app-server with asyncio's subprocess support: no threads at all."""

    def __init__(self, config: AppServerConfig) -> None:
        self._config = config
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr = _StderrTail()
        self._stderr_task: asyncio.Task[None] | None = None
        self._exited: asyncio.Future[None] | None = None
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None
        self._lines = LineSplitter(config.max_line_bytes)
        self._eof = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """The exit status once the app-server has exited (negative: killed by a signal)."""
        return self._proc.returncode if self._proc else None

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
        _track(self)
        if self._exited.done():  # it exited before we knew its pid
            _kill_group(self._proc.pid, signal.SIGKILL)
        self._stderr_task = loop.create_task(self._drain_stderr())

    def _on_exit(self) -> None:
        # The app-server is gone: end its process group with it, so no shell or MCP server
        # outlives it, nor keeps our pipes open (which would hide the exit from the reader).
        if self._exited is not None and not self._exited.done():
            self._exited.set_result(None)
        if self._proc is not None:
            _kill_group(self._proc.pid, signal.SIGKILL)

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
            _kill_group(proc.pid, signal.SIGKILL)
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
        instead of a `readline()` per message. Do not mix with `read_line()`. Lines longer
        than `max_line_bytes` raise `MessageTooLargeError`, as `read_line()` does.
        """
        proc = self._proc
        if proc is None or proc.stdout is None or self._eof:
            return []
        read, feed = proc.stdout.read, self._lines.feed
        while True:
            chunk = await read(READ_CHUNK_BYTES)
            if not chunk:
                self._eof = True
                return self._lines.finish()
            lines = feed(chunk)
            if lines is not None:
                return lines

    def closed_error(self, reason: str) -> TransportClosedError:
        return TransportClosedError(
            reason, exit_code=self.returncode, stderr_tail=list(self._stderr.lines)
        )

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
            _kill_group(proc.pid, signal.SIGTERM)
            # A stopped (SIGSTOP) process acts on SIGTERM only once it is continued.
            _kill_group(proc.pid, signal.SIGCONT)
            if not await self._wait_exited(grace):
                _kill_group(proc.pid, signal.SIGKILL)
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
