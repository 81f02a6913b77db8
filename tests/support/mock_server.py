"""A tiny in-process app-server for unit tests on the mock transports.

`MockAppServer` answers `initialize`, `thread/start` and `turn/start`; a turn streams one
delta per word of its text and completes. Tests reach in to script the rest: `hold` a turn
(stream nothing until released), emit notifications before the response, and so on.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from codex_app_server import AppServerConfig
from codex_app_server.testing import MockPeer, answer_initialize

#: Short timeouts for the in-process mock: a test that hits one has failed.
FAST = AppServerConfig(request_timeout=5.0, shutdown_grace=0.2)


def is_reply(message: dict[str, Any], request_id: Any) -> bool:
    """A reply the client sent to the server's request `request_id`."""
    return message.get("id") == request_id and "method" not in message


def turn_payload(turn_id: str, status: str = "inProgress") -> dict[str, Any]:
    return {"id": turn_id, "status": status, "items": [], "error": None}


class MockAppServer:
    """Handler for `MockTransport` / `AsyncMockTransport`."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.lock = threading.Lock()
        self.held: dict[str, tuple[str, str, MockPeer]] = {}
        self.hold_turns = False
        self.events_before_response = False
        self.errors: dict[str, dict[str, Any]] = {}
        self.results: dict[str, Any] = {}

    def __call__(self, message: dict[str, Any], peer: MockPeer) -> None:
        if answer_initialize(message, peer) or "id" not in message or "method" not in message:
            return
        method = message["method"]
        request_id = message["id"]
        params = message.get("params") or {}
        if method in self.errors:
            peer.send({"id": request_id, "error": self.errors[method]})
        elif method in self.results:
            peer.send({"id": request_id, "result": self.results[method]})
        elif method == "thread/start":
            thread_id = f"thr_{next(self._ids)}"
            peer.send({"id": request_id, "result": {"thread": {"id": thread_id}}})
        elif method == "turn/start":
            self._turn_start(request_id, params, peer)
        elif method == "turn/interrupt":
            peer.send({"id": request_id, "result": {}})
            self.complete(
                params["turnId"], peer, status="interrupted", thread_id=params["threadId"]
            )
        else:
            peer.send({"id": request_id, "error": {"code": -32601, "message": f"{method} unknown"}})

    def _turn_start(self, request_id: Any, params: dict[str, Any], peer: MockPeer) -> None:
        thread_id = params["threadId"]
        turn_id = f"turn_{next(self._ids)}"
        text = " ".join(i.get("text", "") for i in params.get("input", []))
        if self.events_before_response:
            self.stream(thread_id, turn_id, text, peer, complete=False)
        peer.send({"id": request_id, "result": {"turn": turn_payload(turn_id)}})
        if self.hold_turns:
            with self.lock:
                self.held[turn_id] = (thread_id, text, peer)
            return
        if not self.events_before_response:
            self.stream(thread_id, turn_id, text, peer, complete=False)
        self.complete(turn_id, peer, thread_id=thread_id, text=text)

    def release(self, turn_id: str) -> None:
        with self.lock:
            thread_id, text, peer = self.held.pop(turn_id)
        self.stream(thread_id, turn_id, text, peer, complete=True)

    def stream(
        self, thread_id: str, turn_id: str, text: str, peer: MockPeer, *, complete: bool
    ) -> None:
        base = {"threadId": thread_id, "turnId": turn_id}
        peer.send(
            {
                "method": "turn/started",
                "params": {"threadId": thread_id, "turn": turn_payload(turn_id)},
            }
        )
        for word in text.split():
            peer.send(
                {
                    "method": "item/agentMessage/delta",
                    "params": {**base, "itemId": "msg", "delta": word},
                }
            )
        if complete:
            self.complete(turn_id, peer, thread_id=thread_id, text=text)

    def complete(
        self,
        turn_id: str,
        peer: MockPeer,
        *,
        thread_id: str,
        status: str = "completed",
        text: str | None = None,
    ) -> None:
        base = {"threadId": thread_id, "turnId": turn_id}
        if text is not None:
            item = {"type": "agentMessage", "id": "msg", "text": text, "phase": None}
            peer.send(
                {"method": "item/completed", "params": {**base, "item": item, "completedAtMs": 0}}
            )
        peer.send(
            {
                "method": "turn/completed",
                "params": {"threadId": thread_id, "turn": turn_payload(turn_id, status)},
            }
        )
