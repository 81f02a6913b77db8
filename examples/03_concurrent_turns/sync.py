"""Concurrent turns: one Codex client runs several turns at once.

Each turn's notifications are routed to its own handle by turn id, so any number of
threads can run or stream different turns on one client.

    python examples/03_concurrent_turns/sync.py                       # with your Codex account
    python examples/_offline.py examples/03_concurrent_turns/sync.py  # offline, scripted model

Offline, the scripted model answers with the replies of async.py's `script`.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from codex_app_server import AppServerConfig, Codex, RunResult

QUESTIONS = [
    "What is 6 times 7?",
    "Which is the largest planet?",
    "What is 'stressed' spelled backwards?",
]


def main(config: AppServerConfig | None = None) -> None:
    with Codex(config) as codex:
        threads = [codex.thread_start() for _ in QUESTIONS]
        started = time.monotonic()

        def ask(index: int) -> RunResult:
            return threads[index].run(QUESTIONS[index])

        with ThreadPoolExecutor(max_workers=len(QUESTIONS)) as pool:
            results = list(pool.map(ask, range(len(QUESTIONS))))
        elapsed = time.monotonic() - started

        for question, result in zip(QUESTIONS, results, strict=True):
            print(f"{question} -> {result.final_response}")
        print(f"{len(results)} turns in {elapsed:.2f} s on one app-server")


if __name__ == "__main__":
    main()
