"""Server-request handlers on the in-process mock transport: defaults, typed handlers,
decisions, validation, precedence, failures, timeouts, and that nothing blocks the reader."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import TypeAdapter

from codex_app_server import (
    AppServerClient,
    AsyncAppServerClient,
    AsyncCodex,
    Codex,
    ServerRequestHandlers,
    approve_all,
    tool,
)
from codex_app_server.generated import v2_all
from codex_app_server.generated.protocol_registry import SERVER_REQUESTS
from codex_app_server.testing import AsyncMockTransport, MockTransport
from tests.support.mock_server import FAST, MockAppServer

COMMAND = "item/commandExecution/requestApproval"
FILE_CHANGE = "item/fileChange/requestApproval"
PERMISSIONS = "item/permissions/requestApproval"
USER_INPUT = "item/tool/requestUserInput"
ELICITATION = "mcpServer/elicitation/request"
TOOL_CALL = "item/tool/call"
AUTH_REFRESH = "account/chatgptAuthTokens/refresh"

BASE = {"threadId": "thr_x", "turnId": "turn_1", "itemId": "item_1", "startedAtMs": 1}

#: Valid params for every server request of the generated registry.
SAMPLES: dict[str, dict[str, Any]] = {
    COMMAND: {
        **BASE,
        "kind": "command",
        "command": "/bin/bash -c 'touch marker'",
        "cwd": "/tmp/work",
        "commandActions": [{"type": "unknown", "command": "touch marker"}],
        "proposedExecpolicyAmendment": ["touch", "marker"],
        "availableDecisions": ["accept", "cancel"],
    },
    FILE_CHANGE: {**BASE, "reason": "edit a file"},
    PERMISSIONS: {
        **BASE,
        "cwd": "/tmp/work",
        "permissions": {"network": {"enabled": True}, "fileSystem": {"write": ["/tmp/x"]}},
    },
    USER_INPUT: {
        "threadId": "thr_x",
        "turnId": "turn_1",
        "itemId": "item_1",
        "isBlocking": True,
        "questions": [{"id": "color", "header": "Color", "question": "Which color?"}],
    },
    ELICITATION: {
        "threadId": "thr_x",
        "turnId": None,
        "serverName": "docs",
        "mode": "url",
        "message": "Sign in",
        "url": "https://example.com/login",
        "elicitationId": "el_1",
    },
    TOOL_CALL: {
        "threadId": "thr_x",
        "turnId": "turn_1",
        "callId": "call_1",
        "tool": "lookup",
        "namespace": None,
        "arguments": {"id": "ABC-1"},
    },
    AUTH_REFRESH: {"reason": "unauthorized", "previousAccountId": None},
    "currentTime/read": {"threadId": "thr_x"},
    "attestation/generate": {},
    "execCommandApproval": {
        "conversationId": "thr_x",
        "callId": "c1",
        "command": ["ls"],
        "cwd": "/tmp",
        "parsedCmd": [],
    },
    "applyPatchApproval": {"conversationId": "thr_x", "callId": "c1", "fileChanges": {}},
}

#: Requests with no valid "no" result: refused with a JSON-RPC error by default.
REFUSED_BY_DEFAULT = {AUTH_REFRESH, "attestation/generate"}

_ids = itertools.count(1000)


def validate_response(method: str, result: Any) -> Any:
    return TypeAdapter(getattr(v2_all, SERVER_REQUESTS[method][1])).validate_python(result)


def ask(transport: MockTransport, method: str, params: Any = None, timeout: float = 5.0) -> Any:
    """Send a server request to the client; return the client's reply message."""
    request_id = next(_ids)
    transport.send({"id": request_id, "method": method, "params": params or SAMPLES[method]})
    return transport.wait_for(
        lambda m: m.get("id") == request_id and "method" not in m, timeout=timeout
    )


async def ask_async(
    transport: AsyncMockTransport, method: str, params: Any = None, timeout: float = 5.0
) -> Any:
    request_id = next(_ids)
    transport.send({"id": request_id, "method": method, "params": params or SAMPLES[method]})
    return await asyncio.to_thread(
        transport.wait_for,
        lambda m: m.get("id") == request_id and "method" not in m,
        timeout,
    )


def client_with(transport: MockTransport, **kwargs: Any) -> AppServerClient:
    client = AppServerClient(kwargs.pop("config", FAST), transport=transport, **kwargs)
    client.start()
    return client


# -- generated models ------------------------------------------------------------------


def test_every_server_request_has_typed_params_and_response() -> None:
    assert len(SERVER_REQUESTS) == 11
    assert set(SAMPLES) == set(SERVER_REQUESTS), "a new server request needs a sample here"
    for method, (params_name, response_name) in SERVER_REQUESTS.items():
        TypeAdapter(getattr(v2_all, params_name)).validate_python(SAMPLES[method])
        assert getattr(v2_all, response_name) is not None


# -- safe defaults ---------------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(SERVER_REQUESTS))
def test_default_reply_is_valid_and_never_accepts(
    transport: MockTransport, client: AppServerClient, method: str
) -> None:
    reply = ask(transport, method)
    if method in REFUSED_BY_DEFAULT:
        assert reply["error"]["code"] in (-32000, -32601)
        return
    result = reply["result"]
    assert result != {}
    validate_response(method, result)  # schema-valid
    flat = str(result)
    assert "accept" not in flat and "approved" not in flat
    if method in (COMMAND, FILE_CHANGE):
        assert result == {"decision": "decline"}
    elif method == PERMISSIONS:
        assert result["permissions"] == {}  # nothing granted
    elif method == USER_INPUT:
        assert result == {"answers": {}}
    elif method == ELICITATION:
        assert result == {"action": "decline"}
    elif method == TOOL_CALL:
        assert result["success"] is False
        assert "lookup" in result["contentItems"][0]["text"]
    elif method in ("execCommandApproval", "applyPatchApproval"):
        assert "denied" in result["decision"]


def test_unknown_server_request_gets_method_not_found(
    transport: MockTransport, client: AppServerClient
) -> None:
    reply = ask(transport, "brand/newRequest", {"threadId": "thr_x"})
    assert reply["error"]["code"] == -32601


# -- typed handlers and decisions ----------------------------------------------------------

DECISIONS: list[tuple[str, Any, Any]] = [
    (COMMAND, "accept", {"decision": "accept"}),
    (COMMAND, "acceptForSession", {"decision": "acceptForSession"}),
    (COMMAND, "decline", {"decision": "decline"}),
    (COMMAND, "cancel", {"decision": "cancel"}),
    (COMMAND, True, {"decision": "accept"}),
    (COMMAND, False, {"decision": "decline"}),
    (
        COMMAND,
        "acceptWithExecpolicyAmendment",
        {
            "decision": {
                "acceptWithExecpolicyAmendment": {"execpolicy_amendment": ["touch", "marker"]}
            }
        },
    ),
    (FILE_CHANGE, "accept", {"decision": "accept"}),
    (FILE_CHANGE, "acceptForSession", {"decision": "acceptForSession"}),
    (FILE_CHANGE, "cancel", {"decision": "cancel"}),
    (
        PERMISSIONS,
        "accept",
        {
            "permissions": {"network": {"enabled": True}, "fileSystem": {"write": ["/tmp/x"]}},
            "scope": "turn",
        },
    ),
    (
        PERMISSIONS,
        "acceptForSession",
        {
            "permissions": {"network": {"enabled": True}, "fileSystem": {"write": ["/tmp/x"]}},
            "scope": "session",
        },
    ),
    (PERMISSIONS, "decline", {"permissions": {}, "scope": "turn"}),
    (USER_INPUT, "decline", {"answers": {}}),
    (USER_INPUT, {"color": "Blue"}, {"answers": {"color": {"answers": ["Blue"]}}}),
    (USER_INPUT, {"color": ["Red", "Blue"]}, {"answers": {"color": {"answers": ["Red", "Blue"]}}}),
    (
        USER_INPUT,
        {"answers": {"color": {"answers": ["Red"]}}},
        {"answers": {"color": {"answers": ["Red"]}}},
    ),
    (ELICITATION, "accept", {"action": "accept"}),
    (ELICITATION, "cancel", {"action": "cancel"}),
    (
        ELICITATION,
        {"action": "accept", "content": {"ok": 1}},
        {"action": "accept", "content": {"ok": 1}},
    ),
    (
        TOOL_CALL,
        "the answer",
        {"contentItems": [{"type": "inputText", "text": "the answer"}], "success": True},
    ),
    (
        AUTH_REFRESH,
        {"accessToken": "tok", "chatgptAccountId": "acc"},
        {"accessToken": "tok", "chatgptAccountId": "acc"},
    ),
    ("currentTime/read", {"currentTimeAt": 5}, {"currentTimeAt": 5}),
    ("attestation/generate", {"token": "opaque"}, {"token": "opaque"}),
    ("execCommandApproval", "accept", {"decision": "approved"}),
    (
        "execCommandApproval",
        "decline",
        {"decision": {"denied": {"rejection": "declined by the client"}}},
    ),
    ("applyPatchApproval", "acceptForSession", {"decision": "approved_for_session"}),
    ("applyPatchApproval", "cancel", {"decision": "abort"}),
]


def test_every_method_has_a_custom_answer_test() -> None:
    assert {method for method, _, _ in DECISIONS} == set(SERVER_REQUESTS)


@pytest.mark.parametrize(("method", "answer", "expected"), DECISIONS)
def test_handler_answers_are_translated_per_method(
    transport: MockTransport, method: str, answer: Any, expected: Any
) -> None:
    seen: list[Any] = []

    def handler(params: Any) -> Any:
        seen.append(params)
        return answer

    with client_with(transport, handlers={method: handler}):
        reply = ask(transport, method)
    assert reply["result"] == expected
    validate_response(method, reply["result"])
    assert type(seen[0]).__name__ == SERVER_REQUESTS[method][0] or (
        method == ELICITATION
        and type(seen[0]).__name__.endswith("McpServerElicitationRequestParams")
    )


def test_named_slots_receive_typed_params(transport: MockTransport) -> None:
    got: dict[str, Any] = {}

    def command(params: v2_all.CommandExecutionRequestApprovalParams) -> str:
        got["command"] = params.command
        got["amendment"] = params.proposed_execpolicy_amendment
        return "accept"

    def user_input(params: v2_all.ToolRequestUserInputParams) -> dict[str, str]:
        return {q.id: "yes" for q in params.questions}

    handlers = ServerRequestHandlers(command_approval=command, user_input=user_input)
    with client_with(transport, handlers=handlers):
        assert ask(transport, COMMAND)["result"] == {"decision": "accept"}
        assert ask(transport, USER_INPUT)["result"] == {"answers": {"color": {"answers": ["yes"]}}}
        # Slots that were not given keep the safe default.
        assert ask(transport, FILE_CHANGE)["result"] == {"decision": "decline"}
    assert got == {"command": "/bin/bash -c 'touch marker'", "amendment": ["touch", "marker"]}


def test_typed_response_model_is_accepted(transport: MockTransport) -> None:
    def command(params: Any) -> Any:
        return v2_all.CommandExecutionRequestApprovalResponse(decision="acceptForSession")

    with client_with(transport, handlers=ServerRequestHandlers(command_approval=command)):
        assert ask(transport, COMMAND)["result"] == {"decision": "acceptForSession"}


@pytest.mark.parametrize(
    ("method", "bad"),
    [
        (COMMAND, "yes please"),
        (COMMAND, {"decision": "acept"}),
        (COMMAND, {}),
        (COMMAND, 42),
        (FILE_CHANGE, "acceptWithExecpolicyAmendment"),
        (PERMISSIONS, {"permissions": "all"}),
        (USER_INPUT, "accept"),
        (ELICITATION, "acceptForSession"),
        (TOOL_CALL, {}),
        (TOOL_CALL, {"contentItems": [{"type": "inputText", "text": "x"}]}),
    ],
)
def test_invalid_reply_is_replaced_by_the_safe_default_and_logged(
    transport: MockTransport, caplog: pytest.LogCaptureFixture, method: str, bad: Any
) -> None:
    with (
        caplog.at_level(logging.ERROR, "codex_app_server"),
        client_with(transport, handlers={method: lambda params: bad}),
    ):
        reply = ask(transport, method)
    result = reply["result"]
    validate_response(method, result)
    if method == TOOL_CALL:
        assert result["success"] is False and "invalid reply" in result["contentItems"][0]["text"]
    else:
        assert "accept" not in str(result)
    assert any("invalid reply" in r.getMessage() for r in caplog.records)


def test_command_amendment_without_a_proposal_is_declined(transport: MockTransport) -> None:
    params = {**SAMPLES[COMMAND], "proposedExecpolicyAmendment": None}
    handlers = {COMMAND: lambda p: "acceptWithExecpolicyAmendment"}
    with client_with(transport, handlers=handlers):
        assert ask(transport, COMMAND, params)["result"] == {"decision": "decline"}


def test_params_that_do_not_validate_are_declined_without_calling_the_handler(
    transport: MockTransport, caplog: pytest.LogCaptureFixture
) -> None:
    called: list[Any] = []
    handlers = ServerRequestHandlers(command_approval=lambda p: called.append(p) or "accept")
    with (
        caplog.at_level(logging.WARNING, "codex_app_server"),
        client_with(transport, handlers=handlers),
    ):
        reply = ask(transport, COMMAND, {"threadId": "thr_x", "command": ["not", "a", "str"]})
    assert reply["result"] == {"decision": "decline"}
    assert called == []
    assert any("safe default" in r.getMessage() for r in caplog.records)


def test_auth_refresh_decline_is_an_error_reply(transport: MockTransport) -> None:
    with client_with(transport, handlers=ServerRequestHandlers(auth_refresh=lambda p: "decline")):
        reply = ask(transport, AUTH_REFRESH)
    assert reply["error"]["code"] == -32000


def test_by_method_handles_unknown_methods_with_raw_params(transport: MockTransport) -> None:
    seen: list[Any] = []

    def handler(params: Any) -> dict[str, Any]:
        seen.append(params)
        return {"ok": True}

    with client_with(transport, handlers={"brand/newRequest": handler}):
        reply = ask(transport, "brand/newRequest", {"x": 1})
    assert reply["result"] == {"ok": True}
    assert seen == [{"x": 1}]


def test_a_method_cannot_have_two_handlers() -> None:
    with pytest.raises(ValueError, match="both"):
        ServerRequestHandlers(command_approval=lambda p: "accept", by_method={COMMAND: print})
    with pytest.raises(TypeError):
        ServerRequestHandlers(by_method={COMMAND: "accept"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        Codex(handlers=["not", "handlers"])  # type: ignore[arg-type]


def test_approve_all_is_explicit_and_limited_to_approvals(transport: MockTransport) -> None:
    with client_with(transport, handlers=approve_all):
        assert ask(transport, COMMAND)["result"] == {"decision": "accept"}
        assert ask(transport, FILE_CHANGE)["result"] == {"decision": "accept"}
        granted = ask(transport, PERMISSIONS)["result"]
        assert granted["permissions"] == SAMPLES[PERMISSIONS]["permissions"]
        # Not approvals: still the safe defaults.
        assert ask(transport, USER_INPUT)["result"] == {"answers": {}}
        assert ask(transport, ELICITATION)["result"] == {"action": "decline"}
        assert ask(transport, TOOL_CALL)["result"]["success"] is False
        # An MCP tool-call approval arrives as a form elicitation: approved.
        mcp_approval = {
            "threadId": "thr_x",
            "turnId": "turn_1",
            "serverName": "docs",
            "mode": "form",
            "message": 'Allow the docs MCP server to run tool "search"?',
            "requestedSchema": {"type": "object", "properties": {}},
            "_meta": {"codex_approval_kind": "mcp_tool_call"},
        }
        assert ask(transport, ELICITATION, mcp_approval)["result"] == {"action": "accept"}


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
    transport: MockTransport, server: MockAppServer
) -> None:
    entered = threading.Event()
    release = threading.Event()

    def slow(params: Any) -> str:
        entered.set()
        release.wait(10)
        return "accept"

    try:
        with Codex(FAST, transport=transport, handlers={COMMAND: slow}) as codex:
            transport.send({"id": "srv-slow", "method": COMMAND, "params": SAMPLES[COMMAND]})
            assert entered.wait(5)
            started = time.monotonic()
            result = codex.thread_start().run("still streaming while a handler waits")
            elapsed = time.monotonic() - started
            assert result.final_response == "still streaming while a handler waits"
            assert elapsed < 1.0
            assert not any(m.get("id") == "srv-slow" for m in transport.received)
            release.set()
            reply = transport.wait_for(lambda m: m.get("id") == "srv-slow" and "method" not in m)
            assert reply["result"] == {"decision": "accept"}
    finally:
        release.set()


# -- async client ------------------------------------------------------------------------


async def test_async_client_defaults_and_typed_handlers(
    async_transport: AsyncMockTransport,
) -> None:
    async def review(params: v2_all.CommandExecutionRequestApprovalParams) -> str:
        return "accept" if "touch" in (params.command or "") else "decline"

    def answer(params: v2_all.ToolRequestUserInputParams) -> dict[str, str]:
        assert threading.current_thread() is not threading.main_thread()
        return {"color": "Red"}

    handlers = ServerRequestHandlers(command_approval=review, user_input=answer)
    async with AsyncAppServerClient(FAST, transport=async_transport, handlers=handlers):
        assert (await ask_async(async_transport, COMMAND))["result"] == {"decision": "accept"}
        assert (await ask_async(async_transport, USER_INPUT))["result"] == {
            "answers": {"color": {"answers": ["Red"]}}
        }
        assert (await ask_async(async_transport, FILE_CHANGE))["result"] == {"decision": "decline"}
        assert (await ask_async(async_transport, AUTH_REFRESH))["error"]["code"] == -32000


async def test_async_handler_failures_and_timeouts(async_transport: AsyncMockTransport) -> None:
    async def broken(params: Any) -> str:
        raise RuntimeError("async bug")

    async def stuck(params: Any) -> str:
        await asyncio.Event().wait()
        return "accept"

    config = dataclasses.replace(FAST, server_request_timeout=0.2)
    handlers = ServerRequestHandlers(command_approval=broken, file_change_approval=stuck)
    async with AsyncAppServerClient(config, transport=async_transport, handlers=handlers) as c:
        reply = await ask_async(async_transport, COMMAND)
        assert reply["error"]["code"] == -32603 and "async bug" in reply["error"]["message"]
        assert (await ask_async(async_transport, FILE_CHANGE))["result"] == {"decision": "decline"}
        assert (await c.request("thread/start", {}))["thread"]["id"]


async def test_async_tools_and_thread_handlers(async_transport: AsyncMockTransport) -> None:
    @tool
    async def fetch(url: str) -> str:
        """Fetch a URL."""
        await asyncio.sleep(0)
        return f"<html>{url}</html>"

    async with AsyncCodex(FAST, transport=async_transport, handlers=approve_all) as codex:
        thread = await codex.thread_start(tools=[fetch], handlers={COMMAND: lambda p: "cancel"})
        params = {**SAMPLES[TOOL_CALL], "threadId": thread.id, "tool": "fetch"}
        result = (
            await ask_async(async_transport, TOOL_CALL, {**params, "arguments": {"url": "u"}})
        )["result"]
        assert result == {
            "contentItems": [{"type": "inputText", "text": "<html>u</html>"}],
            "success": True,
        }
        cancel = await ask_async(
            async_transport, COMMAND, {**SAMPLES[COMMAND], "threadId": thread.id}
        )
        assert cancel["result"] == {"decision": "cancel"}
        accept = await ask_async(async_transport, COMMAND)
        assert accept["result"] == {"decision": "accept"}
        start = next(m for m in async_transport.received if m.get("method") == "thread/start")
        assert start["params"]["dynamicTools"][0]["name"] == "fetch"


async def test_async_slow_handler_does_not_block_the_loop(
    async_transport: AsyncMockTransport,
) -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow(params: Any) -> str:
        entered.set()
        release.wait(10)
        return "decline"

    try:
        async with AsyncCodex(FAST, transport=async_transport, handlers={COMMAND: slow}) as codex:
            async_transport.send({"id": "srv-slow", "method": COMMAND, "params": SAMPLES[COMMAND]})
            assert await asyncio.to_thread(entered.wait, 5)
            result = await (await codex.thread_start()).run("the loop is free")
            assert result.final_response == "the loop is free"
            release.set()
    finally:
        release.set()


def test_handlers_are_callable_checked(transport: MockTransport) -> None:
    bad: Callable[..., Any] = "nope"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        ServerRequestHandlers(command_approval=bad)
