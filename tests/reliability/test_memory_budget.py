"""Second pass (issue 17): one byte budget for everything held for readers that lag.

The issue's case is 50 unread turns of 20,000 deltas (measured: +606 MB unbounded, +71 MB
under the default 64 MiB budget, see docs/reliability.md); these tests run a smaller
version of it under a small budget, so they take seconds.
"""

from __future__ import annotations

from typing import Any

from codex_app_server import AppServerClient, AsyncAppServerClient
from codex_app_server._constants import DEFAULT_BUFFER_BUDGET_BYTES
from codex_app_server._protocol.budget import is_droppable, note_size
from codex_app_server._protocol.notifications import Notification

from .conftest import fake_config, wait_for

BUDGET = 2 * 1024 * 1024


def _start(client: AppServerClient, text: str) -> tuple[str, str]:
    thread_id = client.request("thread/start", {})["thread"]["id"]
    params = {"threadId": thread_id, "input": [{"type": "text", "text": text}]}
    return thread_id, client.request("turn/start", params)["turn"]["id"]


def test_unread_turns_are_held_within_the_byte_budget_and_their_results_stay_exact() -> None:
    with AppServerClient(fake_config(buffer_budget_bytes=BUDGET)) as client:
        budget = client.buffer_budget
        texts = [f"turn {n} " + "z" * 200 for n in range(10)]
        turns = [_start(client, f"DELTAS:3000 {text}") for text in texts]
        # Every turn completes, unread (a claimed turn is detached at its turn/completed).
        wait_for(lambda: client._router.subscribed_turns == 0, what="the turns to complete")
        peak = budget.used
        live_thread, live_turn = _start(client, "DELTAS:50 read live")
        live = list(client.stream_turn(live_turn, thread_id=live_thread))
        assert client.dropped_for_turn(live_turn) == 0  # a reader that keeps up loses nothing
        assert len([n for n in live if n.method == "item/agentMessage/delta"]) == 50
        assert peak <= BUDGET
        assert budget.dropped > 0
        shed = [client.dropped_for_turn(turn) for _, turn in turns]
        assert sum(shed) == budget.dropped
        for (thread_id, turn), text in zip(turns, texts, strict=True):
            notes = list(client.stream_turn(turn, thread_id=thread_id))
            assert notes[-1].method == "turn/completed"  # structural events are all kept
            done = [n.params["item"]["text"] for n in notes if n.method == "item/completed"]
            assert done and done[-1].startswith(f"DELTAS:3000 {text}")
        assert budget.used <= BUDGET // 10  # what is left is small once read


async def test_async_unread_turns_are_held_within_the_byte_budget() -> None:
    async with AsyncAppServerClient(fake_config(buffer_budget_bytes=BUDGET)) as client:
        budget = client.buffer_budget
        assert budget is not None
        turns = []
        for n in range(8):
            thread_id = (await client.request("thread/start", {}))["thread"]["id"]
            text = [{"type": "text", "text": f"DELTAS:3000 async {n}"}]
            result = await client.request("turn/start", {"threadId": thread_id, "input": text})
            turns.append((thread_id, result["turn"]["id"]))
        router = client._router
        assert router is not None
        while router.subscribed_turns:  # every turn completes, unread
            await client.request("fake/echo", {})
            assert budget.used <= BUDGET
        assert budget.dropped > 0
        for thread_id, turn in turns:
            notes = [n async for n in client.stream_turn(turn, thread_id=thread_id)]
            assert notes[-1].params["turn"]["status"] == "completed"


def test_the_budget_drops_only_streaming_deltas_and_estimates_memory() -> None:
    assert DEFAULT_BUFFER_BUDGET_BYTES == 64 * 1024 * 1024
    assert is_droppable("item/agentMessage/delta")
    assert is_droppable("item/commandExecution/outputDelta")
    assert not is_droppable("item/completed") and not is_droppable("turn/completed")
    delta: dict[str, Any] = {"threadId": "t", "turnId": "u", "itemId": "i", "delta": "x" * 100}
    assert 600 <= note_size(Notification.from_wire("item/agentMessage/delta", delta)) <= 800
    big = {"item": {"type": "commandExecution", "aggregatedOutput": "y" * 100_000}}
    assert note_size(Notification.from_wire("item/completed", big)) > 100_000
    assert note_size(RuntimeError("boom")) == 0
