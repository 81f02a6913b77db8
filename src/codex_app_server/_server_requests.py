"""Safe answers to the requests the app-server sends its client.

With no handler installed, the client never says yes: approvals are declined, questions
and elicitations are declined, unknown tool calls fail with a message the agent can read,
auth refresh and attestation fail cleanly. Every reply is valid under the schema.
"""

from __future__ import annotations

import time
from typing import Any

from ._errors import JsonRpcError

#: Server request method -> the safe default reply (a result dict).
_DECLINE: dict[str, dict[str, Any]] = {
    "item/commandExecution/requestApproval": {"decision": "decline"},
    "item/fileChange/requestApproval": {"decision": "decline"},
    # Grant nothing: an empty permission profile, for this turn only.
    "item/permissions/requestApproval": {"permissions": {}, "scope": "turn"},
    "item/tool/requestUserInput": {"answers": {}},
    "mcpServer/elicitation/request": {"action": "decline"},
    "applyPatchApproval": {"decision": "denied"},
    "execCommandApproval": {"decision": "denied"},
}


class DeclinedRequest(JsonRpcError):
    """A server request the client refuses with a JSON-RPC error (no valid "no" result exists)."""


def default_reply(method: str, params: dict[str, Any]) -> dict[str, Any]:
    """The safe reply to a server request nobody handles; raises `JsonRpcError` to refuse."""
    reply = _DECLINE.get(method)
    if reply is not None:
        return dict(reply)
    if method == "item/tool/call":
        tool = params.get("tool", "?")
        return tool_failure(f"no handler is installed for the client tool {tool!r}")
    if method == "currentTime/read":
        return {"currentTimeAt": int(time.time())}
    if method == "account/chatgptAuthTokens/refresh":
        raise DeclinedRequest(-32000, "this client cannot refresh ChatGPT auth tokens")
    if method == "attestation/generate":
        raise DeclinedRequest(-32000, "this client does not provide attestation")
    raise DeclinedRequest(-32601, f"client does not handle server request {method!r}")


def tool_failure(message: str) -> dict[str, Any]:
    """A dynamic-tool reply telling the agent the call failed, and why."""
    return {"contentItems": [{"type": "inputText", "text": message}], "success": False}


def error_reply(request_id: int | str, exc: BaseException) -> dict[str, Any]:
    """The JSON-RPC error message answering `request_id` with `exc`."""
    if isinstance(exc, JsonRpcError):
        code, message = exc.code, exc.message
    else:
        code, message = -32603, f"client handler failed: {type(exc).__name__}: {exc}"
    return {"id": request_id, "error": {"code": code, "message": message}}
