"""What the orchestrator and the workers share: scenario sizes, prompts, small helpers.

Imports nothing from the SDK (the official package's worker runs in another venv).
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time
from collections.abc import Coroutine
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

T = TypeVar("T")

DELTA = "item/agentMessage/delta"
COMPLETED = "turn/completed"

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
    interrupt_delay_ms: float = 3
    silent_turns: int = 8
    silent_fast_deltas: int = 50
    silent_samples: int = 3
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
    silent_turns=2,
    silent_fast_deltas=20,
    silent_samples=1,
    starved_cap_s=10.0,
)

#: scenario name -> (title, which API it drives)
SCENARIOS: dict[str, str] = {
    "import": "import time",
    "spawn_sync": "spawn + initialize (sync)",
    "spawn_async": "spawn + initialize (async)",
    "turns_sync": "sequential simple turns (sync)",
    "turns_async": "sequential simple turns (async)",
    "stream_sync": "stream one turn of N deltas (sync)",
    "stream_async": "stream one turn of N deltas (async)",
    "concurrent_async": "concurrent streaming turns on one async client",
    "concurrent_sync": "concurrent streaming turns from threads on one sync client",
    "interrupt_async": "interrupt latency while turns stream (async)",
    "silent_async": "a fast turn and an interrupt while turns wait silently (async)",
    "silent_sync": "a fast turn and an interrupt while turns wait silently (sync, threads)",
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


def run_coroutine(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on a fresh loop and return without shutting the loop down.

    `asyncio.run` would wait for the default executor's threads on exit, and a client that
    parks a thread per waiting stream can hold one forever; the worker exits right after.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop.run_until_complete(coro)
