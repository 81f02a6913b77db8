"""The fake app-server's plumbing: reading lines, dispatching requests, replying."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from .state import PendingReply, ThreadState, Turn
from .wire import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    NO_REPLY,
    NOT_INITIALIZED,
    OVERLOADED,
    Output,
    RpcError,
    hard_exit,
    log,
    now_ms,
)

HANDLES = "_handles_method"

Handler = TypeVar("Handler", bound=Callable[..., Any])
Known = TypeVar("Known")


def handles(method: str) -> Callable[[Handler], Handler]:
    """Mark a server method as the handler of the JSON-RPC `method` (req_id, params)."""

    def mark(function: Handler) -> Handler:
        setattr(function, HANDLES, method)
        return function

    return mark


class ServerCore:
    def __init__(self, scenarios: set[str]) -> None:
        self.scenarios = scenarios
        self.out = Output(sys.stdout.buffer, "jsonrpc-field" in scenarios)
        self.lock = threading.Lock()
        self.initialized = False
        self.client_initialized = False
        self.threads: dict[str, ThreadState] = {}
        self.turns: dict[str, Turn] = {}
        self.pending: dict[Any, PendingReply] = {}
        self.received: list[dict[str, Any]] = []
        self.children: list[subprocess.Popen[bytes]] = []
        self.reject_next: tuple[int, int, str] = (0, OVERLOADED, "")
        self._ids: dict[str, itertools.count[int]] = {}
        self._server_request_ids = itertools.count(0)
        #: method -> handler(req_id, params): the methods marked `@handles(method)`
        self.handlers: dict[str, Callable[[Any, Any], Any]] = {}
        for name in dir(type(self)):
            method = getattr(getattr(type(self), name), HANDLES, None)
            if method is not None:
                self.handlers[method] = getattr(self, name)

    # -- plumbing --------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        with self.lock:
            counter = self._ids.setdefault(prefix, itertools.count(1))
            return f"{prefix}_{next(counter)}"

    def reply(self, req_id: Any, result: Any) -> None:
        self.out.send({"id": req_id, "result": result})

    def reply_error(self, req_id: Any, error: RpcError) -> None:
        self.out.send({"id": req_id, "error": error.to_json()})

    def notification(self, method: str, params: Any) -> dict[str, Any]:
        message: dict[str, Any] = {"method": method}
        if params is not None:
            message["params"] = params
        message["emittedAtMs"] = now_ms()
        return message

    def notify(self, method: str, params: Any) -> None:
        self.out.send(self.notification(method, params))

    def in_worker(self, req_id: Any, work: Callable[[], Any]) -> Any:
        """Run work() in a daemon thread and answer with its result (or RpcError)."""

        threading.Thread(target=self.answer, args=(req_id, work), daemon=True).start()
        return NO_REPLY

    def answer(self, req_id: Any, work: Callable[[], Any], *, check_params: bool = False) -> None:
        """Answer with what work() returns, or with the error it raised (a TypeError or a
        ValueError is an invalid-params error when `check_params`, else an internal one)."""
        try:
            result = work()
        except RpcError as error:
            self.reply_error(req_id, error)
            return
        except Exception as exc:
            invalid = check_params and isinstance(exc, (TypeError, ValueError))
            self.reply_error(
                req_id,
                RpcError(INVALID_PARAMS, f"invalid params: {exc}")
                if invalid
                else RpcError(INTERNAL_ERROR, f"fake internal error: {exc!r}"),
            )
            return
        if result is not NO_REPLY:
            self.reply(req_id, result)

    def serve(self) -> None:
        stdin = sys.stdin.buffer
        while True:
            line = stdin.readline()
            if not line:
                break
            try:
                self.handle_line(line)
            except Exception as exc:  # keep serving whatever a handler did
                log(f"internal error handling {line[:200]!r}: {exc!r}")
        if self.scenarios & {"ignore-eof", "stubborn"}:
            while True:
                time.sleep(3600)
        hard_exit(0)

    def handle_line(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            message = json.loads(line)
        except ValueError:
            log(f"ignoring unparsable input line {line[:200]!r}")
            return
        if not isinstance(message, dict):
            log(f"ignoring non-object input {line[:200]!r}")
            return
        if message.get("method") != "fake/received":
            with self.lock:
                self.received.append(message)
        method = message.get("method")
        if isinstance(method, str):
            if "id" in message:
                self.handle_request(message["id"], method, message.get("params"))
            elif method == "initialized":
                self.client_initialized = True
        elif "id" in message:
            self.handle_reply(message)
        else:
            log(f"ignoring message without method or id: {line[:200]!r}")

    def handle_request(self, req_id: Any, method: str, params: Any) -> None:
        self.answer(req_id, lambda: self.dispatch(req_id, method, params), check_params=True)

    def dispatch(self, req_id: Any, method: str, params: Any) -> Any:
        """The handler's result for one request (an RpcError when it is refused)."""
        if not method.startswith("fake/"):
            self.check_reject_next()
            if method != "initialize" and not self.initialized:
                raise RpcError(NOT_INITIALIZED, "Not initialized")
        handler = self.handlers.get(method)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method}")
        if params is None:
            params = {} if method != "fake/echo" else None
        elif not isinstance(params, dict) and method != "fake/echo":
            raise RpcError(INVALID_PARAMS, "params must be an object")
        return handler(req_id, params)

    def check_reject_next(self) -> None:
        with self.lock:
            count, code, message = self.reject_next
            if count <= 0:
                return
            self.reject_next = (count - 1, code, message)
        raise RpcError(code, message)

    def handle_reply(self, message: dict[str, Any]) -> None:
        with self.lock:
            pending = self.pending.pop(message["id"], None)
        if pending is None:
            log(f"response to unknown server request id {message['id']!r}")
            return
        pending.reply = message
        pending.event.set()

    def server_request(
        self, method: str, params: Any, req_id: Any = None
    ) -> tuple[Any, PendingReply, dict[str, Any]]:
        if req_id is None:
            req_id = next(self._server_request_ids)
        pending = PendingReply()
        with self.lock:
            self.pending[req_id] = pending
        return req_id, pending, {"id": req_id, "method": method, "params": params}

    def require_str(self, params: dict[str, Any], key: str) -> str:
        value = params.get(key)
        if not isinstance(value, str):
            raise RpcError(INVALID_PARAMS, f"missing string param {key!r}")
        return value

    def require_thread(self, params: dict[str, Any]) -> ThreadState:
        return self._require(self.threads, params, "threadId", "thread")

    def require_turn(self, params: dict[str, Any]) -> Turn:
        """The turn `params` name (turnId), which must be of the thread they name (threadId)."""
        turn = self._require(self.turns, params, "turnId", "turn")
        if turn.thread.id != params.get("threadId"):
            raise RpcError(INVALID_REQUEST, f"turn not found: {turn.id}")
        return turn

    def _require(
        self, table: dict[str, Known], params: dict[str, Any], key: str, what: str
    ) -> Known:
        known_id = self.require_str(params, key)
        with self.lock:
            known = table.get(known_id)
        if known is None:
            raise RpcError(INVALID_REQUEST, f"{what} not found: {known_id}")
        return known
