"""Safe answers to the requests the app-server sends its client.

With no handler installed, the client never says yes: approvals are declined, questions
and elicitations are declined, permission requests grant nothing, unknown tool calls fail
with a message the agent can read, auth refresh and attestation fail cleanly. Every reply
is valid under the schema (the tests check each one against the generated response model).
"""

from __future__ import annotations

import copy
import time
from typing import Any

from .errors import DeclinedRequest, JsonRpcError

COMMAND_APPROVAL = "item/commandExecution/requestApproval"
FILE_CHANGE_APPROVAL = "item/fileChange/requestApproval"
PERMISSIONS_APPROVAL = "item/permissions/requestApproval"
USER_INPUT = "item/tool/requestUserInput"
ELICITATION = "mcpServer/elicitation/request"
TOOL_CALL = "item/tool/call"
AUTH_REFRESH = "account/chatgptAuthTokens/refresh"
CURRENT_TIME = "currentTime/read"
ATTESTATION = "attestation/generate"
#: The v1 (legacy) approval requests.
LEGACY_EXEC_APPROVAL = "execCommandApproval"
LEGACY_PATCH_APPROVAL = "applyPatchApproval"

#: What a legacy (v1) decline says to the agent.
LEGACY_REJECTION = "declined by the client"

#: Server request method -> the safe default reply (a result dict).
_DECLINE: dict[str, dict[str, Any]] = {
    COMMAND_APPROVAL: {"decision": "decline"},
    FILE_CHANGE_APPROVAL: {"decision": "decline"},
    # Grant nothing: permissions left out of the reply are denied.
    PERMISSIONS_APPROVAL: {"permissions": {}, "scope": "turn"},
    # No answer to any question.
    USER_INPUT: {"answers": {}},
    ELICITATION: {"action": "decline"},
    LEGACY_PATCH_APPROVAL: {"decision": {"denied": {"rejection": LEGACY_REJECTION}}},
    LEGACY_EXEC_APPROVAL: {"decision": {"denied": {"rejection": LEGACY_REJECTION}}},
}


def default_reply(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The safe reply to a server request nobody handles; raises `JsonRpcError` to refuse."""
    reply = _DECLINE.get(method)
    if reply is not None:
        return copy.deepcopy(reply)
    if method == TOOL_CALL:
        tool = params.get("tool", "?")
        return tool_failure(f"no handler is installed for the client tool {tool!r}")
    if method == CURRENT_TIME:
        return {"currentTimeAt": int(time.time())}
    if method == AUTH_REFRESH:
        raise DeclinedRequest(-32000, "this client cannot refresh ChatGPT auth tokens")
    if method == ATTESTATION:
        raise DeclinedRequest(-32000, "this client does not provide attestation")
    raise DeclinedRequest(-32601, f"client does not handle server request {method!r}")


def timeout_reply(method: str, params: dict[str, Any], seconds: float) -> dict[str, Any]:
    """The reply to a request whose handler did not answer within `seconds`: the safe
    default, except that a tool call tells the agent it timed out."""
    if method == TOOL_CALL:
        tool = params.get("tool", "?")
        return tool_failure(f"the client tool {tool!r} did not answer within {seconds:g}s")
    return default_reply(method, params)


def tool_failure(message: str) -> dict[str, Any]:
    """A dynamic-tool reply telling the agent the call failed, and why."""
    return {"contentItems": [{"type": "inputText", "text": message}], "success": False}


def tool_text(text: str) -> dict[str, Any]:
    """A successful dynamic-tool reply carrying `text`."""
    return {"contentItems": [{"type": "inputText", "text": text}], "success": True}


def error_reply(request_id: int | str, exc: BaseException) -> dict[str, Any]:
    """The JSON-RPC error message answering `request_id` with `exc`."""
    if isinstance(exc, JsonRpcError):
        code, message = exc.code, exc.message
    else:
        code, message = -32603, f"client handler failed: {type(exc).__name__}: {exc}"
    return {"id": request_id, "error": {"code": code, "message": message}}
