"""Timeouts: nothing waits forever on a silent server.

Guarantees: every request times out (`AppServerConfig.request_timeout`, default 120 s,
overridable per call) with `RequestTimeoutError`, leaving no waiter behind; a late answer
is dropped and the connection keeps working. `startup_timeout` (default 60 s) bounds
spawn + `initialize`, and the failed start leaves no process behind. A turn silent for
`turn_inactivity_timeout` seconds is interrupted on the server and `TurnTimeoutError` is
raised. Both errors are `CodexError` and `TimeoutError` subclasses.
"""

from __future__ import annotations

import logging
import time

import pytest

from codex_app_server import (
    AppServerClient,
    AppServerConfig,
    AsyncAppServerClient,
    AsyncCodex,
    Codex,
    CodexError,
    RequestTimeoutError,
    TurnTimeoutError,
)
from codex_app_server._constants import DEFAULT_REQUEST_TIMEOUT, DEFAULT_STARTUP_TIMEOUT

from .conftest import fake_config, other_tasks, process_is_alive


def test_defaults_are_finite_and_sensible() -> None:
    config = AppServerConfig()
    assert config.request_timeout == DEFAULT_REQUEST_TIMEOUT == 120.0
    assert config.startup_timeout == DEFAULT_STARTUP_TIMEOUT == 60.0
    # A turn with no progress at all for 10 minutes is stuck: the runtime's own stream idle
    # timeout is 300 s, and commands, tools and pending approvals pause the timer.
    assert config.turn_inactivity_timeout == 600.0
    assert issubclass(RequestTimeoutError, CodexError)
    assert issubclass(RequestTimeoutError, TimeoutError)
    assert issubclass(TurnTimeoutError, CodexError)
    assert issubclass(TurnTimeoutError, TimeoutError)


def test_request_timeout_from_config_leaves_no_waiter(no_thread_leaks: None) -> None:
    with AppServerClient(fake_config(request_timeout=0.2)) as client:
        t0 = time.monotonic()
        with pytest.raises(RequestTimeoutError) as info:
            client.request("fake/hang")
        took = time.monotonic() - t0
        assert 0.2 <= took < 1.0
        assert info.value.method == "fake/hang" and info.value.timeout == 0.2
        assert client._router.pending_count == 0
        assert client.request("fake/echo", {"still": "working"}) == {"still": "working"}


def test_per_call_timeout_overrides_the_config(no_thread_leaks: None) -> None:
    with AppServerClient(fake_config(request_timeout=30.0)) as client:
        with pytest.raises(RequestTimeoutError) as info:
            client.request("fake/hang", timeout=0.1)
        assert info.value.timeout == 0.1
        # ... and the other way round: a longer per-call timeout wins over a short default.
        client.config.request_timeout = 0.05
        assert client.request("fake/delay", {"ms": 200, "result": 1}, timeout=5.0) == 1


def test_late_answer_after_a_timeout_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="codex_app_server")
    with AppServerClient(fake_config()) as client:
        with pytest.raises(RequestTimeoutError):
            client.request("fake/delay", {"ms": 200, "result": "late"}, timeout=0.05)
        # Answered after the late one (same ordered stream), so that one was read first.
        assert client.request("fake/delay", {"ms": 400, "result": "ok"}) == "ok"
        assert client._router.pending_count == 0
    assert any("unknown request id" in r.getMessage() for r in caplog.records)


def test_startup_timeout_bounds_a_server_that_never_initializes(no_thread_leaks: None) -> None:
    client = AppServerClient(fake_config("never-answer-initialize", startup_timeout=0.3))
    t0 = time.monotonic()
    with pytest.raises(RequestTimeoutError) as info:
        client.start()
    assert info.value.method == "initialize"
    assert time.monotonic() - t0 < 0.3 + 3 * client.config.shutdown_grace + 0.5
    assert not process_is_alive(client._transport.pid)  # type: ignore[attr-defined]


def test_silent_turn_times_out_and_is_interrupted_on_the_server() -> None:
    with Codex(fake_config(turn_inactivity_timeout=0.2)) as codex:
        thread = codex.thread_start()
        t0 = time.monotonic()
        with pytest.raises(TurnTimeoutError) as info:
            thread.run("SILENT")
        assert 0.2 <= time.monotonic() - t0 < 2.0
        interrupts = codex.client.request("fake/received", {"method": "turn/interrupt"})
        assert [m["params"]["turnId"] for m in interrupts["messages"]] == [info.value.turn_id]
        assert codex.client.request("fake/state")["activeTurns"] == []
        assert codex.client._router.pending_count == 0
        # The thread is usable again.
        assert thread.run("after").final_response == "after"


def test_inactivity_timeout_counts_silence_not_total_time() -> None:
    # 10 deltas 100 ms apart: 1 s in all, never 300 ms of silence.
    with Codex(fake_config(turn_inactivity_timeout=0.3)) as codex:
        result = codex.thread_start().run("DELTAS:10 DELAY_MS:100 slow but steady")
        assert (result.final_response or "").startswith("DELTAS:10")


def test_stream_with_explicit_inactivity_timeout(no_thread_leaks: None) -> None:
    with AppServerClient(fake_config()) as client:
        thread_id = client.request("thread/start", {})["thread"]["id"]
        turn = client.request(
            "turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": "SILENT"}]}
        )
        turn_id = turn["turn"]["id"]
        seen = []
        with pytest.raises(TurnTimeoutError):
            for note in client.stream_turn(turn_id, thread_id=thread_id, inactivity_timeout=0.2):
                seen.append(note.method)
        assert seen == ["turn/started"]
        assert client.request("fake/state")["activeTurns"] == []


# -- async ----------------------------------------------------------------------------


async def test_async_request_timeout_leaves_no_waiter_and_no_task() -> None:
    tasks_before = other_tasks()
    async with AsyncAppServerClient(fake_config(request_timeout=0.2)) as client:
        t0 = time.monotonic()
        with pytest.raises(RequestTimeoutError):
            await client.request("fake/hang")
        assert 0.2 <= time.monotonic() - t0 < 1.0
        assert client._router is not None and client._router.pending_count == 0
        with pytest.raises(RequestTimeoutError):
            await client.request("fake/hang", timeout=0.05)
        assert await client.request("fake/echo", {"a": 1}, timeout=5.0) == {"a": 1}
    assert other_tasks() == tasks_before


async def test_async_startup_timeout() -> None:
    tasks_before = other_tasks()
    client = AsyncAppServerClient(fake_config("never-answer-initialize", startup_timeout=0.3))
    with pytest.raises(RequestTimeoutError):
        await client.start()
    assert not process_is_alive(client._transport.pid)  # type: ignore[attr-defined]
    assert other_tasks() == tasks_before


async def test_async_silent_turn_times_out_and_is_interrupted() -> None:
    async with AsyncCodex(fake_config(turn_inactivity_timeout=0.2)) as codex:
        thread = await codex.thread_start()
        with pytest.raises(TurnTimeoutError) as info:
            await thread.run("SILENT")
        interrupts = await codex.client.request("fake/received", {"method": "turn/interrupt"})
        assert [m["params"]["turnId"] for m in interrupts["messages"]] == [info.value.turn_id]
        assert (await codex.client.request("fake/state"))["activeTurns"] == []
        assert (await thread.run("after")).final_response == "after"
