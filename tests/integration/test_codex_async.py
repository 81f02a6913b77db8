"""The asyncio high-level API through the real app-server and the scripted model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from codex_app_server import AppServerConfig, AsyncCodex, TurnFailedError
from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

pytestmark = pytest.mark.integration


@pytest.fixture
async def codex(codex_config: AppServerConfig) -> AsyncIterator[AsyncCodex]:
    async with AsyncCodex(codex_config) as c:
        yield c


async def test_reference_example_async(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.enqueue(Reply.text("Hello, async.", usage=True))
    thread = await codex.thread_start(model="gpt-5.5", config={"model_reasoning_effort": "high"})
    result = await thread.run("Say hello in one sentence.")
    assert result.final_response == "Hello, async."
    assert result.usage is not None
    assert "codex" in codex.metadata.user_agent.lower()


async def test_lazy_initialization(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("lazy"))
    codex = AsyncCodex(codex_config)
    try:
        thread = await codex.thread_start()  # starts the app-server on first use
        assert (await thread.run("hi")).final_response == "lazy"
    finally:
        await codex.close()


async def test_many_turns_stream_concurrently_on_one_client(
    scripted_model: ScriptedModel, codex: AsyncCodex
) -> None:
    def reply(req: RecordedRequest) -> Reply:
        word = (req.last_user_text or "?").split()[-1]
        return Reply.text(" ".join([word] * 30), deltas=30, delay=0.002)

    scripted_model.respond_with(reply)
    words = [f"w{i}" for i in range(6)]
    threads = await asyncio.gather(*(codex.thread_start() for _ in words))
    handles = await asyncio.gather(
        *(t.turn(f"say {w}") for t, w in zip(threads, words, strict=True))
    )

    async def text_of(handle: object) -> str:
        parts = []
        async for note in handle.stream():  # type: ignore[attr-defined]
            if note.method == "item/agentMessage/delta":
                parts.append(note.params["delta"])
        return "".join(parts)

    texts = await asyncio.gather(*(text_of(h) for h in handles))
    assert texts == [" ".join([w] * 30) for w in words]


async def test_interrupt_and_steer(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.enqueue(Reply.text("a " * 300, deltas=300, delay=0.01))
    scripted_model.enqueue(Reply.text("steered"))
    scripted_model.enqueue(Reply.text("b " * 300, deltas=300, delay=0.01))
    thread = await codex.thread_start()

    handle = await thread.turn("first")
    steered = False
    async for note in handle.stream():
        if note.method == "item/agentMessage/delta" and not steered:
            steered = True
            await handle.steer("new direction")
    assert handle.collector.final_response() == "steered"

    handle = await thread.turn("second")
    interrupted = False
    async for note in handle.stream():
        if note.method == "item/agentMessage/delta" and not interrupted:
            interrupted = True
            await handle.interrupt()
    assert (await handle.run()).status.value == "interrupted"


async def test_cancelling_run_interrupts_the_turn_on_the_server(
    scripted_model: ScriptedModel, codex: AsyncCodex
) -> None:
    scripted_model.enqueue(Reply.hang())
    thread = await codex.thread_start()
    task = asyncio.ensure_future(thread.run("hang"))
    await asyncio.to_thread(scripted_model.wait_for_requests, 1, 10.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    read = await thread.read(include_turns=True)
    assert read.thread.turns[-1].status.value == "interrupted"


async def test_failed_turn_raises(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.enqueue(Reply.error(500, "boom"))
    thread = await codex.thread_start()
    with pytest.raises(TurnFailedError):
        await thread.run("fail")


async def test_lifecycle_methods(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.respond_with(lambda req: Reply.text(f"echo: {req.last_user_text}"))
    thread = await codex.thread_start()
    await thread.run("one")
    await thread.set_name("named")
    assert (await thread.read()).thread.name == "named"
    fork = await codex.thread_fork(thread.id)
    assert (await fork.run("two")).final_response == "echo: two"
    await codex.thread_archive(thread.id)
    assert thread.id in [t.id for t in (await codex.thread_list(archived=True)).data]
    assert (await codex.thread_unarchive(thread.id)).id == thread.id
    resumed = await codex.thread_resume(thread.id)
    assert (await resumed.run("three")).final_response == "echo: three"
    assert await thread.compact() is not None
    assert (await codex.models()).data
