"""Server-request handlers on the sync client: precedence, tools, failures and timeouts,
and that nothing blocks the reader."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
from typing import Any

import pytest

from codex_app_server import Codex, ServerRequestHandlers, approve_all, tool
from codex_app_server.testing import MockTransport
from tests.support.mock_server import FAST, MockAppServer

from .handler_samples import (
    COMMAND,
    FILE_CHANGE,
    SAMPLES,
    TOOL_CALL,
    SlowHandler,
    ask,
    client_with,
)

# -- precedence ------------------------------------------------------------------------


def test_thread_handlers_override_client_handlers(
    transport: MockTransport, server: MockAppServer
) -> None:
    decline_all = ServerRequestHandlers(command_approval=lambda p: "decline")
    with Codex(FAST, transport=transport, handlers=approve_all) as codex:
        strict = codex.thread_start(handlers=decline_all)
        relaxed = codex.thread_start()
        assert ask(transport, COMMAND, {**SAMPLES[COMMAND], "threadId": strict.id})["result"] == {
            "decision": "decline"
        }
        assert ask(transport, COMMAND, {**SAMPLES[COMMAND], "threadId": relaxed.id})["result"] == {
            "decision": "accept"
        }
        # A thread handler answering None passes the request on to the client-wide one.
        undecided = codex.thread_start(handlers={COMMAND: lambda p: None})
        assert ask(transport, COMMAND, {**SAMPLES[COMMAND], "threadId": undecided.id})[
            "result"
        ] == {"decision": "accept"}


def test_none_everywhere_falls_back_to_the_safe_default(transport: MockTransport) -> None:
    with Codex(FAST, transport=transport, handlers={COMMAND: lambda p: None}) as codex:
        thread = codex.thread_start(handlers={COMMAND: lambda p: None})
        reply = ask(transport, COMMAND, {**SAMPLES[COMMAND], "threadId": thread.id})
    assert reply["result"] == {"decision": "decline"}


def test_fork_inherits_and_resume_overrides(
    transport: MockTransport, server: MockAppServer
) -> None:
    server.results["thread/fork"] = {"thread": {"id": "thr_fork"}}
    server.results["thread/resume"] = {"thread": {"id": "thr_resumed"}}
    with Codex(FAST, transport=transport) as codex:
        parent = codex.thread_start(handlers=approve_all)
        fork = codex.thread_fork(parent.id)
        assert fork.id == "thr_fork"
        assert ask(transport, COMMAND, {**SAMPLES[COMMAND], "threadId": "thr_fork"})["result"] == {
            "decision": "accept"
        }
        codex.thread_resume("thr_resumed", handlers={COMMAND: lambda p: "cancel"})
        assert ask(transport, COMMAND, {**SAMPLES[COMMAND], "threadId": "thr_resumed"})[
            "result"
        ] == {"decision": "cancel"}


def test_raw_server_request_handler_comes_first_and_none_passes_on(
    transport: MockTransport,
) -> None:
    seen: list[str] = []

    def raw(request: Any) -> Any:
        seen.append(request.method)
        return {"decision": "cancel"} if request.method == COMMAND else None

    with client_with(transport, server_request_handler=raw, handlers=approve_all):
        assert ask(transport, COMMAND)["result"] == {"decision": "cancel"}
        assert ask(transport, FILE_CHANGE)["result"] == {"decision": "accept"}
    assert seen == [COMMAND, FILE_CHANGE]


# -- tools -----------------------------------------------------------------------------


def test_tools_are_sent_and_called_per_thread(transport: MockTransport) -> None:
    @tool
    def lookup(id: str) -> dict[str, str]:
        """Look up a ticket."""
        return {"id": id, "status": "open"}

    def everywhere(x: int) -> int:
        """Everywhere."""
        return x * 2

    with Codex(FAST, transport=transport, tools=[everywhere]) as codex:
        thread = codex.thread_start(tools=[lookup])
        other = codex.thread_start()
        starts = [m for m in transport.received if m.get("method") == "thread/start"]
        specs = starts[0]["params"]["dynamicTools"]
        assert [s["name"] for s in specs] == ["everywhere", "lookup"]
        assert specs[1] == {
            "type": "function",
            "name": "lookup",
            "description": "Look up a ticket.",
            "inputSchema": {
                "type": "object",
                "properties": {"id": {"type": "string"}},
                "required": ["id"],
                "additionalProperties": False,
            },
        }
        assert [s["name"] for s in starts[1]["params"]["dynamicTools"]] == ["everywhere"]

        def call(thread_id: str, name: str, arguments: Any) -> Any:
            params = {**SAMPLES[TOOL_CALL], "threadId": thread_id, "tool": name}
            return ask(transport, TOOL_CALL, {**params, "arguments": arguments})["result"]

        assert call(thread.id, "lookup", {"id": "A-1"}) == {
            "contentItems": [{"type": "inputText", "text": '{"id":"A-1","status":"open"}'}],
            "success": True,
        }
        assert call(other.id, "everywhere", {"x": 21})["contentItems"][0]["text"] == "42"
        # Registered for its thread only.
        missing = call(other.id, "lookup", {"id": "A-1"})
        assert missing["success"] is False and "lookup" in missing["contentItems"][0]["text"]
        bad = call(thread.id, "lookup", {"ident": "A-1"})
        assert bad["success"] is False
        assert "id: Field required" in bad["contentItems"][0]["text"]


def test_tool_call_handler_errors_reach_the_agent(transport: MockTransport) -> None:
    def broken(params: Any) -> str:
        raise LookupError("no such ticket")

    with client_with(transport, handlers=ServerRequestHandlers(tool_call=broken)):
        result = ask(transport, TOOL_CALL)["result"]
    assert result["success"] is False
    assert "LookupError: no such ticket" in result["contentItems"][0]["text"]


# -- failures, timeouts, never on the reader --------------------------------------------


def test_handler_that_raises_gets_an_error_reply_and_the_client_keeps_working(
    transport: MockTransport, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(params: Any) -> str:
        raise RuntimeError("handler bug")

    with (
        caplog.at_level(logging.ERROR, "codex_app_server"),
        client_with(transport, handlers=ServerRequestHandlers(command_approval=broken)) as c,
    ):
        reply = ask(transport, COMMAND)
        assert reply["error"]["code"] == -32603
        assert "RuntimeError: handler bug" in reply["error"]["message"]
        assert c.request("thread/start", {})["thread"]["id"]
        assert ask(transport, FILE_CHANGE)["result"] == {"decision": "decline"}
    assert any("handler bug" in r.getMessage() for r in caplog.records)


def test_handler_that_never_returns_is_declined_after_the_timeout(
    transport: MockTransport,
) -> None:
    release = threading.Event()

    def stuck(params: Any) -> str:
        release.wait(10)
        return "accept"

    config = dataclasses.replace(FAST, server_request_timeout=0.2)
    handlers = ServerRequestHandlers(command_approval=stuck, tool_call=stuck)
    try:
        with client_with(transport, config=config, handlers=handlers):
            assert ask(transport, COMMAND)["result"] == {"decision": "decline"}
            result = ask(transport, TOOL_CALL)["result"]
            assert result["success"] is False and "did not answer" in str(result)
    finally:
        release.set()


def test_async_handler_in_the_sync_client(transport: MockTransport) -> None:
    async def review(params: Any) -> str:
        await asyncio.sleep(0)
        return "acceptForSession"

    with client_with(transport, handlers=ServerRequestHandlers(command_approval=review)):
        assert ask(transport, COMMAND)["result"] == {"decision": "acceptForSession"}


def test_slow_handler_does_not_block_notifications_or_responses(
    transport: MockTransport, slow_handler: SlowHandler
) -> None:
    with Codex(FAST, transport=transport, handlers={COMMAND: slow_handler}) as codex:
        transport.send({"id": "srv-slow", "method": COMMAND, "params": SAMPLES[COMMAND]})
        assert slow_handler.entered.wait(5)
        started = time.monotonic()
        result = codex.thread_start().run("still streaming while a handler waits")
        elapsed = time.monotonic() - started
        assert result.final_response == "still streaming while a handler waits"
        assert elapsed < 1.0
        assert not any(m.get("id") == "srv-slow" for m in transport.received)
        slow_handler.release.set()
        reply = transport.wait_for(lambda m: m.get("id") == "srv-slow" and "method" not in m)
        assert reply["result"] == {"decision": "accept"}
