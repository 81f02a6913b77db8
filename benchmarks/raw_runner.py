"""The same scenarios through the raw floor (`raw_floor.py`): the least a client can do."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import TYPE_CHECKING, Any

from . import common
from .common import PROMPT_HANG, STEP_TIMEOUT, StallProbe, cpu, now, prompt, rss_mb, wait_until

if TYPE_CHECKING:
    from .raw_floor import RawAsync, RawSync, TurnRecord


def _sync(launch: dict[str, Any]) -> RawSync:
    from .raw_floor import RawSync

    rpc = RawSync(launch["argv"], launch["env"], launch["cwd"])
    rpc.initialize()
    return rpc


async def _async(launch: dict[str, Any]) -> RawAsync:
    from .raw_floor import RawAsync

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


def _warm(rpc: RawSync, thread_id: str, p: dict[str, Any]) -> None:
    if p.get("warm"):
        _run_turn(rpc, thread_id, prompt(1))


async def _awarm(rpc: RawAsync, thread_id: str, p: dict[str, Any]) -> None:
    if p.get("warm"):
        await rpc.run_turn(thread_id, prompt(1))


def first_turn_sync(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n = p["first_turn_deltas"]
    c0, t0 = cpu(), now()
    import benchmarks.raw_floor  # noqa: F401

    t1 = now()
    rpc = _sync(launch)
    try:
        t2 = now()
        record = _run_turn(rpc, _thread(rpc), prompt(n))
        t3, c3 = now(), cpu()
    finally:
        rpc.close()
    assert record.deltas == n
    return common.first_turn_metrics(t0, t1, t2, t3, c3 - c0)


async def first_turn_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n = p["first_turn_deltas"]
    c0, t0 = cpu(), now()
    import benchmarks.raw_floor  # noqa: F401

    t1 = now()
    probe = StallProbe().start()
    rpc = await _async(launch)
    try:
        t2 = now()
        record = await asyncio.wait_for(rpc.run_turn(await _athread(rpc), prompt(n)), STEP_TIMEOUT)
        t3, c3 = now(), cpu()
        stall, busy = probe.stop(), probe.longest_busy
    finally:
        await rpc.close()
    assert record.deltas == n
    return {
        **common.first_turn_metrics(t0, t1, t2, t3, c3 - c0),
        "stall_s": [stall],
        "busy_s": [busy],
    }


async def _start_retrying(rpc: RawAsync, thread_id: str, text: str) -> TurnRecord:
    """`start_turn`, retried while the app-server answers "overloaded" (-32001)."""
    from .raw_floor import RawError

    delay = 0.01
    while True:
        try:
            return (await rpc.start_turn(thread_id, text))[1]
        except RawError as exc:
            error = exc.args[0] if exc.args else None
            if not (isinstance(error, dict) and error.get("code") == -32001):
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def many_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n_turns, n = p["many_turns"], p["many_deltas"]
    rpc = await _async(launch)
    try:
        gate = asyncio.Semaphore(32)

        async def new_thread() -> str:
            async with gate:
                return await _athread(rpc)

        threads = await asyncio.gather(*(new_thread() for _ in range(n_turns)))
        await _awarm(rpc, threads[0], p)
        window = asyncio.Semaphore(p["many_start_window"])

        async def one(thread_id: str) -> TurnRecord:
            async with window:
                record = await _start_retrying(rpc, thread_id, prompt(n))
            assert record.done is not None
            await record.done
            return record

        probe = StallProbe().start()
        t0 = now()
        records = await asyncio.wait_for(
            asyncio.gather(*(one(t) for t in threads)), p["many_cap_s"]
        )
        wall = now() - t0
        stall, busy = probe.stop(), probe.longest_busy
    finally:
        await rpc.close()
    return {
        "wall_s": [wall],
        "rss_mb": [rss_mb()],
        "stall_s": [stall],
        "busy_s": [busy],
        "busy_besides_full_s": [probe.longest_busy_besides_full],
        "gc_s": [probe.longest_gc],
        "gc_gen1": [probe.collections[1]],
        "gc_gen2": [probe.collections[2]],
        "delivered": [all(r.deltas == n for r in records)],
    }


async def memory_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    """As `sdk_runner.memory_async`: each idle turn is awaited by a task of its own."""
    import tracemalloc

    base, idle, n = p["memory_base_turns"], p["memory_idle_turns"], p["memory_stream_deltas"]
    rpc = await _async(launch)
    turns: list[tuple[str, str]] = []
    waiters: list[asyncio.Task[None]] = []
    try:
        threads = [await _athread(rpc) for _ in range(base + idle + 1)]
        streamed = threads.pop()
        await _awarm(rpc, streamed, p)
        tracemalloc.start()

        async def wait(record: TurnRecord) -> None:
            assert record.done is not None
            with contextlib.suppress(Exception):
                await record.done

        async def start_idle(group: list[str]) -> None:
            for t in group:
                turn_id, record = await rpc.start_turn(t, PROMPT_HANG)
                turns.append((t, turn_id))
                waiters.append(asyncio.get_running_loop().create_task(wait(record)))
            records = [rpc.turn(turn_id) for _, turn_id in turns]
            if not await wait_until(lambda: all(r.started for r in records), 30.0):
                raise AssertionError("the idle turns did not start")

        await start_idle(threads[:base])
        b0 = common.traced_bytes()
        await start_idle(threads[base:])
        b1 = common.traced_bytes()
        tracemalloc.reset_peak()
        b2 = common.traced_bytes()
        record = await asyncio.wait_for(rpc.run_turn(streamed, prompt(n)), STEP_TIMEOUT)
        peak = tracemalloc.get_traced_memory()[1]
        b3 = common.traced_bytes()
        tracemalloc.stop()
    finally:
        await _interrupt_rest(rpc, turns)
        await rpc.close()
    notes = record.notifications
    return {
        "idle_turn_bytes": [(b1 - b0) / idle],
        "stream_kept_per_1k": [(b3 - b2) / notes * 1000],
        "stream_peak_per_1k": [(peak - b2) / notes * 1000],
        "delivered": [record.deltas == n],
    }


# ---------------------------------------------------------------------------- sync


def spawn_sync(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    return common.spawn_samples(lambda: _sync(launch), lambda rpc: rpc.close(), p)  # type: ignore[no-any-return]


def turns_sync(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    rpc = _sync(launch)
    samples = []
    try:
        thread_id = _thread(rpc)
        _warm(rpc, thread_id, p)
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
        _warm(rpc, thread_id, p)
        c0, t0 = cpu(), now()
        record = _run_turn(rpc, thread_id, prompt(n))
        t1, c1 = now(), cpu()
    finally:
        rpc.close()
    return common.stream_metrics(record.notifications, t1 - t0, c1 - c0, record.deltas == n)


def concurrent_sync(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    # The floor for "N threads on one client": one thread multiplexing N turns.
    n_turns, n = p["concurrent_sync_threads"], p["concurrent_deltas"]
    rpc = _sync(launch)
    try:
        threads = [_thread(rpc) for _ in range(n_turns)]
        _warm(rpc, threads[0], p)
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
        _warm(rpc, fast, p)
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
    return await common.aspawn_samples(  # type: ignore[no-any-return]
        lambda: _async(launch), lambda rpc: rpc.close(), p
    )


async def turns_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    rpc = await _async(launch)
    samples = []
    try:
        thread_id = await _athread(rpc)
        await _awarm(rpc, thread_id, p)
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
        await _awarm(rpc, thread_id, p)
        c0, t0 = cpu(), now()
        record = await asyncio.wait_for(rpc.run_turn(thread_id, prompt(n)), STEP_TIMEOUT)
        t1, c1 = now(), cpu()
    finally:
        await rpc.close()
    return common.stream_metrics(record.notifications, t1 - t0, c1 - c0, record.deltas == n)


async def concurrent_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n_turns, n = p["concurrent_async_turns"], p["concurrent_deltas"]
    rpc = await _async(launch)
    try:
        threads = [await _athread(rpc) for _ in range(n_turns)]
        await _awarm(rpc, threads[0], p)
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
        await _awarm(rpc, threads[0], p)
        started = await asyncio.gather(*(rpc.start_turn(t, long) for t in threads))
        turns = [(t, turn_id) for t, (turn_id, _) in zip(threads, started, strict=True)]
        records = [r for _, r in started]
        if not await wait_until(lambda: all(r.deltas >= 5 for r in records), 30.0):
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


async def interrupt_saturated_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    return await interrupt_async(launch, common.saturated(p))


async def silent_async(launch: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
    n_silent, fast_n, samples = p["silent_turns"], p["silent_fast_deltas"], p["silent_samples"]
    rpc = await _async(launch)
    turns: list[tuple[str, str]] = []
    fast_samples: list[float] = []
    interrupt_samples: list[float] = []
    try:
        fast = await _athread(rpc)
        await _awarm(rpc, fast, p)
        threads = [await _athread(rpc) for _ in range(n_silent)]
        started = await asyncio.gather(*(rpc.start_turn(t, PROMPT_HANG) for t in threads))
        turns = [(t, turn_id) for t, (turn_id, _) in zip(threads, started, strict=True)]
        await wait_until(lambda: all(r.started for _, r in started), 5.0)
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


def run(scenario: str, launch: dict[str, Any], params: dict[str, Any]) -> Any:
    if not scenario.startswith("first_turn"):
        import benchmarks.raw_floor  # noqa: F401  (measured on its own)
    return common.run_scenario((sys.modules[__name__],), scenario, launch, params)
