"""What a queue holds counts against the byte budget until it is taken, whichever way."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from codex_app_server._async.queues import AsyncQueue
from codex_app_server._protocol.budget import BufferBudget
from codex_app_server._protocol.notifications import Notification
from codex_app_server._sync.queues import Queue


def _note(n: int) -> Notification:
    return Notification("item/agentMessage/delta", {"delta": "x" * 100, "n": n}, "t1", "th1")


def test_get_nowait_releases_what_the_sync_queue_held() -> None:
    """Regression: `Queue.get_nowait()` (the stream's first try) took an item without
    releasing its bytes, so the budget filled up with what had been read."""
    budget = BufferBudget(1 << 20, lambda *args: None)
    queue = Queue(name="turn", budget=budget)
    for n in range(3):
        queue.put_nowait(_note(n))
    assert budget.used > 0 and queue.held_bytes == budget.used
    taken = [queue.get_nowait() for _ in range(3)]
    assert [item.params["n"] for _, item in taken] == [0, 1, 2]
    assert queue.get_nowait() == (False, None)
    assert queue.held_bytes == 0
    assert budget.used == 0


@pytest.fixture(params=["sync", "async"])
def budgeted(request: pytest.FixtureRequest) -> Iterator[tuple[Any, BufferBudget]]:
    """A turn queue of either driver with a budget of its own."""
    budget = BufferBudget(1 << 20, lambda *args: None)
    if request.param == "sync":
        yield Queue(name="turn", budget=budget), budget
        return
    loop = asyncio.new_event_loop()
    try:
        yield AsyncQueue(loop, budget=budget), budget
    finally:
        loop.close()


def test_shedding_frees_only_deltas_on_both_queues(budgeted: tuple[Any, BufferBudget]) -> None:
    queue, budget = budgeted
    queue.put_nowait(_note(0))
    queue.put_nowait(Notification("turn/completed", {}, "t1", "th1"))
    queue.put_nowait(_note(1))
    freed = queue.shed(1 << 20)
    assert freed > 0 and queue.dropped == 2
    assert len(queue) == 1
    assert queue.held_bytes == budget.used


def test_take_all_and_put_back_keep_the_budget_exact_on_both_queues(
    budgeted: tuple[Any, BufferBudget],
) -> None:
    queue, budget = budgeted
    for n in range(4):
        queue.put_nowait(_note(n))
    held = budget.used
    taken = queue.take_all()
    assert [item.params["n"] for item in taken] == [0, 1, 2, 3]
    assert len(queue) == 0 and budget.used == 0 and not queue.take_all()
    queue.put_nowait(_note(4))
    taken.popleft()
    queue.put_back(taken)  # 1, 2, 3 go back in front of 4, in order
    assert [queue.get_nowait()[1].params["n"] for _ in range(4)] == [1, 2, 3, 4]
    assert budget.used == 0 and queue.held_bytes == 0 and held > 0
