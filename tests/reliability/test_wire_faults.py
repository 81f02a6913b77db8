"""Second pass (issue 17): wire faults that used to hang a request, kill the connection or
flood the log. Injected with the misbehaving fake app-server."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from codex_app_server import (
    AppServerClient,
    AsyncAppServerClient,
    CodexError,
    JsonRpcError,
    MessageTooLargeError,
)
from codex_app_server._protocol.wire import oversized_target

from .conftest import TIMEOUT, fake_config, wait_for

MiB = 1024 * 1024


def test_an_error_with_id_null_fails_the_lone_request_at_once() -> None:
    with AppServerClient(fake_config()) as client:
        t0 = time.monotonic()
        with pytest.raises(JsonRpcError, match="Parse error") as caught:
            client.request("fake/nullIdError", {})
        assert time.monotonic() - t0 < 0.5  # not its 10 s timeout
        assert caught.value.code == -32700
        assert client._router.pending_count == 0
        assert client.request("fake/echo", {"a": 1}) == {"a": 1}


async def test_async_error_with_id_null_fails_the_lone_request_at_once() -> None:
    async with AsyncAppServerClient(fake_config()) as client:
        t0 = time.monotonic()
        with pytest.raises(JsonRpcError, match="Parse error"):
            await client.request("fake/nullIdError", {})
        assert time.monotonic() - t0 < 0.5
        assert await client.request("fake/echo", {"a": 1}) == {"a": 1}


def test_an_error_with_id_null_among_several_requests_is_logged_loudly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with AppServerClient(fake_config(request_timeout=1.0)) as client:
        slow = threading.Thread(
            target=client.request, args=("fake/delay", {"ms": 1500}), kwargs={"timeout": 5}
        )
        slow.start()
        wait_for(lambda: client._router.pending_count == 1, what="the slow request")
        with (
            caplog.at_level(logging.ERROR, logger="codex_app_server"),
            pytest.raises(Exception, match="fake/nullIdError"),  # its own timeout
        ):
            client.request("fake/nullIdError", {})
        slow.join(TIMEOUT)
        loud = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert any("id null" in r.getMessage() for r in loud)


def test_an_oversized_response_costs_only_its_request_and_a_streaming_turn_lives() -> None:
    with AppServerClient(fake_config(max_line_bytes=MiB)) as client:
        thread_id = client.request("thread/start", {})["thread"]["id"]
        text = "DELTAS:20 DELAY_MS:20 streaming on"
        turn = client.request(
            "turn/start", {"threadId": thread_id, "input": [{"type": "text", "text": text}]}
        )["turn"]["id"]
        with pytest.raises(MessageTooLargeError, match="max_line_bytes"):
            client.request("fake/bigResponse", {"bytes": 3 * MiB})
        notes = list(client.stream_turn(turn))
        assert notes[-1].method == "turn/completed"
        assert notes[-1].params["turn"]["status"] == "completed"
        deltas = [n for n in notes if n.method == "item/agentMessage/delta"]
        assert "".join(n.params["delta"] for n in deltas).startswith(text)
        assert not client.closed


async def test_an_oversized_turn_notification_fails_only_that_turn() -> None:
    async with AsyncAppServerClient(fake_config(max_line_bytes=MiB)) as client:
        thread_id = (await client.request("thread/start", {}))["thread"]["id"]
        start = {"threadId": thread_id, "input": [{"type": "text", "text": "SILENT"}]}
        turn = (await client.request("turn/start", start))["turn"]["id"]
        big = {
            "bytes": 2 * MiB,
            "method": "item/agentMessage/delta",
            "params": {"threadId": thread_id, "turnId": turn, "itemId": "i1"},
            "field": "delta",
        }
        assert await client.request("fake/bigline", big) == {}
        with pytest.raises(MessageTooLargeError):
            async for _ in client.stream_turn(turn):
                pass
        assert await client.request("fake/echo", {"ok": True}) == {"ok": True}


def test_oversized_target_reads_whom_a_line_was_for() -> None:
    assert oversized_target(b'{"id":7,"result":{"data":"xxx') == ("response", 7)
    assert oversized_target(b'{"jsonrpc":"2.0","id":"7","error":{') == ("response", "7")
    assert oversized_target(b'{"id":3,"method":"item/tool/call","params":{') == ("request", 3)
    head = b'{"method":"item/agentMessage/delta","params":{"threadId":"t","turnId":"u1","d'
    assert oversized_target(head) == ("turn", "u1")
    head = b'{"method":"turn/completed","params":{"turn":{"id":"u2","items":['
    assert oversized_target(head) == ("turn", "u2")
    assert oversized_target(b'{"method":"thread/started","params":{"thread":{"x') is None
    assert oversized_target(b"garbage") is None


def test_repeated_wire_faults_are_logged_rate_limited_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="codex_app_server"),
        AppServerClient(fake_config()) as client,
    ):
        client.request("fake/garbage", {"lines": ["not json"], "repeat": 200_000}, timeout=60)
        assert client.request("fake/echo", {"a": 1}) == {"a": 1}
    records = [r for r in caplog.records if r.name == "codex_app_server"]
    assert 1 <= len(records) <= 12, len(records)
    assert any("199990 more like this were suppressed" in r.getMessage() for r in records)


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_initialize_answering_a_non_object_fails_start_clearly(use_async: bool) -> None:
    config = fake_config("initialize-not-object")
    with pytest.raises(CodexError, match="instead of an object"):
        if use_async:
            asyncio.run(AsyncAppServerClient(config).start())
        else:
            AppServerClient(config).start()
