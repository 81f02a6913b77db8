"""The sync scenarios of the two SDKs (`Codex`), through their public API only."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from .common import (
    COMPLETED,
    DELTA,
    PROMPT_HANG,
    STEP_TIMEOUT,
    cpu,
    first_turn_metrics,
    now,
    prompt,
    rss_mb,
    spawn_samples,
    stream_metrics,
)
from .sdk_flavors import Flavor, check_final


def _warm(thread: Any, p: dict[str, Any]) -> None:
    """`--warm`: one simple turn before measuring (cold, the default, measures the first)."""
    if p.get("warm"):
        check_final(thread.run(prompt(1)), 1)


def first_turn_sync(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n = p["first_turn_deltas"]
    c0, t0 = cpu(), now()  # nothing of the client is imported yet
    fl.load()
    t1 = now()
    with fl.sync_codex() as codex:
        t2 = now()
        thread = codex.thread_start(**fl.thread_kwargs())
        result = thread.run(prompt(n))
        fl.typed(result)
        t3, c3 = now(), cpu()
        check_final(result, n)
    return first_turn_metrics(t0, t1, t2, t3, c3 - c0)


def spawn_sync(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    return spawn_samples(fl.sync_codex, lambda codex: codex.close(), p)  # type: ignore[no-any-return]


def turns_sync(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    samples = []
    with fl.sync_codex() as codex:
        thread = codex.thread_start(**fl.thread_kwargs())
        _warm(thread, p)
        for _ in range(p["seq_turns"]):
            t0 = now()
            result = thread.run(prompt(1))
            samples.append(now() - t0)
            check_final(result, 1)
    return {"turn_s": samples}


def _stream_sync(handle: Any) -> tuple[int, int]:
    notes = deltas = 0
    for note in handle.stream():
        notes += 1
        if note.method == DELTA:
            deltas += 1
    return notes, deltas


def stream_sync(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n = p["stream_deltas"]
    with fl.sync_codex() as codex:
        thread = codex.thread_start(**fl.thread_kwargs())
        _warm(thread, p)
        c0, t0 = cpu(), now()
        handle = thread.turn(prompt(n))
        notes, deltas = _stream_sync(handle)
        t1, c1 = now(), cpu()
    return stream_metrics(notes, t1 - t0, c1 - c0, deltas == n)


def concurrent_sync(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n_threads, n = p["concurrent_sync_threads"], p["concurrent_deltas"]
    with fl.sync_codex() as codex:
        threads = [codex.thread_start(**fl.thread_kwargs()) for _ in range(n_threads)]
        _warm(threads[0], p)
        counts = [0] * n_threads
        errors: list[BaseException] = []
        go = threading.Barrier(n_threads + 1)

        def one(i: int) -> None:
            try:
                go.wait()
                counts[i] = _stream_sync(threads[i].turn(prompt(n)))[1]
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=one, args=(i,)) for i in range(n_threads)]
        for w in workers:
            w.start()
        go.wait()
        t0 = now()
        for w in workers:
            w.join(STEP_TIMEOUT)
        wall = now() - t0
        if errors:
            raise errors[0]
    return {"wall_s": [wall], "rss_mb": [rss_mb()], "delivered": [all(c == n for c in counts)]}


def silent_sync(fl: Flavor, p: dict[str, Any]) -> dict[str, Any]:
    n_silent, fast_n = p["silent_turns"], p["silent_fast_deltas"]
    samples = p["silent_samples"]
    fast_samples: list[float] = []
    interrupt_samples: list[float] = []
    with fl.sync_codex() as codex:
        fast = codex.thread_start(**fl.thread_kwargs())
        _warm(fast, p)
        silent_threads = [codex.thread_start(**fl.thread_kwargs()) for _ in range(n_silent)]
        handles = [t.turn(PROMPT_HANG) for t in silent_threads]
        started = [threading.Event() for _ in handles]
        done_at: list[float | None] = [None] * n_silent

        def consume(i: int) -> None:
            with contextlib.suppress(Exception):
                for note in handles[i].stream():
                    if note.method == "turn/started":
                        started[i].set()
                    elif note.method == COMPLETED:
                        done_at[i] = now()

        consumers = [
            threading.Thread(target=consume, args=(i,), daemon=True) for i in range(n_silent)
        ]
        for c in consumers:
            c.start()
        for e in started:
            e.wait(5.0)
        for _ in range(samples):
            t0 = now()
            _notes, deltas = _stream_sync(fast.turn(prompt(fast_n)))
            fast_samples.append(now() - t0)
            if deltas != fast_n:
                raise AssertionError("fast turn lost deltas")
        for i in range(min(samples, n_silent)):
            t0 = now()
            handles[i].interrupt()
            consumers[i].join(STEP_TIMEOUT)
            if done_at[i] is None:
                raise AssertionError("interrupted turn did not complete")
            interrupt_samples.append(done_at[i] - t0)  # type: ignore[operator]
        for i in range(samples, n_silent):
            with contextlib.suppress(Exception):
                handles[i].interrupt()
        for c in consumers:
            c.join(10.0)
    return {"fast_turn_s": fast_samples, "interrupt_s": interrupt_samples}
