"""Load: many concurrent streamed turns on one client; every delta exactly once, in order.

Guarantee: with 100 turns of 1,000 streamed deltas each running at once on one
`AsyncCodex` (and 16 threads sharing one `Codex`), every turn receives exactly its own
deltas, each once, in order. Against the fake app-server (fast, always run) and the real
app-server with the scripted model (marked `integration`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import AsyncCodex, Codex
from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

from ..support.fake_server.wire import split_text
from .conftest import TIMEOUT, fake_config

TURNS = 100
DELTAS = 1000
SYNC_THREADS = 16
DELTA = "item/agentMessage/delta"


def tokens(tag: str) -> list[str]:
    """The deltas of turn `tag`: unique, ordered, each naming its turn and position."""
    return [f"{tag}:{i:04d};" for i in range(DELTAS)]


def fake_prompt(tag: str) -> str:
    return "".join(tokens(tag)) + f" DELTAS:{DELTAS}"


def fake_deltas(tag: str) -> list[str]:
    """What the fake streams: its prompt split into DELTAS even, unique, ordered chunks."""
    return split_text(fake_prompt(tag), DELTAS)


def scripted(model: ScriptedModel) -> None:
    def reply(request: RecordedRequest) -> Reply:
        tag = (request.last_user_text or "?").split()[-1]
        parts = tokens(tag)
        return Reply.text("".join(parts), deltas=parts)

    model.respond_with(reply)


def check(received: dict[str, list[str]], expected: dict[str, list[str]]) -> int:
    assert set(received) == set(expected)
    for tag, deltas in received.items():
        assert deltas == expected[tag], f"turn {tag}: deltas lost, duplicated or misrouted"
    return sum(len(d) for d in received.values())


async def stream_async(codex: AsyncCodex, prompts: dict[str, str]) -> dict[str, list[str]]:
    threads = await asyncio.gather(*(codex.thread_start() for _ in prompts))

    async def one(thread: Any, tag: str) -> tuple[str, list[str]]:
        handle = await thread.turn(prompts[tag])
        deltas = [n.params["delta"] async for n in handle.stream() if n.method == DELTA]
        assert handle.collector.status == "completed"
        return tag, deltas

    pairs = await asyncio.gather(*(one(t, tag) for t, tag in zip(threads, prompts, strict=True)))
    return dict(pairs)


def stream_sync(codex: Codex, prompts: dict[str, str]) -> dict[str, list[str]]:
    received: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    tags = list(prompts)
    lock = threading.Lock()
    barrier = threading.Barrier(SYNC_THREADS)

    def worker(index: int) -> None:
        try:
            thread = codex.thread_start()
            barrier.wait(TIMEOUT)
            for tag in tags[index::SYNC_THREADS]:
                handle = thread.turn(prompts[tag])
                deltas = [n.params["delta"] for n in handle.stream() if n.method == DELTA]
                assert handle.collector.status == "completed"
                with lock:
                    received[tag] = deltas
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(SYNC_THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert not errors, errors[0]
    return received


def report(label: str, count: int, seconds: float) -> None:
    print(f"\n{label}: {count} deltas in {seconds:.2f}s ({count / seconds:,.0f}/s)")


# -- the fake app-server --------------------------------------------------------------


async def test_async_100_turns_of_1000_deltas_on_the_fake() -> None:
    prompts = {f"t{n:03d}": fake_prompt(f"t{n:03d}") for n in range(TURNS)}
    async with AsyncCodex(fake_config()) as codex:
        t0 = time.monotonic()
        received = await stream_async(codex, prompts)
        seconds = time.monotonic() - t0
    count = check(received, {tag: fake_deltas(tag) for tag in prompts})
    assert count == TURNS * DELTAS
    report("fake, AsyncCodex, 100 concurrent turns", count, seconds)


def test_sync_16_threads_on_one_codex_on_the_fake() -> None:
    prompts = {f"s{n:03d}": fake_prompt(f"s{n:03d}") for n in range(TURNS)}
    with Codex(fake_config()) as codex:
        t0 = time.monotonic()
        received = stream_sync(codex, prompts)
        seconds = time.monotonic() - t0
    count = check(received, {tag: fake_deltas(tag) for tag in prompts})
    assert count == TURNS * DELTAS
    report("fake, Codex, 16 threads", count, seconds)


# -- the real app-server --------------------------------------------------------------


@pytest.mark.integration
async def test_async_100_turns_of_1000_deltas_on_the_real_app_server(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted(scripted_model)
    prompts = {f"r{n:03d}": f"say r{n:03d}" for n in range(TURNS)}
    async with AsyncCodex(scripted_model.config(tmp_path)) as codex:
        t0 = time.monotonic()
        received = await stream_async(codex, prompts)
        seconds = time.monotonic() - t0
    count = check(received, {tag: tokens(tag) for tag in prompts})
    assert count == TURNS * DELTAS
    assert scripted_model.unexpected_requests == 0
    report("real app-server, AsyncCodex, 100 concurrent turns", count, seconds)


@pytest.mark.integration
def test_sync_16_threads_on_one_codex_on_the_real_app_server(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    scripted(scripted_model)
    prompts = {f"q{n:03d}": f"say q{n:03d}" for n in range(TURNS)}
    with Codex(scripted_model.config(tmp_path)) as codex:
        t0 = time.monotonic()
        received = stream_sync(codex, prompts)
        seconds = time.monotonic() - t0
    count = check(received, {tag: tokens(tag) for tag in prompts})
    assert count == TURNS * DELTAS
    assert scripted_model.unexpected_requests == 0
    report("real app-server, Codex, 16 threads", count, seconds)
