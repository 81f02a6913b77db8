"""Reconnect: a TCP relay drops the connection mid-turn; the turn completes intact."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from codex_app_server import (
    AppServerProcess,
    AsyncCodex,
    Codex,
    ConnectionLostError,
    ConnectionResumed,
    TransportClosedError,
    is_retryable_error,
)
from codex_app_server.testing import Reply, ScriptedModel

from .relay import Relay

pytestmark = pytest.mark.integration

WORDS = 300
TEXT = " ".join(f"w{i}" for i in range(WORDS))


def test_sync_turn_survives_a_drop(
    scripted_model: ScriptedModel,
    ws_server: AppServerProcess,
    relay: Relay,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scripted_model.enqueue(Reply.text(TEXT, deltas=WORDS, delay=0.005), Reply.text("after"))
    caplog.set_level(logging.WARNING, "codex_app_server")
    config = ws_server.client_config(url=f"ws://127.0.0.1:{relay.port}")
    with Codex(config) as codex:
        thread = codex.thread_start()
        handle = thread.turn("go")
        deltas, markers = 0, []
        for note in handle.stream():
            if note.method == "item/agentMessage/delta":
                deltas += 1
                if deltas == 40:
                    relay.drop()
            elif isinstance(note, ConnectionResumed):
                markers.append(note.gap)
        assert handle.collector.status == "completed"
        assert handle.collector.result().final_response == TEXT
        assert len(markers) == 1 and markers[0].turn_id == handle.id
        assert relay.accepted == 2
        assert any("reconnected to" in r.getMessage() for r in caplog.records)
        # The client goes on working on the new connection.
        assert thread.run("again").final_response == "after"


async def test_async_run_survives_a_drop(
    scripted_model: ScriptedModel, ws_server: AppServerProcess, relay: Relay
) -> None:
    scripted_model.enqueue(Reply.text(TEXT, deltas=WORDS, delay=0.005))
    config = ws_server.client_config(url=f"ws://127.0.0.1:{relay.port}")
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()
        run = asyncio.ensure_future(thread.run("go"))
        while scripted_model.requests == []:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # mid-stream
        relay.drop()
        result = await asyncio.wait_for(run, 30)
        assert result.final_response == TEXT
        assert result.turn is not None and result.turn.status.value == "completed"
        assert relay.accepted == 2


def test_in_flight_request_fails_retryably(
    scripted_model: ScriptedModel, ws_server: AppServerProcess, relay: Relay
) -> None:
    scripted_model.enqueue(Reply.hang())
    config = ws_server.client_config(url=f"ws://127.0.0.1:{relay.port}")
    with Codex(config) as codex:
        thread = codex.thread_start()
        # A request the server answers only later: command/exec of a sleeping command.
        errors: list[BaseException] = []

        def call() -> None:
            try:
                codex.command_exec(["sleep", "5"])
            except BaseException as exc:
                errors.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        time.sleep(0.5)
        relay.drop()
        caller.join(10)
        assert len(errors) == 1 and isinstance(errors[0], ConnectionLostError)
        assert is_retryable_error(errors[0])
        assert thread.read().thread.id == thread.id  # the client works again
        scripted_model.release()


def test_gives_up_after_the_give_up_time(
    scripted_model: ScriptedModel, ws_server: AppServerProcess, relay: Relay
) -> None:
    config = ws_server.client_config(url=f"ws://127.0.0.1:{relay.port}", reconnect_timeout=0.5)
    with Codex(config) as codex:
        codex.thread_start()
        relay.refuse = True
        relay.drop()
        started = time.monotonic()
        with pytest.raises(TransportClosedError, match="could not reconnect"):
            while True:  # global notifications first, then the error wakes the reader
                codex.client.next_notification(timeout=10)
        assert time.monotonic() - started < 2.0


def test_reconnect_figures(
    scripted_model: ScriptedModel, ws_server: AppServerProcess, relay: Relay
) -> None:
    """A 1 s outage at 100 deltas/s: how long to resume, how many deltas are lost."""
    total = 400
    text = " ".join(f"d{i}" for i in range(total))
    scripted_model.enqueue(Reply.text(text, deltas=total, delay=0.01))
    config = ws_server.client_config(url=f"ws://127.0.0.1:{relay.port}")
    with Codex(config) as codex:
        handle = codex.thread_start().turn("go")
        seen = 0
        dropped_at = resumed_at = first_after = 0.0

        def restore() -> None:
            time.sleep(1.0)
            relay.refuse = False

        for note in handle.stream():
            if note.method == "item/agentMessage/delta":
                seen += 1
                if seen == 50:
                    relay.refuse = True
                    relay.drop()
                    dropped_at = time.monotonic()
                    threading.Thread(target=restore, daemon=True).start()
                elif dropped_at and not first_after and resumed_at:
                    first_after = time.monotonic()
            elif isinstance(note, ConnectionResumed):
                resumed_at = time.monotonic()
        assert handle.collector.result().final_response == text
        lost = total - seen
        print(
            f"\nreconnect figures: reconnected {resumed_at - dropped_at:.2f}s after the drop, "
            f"first delta {first_after - dropped_at:.2f}s after; {lost} of {total} deltas lost "
            "(final response intact)"
        )
        assert 0.9 < resumed_at - dropped_at < 5.0
        assert lost < 250
