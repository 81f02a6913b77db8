"""The asyncio high-level API through the real app-server and the scripted model."""

from __future__ import annotations

import asyncio  # unasync: async-only
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from codex_app_server import AppServerConfig, AsyncCodex, TextInput, TurnFailedError
from codex_app_server.testing import Reply, ScriptedModel
from tests.support.replies import last_word_repeated

pytestmark = pytest.mark.integration

# unasync: begin async-only
# The source of test_codex_sync.py (scripts/unasync.py writes it; edit this file instead).
# The tests after the last async-only marker have no blocking counterpart.
# unasync: end


@pytest.fixture
async def codex(codex_config: AppServerConfig) -> AsyncIterator[AsyncCodex]:
    async with AsyncCodex(codex_config) as c:
        yield c


async def test_reference_example_runs(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("Hello from the scripted model.", usage=True))
    async with AsyncCodex(codex_config) as codex:
        thread = await codex.thread_start(
            model="gpt-5.5", config={"model_reasoning_effort": "high"}
        )
        result = await thread.run("Say hello in one sentence.")
    assert result.final_response == "Hello from the scripted model."
    assert result.usage is not None and result.usage.total.total_tokens > 0
    assert any(i.type == "agentMessage" for i in result.items)
    assert scripted_model.requests[0].last_user_text == "Say hello in one sentence."


async def test_metadata_is_typed(codex: AsyncCodex) -> None:
    await codex.start()  # unasync: async-only
    assert "codex" in codex.metadata.user_agent.lower()


async def test_stream_delivers_every_delta_in_order(
    scripted_model: ScriptedModel, codex: AsyncCodex
) -> None:
    text = " ".join(f"w{i}" for i in range(40))
    scripted_model.enqueue(Reply.text(text, deltas=40))
    handle = await (await codex.thread_start()).turn(TextInput("stream please"))
    deltas = [
        n.params["delta"] async for n in handle.stream() if n.method == "item/agentMessage/delta"
    ]
    assert len(deltas) == 40
    assert "".join(deltas) == text
    turn = await handle.run()  # already complete: returns at once
    assert turn.status.value == "completed"


async def test_interrupt_mid_stream(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.enqueue(Reply.text("x " * 400, deltas=400, delay=0.01))
    handle = await (await codex.thread_start()).turn("long answer")
    statuses: list[str] = []
    async for note in handle.stream():
        if note.method == "item/agentMessage/delta" and not statuses:
            statuses.append("interrupting")
            await handle.interrupt()
    assert (await handle.run()).status.value == "interrupted"


async def test_steer_mid_stream(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.enqueue(Reply.text("first " * 300, deltas=300, delay=0.01))
    scripted_model.enqueue(Reply.text("steered answer"))
    handle = await (await codex.thread_start()).turn("start")
    steered = False
    async for note in handle.stream():
        if note.method == "item/agentMessage/delta" and not steered:
            steered = True
            steer = await handle.steer("change of plan")
            assert steer.turn_id == handle.id
    assert handle.collector.final_response() == "steered answer"
    assert scripted_model.requests[-1].last_user_text == "change of plan"


async def test_failed_turn_raises(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.enqueue(Reply.error(500, "boom"))
    thread = await codex.thread_start()
    with pytest.raises(TurnFailedError):
        await thread.run("fail please")


async def test_thread_lifecycle(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.respond_with(lambda req: Reply.text(f"echo: {req.last_user_text}"))
    thread = await codex.thread_start()
    assert (await thread.run("first")).final_response == "echo: first"
    await thread.set_name("my thread")
    read = await thread.read(include_turns=True)
    assert read.thread.name == "my thread"
    assert len(read.thread.turns) == 1
    listed = await codex.thread_list(limit=50)
    assert thread.id in [t.id for t in listed.data]
    await codex.thread_archive(thread.id)
    archived = await codex.thread_list(archived=True, limit=50)
    assert thread.id in [t.id for t in archived.data]
    restored = await codex.thread_unarchive(thread.id)
    assert restored.id == thread.id
    assert thread.id in [t.id for t in (await codex.thread_list(limit=50)).data]


async def test_fork_keeps_history(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.respond_with(lambda req: Reply.text(f"echo: {req.last_user_text}"))
    thread = await codex.thread_start()
    await thread.run("remember 42")
    fork = await codex.thread_fork(thread.id)
    assert fork.id != thread.id
    assert (await fork.run("what number?")).final_response == "echo: what number?"
    assert "remember 42" in str(scripted_model.requests[-1].input)


async def test_ephemeral_fork(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.respond_with(lambda req: Reply.text("ok"))
    thread = await codex.thread_start()
    await thread.run("hello")
    fork = await codex.thread_fork(thread.id, ephemeral=True)
    assert (await fork.run("again")).final_response == "ok"


async def test_resume_in_a_fresh_process(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.respond_with(lambda req: Reply.text(f"echo: {req.last_user_text}"))
    async with AsyncCodex(codex_config) as first:
        thread = await first.thread_start()
        await thread.run("the secret is 7")
    async with AsyncCodex(codex_config) as second:
        resumed = await second.thread_resume(thread.id)
        assert resumed.id == thread.id
        answer = (await resumed.run("what is the secret?")).final_response
        assert answer == "echo: what is the secret?"
    assert "the secret is 7" in str(scripted_model.requests[-1].input)


async def test_compact(scripted_model: ScriptedModel, codex: AsyncCodex) -> None:
    scripted_model.respond_with(lambda req: Reply.text("summary or answer"))
    thread = await codex.thread_start()
    await thread.run("some history")
    assert await thread.compact() is not None


async def test_models_lists_the_bundled_catalog(codex: AsyncCodex) -> None:
    models = await codex.models()
    assert models.data, "the runtime's bundled catalog should not be empty"
    assert len((await codex.models(include_hidden=True)).data) >= len(models.data)


async def test_codex_home_is_where_threads_live(
    codex_config: AppServerConfig, codex: AsyncCodex
) -> None:
    await codex.start()  # unasync: async-only
    assert codex_config.codex_home is not None
    assert Path(codex.metadata.codex_home) == Path(codex_config.codex_home)


# unasync: begin async-only
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
    scripted_model.respond_with(last_word_repeated(30))
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


# unasync: end
