"""Second pass (issue 17): readers and handlers that used to hang each other: two readers
of one turn, a late reader of a forgotten turn, re-entrant server-request handlers."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from codex_app_server import AppServerClient, AsyncAppServerClient, AsyncCodex, Codex, CodexError
from codex_app_server._async.queues import AsyncQueue
from codex_app_server._protocol.router import MessageRouter

from .conftest import TIMEOUT, fake_config


def _text_input(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}]


async def test_an_empty_async_queue_is_still_the_turns_sink() -> None:
    loop = asyncio.get_running_loop()
    router = MessageRouter(AsyncQueue(loop), AsyncQueue(loop))
    live = AsyncQueue(loop)
    router.subscribe_turn("t1", live)
    assert len(live) == 0 and not live  # empty, hence falsy
    assert router.turn_sink("t1") is live


async def test_a_second_reader_of_a_turn_gets_a_clear_error_and_the_first_finishes() -> None:
    async with AsyncCodex(fake_config()) as codex:
        thread = await codex.thread_start()
        handle = await thread.turn("DELTAS:30 DELAY_MS:5 two readers")
        seen: list[str] = []

        async def streamer() -> None:
            async for note in handle.stream():
                seen.append(note.method)

        first = asyncio.ensure_future(streamer())
        await asyncio.sleep(0)  # the streamer takes the turn
        while not codex.client._streaming:
            await asyncio.sleep(0.001)
        t0 = time.monotonic()
        with pytest.raises(CodexError, match="already being read"):
            await handle.run()
        assert time.monotonic() - t0 < 0.5
        await asyncio.wait_for(first, TIMEOUT)
        assert seen[-1] == "turn/completed"
        assert (await handle.run()).status == "completed"  # after the stream: at once


def test_a_second_sync_reader_of_a_turn_gets_a_clear_error() -> None:
    with AppServerClient(fake_config()) as client:
        thread_id = client.request("thread/start", {})["thread"]["id"]
        start = {"threadId": thread_id, "input": _text_input("DELTAS:30 DELAY_MS:5 hi")}
        turn = client.request("turn/start", start)["turn"]["id"]
        first = client.stream_turn(turn, thread_id=thread_id)
        next(first)
        with pytest.raises(CodexError, match="already being read"):
            next(client.stream_turn(turn, thread_id=thread_id))
        assert [n.method for n in first][-1] == "turn/completed"


def test_a_late_reader_of_an_evicted_turn_gets_its_result_from_thread_read() -> None:
    with AppServerClient(fake_config()) as client:
        client._router._finished_retention = 3
        thread_id = client.request("thread/start", {})["thread"]["id"]
        start = {"threadId": thread_id, "input": _text_input("the early turn")}
        early = client.request("turn/start", start)["turn"]["id"]  # never read
        for n in range(5):
            start = {"threadId": thread_id, "input": _text_input(f"later {n}")}
            later = client.request("turn/start", start)["turn"]["id"]
            list(client.stream_turn(later, thread_id=thread_id))
        assert not client._router.knows_turn(early)
        t0 = time.monotonic()
        notes = list(client.stream_turn(early, thread_id=thread_id))
        assert time.monotonic() - t0 < 1.0
        assert notes[-1].method == "turn/completed"
        assert notes[-1].params["turn"]["status"] == "completed"
        texts = [n.params["item"].get("text") for n in notes if n.method == "item/completed"]
        assert "the early turn" in texts
        # Without the thread id, a clear error at once rather than a hang.
        with pytest.raises(CodexError, match="not known on this connection"):
            next(client.stream_turn(early))
        assert client._router.subscribed_turns == 0


async def test_a_late_async_handle_run_gets_the_result_of_its_evicted_turn() -> None:
    async with AsyncCodex(fake_config()) as codex:
        codex.client._router._finished_retention = 2  # type: ignore[union-attr]
        thread = await codex.thread_start()
        early = await thread.turn("early answer")
        for n in range(4):
            await thread.run(f"later {n}")
        turn = await asyncio.wait_for(early.run(), TIMEOUT)
        assert turn.status == "completed"
        assert early.collector.result().final_response == "early answer"


def test_reentrant_sync_handlers_cannot_deadlock_the_handler_pool() -> None:
    outer_threads: set[str] = set()
    nested_done: list[str] = []

    def handler(request: Any) -> Any:
        if request.params.get("threadId") in outer_threads:
            # Each outer approval runs a nested turn that needs its own approval.
            nested_thread = client.request("thread/start", {})["thread"]["id"]
            start = {"threadId": nested_thread, "input": _text_input("APPROVAL nested")}
            nested = client.request("turn/start", start)["turn"]["id"]
            notes = list(client.stream_turn(nested, thread_id=nested_thread))
            nested_done.append(notes[-1].params["turn"]["status"])
        return {"decision": "accept"}

    outer = 12  # more than the old fixed pool of 8
    client = AppServerClient(
        fake_config(server_request_timeout=30.0), server_request_handler=handler
    )
    with client:
        threads = [client.request("thread/start", {})["thread"]["id"] for _ in range(outer)]
        outer_threads.update(threads)
        turns: list[tuple[str, str]] = []
        for thread_id in threads:
            start = {"threadId": thread_id, "input": _text_input("APPROVAL outer")}
            turns.append((thread_id, client.request("turn/start", start)["turn"]["id"]))
        t0 = time.monotonic()
        texts = []
        for thread_id, turn in turns:
            notes = list(client.stream_turn(turn, thread_id=thread_id))
            items = [n.params["item"] for n in notes if n.method == "item/completed"]
            texts.append(" ".join(str(i.get("text")) for i in items))
        assert time.monotonic() - t0 < 15.0  # not the 30 s server_request_timeout
    assert len(nested_done) == outer and set(nested_done) == {"completed"}
    assert all("approved" in text for text in texts), texts


def test_sync_codex_nested_run_inside_an_approval_handler() -> None:
    # The same re-entrancy through the high-level API (a handler that runs a turn).
    with Codex(fake_config(server_request_timeout=30.0)) as codex:
        helper = codex.thread_start()
        replies: list[str] = []

        def approve(request: Any) -> Any:
            replies.append(helper.run("checking").final_response or "")
            return {"decision": "accept"}

        codex.client.server_request_handler = approve
        result = codex.thread_start().run("APPROVAL please")
        assert replies == ["checking"]
        assert "approved" in (result.final_response or "")


def test_async_client_runs_plain_handlers_on_daemon_threads() -> None:
    names: list[tuple[str, bool]] = []

    def handler(request: Any) -> Any:
        current = threading.current_thread()
        names.append((current.name, current.daemon))
        return {"decision": "accept"}

    async def main() -> None:
        async with AsyncAppServerClient(fake_config(), server_request_handler=handler) as c:
            ask = {"method": "item/commandExecution/requestApproval", "params": {}}
            await c.request("fake/serverRequest", ask)

    asyncio.run(main())
    assert names and all(daemon for _, daemon in names)
    assert all(name.startswith("codex-server-request") for name, _ in names)


async def test_a_stream_made_before_its_turn_completed_and_read_after_is_empty() -> None:
    """`stream()` hands out the client's stream itself; one made early but read after the
    turn completed yields nothing (no `thread/read`, no item fed twice), as before."""
    async with AsyncCodex(fake_config()) as codex:
        thread = await codex.thread_start()
        handle = await thread.turn("made early")
        early = handle.stream()
        turn = await asyncio.wait_for(handle.run(), TIMEOUT)
        items = len(turn.items)
        assert items > 0
        assert [note async for note in early] == []
        assert [note async for note in handle.stream()] == []
        assert len((await handle.run()).items) == items
