"""`ReadGate` (`_sync/read_gate.py`): which thread reads the sync client's connection.

On fakes first (the protocol: who holds, who sleeps, end of stream, errors, Ctrl-C), then
through `AppServerClient` on the mock transport: a waiter reads in its own thread, the
reader thread takes over when nobody reads, and nothing waits forever.
"""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from collections import deque
from typing import Any

import pytest

from codex_app_server import AppServerClient, AppServerConfig, TransportClosedError
from codex_app_server._sync.backend import new_queue
from codex_app_server._sync.queues import Queue, Slot
from codex_app_server._sync.read_gate import ReadGate
from codex_app_server._transport.stdio import StdioTransport
from codex_app_server.testing import MockPeer, MockTransport, answer_initialize
from tests.support.mock_server import FAST

WAIT = 5.0  # every wait of these tests ends long before this; a hang fails instead


class FakeWire:
    """Lines in a deque behind a condition; `feed` delivers each line to a queue by name
    and records which thread fed it."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.lines: deque[bytes] = deque()
        self.ended = False
        self.queues: dict[bytes, Queue] = {}
        self.fed_by: list[int] = []
        self.fail_next: Exception | None = None
        self.woken = False

    def send(self, *lines: bytes) -> None:
        with self.cond:
            self.lines.extend(lines)
            self.cond.notify_all()

    def end(self) -> None:
        with self.cond:
            self.ended = True
            self.cond.notify_all()

    def readable(self, deadline: float | None) -> bool:
        with self.cond:
            while not self.lines and not self.ended:
                if self.woken:
                    self.woken = False
                    return False
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self.cond.wait(remaining)
            return True

    def wake(self) -> None:
        with self.cond:
            self.woken = True
            self.cond.notify_all()

    def read_ready(self) -> list[bytes] | None:
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure
        with self.cond:
            lines = list(self.lines)
            self.lines.clear()
            return lines if lines or not self.ended else None

    def read(self) -> list[bytes]:
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure
        self.readable(None)
        with self.cond:
            lines = list(self.lines)
            self.lines.clear()
        return lines

    def feed(self, lines: list[bytes]) -> None:
        self.fed_by.append(threading.get_ident())
        for line in lines:
            self.queues[line.split(b":")[0]].put_nowait(line)


def in_a_thread(call: Any) -> Any:
    """`call()` in a thread of its own, so that a regression fails the test (None) instead
    of hanging it."""
    result: list[Any] = [None]
    raised: list[BaseException] = []

    def run() -> None:
        try:
            result[0] = call()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(WAIT)
    if raised:
        raise raised[0]
    return result[0]


def make_gate(wire: FakeWire, handback: float = 0.02) -> ReadGate:
    return ReadGate(wire.readable, wire.read, wire.read_ready, wire.feed, wire.wake, handback)


def test_a_waiter_reads_for_itself_when_nobody_else_reads() -> None:
    wire = FakeWire()
    gate = make_gate(wire)
    queue = wire.queues[b"a"] = Queue(name="a", gate=gate)
    wire.send(b"a:1", b"a:2")
    assert queue.get(WAIT) == (True, b"a:1")
    assert queue.get(WAIT) == (True, b"a:2")
    assert wire.fed_by == [threading.get_ident()]


def test_a_waiter_times_out_when_nothing_comes() -> None:
    wire = FakeWire()
    gate = make_gate(wire)
    queue = Queue(name="a", gate=gate)
    started = time.monotonic()
    assert queue.get(0.05) == (False, None)
    assert time.monotonic() - started >= 0.05
    assert Slot(gate).get(0.05) == (False, None)


def test_the_holder_reads_for_a_sleeper_and_the_reader_thread_after_it_lets_go() -> None:
    wire = FakeWire()
    gate = make_gate(wire, handback=WAIT)  # the idle hand-back plays no part here
    mine = wire.queues[b"mine"] = Queue(name="mine", gate=gate)
    theirs = wire.queues[b"theirs"] = Queue(name="theirs", gate=gate)
    got: list[Any] = []
    holding = threading.Event()
    real_readable = wire.readable

    def readable(deadline: float | None) -> bool:
        holding.set()
        return real_readable(deadline)

    wire.readable = readable  # type: ignore[method-assign]
    gate._readable = readable
    asleep = threading.Event()
    real_sleep = theirs._sleep

    def sleep(timeout: float | None) -> None:
        asleep.set()  # called once the waiter counts as a sleeper
        real_sleep(timeout)

    theirs._sleep = sleep  # type: ignore[method-assign]
    sleeper = threading.Thread(target=lambda: got.append(theirs.get(WAIT)))
    # This thread holds the gate (waiting for "mine"); the other one must sleep.
    holder = threading.Thread(target=lambda: got.append(mine.get(WAIT)))
    holder.start()
    assert holding.wait(WAIT)
    sleeper.start()
    assert asleep.wait(WAIT)
    wire.send(b"mine:1")  # the holder gets its own and lets go while the other sleeps
    holder.join(WAIT)
    assert got == [(True, b"mine:1")]

    background: list[Any] = []
    gate._yielding = True  # the reader thread had stepped aside for the holder
    reader = threading.Thread(target=lambda: background.append(gate.background_lines()))
    reader.start()  # the reader thread, told a sleeper is left, reads for it at once
    wire.send(b"theirs:1")
    reader.join(WAIT)
    assert background == [[b"theirs:1"]]
    wire.feed(background[0])
    sleeper.join(WAIT)
    assert got[1] == (True, b"theirs:1")


def test_the_reader_thread_steps_aside_and_comes_back_after_the_handback() -> None:
    wire = FakeWire()
    gate = make_gate(wire, handback=0.05)
    queue = wire.queues[b"a"] = Queue(name="a", gate=gate)
    wire.send(b"a:1")
    assert in_a_thread(gate.background_lines) == [b"a:1"]  # the reader thread holds it ...
    got: list[Any] = []
    asleep = threading.Event()
    real_sleep = queue._sleep

    def sleep(timeout: float | None) -> None:
        asleep.set()  # called once the waiter asked the reader thread to step aside
        real_sleep(timeout)

    queue._sleep = sleep  # type: ignore[method-assign]
    waiter = threading.Thread(target=lambda: got.append(queue.get(WAIT)))
    waiter.start()
    assert asleep.wait(WAIT)
    assert gate._wants
    wire.feed([b"a:1"])  # ... routes its batch, which wakes the waiter who asked
    waiter.join(WAIT)
    assert got == [(True, b"a:1")]
    wire.send(b"a:2")
    started = time.monotonic()
    # Nobody waits now: the reader thread stepped aside, and reads again after handback.
    assert in_a_thread(gate.background_lines) == [b"a:2"]
    assert time.monotonic() - started >= 0.05


def test_end_of_stream_seen_by_a_waiter_goes_to_the_reader_thread() -> None:
    wire = FakeWire()
    gate = make_gate(wire, handback=WAIT)
    slot = Slot(gate)
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(slot.get(WAIT)))
    waiter.start()
    wire.end()  # the waiter reads the end ...
    # ... and sleeps from then on; the reader thread reads the end at once (no handback)
    started = time.monotonic()
    assert in_a_thread(gate.background_lines) == []
    assert time.monotonic() - started < WAIT / 2
    slot.put_nowait("the error the reader thread fails every waiter with")
    waiter.join(WAIT)
    assert got == [(True, "the error the reader thread fails every waiter with")]


def test_a_read_error_in_a_waiter_is_raised_in_the_reader_thread() -> None:
    wire = FakeWire()
    gate = make_gate(wire, handback=WAIT)
    wire.fail_next = OSError("broken")
    wire.send(b"a:1")
    assert Slot(gate).get(0.01) == (False, None)
    with pytest.raises(OSError, match="broken"):
        gate.background_lines()


def test_close_wakes_the_reader_thread_that_stepped_aside() -> None:
    wire = FakeWire()
    gate = make_gate(wire, handback=WAIT)
    wire.send(b"a:1")
    gate.background_lines()
    gate._wants = True
    wire.end()
    result: list[Any] = []
    reader = threading.Thread(target=lambda: result.append(gate.background_lines()))
    reader.start()
    gate.close()
    reader.join(WAIT)
    assert result == [[]]


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_ctrl_c_while_routing_is_raised_after_the_batch_is_delivered() -> None:
    wire = FakeWire()
    delivered: list[bytes] = []

    def feed(lines: list[bytes]) -> None:
        delivered.append(lines[0])
        signal.raise_signal(signal.SIGINT)  # Ctrl-C half-way through the batch
        delivered.extend(lines[1:])

    gate = ReadGate(wire.readable, wire.read, wire.read_ready, feed, wire.wake, WAIT)
    wire.send(b"a:1", b"a:2")
    with pytest.raises(KeyboardInterrupt):
        Slot(gate).get(WAIT)
    assert delivered == [b"a:1", b"a:2"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_ctrl_c_while_waiting_for_data_is_raised_at_once_and_reads_nothing() -> None:
    wire = FakeWire()

    def readable(deadline: float | None) -> bool:
        signal.raise_signal(signal.SIGINT)
        return True

    gate = ReadGate(readable, wire.read, wire.read_ready, wire.feed, wire.wake, WAIT)
    wire.send(b"a:1")
    with pytest.raises(KeyboardInterrupt):
        Slot(gate).get(WAIT)
    assert list(wire.lines) == [b"a:1"]  # still there for the next reader
    assert gate._holder is None


# -- through the client, on the mock transport ---------------------------------------------


def initialize_only(message: dict[str, Any], peer: MockPeer) -> None:
    answer_initialize(message, peer)


def test_a_request_is_read_in_the_thread_that_waits_for_it() -> None:
    readers: list[int] = []

    def handler(message: dict[str, Any], peer: MockPeer) -> None:
        if not answer_initialize(message, peer) and message.get("method") == "echo":
            peer.send({"id": message["id"], "result": message["params"]})

    transport = MockTransport(handler)
    read_ready = transport.read_ready

    def recording_read_ready() -> list[bytes] | None:
        readers.append(threading.get_ident())
        return read_ready()

    transport.read_ready = recording_read_ready  # type: ignore[method-assign]
    with AppServerClient(FAST, transport=transport) as client:
        for i in range(20):
            assert client.request("echo", {"i": i}) == {"i": i}
    assert readers.count(threading.get_ident()) >= 15  # not the reader thread's job now


def test_a_server_request_nobody_waits_for_is_answered_by_the_reader_thread() -> None:
    transport = MockTransport(initialize_only)
    with AppServerClient(FAST, transport=transport) as client:
        client.request  # noqa: B018 - started; now nobody waits on the client
        transport.send({"id": "s1", "method": "item/tool/requestUserInput", "params": {}})
        reply = transport.wait_for(lambda m: m.get("id") == "s1" and "method" not in m, WAIT)
    assert "result" in reply or "error" in reply


def test_the_app_server_exiting_under_a_reading_waiter_fails_it_with_the_exit_code() -> None:
    transport = MockTransport(initialize_only)
    with AppServerClient(FAST, transport=transport) as client:
        stopper = threading.Timer(0.05, transport.exit, (3, ["boom"]))
        stopper.start()
        with pytest.raises(TransportClosedError) as caught:
            client.request("never/answered", timeout=WAIT)
        stopper.join()
    assert caught.value.exit_code == 3
    assert "boom" in str(caught.value)


# -- regressions (review of the first version) ---------------------------------------------


def stdio_on_a_pipe(fd_at: int | None = None) -> tuple[StdioTransport, int]:
    """A `StdioTransport` whose stdout is a pipe this test writes to (at `fd_at`, if given)."""
    read_fd, write_fd = os.pipe()
    if fd_at is not None:
        os.dup2(read_fd, fd_at)
        os.close(read_fd)
        read_fd = fd_at
    transport = StdioTransport(AppServerConfig())
    transport._stdout = os.fdopen(read_fd, "rb")
    return transport, write_fd


def stdio_gate(transport: StdioTransport, fed: list[bytes]) -> ReadGate:
    return ReadGate(
        transport.wait_readable,
        transport.read_lines,
        transport.read_ready,
        fed.extend,
        transport.wake,
        WAIT,
    )


def test_a_waiter_on_a_descriptor_past_1024_still_times_out() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1600:
        if hard != resource.RLIM_INFINITY and hard < 1600:
            pytest.fail(f"the test needs 1,600 open files; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (1600, hard))
    transport, write_fd = stdio_on_a_pipe(fd_at=1500)  # `select` cannot wait on it
    fed: list[bytes] = []
    started = time.monotonic()
    assert Slot(stdio_gate(transport, fed)).get(0.1) == (False, None)
    assert time.monotonic() - started < WAIT / 2
    os.write(write_fd, b"late\n")
    assert transport.wait_readable(time.monotonic() + WAIT)
    assert transport.read_ready() == [b"late"]
    os.close(write_fd)


def test_a_line_written_in_part_neither_blocks_the_timeout_nor_is_lost() -> None:
    transport, write_fd = stdio_on_a_pipe()
    fed: list[bytes] = []
    gate = stdio_gate(transport, fed)
    os.write(write_fd, b'{"id": 1, "res')  # the app-server is half-way through a line
    rest = threading.Timer(WAIT, os.write, (write_fd, b'ult": {}}\n'))
    rest.start()  # (a reader that blocks for the rest of the line is freed by this)
    started = time.monotonic()
    assert Slot(gate).get(0.1) == (False, None)
    assert time.monotonic() - started < WAIT / 2
    rest.cancel()
    os.write(write_fd, b'ult": {}}\n')
    Slot(gate).get(0.1)
    assert fed == [b'{"id": 1, "result": {}}']
    os.close(write_fd)


def waiting_for_data(gate: ReadGate, get: Any) -> tuple[list[Any], threading.Thread]:
    """Start `get(None)` in a thread and return once it holds the gate and waits for data:
    (what it returns, once it does; the thread)."""
    waiting = threading.Event()
    real_readable = gate._readable

    def readable(deadline: float | None) -> bool:
        waiting.set()
        return real_readable(deadline)

    gate._readable = readable
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(get(None)), daemon=True)
    waiter.start()
    assert waiting.wait(WAIT)
    return got, waiter


def test_close_wakes_a_waiter_that_waits_for_data() -> None:
    wire = FakeWire()
    gate = make_gate(wire, handback=WAIT)
    slot = Slot(gate)
    got, waiter = waiting_for_data(gate, slot.get)
    slot.put_nowait("closed")  # what close() does first: fail every waiter ...
    gate.close()  # ... then wake the one waiting for data, which never comes
    waiter.join(WAIT)
    assert got == [(True, "closed")]


def test_close_wakes_a_stdio_waiter_that_waits_for_data() -> None:
    transport, write_fd = stdio_on_a_pipe()
    gate = stdio_gate(transport, [])
    slot = Slot(gate)
    got, waiter = waiting_for_data(gate, slot.get)
    slot.put_nowait("closed")
    gate.close()  # wakes the wait even if it had not started polling yet
    waiter.join(WAIT)
    assert got == [(True, "closed")]
    os.close(write_fd)


def test_an_interrupt_between_claiming_and_reading_lets_go_of_the_gate() -> None:
    class Interrupted(ReadGate):
        def _lead(self, deadline: float | None) -> None:
            raise KeyboardInterrupt

    wire = FakeWire()
    gate = Interrupted(wire.readable, wire.read, wire.read_ready, wire.feed, wire.wake, 0.02)
    with pytest.raises(KeyboardInterrupt):
        Slot(gate).get(WAIT)
    assert gate._holder is None
    assert not gate._lock.locked()
    wire.send(b"a:1")
    assert in_a_thread(gate.background_lines) == [b"a:1"]


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_ctrl_c_at_the_end_of_stream_still_hands_the_end_to_the_reader_thread() -> None:
    wire = FakeWire()

    def read_ready() -> list[bytes] | None:
        signal.raise_signal(signal.SIGINT)
        return None  # the end of stream

    gate = ReadGate(wire.readable, wire.read, read_ready, wire.feed, wire.wake, WAIT)
    wire.end()
    with pytest.raises(KeyboardInterrupt):
        Slot(gate).get(WAIT)
    assert gate._ended


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="signals")
def test_ctrl_c_while_a_read_fails_is_raised_and_the_failure_kept() -> None:
    wire = FakeWire()

    def feed(lines: list[bytes]) -> None:
        signal.raise_signal(signal.SIGINT)
        raise ValueError("a routing bug")

    gate = ReadGate(wire.readable, wire.read, wire.read_ready, feed, wire.wake, WAIT)
    wire.send(b"a:1")
    with pytest.raises(KeyboardInterrupt):
        Slot(gate).get(WAIT)
    with pytest.raises(ValueError, match="a routing bug"):
        in_a_thread(gate.background_lines)


def test_a_keyed_subscription_is_read_by_the_thread_that_waits_on_it() -> None:
    """Command output, fs watches and logins: their queues read for themselves too, as the
    client's own do (an ungated queue would wait for the reader thread, which steps aside
    after a request: up to the hand-back)."""
    params = {"processId": "p1", "stream": "stdout", "deltaBase64": "aGk="}
    output = {"method": "command/exec/outputDelta", "params": params}
    transport = MockTransport(initialize_only)
    with AppServerClient(FAST, transport=transport) as client:
        queue = new_queue("command", client)
        assert queue._gate is client._gate is not None
        client.subscribe_keyed("command/exec/outputDelta", ("processId",), "p1", queue)
        later = threading.Timer(0.05, transport.send, (output,))
        later.start()  # the output comes while this thread waits for it
        delivered, note = queue.get(WAIT)
        later.join()
    assert delivered
    assert note.params["deltaBase64"] == "aGk="


def test_a_delivery_from_another_thread_wakes_the_waiter_waiting_for_data() -> None:
    """A command's result is put on its queue by the thread that ran the request, not by
    whoever reads: the waiter holding the gate must see it without more data coming."""
    wire = FakeWire()
    gate = make_gate(wire, handback=WAIT)
    queue = Queue(name="command", gate=gate)
    got, waiter = waiting_for_data(gate, queue.get)
    queue.put_nowait("finished")  # from this thread, which does not read
    waiter.join(WAIT)
    assert got == [(True, "finished")]


def test_a_delivery_from_another_thread_wakes_a_stdio_waiter() -> None:
    transport, write_fd = stdio_on_a_pipe()
    gate = stdio_gate(transport, [])
    queue = Queue(name="command", gate=gate)
    got, waiter = waiting_for_data(gate, queue.get)
    queue.put_nowait("finished")
    waiter.join(WAIT)
    assert got == [(True, "finished")]
    os.close(write_fd)


def test_an_item_put_between_the_check_and_the_claim_is_not_waited_past() -> None:
    """A delivery from another thread just before the waiter claims the gate sees no
    holder to wake: the waiter looks again once it holds the gate."""
    queue_box: list[Queue] = []

    class Racy(ReadGate):
        def _claim(self, sink: Any, me: int) -> bool:
            if not queue_box[0]._ready():
                queue_box[0].put_nowait("finished")  # as if from another thread, right now
            return super()._claim(sink, me)

    wire = FakeWire()
    gate = Racy(wire.readable, wire.read, wire.read_ready, wire.feed, wire.wake, WAIT)
    queue_box.append(Queue(name="command", gate=gate))
    started = time.monotonic()
    assert in_a_thread(lambda: queue_box[0].get(WAIT)) == (True, "finished")
    assert time.monotonic() - started < WAIT / 2
