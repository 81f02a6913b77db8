"""`ReadGate`: which thread reads the connection now (sync driver, stdio and mock).

The reader thread reads and routes by default. A thread that waits for its own message
(a turn's stream, a request's response) reads in its own thread instead whenever nobody
else is reading: one thread then does the read, the routing and the consuming, as a
hand-written client would, instead of the reader and the consumer trading the GIL and a
wake-up for every chunk the app-server writes (a sync stream's client CPU: 0.195 -> 0.089
s per 10k notifications, 2.10x -> 1.26x the raw floor's; docs/benchmarks.md). The
protocol, in short:

- Whoever holds the gate reads one batch and routes it, then lets go. Readers never
  overlap, and each batch is routed before the next is read, so order is kept.
- A waiter that finds the gate held sleeps on its own queue or slot (the holder routes
  to it) and asks the reader thread to step aside once it has routed its current batch.
- The reader thread steps aside once a batch it routed has woken every sleeper (a
  delivery counts the sleepers it wakes, so a waiter whose message has not come yet keeps
  it reading). It reads again when a holder lets go while others sleep, at end of stream
  or failure, and after `handback` seconds with no reader (a waiter gone to do other
  work: server requests and notifications must still flow).
- A waiter never handles the end of the connection: at end of stream or on a read error
  it hands over to the reader thread, which fails every waiter as before.
- A waiter reads once per step and never blocks past what is there: a line written in
  part waits for its rest in `readable()`, under the waiter's own deadline. A delivery
  from another thread (a command's result, the error `close()` hands out) wakes the
  waiter waiting for data (`delivered`).
- Ctrl-C in the main thread: while it waits for data, it raises at once; once a chunk is
  read, it is held until that chunk is routed, so no message is lost half-way. Waiters
  take a plain lock (C code: no Ctrl-C between taking and releasing it), and whatever
  interrupts a step, the step lets go of the gate on its way out.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from .._constants import READER_HANDBACK

__all__ = ["ReadGate"]

_BACKGROUND = -1  # the holder id of the reader thread

# The C module under `signal` (CPython's `_signal`): its calls skip the enum conversions,
# 2.5 -> 0.2 us a call, and a read in the main thread makes two.
_raw_signal: Any = getattr(signal, "_signal", signal)

_SIGINT = int(signal.SIGINT)
_DEFAULT_INT_HANDLER = signal.default_int_handler


class Sleeper(Protocol):
    """A queue or slot a waiter sleeps on: `_asleep` counts its waiters asleep for a
    reader (the gate's lock guards it), `_sleep(timeout)` sleeps until a delivery."""

    _asleep: int

    def _sleep(self, timeout: float | None) -> object: ...

    def _ready(self) -> bool:
        """Whether something is there for the waiter."""
        ...


class ReadGate:
    """Shared by one client's reader thread and its waiters (see the module docstring).

    `readable(deadline)` waits until the connection has data (False at `deadline`, a
    `time.monotonic()` value or None, or when `wake()` is called), `read()` returns the
    lines that arrived, blocking until a whole one has ([] at end of stream: the reader
    thread's read), `read_ready()` reads once and returns the whole lines that came ([]
    when none did, None at end of stream: a waiter's read, which never blocks past what
    `readable` said is there), and `feed(lines)` routes and delivers them.
    """

    __slots__ = (
        "_cond",
        "_ended",
        "_failure",
        "_feed",
        "_handback",
        "_holder",
        "_holder_sink",
        "_idle_since",
        "_lock",
        "_needed",
        "_read",
        "_read_ready",
        "_readable",
        "_sleepers",
        "_wake",
        "_wants",
        "_yielding",
    )

    def __init__(
        self,
        readable: Callable[[float | None], bool],
        read: Callable[[], list[bytes]],
        read_ready: Callable[[], list[bytes] | None],
        feed: Callable[[list[bytes]], None],
        wake: Callable[[], None] | None = None,
        handback: float = READER_HANDBACK,
    ) -> None:
        self._readable = readable
        self._read = read
        self._read_ready = read_ready
        self._feed = feed
        self._wake = wake
        self._handback = handback
        # Waiters take the plain lock (its enter and exit are C code, so a Ctrl-C cannot
        # land between taking and releasing it); only the reader thread waits on `_cond`.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._holder: int | None = None
        self._holder_sink: Sleeper | None = None  # what the holder waits for
        self._sleepers = 0
        self._wants = False  # a waiter asked the reader thread to step aside
        self._yielding = False  # the reader thread stepped aside
        self._needed = False  # a holder let go while others slept: the reader thread reads
        self._ended = False  # end of stream, a read error or close: the reader thread's job
        self._failure: Exception | None = None
        self._idle_since = time.monotonic()

    # -- the reader thread ------------------------------------------------------------------

    def background_lines(self) -> list[bytes]:
        """The reader thread's read: the next batch, with the gate held until the next call
        (the batch is routed in between). Raises what a waiter's read raised."""
        cond = self._cond
        with cond:
            if self._holder == _BACKGROUND:
                self._holder = None
                self._idle_since = time.monotonic()
                if self._wants and not self._sleepers:  # everyone who asked was served
                    self._wants = False
                    self._yielding = True
            while True:
                if self._holder is None:
                    if self._ended or not self._yielding or self._needed:
                        break
                    idle = time.monotonic() - self._idle_since
                    if idle >= self._handback:
                        break
                    cond.wait(self._handback - idle)
                else:
                    cond.wait(self._handback)
            self._yielding = self._needed = False
            self._holder = _BACKGROUND
            failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
        return self._read()

    def close(self) -> None:
        """The connection is ending (its waiters were just failed): the reader thread reads
        on to the end, nobody else, and a waiter waiting for data is woken to see why."""
        with self._lock:
            self._ended = True
            waiter_reads = self._holder not in (None, _BACKGROUND)
            self._cond.notify_all()
        if waiter_reads and self._wake is not None:
            self._wake()

    # -- waiters ------------------------------------------------------------------------

    def step(self, sink: Sleeper, deadline: float | None) -> None:
        """One step of a wait for a message: read and route one batch in this thread if
        nobody else reads, else sleep on the waiter's own queue or slot (`sink._sleep`)
        until a delivery wakes it. The caller checks for its message after each step."""
        me = threading.get_ident()
        try:  # whatever interrupts it, `_leave` puts the gate right
            if self._claim(sink, me):
                # Put there by another thread since the caller looked (`delivered` wakes
                # only a holder it sees): nothing to wait for.
                if not sink._ready():
                    self._lead(deadline)
            else:
                sink._sleep(None if deadline is None else max(0.0, deadline - time.monotonic()))
        finally:
            self._leave(sink, me)

    def delivered(self, sink: Sleeper) -> None:
        """Something was put on `sink` (after its lock was let go): wake the sleepers the
        delivery counts (see `woke`), and the holder if it waits for data for `sink` and
        the delivery came from another thread (a command's result, a close's error): the
        holder's own routing needs no wake-up."""
        if sink._asleep:
            self.woke(sink)
        if self._holder_sink is sink and self._holder != threading.get_ident():
            wake = self._wake
            if wake is not None:
                wake()

    def woke(self, sink: Sleeper) -> None:
        """`sink`'s sleepers were woken by a delivery (or timed out): they no longer wait
        for a reader. The waker counts them, so that a reader that has just routed a batch
        knows whether anybody is still waiting for the next one."""
        with self._lock:
            self._sleepers -= sink._asleep
            sink._asleep = 0

    def _claim(self, sink: Sleeper, me: int) -> bool:
        with self._lock:
            if self._holder is None and not self._ended:
                self._holder = me
                self._holder_sink = sink
                return True
            self._sleepers += 1
            sink._asleep += 1
            if self._holder == _BACKGROUND:
                self._wants = True
            elif self._holder is None:
                self._cond.notify_all()  # ended: the reader thread takes it from here
            return False

    def _leave(self, sink: Sleeper, me: int) -> None:
        with self._lock:
            if self._holder == me:
                self._holder = None
                self._holder_sink = None
                self._idle_since = time.monotonic()
                if self._sleepers or self._ended:
                    self._needed = True
                    self._cond.notify_all()
            elif sink._asleep:  # timed out (a delivery counts the sleepers it wakes)
                self._sleepers -= sink._asleep
                sink._asleep = 0

    def _lead(self, deadline: float | None) -> None:
        try:
            if not self._readable(deadline):  # Ctrl-C may interrupt this wait at once
                return
        except Exception as exc:
            self._fail(exc)
            return
        with _HeldInterrupt():  # a Ctrl-C from here on is raised once this is recorded
            try:
                lines = self._read_ready()
                if lines:
                    self._feed(lines)
                    return
                if lines is not None:  # part of a line: wait for the rest (and the deadline)
                    return
            except Exception as exc:
                self._fail(exc)
                return
            self._fail(None)  # end of stream

    def _fail(self, failure: Exception | None) -> None:
        """End of stream (None) or a read error: the reader thread reports it (see the
        module docstring); no waiter reads from now on."""
        with self._lock:
            if failure is not None:
                self._failure = failure
            self._ended = True


class _HeldInterrupt:
    """Ctrl-C (in the main thread, with Python's default handler) raised once the block is
    done rather than inside it: what was read is routed before the interrupt goes on."""

    __slots__ = ("_armed", "_pending")

    def __init__(self) -> None:
        self._armed = (
            threading.current_thread() is threading.main_thread()
            and _raw_signal.getsignal(_SIGINT) is _DEFAULT_INT_HANDLER
        )
        self._pending = False

    def _hold(self, signum: int, frame: Any) -> None:
        self._pending = True

    def __enter__(self) -> None:
        if self._armed:
            _raw_signal.signal(_SIGINT, self._hold)

    def __exit__(self, *exc_info: object) -> None:
        if self._armed:
            _raw_signal.signal(_SIGINT, _DEFAULT_INT_HANDLER)
            if self._pending and exc_info[0] is None:
                raise KeyboardInterrupt
