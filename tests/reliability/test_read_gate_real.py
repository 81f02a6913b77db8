"""The sync client's waiters read the real app-server's output themselves (`ReadGate`).

Through the real app-server with the scripted model: a sync stream is read in the thread
that consumes it, requests made from inside the stream's loop are answered, and a stream
in each of several threads gets every delta.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import Codex
from codex_app_server.testing import Reply, ScriptedModel

pytestmark = pytest.mark.integration

DELTA = "item/agentMessage/delta"


def record_readers(codex: Codex) -> list[int]:
    """The thread ids of the waiters that read a batch for themselves (`ReadGate`)."""
    gate: Any = codex.client._gate
    readers: list[int] = []
    read_ready = gate._read_ready

    def recording() -> list[bytes] | None:
        readers.append(threading.get_ident())
        lines: list[bytes] | None = read_ready()
        return lines

    gate._read_ready = recording
    return readers


def test_a_sync_stream_is_read_in_the_thread_that_consumes_it(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.enqueue(Reply.text("x" * 2000, deltas=2000))
    with Codex(scripted_model.config(tmp_path)) as codex:
        thread = codex.thread_start()
        readers = record_readers(codex)
        deltas = sum(note.method == DELTA for note in thread.turn("go").stream())
    assert deltas == 2000
    assert threading.get_ident() in readers


def test_requests_made_inside_a_sync_stream_loop_are_answered(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted_model.enqueue(Reply.text("y" * 500, deltas=500))
    with Codex(scripted_model.config(tmp_path)) as codex:
        thread = codex.thread_start()
        deltas = reads = 0
        for note in thread.turn("go").stream():
            if note.method == DELTA:
                deltas += 1
                if deltas % 50 == 0:  # a request while this thread is the one reading
                    assert thread.read().thread.id == thread.id
                    reads += 1
    assert (deltas, reads) == (500, 10)


def test_sync_streams_in_four_threads_each_get_every_delta(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    n = 4
    scripted_model.enqueue(*(Reply.text("z" * 800, deltas=800) for _ in range(n)))
    counts: list[int] = [0] * n
    errors: list[BaseException] = []
    with Codex(scripted_model.config(tmp_path)) as codex:
        threads = [codex.thread_start() for _ in range(n)]
        handles = [t.turn("go") for t in threads]

        def consume(i: int) -> None:
            try:
                counts[i] = sum(note.method == DELTA for note in handles[i].stream())
            except BaseException as exc:
                errors.append(exc)

        workers = [threading.Thread(target=consume, args=(i,)) for i in range(n)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    assert errors == []
    assert counts == [800] * n
