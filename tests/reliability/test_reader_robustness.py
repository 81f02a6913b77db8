"""Reader robustness: nothing the server writes kills the reader, except a line too long.

Guarantees: a line that is not JSON (or not UTF-8), a message of unknown shape, a response
to an unknown (or unhashable) id, a notification of an unknown method, a known one with
new enum values or extra fields: each is logged and skipped, or handed on as a typed
fallback (`UnknownNotification`), and the connection keeps working. Lines up to
`max_line_bytes` (default 64 MiB) are accepted; a longer one fails the connection with
`MessageTooLargeError`, every waiter included, and the app-server is ended.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from typing import Any

import pytest

from codex_app_server import (
    AppServerClient,
    AsyncAppServerClient,
    Codex,
    MessageTooLargeError,
    UnknownNotification,
)
from codex_app_server._constants import DEFAULT_MAX_LINE_BYTES

from .conftest import TIMEOUT, fake_config, other_tasks, process_is_alive, wait_for

MiB = 1 << 20

GARBAGE_LINES = [
    "",  # an empty line
    "   ",
    "not json at all",
    "{not json",
    '{"unterminated": "string}',
    "[1, 2, 3]",
    '"just a string"',
    "42",
    "null",
    "{}",
    '{"id": 999999, "result": {}}',  # a response to an unknown id
    '{"id": "999998", "error": {"code": -1, "message": "x"}}',
    '{"id": [1], "result": {}}',  # an unhashable id
    '{"id": {"nested": true}, "error": {"code": 1, "message": "m"}}',
    '{"id": true, "result": {}}',  # JSON true is not request 1
    '{"id": 1.0, "result": "float id"}',
    '{"method": 5, "params": {}}',
    '{"method": null, "id": 3}',
    '{"result": {}}',  # a response without an id
    '{"method": "thread/status/changed", "params": "not an object"}',
    '{"method": "turn/completed", "params": {"turn": "not an object"}}',
    '{"method": "item/agentMessage/delta", "params": {"turnId": 7, "delta": 1}}',
    "[" * 100_000,  # nesting too deep for any parser
]
#: Invalid UTF-8, a NUL byte, a lone surrogate and a BOM, each on its own line.
RAW_GARBAGE = b"\xff\xfe\xfd\n\x00\n" + b'{"method": "x", "params": {"s": "\xed\xa0\x80"}}\n'
RAW_GARBAGE += b'\xef\xbb\xbf{"method": "bom/prefixed"}\n'

UNKNOWN_METHOD = {"method": "brand/newThing", "params": {"threadId": "t", "shiny": [1, 2]}}
NEW_ENUM_VALUE = {
    "method": "thread/status/changed",
    "params": {"threadId": "t", "status": {"type": "hibernating", "since": 1}, "extra": True},
}


def garbage_params() -> dict[str, Any]:
    lines = [*GARBAGE_LINES, json.dumps(UNKNOWN_METHOD), json.dumps(NEW_ENUM_VALUE)]
    return {"lines": lines, "rawBase64": base64.b64encode(RAW_GARBAGE).decode()}


def test_garbage_on_start_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="codex_app_server")
    with Codex(fake_config("garbage-on-start")) as codex:
        assert codex.thread_start().run("still fine").final_response == "still fine"
    assert any("not JSON" in r.getMessage() for r in caplog.records)


def test_every_kind_of_garbage_is_skipped_and_the_reader_lives(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Regression: a response with an unhashable id (`{"id": [1], ...}`) raised TypeError
    in the router, which killed the reader and failed the whole connection."""
    caplog.set_level(logging.WARNING, logger="codex_app_server")
    with AppServerClient(fake_config()) as client:
        pending = threading.Event()
        answers: list[Any] = []

        def slow_request() -> None:  # in flight while the garbage arrives
            pending.set()
            answers.append(client.request("fake/delay", {"ms": 300, "result": "survived"}))

        waiter = threading.Thread(target=slow_request)
        waiter.start()
        assert pending.wait(TIMEOUT)
        assert client.request("fake/garbage", garbage_params()) == {}
        waiter.join(TIMEOUT)
        assert answers == ["survived"]
        assert not client.closed
        assert client.request("fake/echo", {"ok": 1}) == {"ok": 1}

        notes = []
        while True:
            note = client.next_notification(timeout=TIMEOUT)
            notes.append(note)
            if note.method == "thread/status/changed" and "status" in note.params:
                break
        unknown = next(n for n in notes if n.method == "brand/newThing")
        assert isinstance(unknown.payload, UnknownNotification)
        assert unknown.payload.params == UNKNOWN_METHOD["params"]
        changed = notes[-1]
        assert changed.params == NEW_ENUM_VALUE["params"]  # nothing lost
        assert changed.payload is not None  # typed, or an UnknownNotification; never raises
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "not JSON" in messages and "unknown request id" in messages


async def test_async_garbage_is_skipped_and_the_reader_lives() -> None:
    async with AsyncAppServerClient(fake_config("garbage-on-start")) as client:
        assert await client.request("fake/garbage", garbage_params()) == {}
        assert not client.closed
        assert await client.request("fake/echo", {"ok": 1}) == {"ok": 1}
        while True:
            note = await client.next_notification(timeout=TIMEOUT)
            if note.method == "brand/newThing":
                assert isinstance(note.payload, UnknownNotification)
                break


AGENT_MESSAGE = {"type": "agentMessage", "id": "m1", "text": "hi"}


def run_with_injected_events(events: list[tuple[str, dict[str, Any]]]) -> Any:
    """Run a turn whose notifications are `events` (`ids` placeholders filled in)."""
    with Codex(fake_config()) as codex:
        thread = codex.thread_start()
        handle = thread.turn("SILENT")
        ids = {"threadId": thread.id, "turnId": handle.id}
        completed = {
            "threadId": thread.id,
            "turn": {
                "id": handle.id,
                "status": "completed",
                "items": [],
                "error": None,
                "brandNewField": {"x": 1},  # an extra field in a known payload
            },
        }
        for method, params in [*events, ("turn/completed", completed)]:
            codex.client.request("fake/notify", {"method": method, "params": {**ids, **params}})
        methods = [note.method for note in handle.stream()]
        assert methods[-1] == "turn/completed"
        return handle.collector.result(), methods


def test_unknown_methods_and_extra_fields_in_a_turn_do_not_break_run() -> None:
    result, methods = run_with_injected_events(
        [
            ("brand/newTurnEvent", {"anything": {"goes": True}}),
            ("item/completed", {"item": {**AGENT_MESSAGE, "newField": 1}}),
        ]
    )
    assert "brand/newTurnEvent" in methods
    assert result.final_response == "hi"
    assert result.turn.status.value == "completed"


def test_an_item_of_an_unknown_type_does_not_break_run() -> None:
    result, _ = run_with_injected_events(
        [
            ("item/completed", {"item": {"type": "hologram", "id": "h1", "x": [1]}}),
            ("item/completed", {"item": AGENT_MESSAGE}),
        ]
    )
    assert result.final_response == "hi"
    assert [item.type for item in result.items] == ["agentMessage"]
    assert result.turn is not None
    assert [item.type for item in result.turn.items] == ["agentMessage"]


# -- line limit -----------------------------------------------------------------------


def test_a_line_at_the_limit_is_accepted_and_one_byte_more_costs_only_its_request() -> None:
    with AppServerClient(fake_config(max_line_bytes=MiB)) as client:
        assert client.request("fake/bigline", {"bytes": MiB}) == {}
        note = client.next_notification(timeout=TIMEOUT)
        assert note.method == "fake/bigline" and len(note.params["data"]) > MiB - 200

        waiter_error: list[BaseException] = []

        def waiter() -> None:
            try:
                client.request("fake/delay", {"ms": 300, "result": {"ok": 1}})
            except BaseException as exc:
                waiter_error.append(exc)

        thread = threading.Thread(target=waiter)
        thread.start()
        wait_for(lambda: client._router.pending_count == 1, what="the waiter")
        t0 = time.monotonic()
        with pytest.raises(MessageTooLargeError, match="max_line_bytes=1048576"):
            client.request("fake/bigResponse", {"bytes": MiB + 1})
        assert time.monotonic() - t0 < 1.0
        thread.join(TIMEOUT)
        assert waiter_error == []  # the other request got its answer
        assert client.request("fake/echo", {"still": "alive"}) == {"still": "alive"}
        assert not client.closed


async def test_async_line_limit() -> None:
    tasks_before = other_tasks()
    async with AsyncAppServerClient(fake_config(max_line_bytes=MiB)) as client:
        pid = client._transport.pid  # type: ignore[attr-defined]
        assert await client.request("fake/bigline", {"bytes": MiB}) == {}
        note = await client.next_notification(timeout=TIMEOUT)
        assert note.method == "fake/bigline"
        other = asyncio.ensure_future(client.request("fake/delay", {"ms": 300}))
        with pytest.raises(MessageTooLargeError):
            await client.request("fake/bigResponse", {"bytes": MiB + 1})
        assert await other == {}
        assert await client.request("fake/echo", {"a": 1}) == {"a": 1}
        await client.close()
        assert not process_is_alive(pid)
    assert other_tasks() == tasks_before


def test_the_default_limit_accepts_a_5_mib_line() -> None:
    assert 64 * MiB <= DEFAULT_MAX_LINE_BYTES
    with AppServerClient(fake_config()) as client:
        assert client.request("fake/bigline", {"bytes": 5 * MiB}) == {}
        note = client.next_notification(timeout=TIMEOUT)
        assert len(note.params["data"]) > 5 * MiB - 200


async def test_async_default_limit_accepts_a_5_mib_line() -> None:
    async with AsyncAppServerClient(fake_config()) as client:
        assert await client.request("fake/bigline", {"bytes": 5 * MiB}) == {}
        note = await client.next_notification(timeout=TIMEOUT)
        assert len(note.params["data"]) > 5 * MiB - 200


def test_a_huge_stderr_line_is_kept_bounded() -> None:
    with AppServerClient(fake_config()) as client:
        client.request("fake/stderr", {"text": "E" * (3 * MiB) + "\nlast words\n"})
        transport = client._transport
        wait_for(lambda: "last words" in transport._stderr.lines, what="stderr")  # type: ignore[attr-defined]
        assert all(len(line) <= 64 * 1024 for line in transport._stderr.lines)  # type: ignore[attr-defined]
