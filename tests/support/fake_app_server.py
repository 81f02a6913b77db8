#!/usr/bin/env python3
"""A fake, fault-injectable Codex app-server for the SDK's reliability tests.

Standalone and stdlib-only::

    python tests/support/fake_app_server.py [--scenario NAME[,NAME...]] ...

It speaks the app-server's newline-delimited JSON-RPC over stdio (without the
``"jsonrpc"`` member, like the real server) well enough for a client to
initialize, start/resume/read threads and run streamed turns, and it misbehaves
on command so that faults can be injected deterministically.

Start-up scenarios (``--scenario``, repeatable and/or comma-separated, plus the
comma-separated ``FAKE_APP_SERVER_SCENARIOS`` environment variable; other
command-line arguments such as ``app-server --listen stdio://`` are ignored, so the
script can stand in for the codex binary)
-----------------------------------------------------------------------------------
``garbage-on-start``         write ``GARBAGE_ON_START`` (non-JSON, a JSON array, a
                             JSON string and a response to an unknown id) to stdout
                             first, then behave normally.
``exit-on-start``            write ``fake-app-server: failed to start`` to stderr and
                             exit with code 2 before reading anything.
``exit-on-initialize``       on ``initialize``: write
                             ``fake-app-server: fatal error during initialize`` to
                             stderr and exit with code 3 (no answer).
``error-on-initialize``      answer ``initialize`` with error -32603.
``never-answer-initialize``  never answer ``initialize`` (``fake/*`` still work).
``initialize-no-metadata``   answer ``initialize`` with ``{}`` (no user agent).
``initialize-non-object``    answer ``initialize`` with the string ``"ok"``.
``ignore-sigterm``           ignore SIGTERM and SIGINT (the client must SIGKILL).
``ignore-eof``               keep running after stdin EOF (default: exit 0 at once).
``stubborn``                 ``ignore-sigterm`` + ``ignore-eof``.
``stderr-flood``             write ``STDERR_FLOOD_BYTES`` (1 MiB) to stderr before
                             reading stdin; blocks unless the client drains stderr.
``early-turn-events``        ``turn/start`` emits ``turn/started`` *before* its response.
``jsonrpc-field``            add ``"jsonrpc": "2.0"`` to everything written.
``initialize-not-object``    answer ``initialize`` with a JSON string, not an object.

Protocol methods
----------------
``initialize`` -> ``INITIALIZE_RESULT``; again -> -32600 "Already initialized".
Any other non-``fake/`` request before ``initialize`` -> -32600 "Not initialized".
``thread/start`` -> ``{"thread": {...}, "model", "cwd", ...}``, then a
``thread/started`` notification.  Ids are ``thr_N``, ``turn_N``, ``item_N``.
``thread/resume`` {threadId} -> same shape; an unknown id is adopted (so a resume
works across fake restarts).  ``thread/read`` {threadId, includeTurns} -> {thread};
unknown id -> -32600.
``turn/start`` {threadId, input} -> ``{"turn": {"id", "status": "inProgress",
"items": [], "error": null}}``, then the turn streams from its own thread.  The
text of the first ``{"type": "text"}`` input item is the prompt.
``turn/interrupt`` {threadId, turnId} -> ``{}`` then ``turn/completed`` with status
``interrupted`` (just ``{}`` if the turn already ended; unknown turn -> -32600).
``turn/steer`` {threadId, expectedTurnId, input} -> ``{"turnId": <active turn>}``;
no active turn or a mismatching expectedTurnId -> -32600.
Unknown methods -> -32601.  Unparsable input lines are ignored (as the real server
does).  Client notifications (e.g. ``initialized``) are recorded, nothing more.

A default turn emits: ``turn/started``; ``item/started`` (agentMessage, text "");
``item/agentMessage/delta`` x3 whose concatenation is the prompt text (padded with
"." if the text is shorter than the delta count); ``item/completed`` (agentMessage,
full text); ``thread/tokenUsage/updated``; ``turn/completed`` (status completed).

Prompt keywords (anywhere in the prompt text, combinable)
---------------------------------------------------------
``SILENT``          ``turn/started`` then nothing until interrupted.
``NEVER_COMPLETE``  deltas, item/completed and usage but never ``turn/completed``.
``DELTAS:N``        N deltas (``DELTAS:0`` -> none, item/completed still sent).
``DELAY_MS:N``      wait N ms before each delta (an interrupt cuts it short).
``FAIL``            ``error`` notification, then ``turn/completed`` failed.
``APPROVAL``        send ``item/commandExecution/requestApproval`` to the client;
                    reply text is "approved" when the decision is accept /
                    acceptForSession / an ``accept...`` object, else "declined"
                    (also for cancel or an error reply).  A
                    ``serverRequest/resolved`` notification follows the reply.
``CRASH``           after the first delta: write ``fake-app-server: crashed mid-turn``
                    to stderr and exit 70.
``NO_USAGE``        skip ``thread/tokenUsage/updated``.

Control requests (always allowed, even before ``initialize``)
-------------------------------------------------------------
``fake/exit`` {code=1, stderr="", delayMs=0}: write stderr, exit; no answer.
``fake/hang`` {}: never answered.
``fake/stall`` {}: from now on nothing reaches stdout (output is buffered, stdin is
    still read and handled); not answered.
``fake/unstall`` {}: write everything buffered since the stall, then answer {}.
``fake/garbage`` {lines=[], rawBase64=None, repeat=1}: write each line + "\\n" (all of
    them ``repeat`` times), then the decoded bytes verbatim (may be invalid UTF-8 / lack a
    newline), then answer {}.
``fake/bigResponse`` {bytes}: answer with ``{"data": "xxx..."}``, the response line
    exactly ``bytes`` long (without the newline).
``fake/nullIdError`` {code=-32700, message="Parse error"}: answer with an error
    response whose id is null (as a server that could not read the id does).
``fake/notify`` {method, params={}, count=1}: emit it count times, answer {}.
``fake/flood`` {threadId, turnId, count, itemId="item_flood", delta="x"}: emit
    count ``item/agentMessage/delta`` in big batched writes from a worker thread,
    then answer {"sent": count}.
``fake/bigline`` {bytes, method="fake/bigline", params={}, field="data"}: emit one
    notification whose line is exactly ``bytes`` long (without the newline, when
    ``bytes`` exceeds the envelope), answer {}.
``fake/serverRequest`` {method, params={}, id=<next server id>}: send that request to
    the client; once it replies, answer {"response": {"result": ...}} or
    {"response": {"error": {...}}} (the reply minus id/jsonrpc).  Worker thread.
``fake/sigstop`` {}: answer {}, then SIGSTOP itself.
``fake/spawnChild`` {seconds=300, inheritStdio=false}: start ``sleep seconds`` in this
    process group (stdio to /dev/null unless inheritStdio), answer {"pid": pid}.
``fake/echo`` params: answer params.
``fake/error`` {code=-32000, message="fake error", data?}: answer with that error.
``fake/delay`` {ms, result={}}: answer result after ms (worker thread).
``fake/rejectNext`` {count=1, code=-32001, message="Server overloaded; retry
    later."}: the next count non-fake requests get that error; answer {}.
``fake/stderr`` {text="", bytes=0}: write text then ~bytes of filler to stderr,
    answer {}.
``fake/closeStdout`` {}: answer {}, then close stdout (the process keeps running).
``fake/received`` {method?}: answer {"messages": [...]}, everything received from
    the client so far (optionally only that method), except ``fake/received``.
``fake/state`` {}: answer {"pid", "pgid", "scenarios", "initialized",
    "clientInitialized", "threads", "activeTurns", "pendingServerRequests"}.

Output is thread-safe; every message (or batch) is written and flushed in one
call.  Stdin EOF -> exit 0 promptly.  SIGTERM keeps its default action.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

SCENARIOS = (
    "garbage-on-start",
    "exit-on-start",
    "exit-on-initialize",
    "error-on-initialize",
    "never-answer-initialize",
    "initialize-no-metadata",
    "initialize-non-object",
    "ignore-sigterm",
    "ignore-eof",
    "stubborn",
    "stderr-flood",
    "early-turn-events",
    "jsonrpc-field",
    "initialize-not-object",
)

SCENARIO_ENV = "FAKE_APP_SERVER_SCENARIOS"  # comma-separated, merged with --scenario

INITIALIZE_RESULT = {
    "userAgent": "fake/0.0",
    "codexHome": "/tmp/fake",
    "platformFamily": "unix",
    "platformOs": "linux",
}

GARBAGE_ON_START = (
    "fake-app-server booting (this line is not JSON)",
    "{not json",
    "[1, 2, 3]",
    '"just a string"',
    '{"id": 999999, "result": {}}',
)

EXIT_ON_START_STDERR = "fake-app-server: failed to start\n"
EXIT_ON_START_CODE = 2
EXIT_ON_INITIALIZE_STDERR = "fake-app-server: fatal error during initialize\n"
EXIT_ON_INITIALIZE_CODE = 3
CRASH_STDERR = "fake-app-server: crashed mid-turn\n"
CRASH_CODE = 70
STDERR_FLOOD_BYTES = 1 << 20
FAIL_MESSAGE = "fake turn failure"
APPROVAL_COMMAND = "echo fake-approval"

NOT_INITIALIZED = -32600
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
OVERLOADED = -32001

DEFAULT_DELTAS = 3
FLOOD_BATCH = 512
MODEL = "fake-model"
MODEL_PROVIDER = "fake"
CLI_VERSION = "0.0.0-fake"

NO_REPLY = object()  # handler result: the handler answers (or never answers) itself


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def now_ms() -> int:
    return int(time.time() * 1000)


def write_stderr(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def log(text: str) -> None:
    write_stderr(f"fake-app-server: {text}\n")


def hard_exit(code: int) -> None:
    try:
        sys.stderr.flush()
    finally:
        os._exit(code)


class Output:
    """Thread-safe stdout writer: one write + flush per message or batch."""

    def __init__(self, stream: Any, jsonrpc_field: bool) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._jsonrpc_field = jsonrpc_field
        self._stalled = False
        self._closed = False
        self._backlog: list[bytes] = []

    def encode(self, message: dict[str, Any]) -> bytes:
        if self._jsonrpc_field:
            message = {"jsonrpc": "2.0", **message}
        text = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8", "surrogatepass") + b"\n"

    def send(self, message: dict[str, Any]) -> None:
        self.write(self.encode(message))

    def send_many(self, messages: list[dict[str, Any]]) -> None:
        self.write(b"".join(self.encode(m) for m in messages))

    def write(self, data: bytes) -> None:
        with self._lock:
            self._write_locked(data)

    def _write_locked(self, data: bytes) -> None:
        if self._closed or not data:
            return
        if self._stalled:
            self._backlog.append(data)
            return
        try:
            self._stream.write(data)
            self._stream.flush()
        except (OSError, ValueError):
            # The client closed its end; keep running until stdin says otherwise.
            self._closed = True

    def stall(self) -> None:
        with self._lock:
            self._stalled = True

    def unstall_and_write(self, data: bytes) -> None:
        with self._lock:
            self._stalled = False
            backlog, self._backlog = self._backlog, []
            self._write_locked(b"".join(backlog) + data)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            with contextlib.suppress(OSError, ValueError):
                self._stream.close()
            with contextlib.suppress(OSError):
                os.close(1)

    def acquire(self, timeout: float) -> bool:
        return self._lock.acquire(timeout=timeout)


class TurnScript:
    def __init__(self, text: str) -> None:
        self.silent = re.search(r"\bSILENT\b", text) is not None
        self.never_complete = re.search(r"\bNEVER_COMPLETE\b", text) is not None
        self.fail = re.search(r"\bFAIL\b", text) is not None
        self.approval = re.search(r"\bAPPROVAL\b", text) is not None
        self.crash = re.search(r"\bCRASH\b", text) is not None
        self.no_usage = re.search(r"\bNO_USAGE\b", text) is not None
        deltas = re.search(r"\bDELTAS:(\d+)", text)
        self.deltas = int(deltas.group(1)) if deltas else DEFAULT_DELTAS
        delay = re.search(r"\bDELAY_MS:(\d+)", text)
        self.delay_s = int(delay.group(1)) / 1000 if delay else 0.0


class Turn:
    def __init__(self, turn_id: str, thread: ThreadState, text: str) -> None:
        self.id = turn_id
        self.thread = thread
        self.text = text
        self.script = TurnScript(text)
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.status = "inProgress"
        self.items: list[dict[str, Any]] = []
        self.error: dict[str, Any] | None = None

    def to_json(self, include_items: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "items": list(self.items) if include_items else [],
            "error": self.error,
        }


class ThreadState:
    def __init__(self, thread_id: str, cwd: str, ephemeral: bool) -> None:
        self.id = thread_id
        self.cwd = cwd
        self.ephemeral = ephemeral
        self.created_at = int(time.time())
        self.turns: list[Turn] = []

    def active_turn(self) -> Turn | None:
        for turn in reversed(self.turns):
            if not turn.done.is_set():
                return turn
        return None

    def to_json(self, include_turns: bool = False) -> dict[str, Any]:
        active = self.active_turn() is not None
        return {
            "id": self.id,
            "sessionId": self.id,
            "forkedFromId": None,
            "preview": self.turns[0].text if self.turns else "",
            "ephemeral": self.ephemeral,
            "projectId": None,
            "modelProvider": MODEL_PROVIDER,
            "model": MODEL,
            "createdAt": self.created_at,
            "updatedAt": int(time.time()),
            "status": {"type": "active", "activeFlags": []} if active else {"type": "idle"},
            "path": None,
            "cwd": self.cwd,
            "cliVersion": CLI_VERSION,
            "source": "appServer",
            "agentNickname": None,
            "agentRole": None,
            "gitInfo": None,
            "name": None,
            "turns": [t.to_json(include_items=True) for t in self.turns] if include_turns else [],
        }


class PendingReply:
    def __init__(self) -> None:
        self.event = threading.Event()
        self.reply: dict[str, Any] | None = None


def split_text(text: str, count: int) -> list[str]:
    """Split text into count non-empty chunks (padding with '.' when too short)."""
    if count <= 0:
        return []
    if len(text) < count:
        text += "." * (count - len(text))
    size, extra = divmod(len(text), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(text[start:end])
        start = end
    return chunks


def first_text(items: Any) -> str:
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and item.get("type") == "text":
                return str(item.get("text", ""))
    return ""


def usage_breakdown(tokens: int) -> dict[str, int]:
    return {
        "inputTokens": tokens,
        "cachedInputTokens": 0,
        "outputTokens": tokens,
        "reasoningOutputTokens": 0,
        "totalTokens": 2 * tokens,
    }


class FakeServer:
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
        self.handlers: dict[str, Callable[[Any, Any], Any]] = {
            "initialize": self.on_initialize,
            "thread/start": self.on_thread_start,
            "thread/resume": self.on_thread_resume,
            "thread/read": self.on_thread_read,
            "turn/start": self.on_turn_start,
            "turn/interrupt": self.on_turn_interrupt,
            "turn/steer": self.on_turn_steer,
            "fake/exit": self.fake_exit,
            "fake/hang": self.fake_hang,
            "fake/stall": self.fake_stall,
            "fake/unstall": self.fake_unstall,
            "fake/garbage": self.fake_garbage,
            "fake/notify": self.fake_notify,
            "fake/flood": self.fake_flood,
            "fake/bigline": self.fake_bigline,
            "fake/bigResponse": self.fake_big_response,
            "fake/nullIdError": self.fake_null_id_error,
            "fake/serverRequest": self.fake_server_request,
            "fake/sigstop": self.fake_sigstop,
            "fake/spawnChild": self.fake_spawn_child,
            "fake/echo": self.fake_echo,
            "fake/error": self.fake_error,
            "fake/delay": self.fake_delay,
            "fake/rejectNext": self.fake_reject_next,
            "fake/stderr": self.fake_stderr,
            "fake/closeStdout": self.fake_close_stdout,
            "fake/received": self.fake_received,
            "fake/state": self.fake_state,
        }

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

        def run() -> None:
            try:
                result = work()
            except RpcError as error:
                self.reply_error(req_id, error)
                return
            except Exception as exc:
                self.reply_error(req_id, RpcError(INTERNAL_ERROR, f"fake internal error: {exc!r}"))
                return
            if result is not NO_REPLY:
                self.reply(req_id, result)

        threading.Thread(target=run, daemon=True).start()
        return NO_REPLY

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
        try:
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
            result = handler(req_id, params)
        except RpcError as error:
            self.reply_error(req_id, error)
            return
        except (TypeError, ValueError) as exc:
            self.reply_error(req_id, RpcError(INVALID_PARAMS, f"invalid params: {exc}"))
            return
        except Exception as exc:
            self.reply_error(req_id, RpcError(INTERNAL_ERROR, f"fake internal error: {exc!r}"))
            return
        if result is not NO_REPLY:
            self.reply(req_id, result)

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
        thread_id = self.require_str(params, "threadId")
        with self.lock:
            thread = self.threads.get(thread_id)
        if thread is None:
            raise RpcError(INVALID_REQUEST, f"thread not found: {thread_id}")
        return thread

    # -- protocol methods ------------------------------------------------------

    def on_initialize(self, req_id: Any, params: dict[str, Any]) -> Any:
        if "exit-on-initialize" in self.scenarios:
            write_stderr(EXIT_ON_INITIALIZE_STDERR)
            hard_exit(EXIT_ON_INITIALIZE_CODE)
        if "never-answer-initialize" in self.scenarios:
            return NO_REPLY
        if "error-on-initialize" in self.scenarios:
            raise RpcError(INTERNAL_ERROR, "fake initialize failure")
        if "initialize-no-metadata" in self.scenarios:
            return {}
        if "initialize-non-object" in self.scenarios:
            return "ok"
        if self.initialized:
            raise RpcError(INVALID_REQUEST, "Already initialized")
        self.initialized = True
        if "initialize-not-object" in self.scenarios:
            return "initialized, but not an object"
        return dict(INITIALIZE_RESULT)

    def thread_response(self, thread: ThreadState, params: dict[str, Any]) -> dict[str, Any]:
        include_turns = not params.get("excludeTurns", False)
        return {
            "thread": thread.to_json(include_turns=include_turns),
            "model": MODEL,
            "modelProvider": MODEL_PROVIDER,
            "serviceTier": None,
            "cwd": thread.cwd,
            "instructionSources": [],
            "disabledPluginIds": [],
            "approvalPolicy": params.get("approvalPolicy") or "on-request",
            "approvalsReviewer": "user",
            "sandbox": {"type": "readOnly", "networkAccess": False},
            "reasoningEffort": None,
        }

    def on_thread_start(self, req_id: Any, params: dict[str, Any]) -> Any:
        cwd = params.get("cwd") or os.getcwd()
        thread_id = self.new_id("thr")
        while thread_id in self.threads:  # an adopted (resumed) id may collide
            thread_id = self.new_id("thr")
        thread = ThreadState(thread_id, str(cwd), bool(params.get("ephemeral")))
        with self.lock:
            self.threads[thread.id] = thread
        self.reply(req_id, self.thread_response(thread, params))
        self.notify("thread/started", {"thread": thread.to_json()})
        return NO_REPLY

    def on_thread_resume(self, req_id: Any, params: dict[str, Any]) -> Any:
        thread_id = self.require_str(params, "threadId")
        with self.lock:
            thread = self.threads.get(thread_id)
            if thread is None:
                cwd = params.get("cwd") or os.getcwd()
                thread = self.threads[thread_id] = ThreadState(thread_id, str(cwd), False)
        return self.thread_response(thread, params)

    def on_thread_read(self, req_id: Any, params: dict[str, Any]) -> Any:
        thread = self.require_thread(params)
        return {"thread": thread.to_json(include_turns=bool(params.get("includeTurns")))}

    def on_turn_start(self, req_id: Any, params: dict[str, Any]) -> Any:
        thread = self.require_thread(params)
        turn = Turn(self.new_id("turn"), thread, first_text(params.get("input")))
        with self.lock:
            self.turns[turn.id] = turn
            thread.turns.append(turn)
        early = "early-turn-events" in self.scenarios
        if early:
            self.emit(turn, "turn/started", {"threadId": thread.id, "turn": turn.to_json()})
        self.reply(req_id, {"turn": turn.to_json()})
        threading.Thread(target=self.run_turn, args=(turn, not early), daemon=True).start()
        return NO_REPLY

    def on_turn_interrupt(self, req_id: Any, params: dict[str, Any]) -> Any:
        turn_id = self.require_str(params, "turnId")
        with self.lock:
            turn = self.turns.get(turn_id)
        if turn is None or turn.thread.id != params.get("threadId"):
            raise RpcError(INVALID_REQUEST, f"turn not found: {turn_id}")
        if not self.finish_turn(turn, "interrupted", before={"id": req_id, "result": {}}):
            self.reply(req_id, {})
        return NO_REPLY

    def on_turn_steer(self, req_id: Any, params: dict[str, Any]) -> Any:
        thread = self.require_thread(params)
        active = thread.active_turn()
        if active is None:
            raise RpcError(INVALID_REQUEST, "no active turn to steer")
        expected = params.get("expectedTurnId")
        if expected is not None and expected != active.id:
            raise RpcError(INVALID_REQUEST, f"expected turn {expected} is not active")
        return {"turnId": active.id}

    # -- turns -----------------------------------------------------------------

    def emit(self, turn: Turn, method: str, params: dict[str, Any]) -> bool:
        """Emit a notification for a turn unless the turn has already finished."""
        with turn.lock:
            if turn.done.is_set():
                return False
            self.notify(method, params)
            return True

    def finish_turn(
        self,
        turn: Turn,
        status: str,
        error: dict[str, Any] | None = None,
        before: dict[str, Any] | None = None,
    ) -> bool:
        """Complete the turn once; `before` (a response) is written just ahead."""
        with turn.lock:
            if turn.done.is_set():
                return False
            turn.status = status
            turn.error = error
            turn.done.set()
            messages = [] if before is None else [before]
            messages.append(
                self.notification(
                    "turn/completed", {"threadId": turn.thread.id, "turn": turn.to_json()}
                )
            )
            self.out.send_many(messages)
            return True

    def run_turn(self, turn: Turn, announce: bool) -> None:
        script, thread_id = turn.script, turn.thread.id
        ids = {"threadId": thread_id, "turnId": turn.id}
        if announce:
            self.emit(turn, "turn/started", {"threadId": thread_id, "turn": turn.to_json()})
        if script.silent:
            return
        if script.fail:
            error = {"message": FAIL_MESSAGE, "codexErrorInfo": None, "additionalDetails": None}
            self.emit(turn, "error", {"error": error, **ids, "willRetry": False})
            self.finish_turn(turn, "failed", error=error)
            return
        text = turn.text
        if script.approval:
            decision = self.ask_approval(turn)
            if decision is None:
                return
            text = decision
        chunks = split_text(text, script.deltas)
        text = "".join(chunks) if chunks else text
        item_id = self.new_id("item")
        started = {"type": "agentMessage", "id": item_id, "text": ""}
        if not self.emit(turn, "item/started", {**ids, "item": started, "startedAtMs": now_ms()}):
            return
        for index, chunk in enumerate(chunks):
            if script.delay_s and turn.done.wait(script.delay_s):
                return
            delta = {**ids, "itemId": item_id, "delta": chunk}
            if not self.emit(turn, "item/agentMessage/delta", delta):
                return
            if script.crash and index == 0:
                write_stderr(CRASH_STDERR)
                hard_exit(CRASH_CODE)
        item = {"type": "agentMessage", "id": item_id, "text": text}
        if not self.emit(turn, "item/completed", {**ids, "item": item, "completedAtMs": now_ms()}):
            return
        turn.items.append(item)
        if not script.no_usage:
            tokens = max(1, len(text) // 4)
            usage = {
                "total": usage_breakdown(tokens),
                "last": usage_breakdown(tokens),
                "modelContextWindow": 200000,
            }
            self.emit(turn, "thread/tokenUsage/updated", {**ids, "tokenUsage": usage})
        if not script.never_complete:
            self.finish_turn(turn, "completed")

    def ask_approval(self, turn: Turn) -> str | None:
        params = {
            "threadId": turn.thread.id,
            "turnId": turn.id,
            "itemId": self.new_id("item"),
            "approvalId": None,
            "command": APPROVAL_COMMAND,
            "cwd": turn.thread.cwd,
            "reason": "fake approval request",
            "startedAtMs": now_ms(),
            "availableDecisions": ["accept", "acceptForSession", "decline", "cancel"],
        }
        req_id, pending, request = self.server_request(
            "item/commandExecution/requestApproval", params
        )
        with turn.lock:
            if turn.done.is_set():
                return None
            self.out.send(request)
        while not pending.event.wait(0.05):
            if turn.done.is_set():
                return None
        self.emit(turn, "serverRequest/resolved", {"threadId": turn.thread.id, "requestId": req_id})
        reply = pending.reply or {}
        result = reply.get("result")
        decision = result.get("decision") if isinstance(result, dict) else None
        approved = decision in ("accept", "acceptForSession") or (
            isinstance(decision, dict) and any(str(k).startswith("accept") for k in decision)
        )
        return "approved" if approved else "declined"

    # -- fake/* controls -------------------------------------------------------

    def fake_exit(self, req_id: Any, params: dict[str, Any]) -> Any:
        code = int(params.get("code", 1))
        stderr = str(params.get("stderr", ""))
        delay_s = float(params.get("delayMs", 0)) / 1000

        def go() -> None:
            if delay_s:
                time.sleep(delay_s)
            write_stderr(stderr)
            self.out.acquire(timeout=1.0)  # don't cut another thread's line in half
            hard_exit(code)

        if delay_s:
            threading.Thread(target=go, daemon=True).start()
        else:
            go()
        return NO_REPLY

    def fake_hang(self, req_id: Any, params: dict[str, Any]) -> Any:
        return NO_REPLY

    def fake_stall(self, req_id: Any, params: dict[str, Any]) -> Any:
        self.out.stall()
        return NO_REPLY

    def fake_unstall(self, req_id: Any, params: dict[str, Any]) -> Any:
        self.out.unstall_and_write(self.out.encode({"id": req_id, "result": {}}))
        return NO_REPLY

    def fake_garbage(self, req_id: Any, params: dict[str, Any]) -> Any:
        lines = params.get("lines", [])
        if not isinstance(lines, list):
            raise RpcError(INVALID_PARAMS, "lines must be a list of strings")
        data = b"".join(str(line).encode("utf-8", "surrogatepass") + b"\n" for line in lines)
        data *= int(params.get("repeat", 1))
        raw = params.get("rawBase64")
        if raw:
            data += base64.b64decode(raw)
        self.out.write(data)
        return {}

    def fake_notify(self, req_id: Any, params: dict[str, Any]) -> Any:
        method = self.require_str(params, "method")
        count = int(params.get("count", 1))
        payload = params.get("params", {})
        for start in range(0, count, FLOOD_BATCH):
            batch = min(FLOOD_BATCH, count - start)
            self.out.send_many([self.notification(method, payload)] * batch)
        return {}

    def fake_flood(self, req_id: Any, params: dict[str, Any]) -> Any:
        count = int(params.get("count", 0))
        delta = {
            "threadId": params.get("threadId", ""),
            "turnId": params.get("turnId", ""),
            "itemId": params.get("itemId", "item_flood"),
            "delta": params.get("delta", "x"),
        }

        def work() -> Any:
            line = self.out.encode(self.notification("item/agentMessage/delta", delta))
            for start in range(0, count, FLOOD_BATCH):
                self.out.write(line * min(FLOOD_BATCH, count - start))
            return {"sent": count}

        return self.in_worker(req_id, work)

    def fake_bigline(self, req_id: Any, params: dict[str, Any]) -> Any:
        size = int(params.get("bytes", 0))
        method = str(params.get("method", "fake/bigline"))
        base = params.get("params", {})
        field = str(params.get("field", "data"))
        payload = {**(base if isinstance(base, dict) else {}), field: ""}
        envelope = len(self.out.encode(self.notification(method, payload))) - 1
        payload[field] = "x" * max(0, size - envelope)
        line = self.out.encode(self.notification(method, payload))
        self.out.write(line)
        return {}

    def fake_big_response(self, req_id: Any, params: dict[str, Any]) -> Any:
        size = int(params.get("bytes", 0))
        envelope = len(self.out.encode({"id": req_id, "result": {"data": ""}})) - 1
        self.reply(req_id, {"data": "x" * max(0, size - envelope)})
        return NO_REPLY

    def fake_null_id_error(self, req_id: Any, params: dict[str, Any]) -> Any:
        code = int(params.get("code", -32700))
        message = str(params.get("message", "Parse error"))
        self.out.send({"id": None, "error": {"code": code, "message": message}})
        return NO_REPLY

    def fake_server_request(self, req_id: Any, params: dict[str, Any]) -> Any:
        method = self.require_str(params, "method")
        _, pending, request = self.server_request(
            method, params.get("params", {}), params.get("id")
        )

        def work() -> Any:
            self.out.send(request)
            pending.event.wait()
            reply = pending.reply or {}
            return {"response": {k: v for k, v in reply.items() if k in ("result", "error")}}

        return self.in_worker(req_id, work)

    def fake_sigstop(self, req_id: Any, params: dict[str, Any]) -> Any:
        self.reply(req_id, {})
        os.kill(os.getpid(), signal.SIGSTOP)
        return NO_REPLY

    def fake_spawn_child(self, req_id: Any, params: dict[str, Any]) -> Any:
        seconds = str(params.get("seconds", 300))
        inherit = bool(params.get("inheritStdio", False))
        stdio = None if inherit else subprocess.DEVNULL
        child = subprocess.Popen(["sleep", seconds], stdin=stdio, stdout=stdio, stderr=stdio)
        self.children.append(child)
        return {"pid": child.pid}

    def fake_echo(self, req_id: Any, params: Any) -> Any:
        return params

    def fake_error(self, req_id: Any, params: dict[str, Any]) -> Any:
        code = int(params.get("code", -32000))
        raise RpcError(code, str(params.get("message", "fake error")), params.get("data"))

    def fake_delay(self, req_id: Any, params: dict[str, Any]) -> Any:
        delay_s = float(params.get("ms", 0)) / 1000
        result = params.get("result", {})

        def work() -> Any:
            time.sleep(delay_s)
            return result

        return self.in_worker(req_id, work)

    def fake_reject_next(self, req_id: Any, params: dict[str, Any]) -> Any:
        with self.lock:
            self.reject_next = (
                int(params.get("count", 1)),
                int(params.get("code", OVERLOADED)),
                str(params.get("message", "Server overloaded; retry later.")),
            )
        return {}

    def fake_stderr(self, req_id: Any, params: dict[str, Any]) -> Any:
        write_stderr(str(params.get("text", "")))
        write_stderr(filler(int(params.get("bytes", 0))))
        return {}

    def fake_close_stdout(self, req_id: Any, params: dict[str, Any]) -> Any:
        self.reply(req_id, {})
        self.out.close()
        return NO_REPLY

    def fake_received(self, req_id: Any, params: dict[str, Any]) -> Any:
        method = params.get("method")
        with self.lock:
            messages = [m for m in self.received if method is None or m.get("method") == method]
        return {"messages": messages}

    def fake_state(self, req_id: Any, params: dict[str, Any]) -> Any:
        with self.lock:
            active = [t.id for t in self.turns.values() if not t.done.is_set()]
            pending = list(self.pending)
            threads = list(self.threads)
        return {
            "pid": os.getpid(),
            "pgid": os.getpgid(0),
            "scenarios": sorted(self.scenarios),
            "initialized": self.initialized,
            "clientInitialized": self.client_initialized,
            "threads": threads,
            "activeTurns": active,
            "pendingServerRequests": pending,
        }


def filler(size: int) -> str:
    """About `size` bytes of newline-terminated stderr noise."""
    line = "fake-app-server: " + "e" * 82 + "\n"
    full, rest = divmod(max(0, size), len(line))
    return line * full + ("e" * (rest - 1) + "\n" if rest else "")


def parse_args(argv: list[str] | None) -> set[str]:
    parser = argparse.ArgumentParser(description="Fault-injectable fake Codex app-server.")
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        help=f"comma-separated, repeatable; one of: {', '.join(SCENARIOS)}",
    )
    # Anything else (e.g. "app-server --listen stdio://" or "-c key=value" appended by a
    # client that thinks it launches codex) is accepted and ignored.
    args, _ignored = parser.parse_known_args(argv)
    values = [*args.scenario, os.environ.get(SCENARIO_ENV, "")]
    scenarios = {s.strip() for value in values for s in value.split(",") if s.strip()}
    unknown = scenarios - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return scenarios


def main(argv: list[str] | None = None) -> None:
    scenarios = parse_args(argv)
    if scenarios & {"ignore-sigterm", "stubborn"}:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    if "exit-on-start" in scenarios:
        write_stderr(EXIT_ON_START_STDERR)
        hard_exit(EXIT_ON_START_CODE)
    server = FakeServer(scenarios)
    if "stderr-flood" in scenarios:
        write_stderr(filler(STDERR_FLOOD_BYTES))
    if "garbage-on-start" in scenarios:
        server.out.write("".join(line + "\n" for line in GARBAGE_ON_START).encode())
    server.serve()


if __name__ == "__main__":
    main()
