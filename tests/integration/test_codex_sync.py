"""The sync high-level API through the real app-server and the scripted model."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_app_server import AppServerConfig, Codex, TextInput, TurnFailedError
from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

pytestmark = pytest.mark.integration


@pytest.fixture
def codex(codex_config: AppServerConfig) -> Iterator[Codex]:
    with Codex(codex_config) as c:
        yield c


def test_reference_example_runs(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("Hello from the scripted model.", usage=True))
    with Codex(codex_config) as codex:
        thread = codex.thread_start(model="gpt-5.5", config={"model_reasoning_effort": "high"})
        result = thread.run("Say hello in one sentence.")
    assert result.final_response == "Hello from the scripted model."
    assert result.usage is not None and result.usage.total.total_tokens > 0
    assert any(i.type == "agentMessage" for i in result.items)
    assert scripted_model.requests[0].last_user_text == "Say hello in one sentence."


def test_metadata_is_typed(codex: Codex) -> None:
    assert "codex" in codex.metadata.user_agent.lower()


def test_stream_delivers_every_delta_in_order(scripted_model: ScriptedModel, codex: Codex) -> None:
    text = " ".join(f"w{i}" for i in range(40))
    scripted_model.enqueue(Reply.text(text, deltas=40))
    handle = codex.thread_start().turn(TextInput("stream please"))
    deltas = [n.params["delta"] for n in handle.stream() if n.method == "item/agentMessage/delta"]
    assert len(deltas) == 40
    assert "".join(deltas) == text
    turn = handle.run()  # already complete: returns at once
    assert turn.status.value == "completed"


def test_interrupt_mid_stream(scripted_model: ScriptedModel, codex: Codex) -> None:
    scripted_model.enqueue(Reply.text("x " * 400, deltas=400, delay=0.01))
    handle = codex.thread_start().turn("long answer")
    statuses = []
    for note in handle.stream():
        if note.method == "item/agentMessage/delta" and not statuses:
            statuses.append("interrupting")
            handle.interrupt()
    assert handle.run().status.value == "interrupted"


def test_steer_mid_stream(scripted_model: ScriptedModel, codex: Codex) -> None:
    scripted_model.enqueue(Reply.text("first " * 300, deltas=300, delay=0.01))
    scripted_model.enqueue(Reply.text("steered answer"))
    handle = codex.thread_start().turn("start")
    steered = False
    for note in handle.stream():
        if note.method == "item/agentMessage/delta" and not steered:
            steered = True
            assert handle.steer("change of plan").turn_id == handle.id
    assert handle.collector.final_response() == "steered answer"
    assert scripted_model.requests[-1].last_user_text == "change of plan"


def test_failed_turn_raises(scripted_model: ScriptedModel, codex: Codex) -> None:
    scripted_model.enqueue(Reply.error(500, "boom"))
    with pytest.raises(TurnFailedError):
        codex.thread_start().run("fail please")


def test_thread_lifecycle(scripted_model: ScriptedModel, codex: Codex) -> None:
    scripted_model.respond_with(lambda req: Reply.text(f"echo: {req.last_user_text}"))
    thread = codex.thread_start()
    assert thread.run("first").final_response == "echo: first"
    thread.set_name("my thread")
    read = thread.read(include_turns=True)
    assert read.thread.name == "my thread"
    assert len(read.thread.turns) == 1
    listed = codex.thread_list(limit=50)
    assert thread.id in [t.id for t in listed.data]
    codex.thread_archive(thread.id)
    archived = codex.thread_list(archived=True, limit=50)
    assert thread.id in [t.id for t in archived.data]
    restored = codex.thread_unarchive(thread.id)
    assert restored.id == thread.id
    assert thread.id in [t.id for t in codex.thread_list(limit=50).data]


def test_fork_keeps_history(scripted_model: ScriptedModel, codex: Codex) -> None:
    scripted_model.respond_with(lambda req: Reply.text(f"echo: {req.last_user_text}"))
    thread = codex.thread_start()
    thread.run("remember 42")
    fork = codex.thread_fork(thread.id)
    assert fork.id != thread.id
    assert fork.run("what number?").final_response == "echo: what number?"
    assert "remember 42" in str(scripted_model.requests[-1].input)


def test_ephemeral_fork(scripted_model: ScriptedModel, codex: Codex) -> None:
    scripted_model.respond_with(lambda req: Reply.text("ok"))
    thread = codex.thread_start()
    thread.run("hello")
    fork = codex.thread_fork(thread.id, ephemeral=True)
    assert fork.run("again").final_response == "ok"


def test_resume_in_a_fresh_process(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.respond_with(lambda req: Reply.text(f"echo: {req.last_user_text}"))
    with Codex(codex_config) as first:
        thread = first.thread_start()
        thread.run("the secret is 7")
    with Codex(codex_config) as second:
        resumed = second.thread_resume(thread.id)
        assert resumed.id == thread.id
        assert resumed.run("what is the secret?").final_response == "echo: what is the secret?"
    assert "the secret is 7" in str(scripted_model.requests[-1].input)


def test_compact(scripted_model: ScriptedModel, codex: Codex) -> None:
    scripted_model.respond_with(lambda req: Reply.text("summary or answer"))
    thread = codex.thread_start()
    thread.run("some history")
    assert thread.compact() is not None


def test_models_lists_the_bundled_catalog(codex: Codex) -> None:
    models = codex.models()
    assert models.data, "the runtime's bundled catalog should not be empty"
    assert len(codex.models(include_hidden=True).data) >= len(models.data)


def test_two_turns_stream_concurrently_from_two_threads(
    scripted_model: ScriptedModel, codex: Codex
) -> None:
    def reply(req: RecordedRequest) -> Reply:
        word = (req.last_user_text or "?").split()[-1]
        return Reply.text(" ".join([word] * 50), deltas=50, delay=0.002)

    scripted_model.respond_with(reply)
    handles = [codex.thread_start().turn(f"say {w}") for w in ("alpha", "beta")]
    got: dict[str, str] = {}

    def consume(i: int) -> None:
        h = handles[i]
        got[h.id] = "".join(
            n.params["delta"] for n in h.stream() if n.method == "item/agentMessage/delta"
        )

    readers = [threading.Thread(target=consume, args=(i,)) for i in range(2)]
    for r in readers:
        r.start()
    for r in readers:
        r.join(60)
    assert got[handles[0].id] == " ".join(["alpha"] * 50)
    assert got[handles[1].id] == " ".join(["beta"] * 50)


def test_codex_home_is_where_threads_live(codex_config: AppServerConfig, codex: Codex) -> None:
    assert codex_config.codex_home is not None
    assert Path(codex.metadata.codex_home) == Path(codex_config.codex_home)
