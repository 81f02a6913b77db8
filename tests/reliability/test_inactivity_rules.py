"""Second pass (issue 17, item 16): what the inactivity timer counts. Silence while a
server request waits on the client, or while a command runs, is not inactivity."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from codex_app_server import (
    AppServerClient,
    AsyncAppServerClient,
    AsyncCodex,
    Codex,
    TurnTimeoutError,
)

from .conftest import TIMEOUT, fake_config


def _slow_approval(seconds: float) -> Any:
    def handler(request: Any) -> Any:
        time.sleep(seconds)  # the user still deciding
        return {"decision": "accept"}

    return handler


def test_the_inactivity_timer_is_paused_while_an_approval_waits_on_the_client() -> None:
    config = fake_config(turn_inactivity_timeout=1.0)
    with Codex(config) as codex:
        codex.client.server_request_handler = _slow_approval(2.5)
        result = codex.thread_start().run("APPROVAL please")
        assert "approved" in (result.final_response or "")


async def test_async_inactivity_timer_is_paused_while_an_approval_waits_on_the_client() -> None:
    config = fake_config(turn_inactivity_timeout=1.0)
    async with AsyncCodex(config) as codex:
        codex.client.server_request_handler = _slow_approval(2.5)
        thread = await codex.thread_start()
        result = await thread.run("APPROVAL please")
        assert "approved" in (result.final_response or "")


def test_a_running_command_is_not_inactivity_but_silence_after_it_is() -> None:
    with AppServerClient(fake_config()) as client:
        thread_id = client.request("thread/start", {})["thread"]["id"]
        start = {"threadId": thread_id, "input": [{"type": "text", "text": "SILENT"}]}
        turn = client.request("turn/start", start)["turn"]["id"]
        item = {
            "type": "commandExecution",
            "id": "cmd_1",
            "command": "make",
            "status": "inProgress",
        }
        ids = {"threadId": thread_id, "turnId": turn}
        client.request("fake/notify", {"method": "item/started", "params": {**ids, "item": item}})
        outcome: list[BaseException] = []

        def read() -> None:
            try:
                for _ in client.stream_turn(turn, thread_id=thread_id, inactivity_timeout=0.3):
                    pass
            except BaseException as exc:
                outcome.append(exc)

        reader = threading.Thread(target=read)
        reader.start()
        reader.join(1.5)  # five timer lengths of silence while the command runs
        assert reader.is_alive() and not outcome
        done = {**item, "status": "completed"}
        client.request("fake/notify", {"method": "item/completed", "params": {**ids, "item": done}})
        t0 = time.monotonic()
        reader.join(TIMEOUT)
        assert time.monotonic() - t0 < 2.0
        assert len(outcome) == 1 and isinstance(outcome[0], TurnTimeoutError)


def test_plain_silence_still_times_out() -> None:
    with AppServerClient(fake_config()) as client:
        thread_id = client.request("thread/start", {})["thread"]["id"]
        start = {"threadId": thread_id, "input": [{"type": "text", "text": "SILENT"}]}
        turn = client.request("turn/start", start)["turn"]["id"]
        with pytest.raises(TurnTimeoutError):
            list(client.stream_turn(turn, thread_id=thread_id, inactivity_timeout=0.3))


async def test_a_finished_or_cancelled_async_stream_leaves_no_timer_armed() -> None:
    """The turn queue's one inactivity timer is cancelled when its stream ends; left armed,
    it would hold the finished turn's queue until the 600 s inactivity timeout."""
    async with AsyncAppServerClient(fake_config()) as client:
        thread_id = (await client.request("thread/start", {}))["thread"]["id"]

        async def start(text: str) -> str:
            params = {"threadId": thread_id, "input": [{"type": "text", "text": text}]}
            return str((await client.request("turn/start", params))["turn"]["id"])

        turn = await start("DELTAS:5 DELAY_MS:5 read to the end")
        queue = client.turn_queue(turn)
        notes = [note async for note in client.stream_turn(turn, thread_id=thread_id)]
        assert notes[-1].method == "turn/completed"
        assert queue._timer is None

        turn = await start("SILENT")
        queue = client.turn_queue(turn)

        async def read() -> None:
            async for _ in client.stream_turn(turn, thread_id=thread_id):
                pass

        reader = asyncio.ensure_future(read())

        async def armed() -> None:
            while queue._timer is None:
                await asyncio.sleep(0)

        await asyncio.wait_for(armed(), TIMEOUT)  # the reader waits on the silent turn
        reader.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reader
        assert queue._timer is None
