"""One thread that writes every paced stream of a `ScriptedModel`.

Why it exists: a `Reply` with a `delay` streams its deltas one by one, a pause between two.
With one sleeping connection thread per stream (`threading.Event.wait(delay)` per delta: a
Condition, a lock allocated per wait, a timed acquire), the benchmark's 32 concurrent
streams of deltas 3 ms apart (~10,600 deltas/s) cost the model 55-82% of a core on a
2-core machine: CPU taken from the app-server and from the client whose latency is being
measured. Here a single thread keeps a heap of due times and writes each delta with a
non-blocking send; it wakes once for everything due within `_SLACK` and sleeps on a plain
lock's timed acquire (released early by a new stream and by `close`).
Measured in one session, 32 `curl -N` readers of "bench text 6000 3"
(tests/testing/measure_paced_streams.py): before, 57-80% of a core for 240-278 deltas/s
per stream (the per-delta overhead added to every pause); after, 30-36% for 333 deltas/s
per stream: about 33 us per delta instead of 75-90, half of it the kernel's loopback send.

Pacing is by deadline: a stream's next chunk is due at its previous due time plus the
pause, so per-delta overhead does not add up; a stream that fell behind (a busy machine, a
slow reader) catches up by writing what is due without sleeping. The pacer never blocks on
a reader: when the kernel takes only part of a write, the rest goes back to the stream's
connection thread, which writes it blocking and submits the stream again (still on its
deadlines). That thread waits, meanwhile, on a lock of the stream: one wake per hand-back,
none per delta.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator

from ._sse import _Pause

__all__ = ["PacedStream", "Pacer", "_Gone"]

#: Seconds: when the pacer wakes for the earliest due chunk, it also writes every chunk due
#: within this much later (before sleeping again): fewer wakes, each chunk at most this early.
_SLACK = 0.001

#: Bytes written for one stream in one round before the other due streams get their turn
#: (a stream that fell far behind catches up over several rounds).
_STEP_BYTES = 64 * 1024

#: The longest single sleep (a lock's timed acquire overflows on huge timeouts): a stream
#: paused for longer (a `delay` of hours, or infinite) just costs a wake a minute.
_MAX_SLEEP = 60.0

#: send() flags: never block the pacer on a full socket buffer.
_NONBLOCKING = socket.MSG_DONTWAIT


class _Gone(Exception):
    """The model was closed, or the client went away, while a request was being served."""


class PacedStream:
    """The rest of one paced response body, from its next due chunk on.

    `chunks` yields encoded chunks and the `_Pause` markers between them; the chunk that
    `chunks` yields next is due at `due` (`time.monotonic()`). `sock` must be blocking
    without a timeout (as the connection threads' are): with a timeout, Python's `send`
    waits for a full buffer to drain even with `MSG_DONTWAIT`.
    """

    __slots__ = ("_done", "chunks", "due", "error", "finished", "sock", "unsent")

    def __init__(self, sock: socket.socket, chunks: Iterator[bytes | _Pause], due: float) -> None:
        self.sock = sock
        self.chunks = chunks
        self.due = due
        #: Bytes the kernel did not take: the connection thread writes them (blocking).
        self.unsent: bytes | memoryview = b""
        self.finished = False
        self.error: BaseException | None = None
        # Held while the pacer has the stream; released to hand it back.
        self._done = threading.Lock()
        self._done.acquire()


class Pacer:
    """Writes the paced streams of one model from one thread (started on first use)."""

    def __init__(self, name: str = "ScriptedModel-pacer") -> None:
        self._name = name
        self._lock = threading.Lock()
        self._incoming: list[PacedStream] = []
        self._closed = False
        self._thread: threading.Thread | None = None
        # The pacer sleeps acquiring `_wake`, held otherwise; `_woken`: a release is pending.
        self._wake = threading.Lock()
        self._wake.acquire()
        self._woken = False

    def run(self, stream: PacedStream, write: Callable[[bytes | memoryview], None]) -> None:
        """Pace `stream` to its end; called on the stream's connection thread.

        `write` writes blocking (what a slow reader's kernel buffer did not take).
        Raises `_Gone` once the pacer is closed, the `OSError` of a reader that went away,
        or the exception that rendering the stream raised.
        """
        while True:
            self._submit(stream)
            stream._done.acquire()  # released by the pacer: finished, failed or handed back
            if stream.unsent:
                data, stream.unsent = stream.unsent, b""
                write(data)
            if stream.error is not None:
                raise stream.error
            if stream.finished:
                return

    def close(self) -> threading.Thread | None:
        """End every paced stream (with `_Gone`) and the thread; return it, to join."""
        with self._lock:
            self._closed = True
            self._signal()
            return self._thread

    def _submit(self, stream: PacedStream) -> None:
        with self._lock:
            if self._closed:
                raise _Gone
            self._incoming.append(stream)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
                self._thread.start()
            else:
                self._signal()

    def _signal(self) -> None:
        """Wake the pacer (under `_lock`): at most one release outstanding."""
        if not self._woken:
            self._woken = True
            self._wake.release()

    def _sleep(self, seconds: float) -> None:
        """Sleep `seconds` at most (-1: until woken); `_submit` and `close` wake us."""
        if self._wake.acquire(timeout=min(seconds, _MAX_SLEEP)):
            with self._lock:
                self._woken = False

    def _serve(self) -> None:
        heap: list[tuple[float, int, PacedStream]] = []
        order = itertools.count()  # ties in due time keep submission order
        monotonic, push, pop = time.monotonic, heapq.heappush, heapq.heappop
        due: list[PacedStream] = []  # popped for this round, the next one last
        error: BaseException | None = None  # a bug in the pacer, if it ever raises
        try:
            while True:
                if self._incoming or self._closed:
                    with self._lock:
                        if self._closed:
                            return
                        for stream in self._incoming:
                            push(heap, (stream.due, next(order), stream))
                        self._incoming.clear()
                if not heap:
                    self._sleep(-1)
                    continue
                now = monotonic()
                if heap[0][0] > now:
                    self._sleep(heap[0][0] - now)
                    continue
                limit = now + _SLACK
                while heap and heap[0][0] <= limit:
                    due.append(pop(heap)[2])
                due.reverse()
                while due:
                    stream = due.pop()
                    try:
                        keep = self._step(stream, limit)
                    except BaseException:
                        due.append(stream)  # not released: the `finally` releases it
                        raise
                    if keep:
                        push(heap, (stream.due, next(order), stream))
        except BaseException as exc:  # a bug here: the streams' threads must not hang
            error = exc
            raise
        finally:
            with self._lock:
                self._closed = True
                left = [entry[2] for entry in heap] + due + self._incoming
                self._incoming = []
            for stream in left:
                stream.error = _Gone() if error is None else error
                stream._done.release()

    def _step(self, stream: PacedStream, limit: float) -> bool:
        """Write what of `stream` is due by `limit`; False once it went back to its thread."""
        parts: list[bytes] = []
        size = 0
        try:
            for item in stream.chunks:
                if isinstance(item, _Pause):
                    stream.due += item.seconds
                    if stream.due > limit or size >= _STEP_BYTES:
                        break
                else:
                    parts.append(item)
                    size += len(item)
            else:
                stream.finished = True
        except Exception as exc:  # a reply we could not render: its thread keeps the error
            stream.error = exc
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        if self._closed:
            stream.error = _Gone()
        elif data:
            try:
                sent = stream.sock.send(data, _NONBLOCKING)
            except BlockingIOError:
                sent = 0
            except OSError as exc:  # the reader went away: this stream ends, only this one
                sent, stream.error = len(data), exc
            if sent < len(data):
                stream.unsent = memoryview(data)[sent:]
        if stream.unsent or stream.finished or stream.error is not None:
            stream._done.release()
            return False
        return True
