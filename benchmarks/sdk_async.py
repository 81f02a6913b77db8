"""The async scenarios of the two SDKs (`AsyncCodex`), through their public API only."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from .common import (
    COMPLETED,
    DELTA,
    PROMPT_HANG,
    STEP_TIMEOUT,
    StallProbe,
    aspawn_samples,
    cpu,
    first_turn_metrics,
    now,
    prompt,
    rss_mb,
    saturated,
    stream_metrics,
    traced_bytes,
    wait_until,
)
from .sdk_flavors import Flavor, check_final


async def _awarm(thread: Any, p: dict[str, Any]) -> None:
    """`--warm`: one simple turn before measuring (cold, the default, measures the first)."""
    if p.get("warm"):
        check_final(await thread.run(prompt(1)), 1)


async def _close_async(codex: Any) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(codex.close(), 30.0)


async def first_turn_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n = p["first_turn_deltas"]
    c0, t0 = cpu(), now()  # nothing of the client is imported yet
    fl.load()  # a program imports before its loop runs: not a stall
    t1 = now()
    probe = StallProbe().start()
    codex = await fl.async_codex()
    try:
        t2 = now()
        thread = await codex.thread_start(**fl.thread_kwargs())
        result = await thread.run(prompt(n))
        fl.typed(result)
        t3, c3 = now(), cpu()
        stall, busy = probe.stop(), probe.longest_busy
        check_final(result, n)
    finally:
        await _close_async(codex)
    return {**first_turn_metrics(t0, t1, t2, t3, c3 - c0), "stall_s": [stall], "busy_s": [busy]}


async def spawn_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    return await aspawn_samples(fl.async_codex, _close_async, p)  # type: ignore[no-any-return]


async def turns_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    samples = []
    codex = await fl.async_codex()
    try:
        thread = await codex.thread_start(**fl.thread_kwargs())
        await _awarm(thread, p)
        for _ in range(p["seq_turns"]):
            t0 = now()
            result = await thread.run(prompt(1))
            samples.append(now() - t0)
            check_final(result, 1)
    finally:
        await _close_async(codex)
    return {"turn_s": samples}


async def _stream_async(handle: Any) -> tuple[int, int]:
    notes = deltas = 0
    async for note in handle.stream():
        notes += 1
        if note.method == DELTA:
            deltas += 1
    return notes, deltas


async def stream_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n = p["stream_deltas"]
    codex = await fl.async_codex()
    try:
        thread = await codex.thread_start(**fl.thread_kwargs())
        await _awarm(thread, p)
        c0, t0 = cpu(), now()
        handle = await thread.turn(prompt(n))
        notes, deltas = await asyncio.wait_for(_stream_async(handle), STEP_TIMEOUT)
        t1, c1 = now(), cpu()
    finally:
        await _close_async(codex)
    return stream_metrics(notes, t1 - t0, c1 - c0, deltas == n)


async def concurrent_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n_turns, n = p["concurrent_async_turns"], p["concurrent_deltas"]
    codex = await fl.async_codex()
    try:
        threads = [await codex.thread_start(**fl.thread_kwargs()) for _ in range(n_turns)]
        await _awarm(threads[0], p)

        async def one(thread: Any) -> int:
            return (await _stream_async(await thread.turn(prompt(n))))[1]

        t0 = now()
        counts = await asyncio.wait_for(asyncio.gather(*(one(t) for t in threads)), STEP_TIMEOUT)
        wall = now() - t0
    finally:
        await _close_async(codex)
    return {"wall_s": [wall], "rss_mb": [rss_mb()], "delivered": [all(c == n for c in counts)]}


class _Watched:
    """A turn streamed by its own task, with what the benchmark needs to know."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.deltas = 0
        self.started = False
        self.done_at: float | None = None
        self.task: asyncio.Task[None] = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        with contextlib.suppress(Exception):
            async for note in self.handle.stream():
                method = note.method
                if method == DELTA:
                    self.deltas += 1
                elif method == "turn/started":
                    self.started = True
                elif method == COMPLETED:
                    self.done_at = now()


async def _interrupt_timed(watched: _Watched, timeout: float = STEP_TIMEOUT) -> float:
    t0 = now()

    async def interrupt() -> None:
        await watched.handle.interrupt()
        await asyncio.shield(watched.task)

    await asyncio.wait_for(interrupt(), timeout)
    if watched.done_at is None:
        raise AssertionError("the interrupted turn did not complete")
    return watched.done_at - t0


async def _interrupt_all(watched: list[_Watched]) -> None:
    for w in watched:
        if not w.task.done():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(w.handle.interrupt(), 10.0)
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(asyncio.gather(*(w.task for w in watched)), 10.0)


async def interrupt_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n_streams, samples = p["interrupt_streams"], p["interrupt_samples"]
    long = prompt(p["interrupt_stream_deltas"], p["interrupt_delay_ms"])
    codex = await fl.async_codex()
    watched: list[_Watched] = []
    try:
        threads = [await codex.thread_start(**fl.thread_kwargs()) for _ in range(n_streams)]
        await _awarm(threads[0], p)
        handles = await asyncio.gather(*(t.turn(long) for t in threads))
        watched = [_Watched(h) for h in handles]
        if not await wait_until(lambda: all(w.deltas >= 5 for w in watched), 30.0):
            raise AssertionError("the streams did not start")
        latencies = []
        for w in watched[:samples]:
            latencies.append(await _interrupt_timed(w))
            await asyncio.sleep(0.02)
        still_streaming = sum(1 for w in watched[samples:] if w.done_at is None)
    finally:
        await _interrupt_all(watched)
        await _close_async(codex)
    return {"latency_s": latencies, "still_streaming": [still_streaming]}


async def interrupt_saturated_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    return await interrupt_async(fl, saturated(p))


async def silent_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n_silent, fast_n, samples = p["silent_turns"], p["silent_fast_deltas"], p["silent_samples"]
    cap = p["starved_cap_s"]
    codex = await fl.async_codex()
    watched: list[_Watched] = []
    fast_samples: list[float] = []
    interrupt_samples: list[float] = []
    fast_capped: list[bool] = []
    interrupt_capped: list[bool] = []

    async def fast_turn() -> int:
        return (await _stream_async(await fast.turn(prompt(fast_n))))[1]

    try:
        fast = await codex.thread_start(**fl.thread_kwargs())
        await _awarm(fast, p)
        threads = [await codex.thread_start(**fl.thread_kwargs()) for _ in range(n_silent)]
        handles = await asyncio.gather(*(t.turn(PROMPT_HANG) for t in threads))
        watched = [_Watched(h) for h in handles]
        await wait_until(lambda: all(w.started for w in watched), 5.0)
        await asyncio.sleep(0.1)
        for _ in range(samples):
            t0 = now()
            try:
                deltas = await asyncio.wait_for(fast_turn(), cap)
            except asyncio.TimeoutError:  # starved: record the cap, stop here
                fast_samples.append(cap)
                fast_capped.append(True)
                break
            fast_samples.append(now() - t0)
            if deltas != fast_n:
                raise AssertionError("the fast turn lost deltas")
        for w in watched[:samples]:
            try:
                interrupt_samples.append(await _interrupt_timed(w, cap))
            except asyncio.TimeoutError:
                interrupt_samples.append(cap)
                interrupt_capped.append(True)
                break
    finally:
        if not (fast_capped or interrupt_capped):  # else the worker just exits: a starved
            # client may never finish closing
            await _interrupt_all(watched)
            await _close_async(codex)
    return {
        "fast_turn_s": fast_samples,
        "interrupt_s": interrupt_samples,
        "fast_capped": fast_capped,
        "interrupt_capped": interrupt_capped,
    }


async def _bounded(factories: list[Callable[[], Any]], limit: int) -> list[Any]:
    """Await many coroutines, at most `limit` at a time, in order."""
    gate = asyncio.Semaphore(limit)

    async def one(factory: Callable[[], Any]) -> Any:
        async with gate:
            return await factory()

    return await asyncio.gather(*(one(f) for f in factories))


def _overloaded(exc: BaseException) -> bool:
    return getattr(exc, "code", None) == -32001 or "-32001" in str(exc)


async def _start_retrying(thread: Any, text: str) -> Any:
    """`thread.turn(text)`, retried while the app-server answers "overloaded" (-32001),
    which it does when a thousand `turn/start` arrive at once."""
    delay = 0.01
    while True:
        try:
            return await thread.turn(text)
        except Exception as exc:
            if not _overloaded(exc):
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.5)


async def many_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n_turns, n, cap = p["many_turns"], p["many_deltas"], p["many_cap_s"]
    codex = await fl.async_codex()
    capped = False
    try:
        kwargs = fl.thread_kwargs()
        threads = await _bounded([lambda: codex.thread_start(**kwargs)] * n_turns, 32)
        await _awarm(threads[0], p)

        window = asyncio.Semaphore(p["many_start_window"])

        async def one(thread: Any) -> int:
            async with window:
                handle = await _start_retrying(thread, prompt(n))
            return (await _stream_async(handle))[1]

        probe = StallProbe().start()
        t0 = now()
        try:
            counts = await asyncio.wait_for(asyncio.gather(*(one(t) for t in threads)), cap)
        except asyncio.TimeoutError:
            capped, counts = True, []
        wall = now() - t0 if not capped else cap
        stall, busy = probe.stop(), probe.longest_busy
    finally:
        if not capped:
            await _close_async(codex)
    return {
        "wall_s": [wall],
        "rss_mb": [rss_mb()],
        "stall_s": [stall],
        "busy_s": [busy],
        "busy_besides_full_s": [probe.longest_busy_besides_full],
        "gc_s": [probe.longest_gc],
        "gc_gen1": [probe.collections[1]],
        "gc_gen2": [probe.collections[2]],
        "delivered": [not capped and all(c == n for c in counts)],
        "wall_capped": [True] if capped else [],
    }


async def memory_async(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    """Marginal client memory (Python allocations, tracemalloc) of idle subscribed turns
    (each streamed by a task of its own, as a program would) and of a streamed turn."""
    import tracemalloc

    base, idle, n = p["memory_base_turns"], p["memory_idle_turns"], p["memory_stream_deltas"]
    codex = await fl.async_codex()
    watched: list[_Watched] = []
    try:
        kwargs = fl.thread_kwargs()
        threads = [await codex.thread_start(**kwargs) for _ in range(base + idle + 1)]
        streamed = threads.pop()
        await _awarm(streamed, p)
        tracemalloc.start()

        async def start_idle(group: list[Any]) -> None:
            for t in group:
                watched.append(_Watched(await t.turn(PROMPT_HANG)))
            if not await wait_until(lambda: all(w.started for w in watched), 30.0):
                raise AssertionError("the idle turns did not start")

        await start_idle(threads[:base])  # absorbs one-time costs
        b0 = traced_bytes()
        await start_idle(threads[base:])
        b1 = traced_bytes()
        tracemalloc.reset_peak()
        b2 = traced_bytes()
        handle = await streamed.turn(prompt(n))
        notes, deltas = await asyncio.wait_for(_stream_async(handle), STEP_TIMEOUT)
        peak = tracemalloc.get_traced_memory()[1]
        b3 = traced_bytes()
        tracemalloc.stop()
    finally:
        await _interrupt_all(watched)
        await _close_async(codex)
    return {
        "idle_turn_bytes": [(b1 - b0) / idle],
        "stream_kept_per_1k": [(b3 - b2) / notes * 1000],
        "stream_peak_per_1k": [(peak - b2) / notes * 1000],
        "delivered": [deltas == n],
    }
