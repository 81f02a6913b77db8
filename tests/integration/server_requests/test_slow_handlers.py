"""A slow server-request handler does not stall another turn (sync and async clients)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from codex_app_server import AppServerConfig, AsyncCodex, Codex, ServerRequestHandlers
from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

from .helpers import ASKS

pytestmark = pytest.mark.integration

# -- a slow handler does not stall the client --------------------------------------------

STREAM_DELTAS = 120


def _responder(shell: str) -> Callable[[RecordedRequest], Reply]:
    def respond(req: RecordedRequest) -> Reply:
        if req.last_user_text == "stream":
            return Reply.text("w " * STREAM_DELTAS, deltas=STREAM_DELTAS, delay=0.01)
        if req.function_call_outputs:
            return Reply.text("handled")
        return Reply.shell(shell, call_id="slow")

    return respond


def _largest_gap(times: list[float]) -> float:
    return max(b - a for a, b in itertools.pairwise(times))


def assert_not_stalled(
    label: str, deltas: list[float], window: list[float], request_latency: float
) -> None:
    """The other turn streamed, and a request was answered, while the 2 s handler ran."""
    assert len(deltas) == STREAM_DELTAS
    assert len(window) == 2 and deltas[0] < window[1], "the other turn streamed during the handler"
    gap = _largest_gap(deltas)
    print(
        f"\n[{label}] handler 2 s; other turn: {len(deltas)} deltas, largest gap"
        f" {gap * 1000:.1f} ms, {sum(window[0] <= t <= window[1] for t in deltas)} during the"
        f" handler; model/list answered in {request_latency * 1000:.1f} ms"
    )
    assert gap < 0.5
    assert request_latency < 0.5


def test_two_second_handler_does_not_stall_another_turn_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    entered = threading.Event()
    window: list[float] = []

    def slow(params: Any) -> str:
        window.append(time.monotonic())
        entered.set()
        time.sleep(2.0)  # the scenario: a reviewer that takes 2 s
        window.append(time.monotonic())
        return "decline"

    scripted_model.respond_with(_responder("touch slow.txt"))
    with Codex(config, handlers=ServerRequestHandlers(command_approval=slow)) as codex:
        asking = codex.thread_start(**ASKS).turn("run it")
        other = codex.thread_start()
        assert entered.wait(30)
        t0 = time.monotonic()
        codex.models()  # another request, answered while the handler sleeps
        request_latency = time.monotonic() - t0
        deltas = [
            time.monotonic()
            for note in other.turn("stream").stream()
            if note.method == "item/agentMessage/delta"
        ]
        asking.run()
    assert_not_stalled("sync", deltas, window, request_latency)
    assert asking.collector.final_response() == "handled"


@pytest.mark.parametrize("kind", ["async", "sync"])
async def test_two_second_handler_does_not_stall_another_turn_async(
    scripted_model: ScriptedModel, config: AppServerConfig, kind: str
) -> None:
    entered = threading.Event()
    window: list[float] = []

    async def slow_async(params: Any) -> str:
        window.append(time.monotonic())
        entered.set()
        await asyncio.sleep(2.0)
        window.append(time.monotonic())
        return "decline"

    def slow_sync(params: Any) -> str:  # would freeze the loop if it ran on it
        window.append(time.monotonic())
        entered.set()
        time.sleep(2.0)
        window.append(time.monotonic())
        return "decline"

    handler = slow_async if kind == "async" else slow_sync
    scripted_model.respond_with(_responder("touch slow.txt"))
    async with AsyncCodex(config, handlers={"item/commandExecution/requestApproval": handler}) as c:
        asking = await (await c.thread_start(**ASKS)).turn("run it")
        other = await c.thread_start()
        assert await asyncio.to_thread(entered.wait, 30)
        t0 = time.monotonic()
        await c.models()
        request_latency = time.monotonic() - t0
        deltas = [
            time.monotonic()
            async for note in (await other.turn("stream")).stream()
            if note.method == "item/agentMessage/delta"
        ]
        await asking.run()
    assert_not_stalled(f"async, {kind} handler", deltas, window, request_latency)
    assert asking.collector.final_response() == "handled"
