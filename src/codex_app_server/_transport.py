"""Transports: byte lines in and out of an app-server.

A transport moves newline-delimited JSON lines; it knows nothing of JSON-RPC. The sync
clients use `SyncTransport`, the async ones `AsyncTransport`. `StdioTransport` and
`AsyncStdioTransport` spawn `codex app-server --listen stdio://` in a process group of its
own, so that closing ends every process the app-server started (shells, MCP servers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import threading
from collections import deque
from typing import IO, Protocol

from ._config import AppServerConfig
from ._constants import STDERR_TAIL_LINES
from ._errors import MessageTooLargeError, TransportClosedError, TransportError

stderr_logger = logging.getLogger("codex_app_server.stderr")


class SyncTransport(Protocol):
    """A line-oriented, blocking connection to an app-server."""

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


class _StderrTail:
    """Keeps the last lines of stderr and forwards each to the `codex_app_server.stderr` logger."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    def feed(self, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line:
            self.lines.append(line)
            stderr_logger.debug("%s", line)


def _kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


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
        self._closed = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

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
        self._stdin = proc.stdin
        assert proc.stdout is not None
        self._stdout = proc.stdout
        self._stderr_thread = threading.Thread(
            target=self._drain_stderr, name="codex-app-server-stderr", daemon=True
        )
        self._stderr_thread.start()

    def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for raw in iter(self._proc.stderr.readline, b""):
            self._stderr.feed(raw)

    def write_line(self, data: bytes) -> None:
        stdin = self._stdin
        if stdin is None or self._closed:
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
            raise MessageTooLargeError(
                f"the app-server sent a line longer than max_line_bytes={limit}"
            )
        return line

    def closed_error(self, reason: str) -> TransportClosedError:
        exit_code: int | None = None
        if self._proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                exit_code = self._proc.wait(timeout=1.0)
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=0.5)
        return TransportClosedError(
            reason, exit_code=exit_code, stderr_tail=list(self._stderr.lines)
        )

    def close(self) -> None:
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        proc = self._proc
        if proc is None:
            return
        grace = self._config.shutdown_grace
        with self._write_lock, contextlib.suppress(OSError, ValueError):
            if self._stdin is not None:
                self._stdin.close()
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                _kill_group(proc.pid, sig)
            try:
                proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        # The app-server is gone; end anything it left behind in its group.
        _kill_group(proc.pid, signal.SIGKILL)
        # stdout is left to the reader thread, which now sees EOF; closing a pipe under a
        # blocked reader can deadlock on the buffer lock.

    def release(self) -> None:
        """Close the pipes once the reader thread is done with them."""
        proc = self._proc
        if proc is not None:
            for stream in (proc.stdout, proc.stderr):
                with contextlib.suppress(OSError, ValueError):
                    if stream is not None:
                        stream.close()


class AsyncStdioTransport:
    """Spawns the app-server with asyncio's subprocess support: no threads at all."""

    def __init__(self, config: AppServerConfig) -> None:
        self._config = config
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr = _StderrTail()
        self._stderr_task: asyncio.Task[None] | None = None
        self._closed = False
        self._close_task: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    async def start(self) -> None:
        argv = self._config.build_argv()
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                cwd=self._config.cwd,
                env=self._config.build_env(),
                start_new_session=True,
                limit=self._config.max_line_bytes,
            )
        except OSError as exc:
            raise TransportError(f"could not start the app-server {argv[0]!r}: {exc}") from exc
        self._stderr_task = asyncio.get_running_loop().create_task(self._drain_stderr())

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

    async def write_line(self, data: bytes) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None or self._closed:
            raise self.closed_error("the app-server connection is closed")
        try:
            proc.stdin.write(data)
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError, RuntimeError) as exc:
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

    def closed_error(self, reason: str) -> TransportClosedError:
        proc = self._proc
        exit_code = proc.returncode if proc is not None else None
        return TransportClosedError(
            reason, exit_code=exit_code, stderr_tail=list(self._stderr.lines)
        )

    async def wait_exit(self, timeout: float) -> int | None:
        """Wait up to `timeout` for the process to exit; its exit code, or None."""
        proc = self._proc
        if proc is None:
            return None
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(proc.wait(), timeout)
        if self._stderr_task is not None:
            with contextlib.suppress(asyncio.TimeoutError, Exception):
                await asyncio.wait_for(asyncio.shield(self._stderr_task), 0.5)
        return proc.returncode

    async def close(self) -> None:
        # Shielded, so a cancelled close() still finishes reaping the process.
        if self._close_task is None:
            self._close_task = asyncio.get_running_loop().create_task(self._close())
        await asyncio.shield(self._close_task)

    async def _close(self) -> None:
        self._closed = True
        proc = self._proc
        if proc is None:
            return
        grace = self._config.shutdown_grace
        if proc.stdin is not None:
            with contextlib.suppress(Exception):
                proc.stdin.close()
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                _kill_group(proc.pid, sig)
            try:
                await asyncio.wait_for(proc.wait(), grace)
                break
            except asyncio.TimeoutError:
                continue
        _kill_group(proc.pid, signal.SIGKILL)
        if self._stderr_task is not None:
            self._stderr_task.cancel()
            with contextlib.suppress(BaseException):
                await self._stderr_task
