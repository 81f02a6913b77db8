"""How a server-request handler's answer becomes the reply (no I/O).

A `Plan` (made by `HandlerRegistry.plan`, see `handlers.py`) lists the handlers to try for
one request; the driver runs them in order and asks the plan for the reply: the handler's
return value translated to the method's wire reply (`"accept"`, `True`, an answer map, a
model, ...), validated against the generated response model, or the safe default. The
request's params are typed here first (`typed_params`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._logging import sdk_logger
from ..generated.protocol_registry import SERVER_REQUESTS
from .errors import DeclinedRequest
from .models import to_wire, validate_as
from .notifications import ServerRequest
from .server_requests import (
    AUTH_REFRESH,
    COMMAND_APPROVAL,
    ELICITATION,
    FILE_CHANGE_APPROVAL,
    LEGACY_EXEC_APPROVAL,
    LEGACY_PATCH_APPROVAL,
    LEGACY_REJECTION,
    PERMISSIONS_APPROVAL,
    TOOL_CALL,
    USER_INPUT,
    default_reply,
    tool_failure,
    tool_text,
)

if TYPE_CHECKING:
    from .handlers import _Call as Call

logger = sdk_logger("codex_app_server")


class Plan:
    """The handlers to try for one request, and how their answer becomes the reply."""

    def __init__(self, request: ServerRequest, params: Any, calls: list[Call]) -> None:
        self.request = request
        self.params = params
        self.calls = calls

    def reply(self, result: Any, call: Call | None) -> dict[str, Any]:
        """The reply for a handler's (non-None) `result`, or the safe default."""
        method = self.request.method
        if call is None:
            return default_reply(method, self.request.params)
        try:
            reply: dict[str, Any] = _translate(method, self.params, result)
            _validate_reply(method, reply)
        except DeclinedRequest:
            raise
        except Exception as exc:
            logger.error(
                "the %s for %s returned an invalid reply (%s: %.300s); sending the safe "
                "default instead",
                call.source,
                method,
                type(exc).__name__,
                exc,
            )
            if method == TOOL_CALL:
                return tool_failure(
                    f"the client's handler for tool {self.request.params.get('tool')!r} "
                    "returned an invalid reply"
                )
            return default_reply(method, self.request.params)
        return reply

    def failed(self, exc: Exception, call: Call) -> dict[str, Any]:
        """A handler raised: a tool call gets `success: false`; other requests re-raise
        (the driver sends the JSON-RPC error)."""
        logger.error(
            "the %s for %s raised %s: %s",
            call.source,
            self.request.method,
            type(exc).__name__,
            exc,
            exc_info=exc,
        )
        if self.request.method == TOOL_CALL and not isinstance(exc, DeclinedRequest):
            tool = self.request.params.get("tool")
            return tool_failure(f"tool {tool!r} failed: {type(exc).__name__}: {exc}")
        raise exc


def thread_of(request: ServerRequest) -> str | None:
    params = request.params
    value = params.get("threadId", params.get("conversationId"))
    return value if isinstance(value, str) else None


def typed_params(method: str, params: dict[str, Any]) -> tuple[Any, str | None]:
    """(typed params, None), or (None, why) when they do not validate; raw for unknown."""
    names = SERVER_REQUESTS.get(method)
    if names is None:
        return params, None
    try:
        typed = validate_as(names[0], params)
    except Exception as exc:
        return None, _one_line(exc)
    # A union of params is a RootModel: handlers get the branch itself (the form or URL
    # elicitation, ...), which is what they match on.
    from pydantic import BaseModel

    root = getattr(typed, "root", None)
    return (root if isinstance(root, BaseModel) else typed), None


def _validate_reply(method: str, reply: Any) -> None:
    names = SERVER_REQUESTS.get(method)
    if names is None:
        return
    if not isinstance(reply, dict):
        raise TypeError(f"a reply must be a JSON object, not {type(reply).__name__}")
    validate_as(names[1], reply)


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


_APPROVAL_DECISIONS = frozenset({"accept", "acceptForSession", "decline", "cancel"})
_LEGACY_DECISIONS: dict[str, Any] = {
    "accept": "approved",
    "acceptForSession": "approved_for_session",
    "decline": {"denied": {"rejection": LEGACY_REJECTION}},
    "cancel": "abort",
}


def _translate(method: str, params: Any, result: Any) -> Any:
    """A handler's return value as the wire reply for `method` (validated afterwards)."""
    if method == TOOL_CALL and isinstance(result, str):
        return tool_text(result)
    if isinstance(result, bool):
        result = "accept" if result else "decline"
    if isinstance(result, str):
        return _decision(method, params, result)
    if method == USER_INPUT and isinstance(result, Mapping) and _is_answer_map(result):
        return {
            "answers": {
                qid: {"answers": [value] if isinstance(value, str) else list(value)}
                for qid, value in result.items()
            }
        }
    if hasattr(result, "model_dump") or isinstance(result, Mapping):
        return to_wire(result)
    raise TypeError(f"cannot reply with a {type(result).__name__}")


def _decision(method: str, params: Any, decision: str) -> Any:
    if method in (COMMAND_APPROVAL, FILE_CHANGE_APPROVAL):
        if decision == "acceptWithExecpolicyAmendment" and method == COMMAND_APPROVAL:
            amendment = getattr(params, "proposed_execpolicy_amendment", None)
            if not amendment:
                raise ValueError("the request proposes no execpolicy amendment")
            return {
                "decision": {"acceptWithExecpolicyAmendment": {"execpolicy_amendment": amendment}}
            }
        if decision in _APPROVAL_DECISIONS:
            return {"decision": decision}
    elif method == PERMISSIONS_APPROVAL:
        if decision in ("accept", "acceptForSession"):
            requested = to_wire(params.permissions) if params is not None else {}
            scope = "session" if decision == "acceptForSession" else "turn"
            return {"permissions": requested, "scope": scope}
        if decision in ("decline", "cancel"):
            return default_reply(method, {})
    elif method == USER_INPUT:
        if decision in ("decline", "cancel"):
            return default_reply(method, {})
    elif method == ELICITATION:
        if decision in ("accept", "decline", "cancel"):
            return {"action": decision}
    elif method == AUTH_REFRESH:
        if decision in ("decline", "cancel"):
            return default_reply(method, {})  # raises DeclinedRequest
    elif method in (LEGACY_EXEC_APPROVAL, LEGACY_PATCH_APPROVAL) and decision in _LEGACY_DECISIONS:
        return {"decision": _LEGACY_DECISIONS[decision]}
    raise ValueError(f"{decision!r} is not an answer to {method}")


def _is_answer_map(result: Mapping[str, Any]) -> bool:
    """`{question_id: "answer" | [answers]}` rather than a `{"answers": {...}}` reply."""
    if not result:
        return False
    for value in result.values():
        if isinstance(value, str):
            continue
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            continue
        return False
    return True
