"""The blocking stdio transport: `StdioTransport` spawns `codex app-server --listen
stdio://` in a process group of its own (see `process.py`), so that closing ends every
process the app-server started (shells, MCP servers). The asyncio one: `async_stdio.py`.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal
import subprocess
import threading
import time
from typing import IO

from .._config import AppServerConfig
from .._constants import EXIT_STATUS_WAIT, READ_CHUNK_BYTES, STDERR_LINE_LIMIT
from .._protocol.errors import TransportClosedError
from .._protocol.wire import OversizedLine
from .process import ChildTransport, spawn_group, track
from .process import kill_group as _kill_group

__all__ = ["StdioTransport"]

#: Bytes read at a time while skipping the rest of an oversized line.
_SKIP_CHUNK = 1024 * 1024


class StdioTransport(ChildTransport):
    """Spawns the app-server and talks to it over its stdin/stdout (blocking I/O)."""

    def __init__(self, config: AppServerConfig) -> None:
        self._init_child(config)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stdin: IO[bytes] | None = None
        self._stdout: IO[bytes] | None = None
        self._write_lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._stderr_thread: threading.Thread | None = None
        self._exit_thread: threading.Thread | None = None
        self._exited = threading.Event()
        self._closing = False
        self._closed = False
        # A waiting thread's wait for data (see `wait_readable`): made on its first use.
        self._poller: select.poll | None = None
        self._wake_pipe: tuple[IO[bytes], IO[bytes]] | None = None  # wait_readable's wake-up
        self._wake_fd = -1
        self._woken = False

    def start(self) -> None:
        argv = self._config.build_argv()
        proc = spawn_group(argv, self._config, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._proc = proc
        track(self)
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
        chunk (`read_ready`, until a line is whole). Do not mix with `read_line()`. A line
        longer than `max_line_bytes` comes back as an `OversizedLine` (its size and head,
        never held whole), which the client reports or answers for, and reading goes on.
        Like `read_line()`, it blocks holding the pipe's buffer lock, so the pipe is closed
        only once the reader is done (see `release`).
        """
        while True:  # a line written in part: block for its rest (the reader thread's read)
            lines = self.read_ready()
            if lines is None:
                return []
            if lines:
                return lines

    def wait_readable(self, deadline: float | None) -> bool:
        """Block until stdout has data or has ended (True), or until `deadline` (a
        `time.monotonic()` value; None: no limit) passes or `wake()` is called (False).
        A waiting thread's wait for data (see `_sync/read_gate.py`); `read_ready()` after
        True does not block, as the buffer the reads go through is always empty between
        them. `poll`, not `select`: no limit on the descriptor's number."""
        stdout = self._stdout
        if stdout is None or self._eof:
            return True
        poller = self._poller
        if poller is None:
            try:
                poller = self._new_poller(stdout)
            except (ValueError, OSError):  # closed under us: read_ready() reports the end
                return True
        if self._woken:  # woken before the wake-up pipe was there (checked after making it)
            self._woken = False
            return False
        timeout = (
            None if deadline is None else max(0, math.ceil((deadline - time.monotonic()) * 1000))
        )
        events = poller.poll(timeout)
        if not events:
            return False
        wake = self._wake_pipe
        wake_fd = self._wake_fd
        if any(fd == wake_fd for fd, _ in events):
            if wake is not None:
                # Through the file objects, never a bare descriptor: once `release` closed
                # them, their number may belong to someone else's file.
                with contextlib.suppress(OSError, ValueError):
                    while wake[0].read(512):
                        pass
            self._woken = False
            return any(fd != wake_fd for fd, _ in events)
        return True

    def _new_poller(self, stdout: IO[bytes]) -> select.poll:
        poller = select.poll()
        poller.register(stdout.fileno(), select.POLLIN)
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        os.set_blocking(write_fd, False)
        self._wake_pipe = (os.fdopen(read_fd, "rb", buffering=0), os.fdopen(write_fd, "wb", 0))
        self._wake_fd = read_fd
        poller.register(read_fd, select.POLLIN)
        self._poller = poller
        return poller

    def wake(self) -> None:
        """Make a `wait_readable()` under way (or the next one) return False at once."""
        self._woken = True
        wake = self._wake_pipe
        if wake is not None:
            with contextlib.suppress(OSError, ValueError):  # full: one is pending anyway
                wake[1].write(b"\0")

    def read_ready(self) -> list[bytes] | None:
        """One read of what stdout has (after `wait_readable()` said so): the whole lines
        that came ([] when a line is still partly written), None at end of stream."""
        stdout = self._stdout
        if stdout is None or self._eof:
            return None
        try:  # Popen's stdout is a BufferedReader; anything else is read with read()
            chunk = getattr(stdout, "read1", stdout.read)(READ_CHUNK_BYTES)
        except (ValueError, OSError):
            chunk = b""
        lines = self._split(chunk)
        if lines is None:
            return []
        return lines if lines or not self._eof else None

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
        return self._closed_error(reason)

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
        exited = self._exited.wait(grace) if self._close_stdin(grace) else self._exited.is_set()
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
        self._close_stdin(None)
        wake = self._wake_pipe
        if stdout and wake is not None:  # nobody waits for data any more
            for end in wake:
                with contextlib.suppress(OSError, ValueError):
                    end.close()

    def _close_stdin(self, wait: float | None) -> bool:
        """Close stdin unless a writer holds the write lock (waited for up to `wait`
        seconds; None: not at all). True if it was closed."""
        if not self._write_lock.acquire(wait is not None, -1 if wait is None else wait):
            return False
        try:
            with contextlib.suppress(OSError, ValueError):
                if self._stdin is not None:
                    self._stdin.close()
        finally:
            self._write_lock.release()
        return True
