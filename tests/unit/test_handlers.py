"""Server-request handlers: the generated models, the safe defaults, typed handlers and how
their answers become each method's decision, and validation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

import pytest
from pydantic import TypeAdapter

from codex_app_server import AppServerClient, Codex, ServerRequestHandlers, approve_all
from codex_app_server.generated import v2_all
from codex_app_server.generated.protocol_registry import SERVER_REQUESTS
from codex_app_server.testing import MockTransport

from .handler_samples import (
    AUTH_REFRESH,
    COMMAND,
    ELICITATION,
    FILE_CHANGE,
    PERMISSIONS,
    REFUSED_BY_DEFAULT,
    SAMPLES,
    TOOL_CALL,
    USER_INPUT,
    ask,
    client_with,
    validate_response,
)

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
        decision: Any = "acceptForSession"  # validated into the decision model
        return v2_all.CommandExecutionRequestApprovalResponse(decision=decision)

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

    def record(params: Any) -> Literal["accept"]:
        called.append(params)
        return "accept"

    handlers = ServerRequestHandlers(command_approval=record)
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


def test_handlers_are_callable_checked(transport: MockTransport) -> None:
    bad: Callable[..., Any] = "nope"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        ServerRequestHandlers(command_approval=bad)
