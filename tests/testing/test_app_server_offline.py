"""Real turns through the real app-server against `ScriptedModel`, via the raw driver.

One app-server serves the module (a fresh thread per test); the plugin-fixture test at the
end starts its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codex_app_server.testing import Reply, ScriptedModel, Usage
from tests.support.raw_driver import Message, RawDriver, of_method, turn_completed

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def model() -> Iterator[ScriptedModel]:
    with ScriptedModel() as scripted:
        yield scripted


@pytest.fixture(scope="module")
def rpc(model: ScriptedModel, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawDriver]:
    with RawDriver.spawn(model.config(tmp_path_factory.mktemp("offline"))) as driver:
        yield driver


@pytest.fixture
def thread_id(model: ScriptedModel, rpc: RawDriver) -> Iterator[str]:
    model.reset()
    thread: str = rpc.request("thread/start", {})["thread"]["id"]
    rpc.pending.clear()
    yield thread
    model.release()


def completed_turn(messages: list[Message]) -> dict[str, Any]:
    turn: dict[str, Any] = of_method(messages, "turn/completed")[-1]["turn"]
    return turn


def completed_items(messages: list[Message], kind: str) -> list[dict[str, Any]]:
    items = [p["item"] for p in of_method(messages, "item/completed")]
    return [item for item in items if item["type"] == kind]


def start_turn(rpc: RawDriver, thread_id: str, text: str) -> str:
    params = {"threadId": thread_id, "input": [{"type": "text", "text": text}]}
    turn_id: str = rpc.request("turn/start", params)["turn"]["id"]
    return turn_id


def test_text_reply(model: ScriptedModel, rpc: RawDriver, thread_id: str) -> None:
    model.enqueue(Reply.text("Hello!"))
    messages = rpc.run_turn(thread_id, "Say hello")

    assert [m["text"] for m in completed_items(messages, "agentMessage")] == ["Hello!"]
    assert completed_turn(messages)["status"] == "completed"
    (request,) = model.requests
    assert request.path == "/v1/responses"
    assert request.last_user_text == "Say hello"
    assert request.headers["Authorization"] == "Bearer scripted-model-key"
    assert request.model == "gpt-5.5"
    assert "exec_command" in request.tools
    assert model.unexpected_requests == 0 and model.pending_replies == 0
    assert model.other_requests == []  # never GET /models


def test_streamed_deltas(model: ScriptedModel, rpc: RawDriver, thread_id: str) -> None:
    model.enqueue(Reply.text("Hello world", deltas=5, delay=0.001))
    messages = rpc.run_turn(thread_id, "stream it")

    deltas = [p["delta"] for p in of_method(messages, "item/agentMessage/delta")]
    assert len(deltas) == 5
    assert "".join(deltas) == "Hello world"
    assert [m["text"] for m in completed_items(messages, "agentMessage")] == ["Hello world"]


def test_usage(model: ScriptedModel, rpc: RawDriver, thread_id: str) -> None:
    usage = Usage(input_tokens=120, output_tokens=7, cached_input_tokens=20)
    model.enqueue(Reply.text("counted", usage=usage))
    messages = rpc.run_turn(thread_id, "count")

    (update,) = of_method(messages, "thread/tokenUsage/updated")
    last = update["tokenUsage"]["last"]
    assert (last["inputTokens"], last["cachedInputTokens"]) == (120, 20)
    assert (last["outputTokens"], last["totalTokens"]) == (7, 127)


def test_no_usage_no_token_notification(
    model: ScriptedModel, rpc: RawDriver, thread_id: str
) -> None:
    model.enqueue(Reply.text("uncounted"))
    messages = rpc.run_turn(thread_id, "count")
    assert of_method(messages, "thread/tokenUsage/updated") == []


def test_reasoning(model: ScriptedModel, rpc: RawDriver, thread_id: str) -> None:
    model.enqueue(Reply.text("answer", reasoning="I thought about it"))
    messages = rpc.run_turn(thread_id, "think")

    deltas = [p["delta"] for p in of_method(messages, "item/reasoning/summaryTextDelta")]
    assert deltas == ["I thought about it"]
    assert [r["summary"] for r in completed_items(messages, "reasoning")] == [
        ["I thought about it"]
    ]
    assert [m["text"] for m in completed_items(messages, "agentMessage")] == ["answer"]


def test_exec_command_round_trip(model: ScriptedModel, rpc: RawDriver, thread_id: str) -> None:
    # approval_policy never, sandbox read-only: `echo hi` runs without asking.
    model.enqueue(Reply.shell("echo hi", call_id="c1"), Reply.text("It printed hi."))
    messages = rpc.run_turn(thread_id, "run echo")

    assert completed_turn(messages)["status"] == "completed"
    (command,) = completed_items(messages, "commandExecution")
    assert (command["id"], command["status"], command["exitCode"]) == ("c1", "completed", 0)
    first, second = model.wait_for_requests(2)
    assert first.function_call_outputs == []
    (output,) = second.function_call_outputs
    assert output["call_id"] == "c1"
    assert output["output"].endswith("Output:\nhi\n")
    assert [m["text"] for m in completed_items(messages, "agentMessage")] == ["It printed hi."]


def test_http_error_fails_the_turn(model: ScriptedModel, rpc: RawDriver, thread_id: str) -> None:
    model.enqueue(Reply.error(500, "boom"))
    messages = rpc.run_turn(thread_id, "fail")

    (error,) = of_method(messages, "error")
    assert error["willRetry"] is False
    assert error["error"]["codexErrorInfo"] == "internalServerError"
    assert completed_turn(messages)["status"] == "failed"
    assert model.unexpected_requests == 0


def test_unscripted_request_fails_the_turn_with_the_models_message(
    model: ScriptedModel, rpc: RawDriver, thread_id: str
) -> None:
    model.enqueue(Reply.text("first"))
    rpc.run_turn(thread_id, "scripted")
    messages = rpc.run_turn(thread_id, "nothing scripted")
    turn = completed_turn(messages)
    assert turn["status"] == "failed"
    # Exactly the model's message, not the runtime's "high demand" for a 500.
    assert turn["error"]["message"] == (
        "scripted model: no reply queued for request #2 (requests[1]) and no responder set"
    )
    (error,) = of_method(messages, "error")
    assert error["willRetry"] is False
    assert model.unexpected_requests == 1


def test_responder_failures_reach_the_turn_error(
    model: ScriptedModel, rpc: RawDriver, thread_id: str
) -> None:
    def responder(request: Any) -> Reply | None:
        if request.last_user_text == "boom":
            raise RuntimeError("responder bug")
        return None

    model.respond_with(responder)
    raised = completed_turn(rpc.run_turn(thread_id, "boom"))
    assert raised["status"] == "failed"
    assert raised["error"]["message"] == (
        "scripted model: the responder raised RuntimeError('responder bug') "
        "for request #1 (requests[0])"
    )
    nothing = completed_turn(rpc.run_turn(thread_id, "none"))
    assert nothing["error"]["message"] == (
        "scripted model: the responder returned no reply for request #2 (requests[1])"
    )
    assert [str(e) for e in model.errors] == ["responder bug"]
    assert model.unexpected_requests == 1


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        # The default: the message verbatim, as the turn's whole error message.
        (Reply.error(message='quota "x" exceeded: é'), 'quota "x" exceeded: é'),
        # A given 4xx/5xx (but 400, 429 and 500) keeps the message inside the runtime's.
        (Reply.error(503, "busy"), "unexpected status 503 Service Unavailable: busy, url: "),
        (Reply.error(422, "bad"), "unexpected status 422 Unprocessable Entity: bad, url: "),
        # As from the real API: 500 and 429 are reworded by the runtime.
        (Reply.error(500, "boom"), "We\u2019re currently experiencing high demand"),
        (Reply.error(429, "slow"), "exceeded retry limit, last status: 429"),
    ],
)
def test_error_reply_statuses_through_the_runtime(
    model: ScriptedModel, rpc: RawDriver, thread_id: str, reply: Reply, expected: str
) -> None:
    """What the runtime makes of each status (measured on 0.163): docs/testing.md's table."""
    model.enqueue(reply)
    turn = completed_turn(rpc.run_turn(thread_id, "fail"))
    assert turn["status"] == "failed"
    if reply.status == 400:
        assert turn["error"]["message"] == expected
    else:
        assert turn["error"]["message"].startswith(expected)
    assert model.unexpected_requests == 0


def test_hang_then_interrupt(model: ScriptedModel, rpc: RawDriver, thread_id: str) -> None:
    model.enqueue(Reply.hang())
    turn_id = start_turn(rpc, thread_id, "hang")
    model.wait_for_requests(1)

    assert rpc.request("turn/interrupt", {"threadId": thread_id, "turnId": turn_id}) == {}
    messages = rpc.read_until(turn_completed(turn_id))
    assert completed_turn(messages)["status"] == "interrupted"
    # The app-server dropped the connection, which ended the hanging reply.
    model.wait_until_idle(timeout=5)


def test_hang_then_release(model: ScriptedModel, rpc: RawDriver, thread_id: str) -> None:
    model.enqueue(Reply.hang(then=Reply.text("late")))
    turn_id = start_turn(rpc, thread_id, "wait for it")
    model.wait_for_requests(1)
    model.release()
    messages = rpc.read_until(turn_completed(turn_id))
    assert completed_turn(messages)["status"] == "completed"
    assert [m["text"] for m in completed_items(messages, "agentMessage")] == ["late"]


def test_responder_serves_concurrent_turns(
    model: ScriptedModel, rpc: RawDriver, thread_id: str
) -> None:
    model.respond_with(lambda r: Reply.text(f"echo {r.last_user_text}", deltas=3))
    threads = [thread_id] + [rpc.request("thread/start", {})["thread"]["id"] for _ in range(4)]
    turns = {start_turn(rpc, t, f"prompt {i}"): i for i, t in enumerate(threads)}
    done: dict[str, dict[str, Any]] = {}

    def all_done(message: Message) -> bool:
        if message.get("method") == "turn/completed":
            turn = message["params"]["turn"]
            done[turn["id"]] = turn
        return set(done) >= set(turns)

    rpc.read_until(all_done)
    for turn_id, i in turns.items():
        assert done[turn_id]["status"] == "completed"
        assert [item["text"] for item in done[turn_id]["items"]] == [f"echo prompt {i}"]
    assert model.unexpected_requests == 0


def test_plugin_fixtures(scripted_model: ScriptedModel, codex_config: Any, tmp_path: Path) -> None:
    """The pytest fixtures give a working offline set-up (and a quiet one: the runtime's
    helper directories on PATH silence the bubblewrap `configWarning`). Closing the model
    under a live app-server connection is prompt, and fails the turn cleanly."""
    assert codex_config.codex_home == tmp_path / "codex-home"
    scripted_model.enqueue(Reply.text("fixture ok"), Reply.hang())
    with RawDriver.spawn(codex_config) as driver:
        thread_id = driver.request("thread/start", {})["thread"]["id"]
        messages = list(driver.pending) + driver.run_turn(thread_id, "hi")
        assert of_method(messages, "configWarning") == []
        assert [m["text"] for m in completed_items(messages, "agentMessage")] == ["fixture ok"]

        turn_id = start_turn(driver, thread_id, "hang")
        scripted_model.wait_for_requests(2)
        started = time.monotonic()
        scripted_model.close()
        assert time.monotonic() - started < 0.5
        messages = driver.read_until(turn_completed(turn_id))
        assert completed_turn(messages)["status"] == "failed"
