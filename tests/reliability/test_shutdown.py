"""Shutdown: close() is idempotent, thread-safe, bounded, and leaves a clean machine.

Guarantees: `close()` ends the app-server and its whole process group within about
3 x `shutdown_grace` (close stdin, wait; SIGTERM + SIGCONT, wait; SIGKILL) even when the
server ignores EOF and SIGTERM, is stopped (SIGSTOP), or a writer is stuck on its full
stdin pipe. A concurrent or later `close()` returns only once the first one is done.
Waiters get `ClientClosedError`; a closed client refuses new work; no SDK thread or task
is left behind; async `close()` finishes even when the awaiting task is cancelled.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from typing import Any

import pytest

from codex_app_server import (
    AppServerClient,
    AsyncAppServerClient,
    AsyncCodex,
    ClientClosedError,
    Codex,
    CodexError,
    TransportClosedError,
)
from codex_app_server._constants import DEFAULT_SHUTDOWN_GRACE
from codex_app_server._transport import stdio as _transport

from .conftest import (
    TIMEOUT,
    fake_config,
    other_tasks,
    process_is_alive,
    requires_proc,
    sdk_threads,
    wait_for,
)

#: "About 5 s at most" with the default grace (3 x 1.5 s), plus scheduling slack.
CLOSE_BOUND = 3 * DEFAULT_SHUTDOWN_GRACE + 0.75


def app_server_pid(client: AppServerClient | AsyncAppServerClient) -> int:
    transport: Any = client._transport
    pid = transport.pid
    assert isinstance(pid, int)
    return pid


def returncode(client: AppServerClient | AsyncAppServerClient) -> int | None:
    transport: Any = client._transport
    code: int | None = transport._proc.returncode
    return code


def timed(call: Any) -> float:
    t0 = time.monotonic()
    call()
    return time.monotonic() - t0


def stopped(pid: int) -> bool:
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return stat.read().rsplit(b")", 1)[1].split()[0] == b"T"


# -- sync -----------------------------------------------------------------------------


def test_close_is_idempotent_and_refuses_new_work(no_thread_leaks: None) -> None:
    client = AppServerClient(fake_config())
    client.start()
    pid = app_server_pid(client)
    client.close()
    client.close()
    assert not process_is_alive(pid)
    assert returncode(client) == 0  # it exited on stdin EOF: the graceful path
    for call in (
        lambda: client.request("fake/echo", {}),
        lambda: client.notify("initialized"),
        client.start,
        lambda: client.thread_start({}),
    ):
        with pytest.raises(ClientClosedError):
            call()


def test_concurrent_close_returns_only_when_the_server_is_gone(no_thread_leaks: None) -> None:
    """Regression: a second close() returned at once while the first was still waiting for
    the process, so a caller could see "closed" with the app-server still running."""
    client = AppServerClient(fake_config("stubborn", shutdown_grace=0.3))
    client.start()
    pid = app_server_pid(client)
    barrier = threading.Barrier(4)
    seen: list[tuple[bool, int | None]] = []

    def close() -> None:
        barrier.wait()
        client.close()
        seen.append((process_is_alive(pid), returncode(client)))

    threads = [threading.Thread(target=close) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert seen == [(False, -signal.SIGKILL)] * 4


def test_close_of_a_server_that_ignores_eof_and_sigterm_is_bounded(
    no_thread_leaks: None,
) -> None:
    client = AppServerClient(fake_config("stubborn"))  # the default shutdown_grace
    client.start()
    pid = app_server_pid(client)
    took = timed(client.close)
    assert took < CLOSE_BOUND, f"close() took {took:.2f}s"
    assert returncode(client) == -signal.SIGKILL
    assert not process_is_alive(pid)


@requires_proc
def test_close_of_a_stopped_server_ends_it_with_sigterm(no_thread_leaks: None) -> None:
    """Regression: a SIGSTOPped app-server ignored SIGTERM (it stays pending while the
    process is stopped), so close() always waited for the SIGKILL step."""
    client = AppServerClient(fake_config(shutdown_grace=0.5))
    client.start()
    pid = app_server_pid(client)
    client.request("fake/sigstop")
    wait_for(lambda: stopped(pid), what="SIGSTOP")
    took = timed(client.close)
    assert returncode(client) == -signal.SIGTERM
    assert took < 3 * 0.5 + 0.75


@requires_proc
def test_close_is_not_blocked_by_a_writer_stuck_on_a_frozen_server(
    no_thread_leaks: None,
) -> None:
    """Regression: close() took the write lock to close stdin, and a writer blocked on the
    full pipe of a stopped server held it forever: close() never returned."""
    client = AppServerClient(fake_config(shutdown_grace=0.5))
    client.start()
    pid = app_server_pid(client)
    client.request("fake/sigstop")
    wait_for(lambda: stopped(pid), what="SIGSTOP")
    outcome: list[BaseException | None] = []

    def big_write() -> None:
        try:
            client.request("fake/echo", {"blob": "x" * (4 << 20)})  # >> a pipe's buffer
        except BaseException as exc:
            outcome.append(exc)
        else:
            outcome.append(None)

    writer = threading.Thread(target=big_write, daemon=True)
    writer.start()
    write_lock = client._transport._write_lock  # type: ignore[attr-defined]
    wait_for(write_lock.locked, what="the writer to block")
    closer = threading.Thread(target=client.close, daemon=True)
    t0 = time.monotonic()
    closer.start()
    closer.join(TIMEOUT)
    assert not closer.is_alive(), "close() is blocked"
    assert time.monotonic() - t0 < 3 * 0.5 + 0.75
    writer.join(TIMEOUT)
    assert len(outcome) == 1 and isinstance(outcome[0], (ClientClosedError, TransportClosedError))
    assert not process_is_alive(pid)


def test_close_ends_the_whole_process_group(no_thread_leaks: None, children: list[int]) -> None:
    with Codex(fake_config()) as codex:
        for _ in range(3):
            children.append(codex.client.request("fake/spawnChild", {"seconds": 60})["pid"])
        assert all(process_is_alive(pid) for pid in children)
    # close() has SIGKILLed the group; the kernel ends its members within moments.
    wait_for(lambda: not any(map(process_is_alive, children)), 1.0, "the group to die")


def test_close_from_another_thread_wakes_a_waiting_request_and_stream(
    no_thread_leaks: None,
) -> None:
    codex = Codex(fake_config())
    handle = codex.thread_start().turn("SILENT")
    errors: dict[str, BaseException] = {}
    streaming = threading.Event()

    def stream() -> None:
        try:
            for _ in handle.stream():
                streaming.set()
        except BaseException as exc:
            errors["stream"] = exc

    def request() -> None:
        try:
            codex.client.request("fake/hang")
        except BaseException as exc:
            errors["request"] = exc

    threads = [threading.Thread(target=f) for f in (stream, request)]
    for thread in threads:
        thread.start()
    assert streaming.wait(TIMEOUT)
    wait_for(lambda: codex.client._router.pending_count == 1, what="the request to wait")
    closer = threading.Thread(target=codex.close)
    t0 = time.monotonic()
    closer.start()
    for thread in threads:
        thread.join(TIMEOUT)
    woke = time.monotonic() - t0
    closer.join(TIMEOUT)
    assert set(errors) == {"stream", "request"}
    assert all(isinstance(e, ClientClosedError) for e in errors.values()), errors
    assert woke < 0.5, f"waiters woke after {woke:.2f}s"


def test_close_during_start_fails_the_start_at_once(no_thread_leaks: None) -> None:
    client = AppServerClient(fake_config("never-answer-initialize"))
    errors: list[BaseException] = []

    def start() -> None:
        try:
            client.start()
        except BaseException as exc:
            errors.append(exc)

    starter = threading.Thread(target=start)
    starter.start()
    wait_for(lambda: client._router.pending_count == 1, what="initialize to be sent")
    client.close()
    starter.join(TIMEOUT)
    assert len(errors) == 1 and isinstance(errors[0], ClientClosedError)


def test_no_sdk_thread_outlives_close_even_after_server_requests() -> None:
    before = set(sdk_threads())
    with Codex(fake_config()) as codex:
        answers = [
            codex.client.request(
                "fake/serverRequest",
                {"method": "item/commandExecution/requestApproval", "params": {}},
            )
            for _ in range(3)
        ]
        assert all("response" in a for a in answers)
        started = {t.name for t in sdk_threads()} - {t.name for t in before}
        assert any(name.startswith("codex-server-request") for name in started)
        assert {"codex-app-server-reader", "codex-app-server-stderr"} <= started
    assert set(sdk_threads()) <= before


def test_a_closed_codex_refuses_new_work_with_a_clear_error() -> None:
    codex = Codex(fake_config())
    thread = codex.thread_start()
    codex.close()
    with pytest.raises(ClientClosedError, match="closed"):
        thread.run("hello")
    with pytest.raises(ClientClosedError):
        codex.thread_start()


# -- async ----------------------------------------------------------------------------


async def test_async_close_is_idempotent_and_refuses_new_work() -> None:
    tasks_before = other_tasks()
    client = AsyncAppServerClient(fake_config())
    await client.start()
    pid = app_server_pid(client)
    await client.close()
    await client.close()
    assert not process_is_alive(pid)
    assert returncode(client) == 0
    with pytest.raises(ClientClosedError):
        await client.request("fake/echo", {})
    with pytest.raises(ClientClosedError):
        await client.start()
    assert other_tasks() == tasks_before


async def test_async_close_of_a_stubborn_server_is_bounded() -> None:
    tasks_before = other_tasks()
    client = AsyncAppServerClient(fake_config("stubborn"))
    await client.start()
    pid = app_server_pid(client)
    t0 = time.monotonic()
    await client.close()
    took = time.monotonic() - t0
    assert took < CLOSE_BOUND, f"close() took {took:.2f}s"
    assert returncode(client) == -signal.SIGKILL
    assert not process_is_alive(pid)
    assert other_tasks() == tasks_before


@requires_proc
async def test_async_close_of_a_stopped_server_ends_it_with_sigterm() -> None:
    """Regression: see the sync test; the async close never sent SIGCONT either."""
    client = AsyncAppServerClient(fake_config(shutdown_grace=0.5))
    await client.start()
    pid = app_server_pid(client)
    await client.request("fake/sigstop")
    deadline = time.monotonic() + TIMEOUT
    while not stopped(pid):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.002)
    t0 = time.monotonic()
    await client.close()
    assert returncode(client) == -signal.SIGTERM
    assert time.monotonic() - t0 < 3 * 0.5 + 0.75


async def test_async_close_with_a_writer_stuck_on_a_frozen_server() -> None:
    client = AsyncAppServerClient(fake_config(shutdown_grace=0.5))
    await client.start()
    pid = app_server_pid(client)
    await client.request("fake/sigstop")
    writer = asyncio.ensure_future(client.request("fake/echo", {"blob": "x" * (4 << 20)}))
    stdin = client._transport._proc.stdin  # type: ignore[attr-defined]
    while stdin.transport.get_write_buffer_size() == 0:  # the pipe is full, the rest waits
        await asyncio.sleep(0.002)
    assert not writer.done()
    t0 = time.monotonic()
    await client.close()
    assert time.monotonic() - t0 < 3 * 0.5 + 0.75
    with pytest.raises((ClientClosedError, TransportClosedError)):
        await writer
    assert not process_is_alive(pid)


async def test_async_close_survives_the_cancellation_of_its_caller() -> None:
    tasks_before = other_tasks()
    client = AsyncAppServerClient(fake_config("stubborn", shutdown_grace=0.3))
    await client.start()
    pid = app_server_pid(client)
    closing = asyncio.ensure_future(client.close())
    await asyncio.sleep(0)  # let close() begin
    closing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await closing
    assert process_is_alive(pid)  # still closing...
    await client.close()  # ...and a second close() waits for that one close
    assert not process_is_alive(pid)
    assert returncode(client) == -signal.SIGKILL
    assert other_tasks() == tasks_before


async def test_async_close_under_wait_for_still_reaps_the_server() -> None:
    client = AsyncAppServerClient(fake_config("stubborn", shutdown_grace=0.3))
    await client.start()
    pid = app_server_pid(client)
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(client.close(), 0.05)
    deadline = time.monotonic() + TIMEOUT
    while process_is_alive(pid):  # the close goes on without any caller
        assert time.monotonic() < deadline, "the cancelled close() did not finish"
        await asyncio.sleep(0.01)
    await client.close()


async def test_async_close_from_another_task_wakes_a_request_and_a_stream() -> None:
    tasks_before = other_tasks()
    codex = AsyncCodex(fake_config())
    handle = await (await codex.thread_start()).turn("SILENT")
    started = asyncio.Event()

    async def stream() -> None:
        async for _ in handle.stream():
            started.set()

    streamer = asyncio.ensure_future(stream())
    requester = asyncio.ensure_future(codex.client.request("fake/hang"))
    await asyncio.wait_for(started.wait(), TIMEOUT)
    t0 = time.monotonic()
    closer = asyncio.ensure_future(codex.close())
    for waiter in (streamer, requester):
        with pytest.raises(ClientClosedError):
            await waiter
    assert time.monotonic() - t0 < 0.5
    await closer
    assert other_tasks() == tasks_before


async def test_async_close_during_start_fails_the_start() -> None:
    client = AsyncAppServerClient(fake_config("never-answer-initialize"))
    starting = asyncio.ensure_future(client.start())
    while client._router is None or client._router.pending_count == 0:
        await asyncio.sleep(0.002)
    await client.close()
    with pytest.raises(CodexError):
        await starting


async def test_a_closed_async_codex_refuses_new_work() -> None:
    codex = AsyncCodex(fake_config())
    thread = await codex.thread_start()
    await codex.close()
    with pytest.raises(ClientClosedError, match="closed"):
        await thread.run("hello")


@pytest.mark.parametrize("how", ["after a death", "graceful", "stubborn"])
def test_no_signal_is_ever_sent_to_a_reaped_pid(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Regression: close() SIGKILLed the app-server's process group after it had been
    reaped (for instance long after it died), when its pid, the group id, may already
    belong to an unrelated process group."""
    signals: list[tuple[int, bool]] = []
    kill_group = _transport._kill_group  # type: ignore[attr-defined]

    def recording_kill_group(pid: int, sig: int) -> None:
        proc = client._transport._proc  # type: ignore[attr-defined]
        signals.append((sig, proc.returncode is not None))
        kill_group(pid, sig)

    monkeypatch.setattr(_transport, "_kill_group", recording_kill_group)
    scenarios = ("stubborn",) if how == "stubborn" else ()
    client = AppServerClient(fake_config(*scenarios, shutdown_grace=0.3))
    client.start()
    if how == "after a death":
        with pytest.raises(TransportClosedError):
            client.request("fake/exit", {"code": 4})
    client.close()
    client.close()
    assert signals, "the process group was never signalled"
    assert [sig for sig, reaped in signals if reaped] == []
