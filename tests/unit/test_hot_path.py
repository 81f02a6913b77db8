"""The hot-path helpers: chunked line splitting, the model warm-up, subscribed turn sinks."""

from __future__ import annotations

import asyncio
from typing import Any

from codex_app_server._protocol.router import MessageRouter
from codex_app_server._protocol.wire import OversizedLine
from codex_app_server._transport.lines import LineSplitter
from codex_app_server._warmup import Warmup


class EmptyQueue:
    """A sink that is falsy when empty, as the async turn queue is."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def put_nowait(self, item: Any) -> None:
        self.items.append(item)

    def __len__(self) -> int:
        return len(self.items)


def test_lines_split_across_chunks_are_joined_once() -> None:
    splitter = LineSplitter(100)
    assert splitter.feed(b'{"a":') is None
    assert splitter.feed(b"1}\n{") == [b'{"a":1}']
    assert splitter.feed(b'"b":2}\n\n{"c"') == [b'{"b":2}', b""]
    assert splitter.finish() == [b'{"c"']
    assert splitter.finish() == []


def test_a_line_over_the_limit_is_skipped_and_handed_over_as_oversized() -> None:
    splitter = LineSplitter(8)
    assert splitter.feed(b"12345") is None
    assert splitter.feed(b"67890") is None  # over the limit: skipping, nothing held
    assert splitter.feed(b"abc") is None
    (big, ok) = splitter.feed(b'def\n{"x":1}\n') or []
    assert isinstance(big, OversizedLine) and big.size == 16 and big.head == b"1234567890"
    assert ok == b'{"x":1}'
    lines = LineSplitter(8).feed(b"ok\n0123456789\n")
    assert lines is not None and lines[0] == b"ok" and isinstance(lines[1], OversizedLine)


def test_an_empty_subscribed_queue_is_returned_not_replaced() -> None:
    router = MessageRouter(EmptyQueue(), EmptyQueue())
    sink = EmptyQueue()
    router.subscribe_turn("t1", sink)
    assert router.turn_sink("t1") is sink


def test_warmup_wait_returns_once_the_thread_is_done() -> None:
    warmup = Warmup()

    async def main() -> None:
        await asyncio.wait_for(warmup.wait(), 1.0)  # never started: at once
        warmup.start()
        await asyncio.wait_for(warmup.wait(), 60.0)
        assert warmup.done

    asyncio.run(main())
    warmup.start()  # once per process: a second start does nothing
    assert warmup.done


def test_warmup_is_done_before_the_notification_payloads_are_built(monkeypatch: Any) -> None:
    """A first turn that completes early waits only for what its result types, not for
    the notification payload models, which the thread builds after marking itself done."""
    import threading

    from codex_app_server import _warmup

    release, built = threading.Event(), threading.Event()

    def notifications() -> None:
        release.wait(60.0)
        built.set()

    monkeypatch.setattr(_warmup, "warm_turn_models", lambda: None)
    monkeypatch.setattr(_warmup, "warm_notification_models", notifications)
    warmup = Warmup()

    async def main() -> None:
        warmup.start()
        await asyncio.wait_for(warmup.wait(), 60.0)

    try:
        asyncio.run(main())
        assert warmup.done and not built.is_set()
    finally:
        release.set()
    assert built.wait(60.0)


def test_a_sync_start_skips_the_payloads_and_a_later_async_start_adds_them(
    monkeypatch: Any,
) -> None:
    """A sync client never waits on its loop: it is spared the payload models (they build
    on first read, on its own thread); an async client started later still gets them."""
    import threading

    from codex_app_server import _warmup

    turn_done, payloads = threading.Event(), threading.Event()
    monkeypatch.setattr(_warmup, "warm_turn_models", turn_done.set)
    monkeypatch.setattr(_warmup, "warm_notification_models", payloads.set)
    warmup = Warmup()
    warmup.start()  # no running loop: a sync client
    assert turn_done.wait(60.0)

    async def later_async_client() -> None:
        await asyncio.wait_for(warmup.wait(), 60.0)
        assert not payloads.is_set()
        warmup.start()

    asyncio.run(later_async_client())
    assert payloads.wait(60.0)


def test_warm_models_builds_what_a_turn_types() -> None:
    from codex_app_server._protocol.models import model_class
    from codex_app_server._protocol.warmup import warm_models

    warm_models()
    assert model_class("Turn").__pydantic_complete__
    assert model_class("ThreadItem").__pydantic_complete__
    assert model_class("TurnInterruptResponse").__pydantic_complete__
    assert model_class("ItemCompletedNotification").__pydantic_complete__


def test_a_process_that_exits_during_the_warm_up_exits_cleanly() -> None:
    """Regression: a CLI call that exited while the warm-up thread was still importing the
    models aborted (exit -6) in interpreter finalization; the exit now waits for it."""
    import subprocess
    import sys

    code = "from codex_app_server._warmup import WARMUP; WARMUP.start(); print('bye')"
    for _ in range(5):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout.strip() == "bye", done
