"""Measure the scripted model through the real app-server (not collected by pytest).

    .venv/bin/python tests/testing/measure_scripted_model.py [--turns N]

Prints: the first turn of a process (spawn + initialize + thread/start + turn), later
turns (median, p90), streamed deltas per second seen by the client, the gaps between
delayed deltas (promptness: each delta must be flushed on its own), and concurrent turns.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import statistics
import tempfile
import threading
import time

from codex_app_server import Codex
from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def server_only(requests: int, deltas: int) -> None:
    """The server alone over one keep-alive connection: request round trips, raw deltas/s."""
    body = json.dumps({"model": "gpt-5.5", "input": []})
    with ScriptedModel() as model:
        model.respond_with(lambda request: Reply.text("ok"))
        conn = http.client.HTTPConnection("127.0.0.1", model.port, timeout=30)
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            conn.request("POST", "/v1/responses", body, {"Content-Type": "application/json"})
            conn.getresponse().read()
            times.append(time.perf_counter() - t0)
        model.respond_with(None)
        model.enqueue(Reply.text("x" * deltas, deltas=deltas))
        t0 = time.perf_counter()
        conn.request("POST", "/v1/responses", body)
        size = len(conn.getresponse().read())
        elapsed = time.perf_counter() - t0
        conn.close()
    times.sort()
    print(
        f"server only: {requests} requests, median {times[len(times) // 2] * 1e6:.0f} us; "
        f"{deltas} deltas ({size / 1e6:.1f} MB) at {deltas / elapsed:,.0f} deltas/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--concurrent", type=int, default=8)
    args = parser.parse_args()
    server_only(2000, 200_000)

    with ScriptedModel() as model, tempfile.TemporaryDirectory() as tmp:
        model.respond_with(lambda request: Reply.text("ok"))
        config = model.config(tmp)
        started = time.perf_counter()
        with Codex(config) as codex:
            spawned = time.perf_counter()
            thread = codex.thread_start()
            thread_started = time.perf_counter()
            thread.run("first")
            first = time.perf_counter() - started
            first_parts = (
                spawned - started,
                thread_started - spawned,
                time.perf_counter() - thread_started,
            )

            later = []
            for i in range(args.turns):
                t0 = time.perf_counter()
                thread.run(f"turn {i}")
                later.append(time.perf_counter() - t0)

            # Throughput: one turn streaming many deltas.
            model.respond_with(None)
            model.enqueue(Reply.text("x" * args.deltas, deltas=args.deltas))
            handle = thread.turn("stream")
            count = 0
            t0 = time.perf_counter()
            first_delta = last_delta = t0
            for note in handle.stream():
                if note.method == "item/agentMessage/delta":
                    now = time.perf_counter()
                    if count == 0:
                        first_delta = now
                    last_delta = now
                    count += 1
            rate = (count - 1) / max(last_delta - first_delta, 1e-9)

            # Promptness: deltas 50 ms apart must arrive ~50 ms apart.
            model.enqueue(Reply.text("abcdefghij", deltas=10, delay=0.05))
            handle = thread.turn("slow")
            arrivals = [
                time.perf_counter()
                for note in handle.stream()
                if note.method == "item/agentMessage/delta"
            ]
            gaps = [b - a for a, b in itertools.pairwise(arrivals)]

            # Concurrency: N threads, one turn each, at once.
            def echo(request: RecordedRequest) -> Reply:
                return Reply.text(f"echo {request.last_user_text}", deltas=5)

            model.respond_with(echo)
            threads = [codex.thread_start() for _ in range(args.concurrent)]
            results: dict[int, str | None] = {}

            def one(i: int) -> None:
                results[i] = threads[i].run(f"c{i}").final_response

            t0 = time.perf_counter()
            workers = [threading.Thread(target=one, args=(i,)) for i in range(args.concurrent)]
            for w in workers:
                w.start()
            for w in workers:
                w.join(60)
            concurrent = time.perf_counter() - t0
            assert results == {i: f"echo c{i}" for i in range(args.concurrent)}, results

    later.sort()
    print(
        f"first turn of a process:  {_ms(first)} (spawn + initialize {_ms(first_parts[0])}, "
        f"thread/start {_ms(first_parts[1])}, the turn {_ms(first_parts[2])})"
    )
    print(
        f"later turns ({args.turns}):       median {_ms(statistics.median(later))}, "
        f"p90 {_ms(later[int(len(later) * 0.9)])}, min {_ms(later[0])}"
    )
    print(f"streamed deltas:          {count} at {rate:,.0f} deltas/s (client side)")
    print(f"50 ms-apart deltas:       gaps {', '.join(f'{g * 1000:.0f}' for g in gaps)} ms")
    print(f"{args.concurrent} concurrent turns:      {_ms(concurrent)} in all")
    print(f"errors={model.errors} unexpected={model.unexpected_requests}")


if __name__ == "__main__":
    main()
