"""`StallProbe` (benchmarks/common.py): the loop's longest busy stretch, with and without
the full collections that ran in it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest

from benchmarks.common import StallProbe


@pytest.fixture(autouse=True)
def only_explicit_collections() -> Iterator[None]:
    """No automatic collection: the ones these tests run are the only ones."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def test_a_full_collection_on_the_loop_is_set_apart_from_its_busy_stretch() -> None:
    heap = [[i] for i in range(300_000)]  # enough live objects for a walk to take a while
    probe = StallProbe().start()
    loop = asyncio.get_running_loop()
    collected = loop.create_future()

    def collect() -> None:
        gc.collect()
        collected.set_result(None)

    loop.call_soon(collect)
    await collected
    probe.stop()
    assert len(heap) == 300_000
    assert probe.collections[2] >= 1 and probe.longest_gc > 0
    assert probe.longest_busy >= probe.longest_gc
    assert probe.longest_busy_besides_full <= probe.longest_busy - probe.longest_gc * 0.99


async def test_a_full_collection_in_another_thread_is_not_the_loops() -> None:
    probe = StallProbe().start()
    thread_done = asyncio.get_running_loop().run_in_executor(None, gc.collect)
    await thread_done
    probe.stop()
    assert probe.collections[2] >= 1
    assert probe.longest_busy_besides_full == probe.longest_busy
