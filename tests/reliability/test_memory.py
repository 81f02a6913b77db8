"""Memory: what nobody consumes is bounded, and a finished turn's buffers are freed.

Guarantees: the global queue (notifications of no turn) keeps at most
`global_queue_size` items (default 10,000), dropping the oldest and counting them in
`dropped_notifications`. Notifications of turns nobody has claimed are buffered (for a
`turn/start` answer that is still on its way) up to `MAX_BUFFERED_NOTIFICATIONS` in all,
for at most `MAX_UNCLAIMED_TURNS` turns, and freed when the turn completes. A streamed
turn leaves nothing in the router once its `turn/completed` is read. Finished turns that
were claimed but never read are kept for late readers, at most
`DEFAULT_FINISHED_TURN_RETENTION` of them.
"""

from __future__ import annotations

import pytest

from codex_app_server import (
    AppServerClient,
    AsyncAppServerClient,
    ClientClosedError,
    Codex,
)
from codex_app_server._constants import (
    DEFAULT_FINISHED_TURN_RETENTION,
    DEFAULT_GLOBAL_QUEUE_SIZE,
)
from codex_app_server._protocol.router import MAX_BUFFERED_NOTIFICATIONS, MAX_UNCLAIMED_TURNS

from .conftest import TIMEOUT, fake_config, wait_for


def test_global_queue_is_bounded_and_counts_what_overflowed() -> None:
    assert DEFAULT_GLOBAL_QUEUE_SIZE == 10_000
    with AppServerClient(fake_config(global_queue_size=100)) as client:
        for batch in range(10):  # 1,000 notifications nobody reads
            client.request(
                "fake/notify", {"method": "test/noise", "params": {"batch": batch}, "count": 100}
            )
        assert len(client._global) == 100
        assert client.dropped_notifications == 900
        kept = [client.next_notification(timeout=TIMEOUT) for _ in range(100)]
        assert {n.params["batch"] for n in kept} == {9}  # the newest are kept
    # The failure still reaches a reader of a full queue.
    with pytest.raises(ClientClosedError):
        client.next_notification(timeout=TIMEOUT)


async def test_async_global_queue_is_bounded() -> None:
    async with AsyncAppServerClient(fake_config(global_queue_size=50)) as client:
        await client.request("fake/notify", {"method": "test/noise", "count": 1000})
        assert client._global is not None and len(client._global) == 50
        assert client.dropped_notifications == 950


def test_a_flood_for_a_turn_nobody_claimed_is_bounded() -> None:
    """Regression: a turn nobody claimed buffered every notification it got, without bound
    (only the number of such turns was bounded)."""
    flood = 3 * MAX_BUFFERED_NOTIFICATIONS
    with AppServerClient(fake_config()) as client:
        router = client._router
        sent = client.request("fake/flood", {"threadId": "t", "turnId": "ghost", "count": flood})
        assert sent == {"sent": flood}
        assert router.buffered_turns == 1
        assert router.buffered_notifications == MAX_BUFFERED_NOTIFICATIONS
        assert router.dropped_buffered == flood - MAX_BUFFERED_NOTIFICATIONS
        # Its completion frees the buffer.
        completed = {"threadId": "t", "turn": {"id": "ghost", "status": "completed", "items": []}}
        client.request("fake/notify", {"method": "turn/completed", "params": completed})
        assert router.buffered_turns == 0 and router.buffered_notifications == 0
        assert client.next_notification(timeout=TIMEOUT).method == "turn/completed"


def test_the_number_of_unclaimed_turns_is_bounded() -> None:
    with AppServerClient(fake_config()) as client:
        router = client._router
        for start in range(0, MAX_UNCLAIMED_TURNS + 100, 200):
            for turn in range(start, min(start + 200, MAX_UNCLAIMED_TURNS + 100)):
                params = {"threadId": "t", "turnId": f"ghost-{turn}", "itemId": "i", "delta": "x"}
                client.request(
                    "fake/notify", {"method": "item/agentMessage/delta", "params": params}
                )
        assert router.buffered_turns == MAX_UNCLAIMED_TURNS
        assert router.dropped_buffers == 100
        assert router.buffered_notifications == MAX_UNCLAIMED_TURNS


def test_a_streamed_turn_leaves_nothing_behind() -> None:
    with Codex(fake_config()) as codex:
        router = codex.client._router
        thread = codex.thread_start()
        for _ in range(3):
            result = thread.run("DELTAS:2000 " + "y" * 4000)
            assert len(result.final_response or "") > 4000
        assert router.subscribed_turns == 0
        assert router.buffered_turns == 0 and router.buffered_notifications == 0
        assert router.pending_count == 0
        # Turns read to their end retain no queue at all: a late reader gets their
        # result from thread/read instead.
        assert router._finished
        assert all(sink is None for sink in router._finished.values())


def test_finished_turns_nobody_read_are_retained_boundedly() -> None:
    with AppServerClient(fake_config()) as client:
        router = client._router
        thread_id = client.request("thread/start", {})["thread"]["id"]
        turns = DEFAULT_FINISHED_TURN_RETENTION + 20
        for n in range(turns):  # started (claimed) but never streamed
            client.request(
                "turn/start",
                {"threadId": thread_id, "input": [{"type": "text", "text": f"turn {n}"}]},
            )
        # A claimed turn is detached when its turn/completed is routed.
        wait_for(lambda: router.subscribed_turns == 0, what="every turn to complete")
        assert len(router._finished) == DEFAULT_FINISHED_TURN_RETENTION
