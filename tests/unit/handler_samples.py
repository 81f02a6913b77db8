"""Valid params for every server request, and sending one to a client on the mock transport."""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

from pydantic import TypeAdapter

from codex_app_server import AppServerClient
from codex_app_server.generated import v2_all
from codex_app_server.generated.protocol_registry import SERVER_REQUESTS
from codex_app_server.testing import AsyncMockTransport, MockTransport
from tests.support.mock_server import FAST

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


class SlowHandler:
    """A plain handler that blocks its worker thread until `release` is set (the
    `slow_handler` fixture sets it when the test ends); `entered` is set once it is called."""

    def __init__(self, decision: str = "accept") -> None:
        self.decision = decision
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, params: Any) -> str:
        self.entered.set()
        self.release.wait(10)
        return self.decision
