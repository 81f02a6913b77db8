"""The same scenarios through the raw floor (`raw_floor.py`): the least a client can do."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from .common import PROMPT_HANG, cpu, now, prompt, rss_mb, run_coroutine
from .raw_floor import RawAsync, RawSync, TurnRecord

STEP_TIMEOUT = 120.0


def _sync(launch: dict[str, Any]) -> RawSync:
    rpc = RawSync(launch["argv"], launch["env"], launch["cwd"])
    rpc.initialize()
    return rpc


async def _async(launch: dict[str, Any]) -> RawAsync:
    rpc = RawAsync()
    await rpc.start(launch["argv"], launch["env"], launch["cwd"])
    await rpc.initialize()
    return rpc


def _thread(rpc: RawSync) -> str:
    thread_id: str = rpc.request("thread/start", {})["thread"]["id"]
    return thread_id


async def _athread(rpc: RawAsync) -> str:
    thread_id: str = (await rpc.request("thread/start", {}))["thread"]["id"]
    return thread_id


def _run_turn(rpc: RawSync, thread_id: str, text: str) -> TurnRecord:
    return rpc.wait_turn(rpc.start_turn(thread_id, text), STEP_TIMEOUT)


# ---------------------------------------------------------------------------- sync


def spawn_sync(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    samples = []
    for i in range(p["spawns"] + 1):
        t0 = now()
        rpc = _sync(launch)
        t1 = now()
        rpc.close()
        if i:
            samples.append(t1 - t0)
    return {"spawn_s": samples}


def turns_sync(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    rpc = _sync(launch)
    samples = []
    try:
        thread_id = _thread(rpc)
        _run_turn(rpc, thread_id, prompt(1))
        for _ in range(p["seq_turns"]):
            t0 = now()
            _run_turn(rpc, thread_id, prompt(1))
            samples.append(now() - t0)
    finally:
        rpc.close()
    return {"turn_s": samples}


def stream_sync(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n = p["stream_deltas"]
    rpc = _sync(launch)
    try:
        thread_id = _thread(rpc)
        _run_turn(rpc, thread_id, prompt(1))
        c0, t0 = cpu(), now()
        record = _run_turn(rpc, thread_id, prompt(n))
        t1, c1 = now(), cpu()
    finally:
        rpc.close()
    return {
        "rate": [record.notifications / (t1 - t0)],
        "cpu_per_10k": [(c1 - c0) / record.notifications * 10_000],
        "delivered": [record.deltas == n],
    }


def concurrent_sync(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    # The floor for "N threads on one client": one thread multiplexing N turns.
    n_turns, n = p["concurrent_sync_threads"], p["concurrent_deltas"]
    rpc = _sync(launch)
    try:
        threads = [_thread(rpc) for _ in range(n_turns)]
        _run_turn(rpc, threads[0], prompt(1))
        t0 = now()
        ids = [rpc.send_request("turn/start", _turn_params(t, prompt(n))) for t in threads]
        records = [rpc.turn(rpc.result(i)["turn"]["id"]) for i in ids]
        rpc.pump(lambda: all(r.completed_at is not None for r in records), STEP_TIMEOUT)
        wall = now() - t0
    finally:
        rpc.close()
    return {
        "wall_s": [wall],
        "rss_mb": [rss_mb()],
        "delivered": [all(r.deltas == n for r in records)],
    }


def _turn_params(thread_id: str, text: str) -> dict[str, Any]:
    return {"threadId": thread_id, "input": [{"type": "text", "text": text}]}


def silent_sync(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n_silent, fast_n, samples = p["silent_turns"], p["silent_fast_deltas"], p["silent_samples"]
    rpc = _sync(launch)
    fast_samples: list[float] = []
    interrupt_samples: list[float] = []
    try:
        fast = _thread(rpc)
        _run_turn(rpc, fast, prompt(1))
        silent = [_thread(rpc) for _ in range(n_silent)]
        turns = [(t, rpc.start_turn(t, PROMPT_HANG)) for t in silent]
        records = [rpc.turn(turn_id) for _, turn_id in turns]
        with contextlib.suppress(TimeoutError):
            rpc.pump(lambda: all(r.started for r in records), 5.0)
        for _ in range(samples):
            t0 = now()
            record = _run_turn(rpc, fast, prompt(fast_n))
            fast_samples.append(now() - t0)
            if record.deltas != fast_n:
                raise AssertionError("the fast turn lost deltas")
        for thread_id, turn_id in turns[:samples]:
            t0 = now()
            rpc.request("turn/interrupt", {"threadId": thread_id, "turnId": turn_id})
            record = rpc.wait_turn(turn_id, STEP_TIMEOUT)
            assert record.completed_at is not None
            interrupt_samples.append(record.completed_at - t0)
    finally:
        rpc.close()
    return {"fast_turn_s": fast_samples, "interrupt_s": interrupt_samples}


# ---------------------------------------------------------------------------- async


async def spawn_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    samples = []
    for i in range(p["spawns"] + 1):
        t0 = now()
        rpc = await _async(launch)
        t1 = now()
        await rpc.close()
        if i:
            samples.append(t1 - t0)
    return {"spawn_s": samples}


async def turns_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    rpc = await _async(launch)
    samples = []
    try:
        thread_id = await _athread(rpc)
        await rpc.run_turn(thread_id, prompt(1))
        for _ in range(p["seq_turns"]):
            t0 = now()
            await asyncio.wait_for(rpc.run_turn(thread_id, prompt(1)), STEP_TIMEOUT)
            samples.append(now() - t0)
    finally:
        await rpc.close()
    return {"turn_s": samples}


async def stream_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n = p["stream_deltas"]
    rpc = await _async(launch)
    try:
        thread_id = await _athread(rpc)
        await rpc.run_turn(thread_id, prompt(1))
        c0, t0 = cpu(), now()
        record = await asyncio.wait_for(rpc.run_turn(thread_id, prompt(n)), STEP_TIMEOUT)
        t1, c1 = now(), cpu()
    finally:
        await rpc.close()
    return {
        "rate": [record.notifications / (t1 - t0)],
        "cpu_per_10k": [(c1 - c0) / record.notifications * 10_000],
        "delivered": [record.deltas == n],
    }


async def concurrent_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n_turns, n = p["concurrent_async_turns"], p["concurrent_deltas"]
    rpc = await _async(launch)
    try:
        threads = [await _athread(rpc) for _ in range(n_turns)]
        await rpc.run_turn(threads[0], prompt(1))
        t0 = now()
        records = await asyncio.wait_for(
            asyncio.gather(*(rpc.run_turn(t, prompt(n)) for t in threads)), STEP_TIMEOUT
        )
        wall = now() - t0
    finally:
        await rpc.close()
    return {
        "wall_s": [wall],
        "rss_mb": [rss_mb()],
        "delivered": [all(r.deltas == n for r in records)],
    }


async def _wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = now() + timeout
    while not predicate():
        if now() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def _interrupt_timed(rpc: RawAsync, thread_id: str, turn_id: str) -> float:
    record = rpc.turn(turn_id)
    t0 = now()
    await rpc.request("turn/interrupt", {"threadId": thread_id, "turnId": turn_id})
    assert record.done is not None
    await asyncio.wait_for(asyncio.shield(record.done), STEP_TIMEOUT)
    assert record.completed_at is not None
    return record.completed_at - t0


async def _interrupt_rest(rpc: RawAsync, turns: list[tuple[str, str]]) -> None:
    for thread_id, turn_id in turns:
        record = rpc.turn(turn_id)
        if record.completed_at is None:
            with contextlib.suppress(Exception):
                await rpc.request("turn/interrupt", {"threadId": thread_id, "turnId": turn_id})
    done = [f for f in (rpc.turn(t).done for _, t in turns) if f is not None]
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(asyncio.gather(*done), 10.0)


async def interrupt_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n_streams, samples = p["interrupt_streams"], p["interrupt_samples"]
    long = prompt(p["interrupt_stream_deltas"], p["interrupt_delay_ms"])
    rpc = await _async(launch)
    turns: list[tuple[str, str]] = []
    try:
        threads = [await _athread(rpc) for _ in range(n_streams)]
        await rpc.run_turn(threads[0], prompt(1))
        started = await asyncio.gather(*(rpc.start_turn(t, long) for t in threads))
        turns = [(t, turn_id) for t, (turn_id, _) in zip(threads, started, strict=True)]
        records = [r for _, r in started]
        if not await _wait_until(lambda: all(r.deltas >= 5 for r in records), 30.0):
            raise AssertionError("the streams did not start")
        latencies = []
        for thread_id, turn_id in turns[:samples]:
            latencies.append(await _interrupt_timed(rpc, thread_id, turn_id))
            await asyncio.sleep(0.02)
        still_streaming = sum(1 for r in records[samples:] if r.completed_at is None)
    finally:
        await _interrupt_rest(rpc, turns)
        await rpc.close()
    return {"latency_s": latencies, "still_streaming": [still_streaming]}


async def silent_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n_silent, fast_n, samples = p["silent_turns"], p["silent_fast_deltas"], p["silent_samples"]
    rpc = await _async(launch)
    turns: list[tuple[str, str]] = []
    fast_samples: list[float] = []
    interrupt_samples: list[float] = []
    try:
        fast = await _athread(rpc)
        await rpc.run_turn(fast, prompt(1))
        threads = [await _athread(rpc) for _ in range(n_silent)]
        started = await asyncio.gather(*(rpc.start_turn(t, PROMPT_HANG) for t in threads))
        turns = [(t, turn_id) for t, (turn_id, _) in zip(threads, started, strict=True)]
        await _wait_until(lambda: all(r.started for _, r in started), 5.0)
        await asyncio.sleep(0.1)
        for _ in range(samples):
            t0 = now()
            record = await asyncio.wait_for(rpc.run_turn(fast, prompt(fast_n)), STEP_TIMEOUT)
            fast_samples.append(now() - t0)
            if record.deltas != fast_n:
                raise AssertionError("the fast turn lost deltas")
        for thread_id, turn_id in turns[:samples]:
            interrupt_samples.append(await _interrupt_timed(rpc, thread_id, turn_id))
    finally:
        await _interrupt_rest(rpc, turns)
        await rpc.close()
    return {"fast_turn_s": fast_samples, "interrupt_s": interrupt_samples}


SYNC_SCENARIOS = {
    "spawn_sync": spawn_sync,
    "turns_sync": turns_sync,
    "stream_sync": stream_sync,
    "concurrent_sync": concurrent_sync,
    "silent_sync": silent_sync,
}
ASYNC_SCENARIOS = {
    "spawn_async": spawn_async,
    "turns_async": turns_async,
    "stream_async": stream_async,
    "concurrent_async": concurrent_async,
    "interrupt_async": interrupt_async,
    "silent_async": silent_async,
}


def run(scenario: str, launch: dict[str, Any], params: dict[str, Any]) -> Any:
    if scenario in SYNC_SCENARIOS:
        return SYNC_SCENARIOS[scenario](launch, params)
    return run_coroutine(ASYNC_SCENARIOS[scenario](launch, params))
