"""Faults injected into the real app-server (with the scripted model): SIGKILL, SIGSTOP.

Guarantees: a SIGKILLed app-server fails every waiter within 1 s with
`TransportClosedError(exit_code=-9)`; a frozen (SIGSTOPped) one makes requests time out
and turns hit their inactivity timeout, and `close()` still ends it within the bound.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import (
    AsyncCodex,
    Codex,
    RequestTimeoutError,
    TransportClosedError,
    TurnTimeoutError,
)
from codex_app_server.testing import Reply, ScriptedModel

from .conftest import TIMEOUT, other_tasks, process_is_alive, sdk_threads

pytestmark = pytest.mark.integration

DEATH_DEADLINE = 1.0
CLOSE_BOUND = 3 * 1.5 + 0.75


def pid_of(codex: Codex | AsyncCodex) -> int:
    transport: Any = codex.client._transport
    pid = transport.pid
    assert isinstance(pid, int)
    return pid


def returncode_of(codex: Codex | AsyncCodex) -> int | None:
    transport: Any = codex.client._transport
    code: int | None = transport._proc.returncode
    return code


def test_sigkill_mid_turn_fails_every_sync_waiter_within_1s(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    threads_before = set(sdk_threads())
    scripted_model.enqueue(Reply.hang(), Reply.hang())
    with Codex(scripted_model.config(tmp_path)) as codex:
        streaming = codex.thread_start().turn("first")
        running = codex.thread_start()
        ended: dict[str, tuple[float, BaseException | None]] = {}

        def waiter(name: str, call: Any) -> threading.Thread:
            def run() -> None:
                try:
                    call()
                except BaseException as exc:
                    ended[name] = (time.monotonic(), exc)
                else:
                    ended[name] = (time.monotonic(), None)

            thread = threading.Thread(target=run)
            thread.start()
            return thread

        waiters = [
            waiter("stream", lambda: list(streaming.stream())),
            waiter("run", lambda: running.run("second")),
        ]
        scripted_model.wait_for_requests(2, TIMEOUT)  # both turns wait on the model
        t0 = time.monotonic()
        os.kill(pid_of(codex), signal.SIGKILL)
        for thread in waiters:
            thread.join(TIMEOUT)
        for name, (at, exc) in ended.items():
            assert isinstance(exc, TransportClosedError), (name, exc)
            assert exc.exit_code == -signal.SIGKILL
            assert at - t0 < DEATH_DEADLINE, f"{name} failed after {at - t0:.3f}s"
        assert set(ended) == {"stream", "run"}
        with pytest.raises(TransportClosedError):
            codex.thread_start()
        worst = max(at for at, _ in ended.values()) - t0
        print(f"\nSIGKILL -> every sync waiter failed in {worst * 1000:.0f} ms")
    assert set(sdk_threads()) <= threads_before


async def test_sigkill_mid_turn_fails_every_async_waiter_within_1s(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    tasks_before = other_tasks()
    scripted_model.enqueue(Reply.hang(), Reply.hang())
    async with AsyncCodex(scripted_model.config(tmp_path)) as codex:
        streaming = await (await codex.thread_start()).turn("first")
        running = await codex.thread_start()

        async def stream() -> None:
            async for _ in streaming.stream():
                pass

        tasks = [asyncio.ensure_future(stream()), asyncio.ensure_future(running.run("second"))]
        await asyncio.to_thread(scripted_model.wait_for_requests, 2, TIMEOUT)
        t0 = time.monotonic()
        os.kill(pid_of(codex), signal.SIGKILL)
        done, _ = await asyncio.wait(tasks, timeout=TIMEOUT)
        took = time.monotonic() - t0
        assert len(done) == 2 and took < DEATH_DEADLINE, f"{took:.3f}s"
        for task in tasks:
            exc = task.exception()
            assert isinstance(exc, TransportClosedError) and exc.exit_code == -signal.SIGKILL
        print(f"\nSIGKILL -> every async waiter failed in {took * 1000:.0f} ms")
    assert other_tasks() == tasks_before


def test_sigstop_mid_turn_times_out_and_close_still_ends_it(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.enqueue(Reply.text("word " * 2000, deltas=2000, delay=0.002))
    config = scripted_model.config(tmp_path, request_timeout=0.5, turn_inactivity_timeout=1.0)
    codex = Codex(config)
    try:
        pid = pid_of(codex)
        handle = codex.thread_start().turn("stream for a while")
        stream = handle.stream()
        for note in stream:
            if note.method == "item/agentMessage/delta":
                break
        os.kill(pid, signal.SIGSTOP)
        t0 = time.monotonic()
        with pytest.raises(TurnTimeoutError):
            for _ in stream:  # whatever was already in the pipe, then silence
                pass
        assert time.monotonic() - t0 < 1.0 + 0.5 + 1.0  # silence + the interrupt's timeout
        with pytest.raises(RequestTimeoutError):
            codex.client.request("thread/list", {})
        assert codex.client._router.pending_count == 0
    finally:
        t0 = time.monotonic()
        codex.close()
        took = time.monotonic() - t0
    print(f"\nclose() of a SIGSTOPped app-server: {took:.2f}s, exit {returncode_of(codex)}")
    assert took < CLOSE_BOUND
    assert not process_is_alive(pid)


async def test_async_sigstop_mid_turn_times_out_and_close_still_ends_it(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.enqueue(Reply.text("word " * 2000, deltas=2000, delay=0.002))
    config = scripted_model.config(tmp_path, request_timeout=0.5, turn_inactivity_timeout=1.0)
    codex = AsyncCodex(config)
    await codex.start()
    pid = pid_of(codex)
    try:
        handle = await (await codex.thread_start()).turn("stream for a while")
        frozen = False
        with pytest.raises(TurnTimeoutError):
            async for note in handle.stream():
                if note.method == "item/agentMessage/delta" and not frozen:
                    os.kill(pid, signal.SIGSTOP)
                    frozen = True
        with pytest.raises(RequestTimeoutError):
            await codex.client.request("thread/list", {})
    finally:
        t0 = time.monotonic()
        await codex.close()
        took = time.monotonic() - t0
    print(f"\nasync close() of a SIGSTOPped app-server: {took:.2f}s, exit {returncode_of(codex)}")
    assert took < CLOSE_BOUND
    assert not process_is_alive(pid)


@pytest.mark.parametrize("deadline", [0.001, 0.05])
async def test_a_cancelled_start_of_the_real_app_server_kills_it(
    scripted_model: ScriptedModel, tmp_path: Path, deadline: float
) -> None:
    codex = AsyncCodex(scripted_model.config(tmp_path))
    t0 = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(codex.__aenter__(), deadline)
    elapsed = time.monotonic() - t0
    transport: Any = codex.client._transport
    pid = transport.pid
    # By the time the cancellation returns, what the start spawned is gone.
    assert pid is None or not process_is_alive(pid)
    assert elapsed < deadline + CLOSE_BOUND
