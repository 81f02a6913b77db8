"""The global queue holds its notifications packed (`_protocol/packed.py`), and a turn's
reading state keeps nothing it cannot need: what a process keeps for thousands of threads
and turns is what every full garbage collection walks."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest

from codex_app_server import AppServerClient, AsyncAppServerClient
from codex_app_server._async.queues import AsyncGlobalQueue
from codex_app_server._protocol.activity import RunningItems
from codex_app_server._protocol.budget import PACKED_OVERHEAD, BufferBudget, note_size
from codex_app_server._protocol.client_base import TurnReading
from codex_app_server._protocol.errors import TransportClosedError
from codex_app_server._protocol.notifications import Notification
from codex_app_server._protocol.packed import pack, unpack
from codex_app_server._sync.queues import GlobalQueue
from codex_app_server.testing import AsyncMockTransport, MockTransport
from tests.support.mock_server import FAST, MockAppServer

THREAD = {
    "id": "th1",
    "turns": [],
    "status": {"type": "idle", "activeFlags": []},
    "source": {"kind": "cli", "roots": ["/a", "/b"]},
    "big": 2**62,
    "ratio": 0.1,
    "name": "ünïcode ✓",
    "none": None,
    "ok": True,
}


def _started() -> Notification:
    return Notification("thread/started", {"thread": THREAD}, None, "th1")


def test_pack_and_unpack_give_back_an_equal_notification() -> None:
    note = _started()
    packed = pack(note)
    assert packed.__class__ is tuple
    back = unpack(packed)
    assert back.__class__ is Notification
    assert (back.method, back.params, back.turn_id, back.thread_id) == (
        note.method,
        note.params,
        None,
        "th1",
    )
    assert list(back.params["thread"]) == list(THREAD)  # key order too


def test_a_packed_notification_is_not_walked_by_the_collector() -> None:
    packed = pack(_started())
    gc.collect()
    assert not gc.is_tracked(packed)
    assert gc.is_tracked(_started().params)  # what it replaces is: a tree of dicts and lists


def test_a_packed_notification_holds_its_json_not_the_encoder_buffer() -> None:
    """Regression: orjson's bytes keep the 4 KB buffer it wrote into, so a packed
    `thread/status/changed` (95 bytes of JSON) held 4 KB, three times its unpacked size."""
    notes = [
        Notification("thread/status/changed", {"threadId": f"th{n}", "status": {}}, None, None)
        for n in range(200)
    ]
    tracemalloc.start()
    try:
        packed = [pack(note) for note in notes]
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(packed) == 200 and held / 200 < 400


def test_what_json_cannot_hold_and_what_is_no_notification_stay_as_they_are() -> None:
    odd = Notification("x/y", {"k": {1, 2}}, None, None)  # a set: made in Python, not read
    assert pack(odd) is odd
    error = TransportClosedError("gone")
    assert pack(error) is error and unpack(error) is error


def test_budget_counts_a_packed_notification_by_its_json_and_sheds_it() -> None:
    packed = pack(_started())
    assert note_size(packed) == PACKED_OVERHEAD + len(packed[1])
    assert note_size(packed) < note_size(_started())
    budget = BufferBudget(1 << 20, lambda *args: None)
    queue = GlobalQueue(name="global", budget=budget)
    for _ in range(3):
        queue.put_nowait(_started())
    assert budget.used == queue.held_bytes == 3 * note_size(packed)
    assert queue.shed(1) > 0 and queue.dropped == 1 and len(queue) == 2
    assert budget.used == queue.held_bytes


@pytest.fixture(params=["sync", "async"])
def global_queue(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "sync":
        yield GlobalQueue(name="global")
        return
    loop = asyncio.new_event_loop()
    try:
        yield AsyncGlobalQueue(loop, name="global")
    finally:
        loop.close()


def test_the_global_queue_holds_packed_and_hands_out_notifications(global_queue: Any) -> None:
    error = TransportClosedError("gone")
    global_queue.put_nowait(_started())
    global_queue.put_many([Notification("a/b", {"n": 1}, None, None), error])
    assert [item.__class__ for item in global_queue._items] == [tuple, tuple, TransportClosedError]
    delivered, first = global_queue.get_nowait()
    assert delivered and first.__class__ is Notification and first.params == {"thread": THREAD}
    rest = global_queue.take_all()
    assert [getattr(item, "params", item) for item in rest] == [{"n": 1}, error]
    global_queue.put_back(deque(rest))
    assert global_queue._items[0].__class__ is tuple
    assert global_queue.get_nowait()[1].params == {"n": 1}
    assert global_queue.get_nowait() == (True, error)


def test_sync_next_notification_reads_what_the_queue_held_packed() -> None:
    transport = MockTransport(MockAppServer())
    with AppServerClient(FAST, transport=transport) as client:
        client.start()
        assert isinstance(client._global, GlobalQueue)
        transport.send({"method": "thread/started", "params": {"thread": THREAD}})
        note = client.next_notification(timeout=5)
        assert note.method == "thread/started" and note.params == {"thread": THREAD}
        assert note.thread_id == "th1" and note.payload is not None


async def test_async_next_notification_reads_what_the_queue_held_packed() -> None:
    transport = AsyncMockTransport(MockAppServer())
    async with AsyncAppServerClient(FAST, transport=transport) as client:
        await client.start()
        assert isinstance(client._global, AsyncGlobalQueue)
        transport.send({"method": "thread/started", "params": {"thread": THREAD}})
        note = await client.next_notification(timeout=5)
        assert note.method == "thread/started" and note.params == {"thread": THREAD}
        assert note.thread_id == "th1"


class _Client:
    """What `TurnReading` asks of a client."""

    def __init__(self, reconnects: bool) -> None:
        self._serving: dict[str, int] = {}
        self.reconnects = reconnects

    def _can_reconnect(self) -> bool:
        return self.reconnects


def _completed(item_id: str) -> Notification:
    item = {"type": "agentMessage", "id": item_id, "text": ""}
    return Notification("item/completed", {"turnId": "t1", "item": item}, "t1", "th1")


def test_a_turn_on_a_connection_that_cannot_reconnect_keeps_no_item_ids() -> None:
    reading = TurnReading(_Client(reconnects=False), "t1")  # type: ignore[arg-type]
    assert reading.gaps is None
    assert reading.accept(_completed("i1")) and reading.accept(_completed("i1"))


def test_a_turn_that_may_reconnect_skips_an_item_it_saw_twice() -> None:
    reading = TurnReading(_Client(reconnects=True), "t1")  # type: ignore[arg-type]
    assert reading.gaps is not None
    assert reading.accept(_completed("i1")) and not reading.accept(_completed("i1"))


def test_running_items_make_their_set_only_when_a_command_starts() -> None:
    running = RunningItems()
    item = {"type": "commandExecution", "id": "c1"}
    running.feed(Notification("item/completed", {"item": item}, "t1", None))
    assert not running and running._ids is None
    running.feed(Notification("item/started", {"item": item}, "t1", None))
    assert running
    running.feed(Notification("item/completed", {"item": item}, "t1", None))
    assert not running
