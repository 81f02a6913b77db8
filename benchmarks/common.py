"""What the orchestrator and the workers share: scenario sizes, prompts, small helpers.

Imports nothing from the SDK (the official package's worker runs in another venv).
"""

from __future__ import annotations

import asyncio
import resource
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")

DELTA = "item/agentMessage/delta"
COMPLETED = "turn/completed"
#: How long one step of a scenario (a turn, a stream, a join) may take before it fails.
STEP_TIMEOUT = 120.0

#: The scripted model reads the last user text of each request: "bench text N MS" streams
#: an answer of N deltas with MS milliseconds between two deltas; "bench hang" never answers.
PROMPT_HANG = "bench hang"


def prompt(deltas: int, delay_ms: float = 0) -> str:
    return f"bench text {deltas} {delay_ms:g}"


def answer_text(deltas: int) -> str:
    """The text a `prompt(deltas)` turn answers (4 characters per delta)."""
    return "tok " * deltas


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is (full run vs --quick)."""

    import_runs: int = 7
    spawns: int = 5
    seq_turns: int = 20
    stream_deltas: int = 20_000
    concurrent_async_turns: int = 64
    concurrent_sync_threads: int = 16
    concurrent_deltas: int = 500
    interrupt_streams: int = 32
    interrupt_samples: int = 16
    interrupt_stream_deltas: int = 6_000
    #: 32 streams of a delta every 10 ms: 3,200 deltas/s, which the app-server serves with
    #: CPU to spare on 2 cores, so the row measures what the client adds to an interrupt.
    interrupt_delay_ms: float = 10
    #: interrupt_saturated_async: the same 32 streams at a delta every 3 ms (10,700/s), where
    #: the app-server alone needs most of 2 cores and every client's tail is its queue.
    saturated_delay_ms: float = 3
    #: Long enough that no stream ends before its interrupt, however slow the server is.
    saturated_stream_deltas: int = 20_000
    silent_turns: int = 8
    silent_fast_deltas: int = 50
    silent_samples: int = 3
    #: many_async: this many threads, each with one short turn, all at once on one client.
    first_turn_deltas: int = 20
    many_turns: int = 1_000
    many_deltas: int = 10
    #: At most this many `turn/start` requests in flight at once: the app-server queues at
    #: most 128 incoming requests (its ingress `CHANNEL_CAPACITY`) and answers the next
    #: ones "overloaded" (-32001). Every turn still runs at once once started.
    many_start_window: int = 64
    #: The app-server starts some 20-40 turns/s here (its own work), so 1,000 turns take
    #: tens of seconds whatever the client: their own cap, not `starved_cap_s`.
    many_cap_s: float = 180.0
    #: memory_async: idle (silent) turns whose marginal client memory is measured, after
    #: `memory_base_turns` that absorb one-time costs; and one streamed turn of N deltas.
    memory_base_turns: int = 8
    memory_idle_turns: int = 64
    memory_stream_deltas: int = 10_000
    #: A fast turn or an interrupt that takes longer than this is recorded as this (a
    #: starved client may never finish: the row then shows ">=").
    starved_cap_s: float = 30.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FULL = Sizes()
QUICK = Sizes(
    import_runs=3,
    spawns=2,
    seq_turns=5,
    stream_deltas=2_000,
    concurrent_async_turns=8,
    concurrent_sync_threads=4,
    concurrent_deltas=100,
    interrupt_streams=4,
    interrupt_samples=2,
    interrupt_stream_deltas=2_000,
    saturated_stream_deltas=2_000,
    silent_turns=2,
    silent_fast_deltas=20,
    silent_samples=1,
    many_turns=50,
    memory_base_turns=2,
    memory_idle_turns=8,
    memory_stream_deltas=2_000,
    starved_cap_s=10.0,
)

#: scenario name -> (title, which API it drives)
SCENARIOS: dict[str, str] = {
    "import": "import time",
    "first_turn_async": "a fresh process's first turn: import + spawn + initialize + turn + typed "
    "result (async), with the event loop's longest stall",
    "first_turn_sync": "a fresh process's first turn: import + spawn + initialize + turn + typed "
    "result (sync)",
    "spawn_sync": "spawn + initialize (sync)",
    "spawn_async": "spawn + initialize (async)",
    "turns_sync": "sequential simple turns (sync)",
    "turns_async": "sequential simple turns (async)",
    "stream_sync": "stream one turn of N deltas (sync)",
    "stream_async": "stream one turn of N deltas (async)",
    "concurrent_async": "concurrent streaming turns on one async client",
    "concurrent_sync": "concurrent streaming turns from threads on one sync client",
    "interrupt_async": "interrupt latency while turns stream (async)",
    "interrupt_saturated_async": "interrupt latency while turns stream as fast as the "
    "app-server can serve them (async; reported, no target)",
    "silent_async": "a fast turn and an interrupt while turns wait silently (async)",
    "silent_sync": "a fast turn and an interrupt while turns wait silently (sync, threads)",
    "many_async": "1,000 concurrent short turns on one async client: wall, RSS, longest stall",
    "memory_async": "client memory (tracemalloc) per idle subscribed turn and per 1,000 "
    "streamed notifications (async)",
}

CLIENTS = ("ours", "raw", "official")


def rss_mb() -> float:
    """Peak resident set size of this process, in MB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def cpu() -> float:
    """CPU seconds (user + system) of this process, every thread included."""
    return time.process_time()


def now() -> float:
    return time.perf_counter()


class StallProbe:
    """Measures the event loop's longest stall.

    A callback due every `interval` seconds records how late it ran: the loop cannot run
    it while something blocks the loop, so the largest lateness is (within `interval`) the
    longest time the loop was held up. On a shared machine that includes time the process
    was not scheduled at all, so the probe also records the loop thread's CPU time between
    two ticks (`longest_busy`): the longest stretch the loop spent computing without
    coming back to its timers, which is what the code running on it is responsible for.
    `stop()` counts a tick that is due but could not run yet (a stall at the very end).

    It also times the garbage collector while it runs (`gc.callbacks`): the CPU time of
    the longest collection (`longest_gc`, in whichever thread ran it) and how many of each
    generation ran (`collections`), since
    with many turns waiting a collection of the older generations can be the longest
    thing the loop does. `longest_busy_besides_full` is `longest_busy` less the full
    (generation 2) collections the loop thread ran in that stretch: what is left when the
    collector's walk of the whole heap, whose cost grows with every live object of the
    process and whose timing its thresholds decide, is set apart.
    """

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.longest = 0.0
        self.longest_busy = 0.0
        self.ticks = 0
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cpu = 0.0
        self.longest_gc = 0.0
        self.collections = [0, 0, 0]
        self._gc_started = 0.0
        self.longest_busy_besides_full = 0.0
        self._full_cpu = 0.0  # full collections in the loop thread since the last tick
        self._loop_thread = 0

    def start(self) -> StallProbe:
        import gc

        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._cpu = time.thread_time()
        self._schedule(self._loop.time())
        gc.callbacks.append(self._on_gc)
        return self

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        t = time.thread_time()
        if phase == "start":
            self._gc_started = t
            return
        generation, took = info["generation"], t - self._gc_started
        self.collections[generation] += 1
        self.longest_gc = max(self.longest_gc, took)
        if generation == 2 and threading.get_ident() == self._loop_thread:
            self._full_cpu += took

    def _schedule(self, now_: float) -> None:
        assert self._loop is not None
        due = now_ + self.interval
        self._handle = self._loop.call_at(due, self._tick, due)

    def _record(self, due: float) -> float:
        assert self._loop is not None
        t = self._loop.time()
        cpu_now = time.thread_time()
        self.longest = max(self.longest, t - due)
        self.longest_busy = max(self.longest_busy, cpu_now - self._cpu)
        besides = cpu_now - self._cpu - self._full_cpu
        self.longest_busy_besides_full = max(self.longest_busy_besides_full, besides)
        self._full_cpu = 0.0
        self._cpu = cpu_now
        return t

    def _tick(self, due: float) -> None:
        self.ticks += 1
        self._schedule(self._record(due))

    def stop(self) -> float:
        """The longest stall seen, in seconds (wall clock); see also `longest_busy`."""
        import gc

        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        handle = self._handle
        if handle is not None:
            handle.cancel()
            assert self._loop is not None
            if handle.when() < self._loop.time():
                self._record(handle.when())
            self._handle = None
        return self.longest


def traced_bytes() -> int:
    """Bytes currently allocated by Python (tracemalloc must be tracing), after a gc."""
    import gc
    import tracemalloc

    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on a fresh loop and return without shutting the loop down.

    `asyncio.run` would wait for the default executor's threads on exit, and a client that
    parks a thread per waiting stream can hold one forever; the worker exits right after.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop.run_until_complete(coro)


def saturated(p: dict[str, Any]) -> dict[str, Any]:
    """The parameters of `interrupt_async` for its saturated variant."""
    return {
        **p,
        "interrupt_delay_ms": p["saturated_delay_ms"],
        "interrupt_stream_deltas": p["saturated_stream_deltas"],
    }


def run_scenario(modules: Sequence[ModuleType], scenario: str, *args: Any) -> Any:
    """Run the function named `scenario` of the first of `modules` that has one (on a fresh
    loop if it is a coroutine function)."""
    if scenario not in SCENARIOS:
        raise KeyError(f"unknown scenario {scenario!r}")
    for module in modules:
        function = getattr(module, scenario, None)
        if function is not None:
            result = function(*args)
            return run_coroutine(result) if asyncio.iscoroutine(result) else result
    raise KeyError(f"scenario {scenario!r} is not implemented here")


async def wait_until(predicate: Callable[[], bool], timeout: float) -> bool:
    """Poll `predicate` every 10 ms (the benchmark's own bookkeeping, not the client's)."""
    deadline = now() + timeout
    while not predicate():
        if now() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def spawn_samples(
    open_: Callable[[], Any], close: Callable[[Any], object], p: dict[str, Any]
) -> Any:
    """`spawn_s`: how long `open_()` takes, `spawns` times (`--warm`: one more, not counted)."""
    warm = bool(p.get("warm"))
    samples = []
    for _ in range(p["spawns"] + warm):
        t0 = now()
        client = open_()
        samples.append(now() - t0)
        close(client)
    return {"spawn_s": samples[warm:]}


async def aspawn_samples(
    open_: Callable[[], Awaitable[Any]],
    close: Callable[[Any], Awaitable[object]],
    p: dict[str, Any],
) -> Any:
    """`spawn_samples` for async clients."""
    warm = bool(p.get("warm"))
    samples = []
    for _ in range(p["spawns"] + warm):
        t0 = now()
        client = await open_()
        samples.append(now() - t0)
        await close(client)
    return {"spawn_s": samples[warm:]}


def first_turn_metrics(
    t0: float, t1: float, t2: float, t3: float, cpu_s: float
) -> dict[str, list[float]]:
    """The first turn of a fresh process: total, its import, spawn and turn parts, and the
    client's CPU time (every thread) over the total."""
    return {
        "total_s": [t3 - t0],
        "import_s": [t1 - t0],
        "spawn_s": [t2 - t1],
        "turn_s": [t3 - t2],
        "cpu_s": [cpu_s],
    }


def stream_metrics(notes: int, wall: float, cpu_s: float, delivered: bool) -> dict[str, Any]:
    """One streamed turn: notifications/s, client CPU per 10k notifications, every delta."""
    return {
        "rate": [notes / wall],
        "cpu_per_10k": [cpu_s / notes * 10_000],
        "delivered": [delivered],
    }
