"""The fake app-server's constants, errors and thread-safe output (stdlib only)."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
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


def filler(size: int) -> str:
    """About `size` bytes of newline-terminated stderr noise."""
    line = "fake-app-server: " + "e" * 82 + "\n"
    full, rest = divmod(max(0, size), len(line))
    return line * full + ("e" * (rest - 1) + "\n" if rest else "")
