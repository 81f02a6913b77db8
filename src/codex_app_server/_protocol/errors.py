"""The exception tree.

::

    CodexError
    ├── CodexNotFoundError          no runtime binary could be found
    ├── ClientClosedError           the client was closed by its owner; no new work
    ├── TransportError              the connection to the app-server failed
    │   ├── TransportClosedError    the app-server exited (exit_code, stderr_tail)
    │   └── MessageTooLargeError    a line over AppServerConfig.max_line_bytes
    ├── RequestTimeoutError         no response within the request timeout (also TimeoutError)
    ├── TurnTimeoutError            a turn went silent too long; it was interrupted
    ├── TurnFailedError             a turn ended with status "failed" (run() only)
    └── JsonRpcError                the server answered with a JSON-RPC error (code, message, data)
        ├── ParseError              -32700
        ├── InvalidRequestError     -32600
        ├── MethodNotFoundError     -32601
        ├── InvalidParamsError      -32602
        ├── InternalRpcError        -32603
        └── ServerBusyError         -32001 "Server overloaded; retry later." (retryable)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._constants import SERVER_OVERLOADED_CODE


class CodexError(Exception):
    """Base class of every error this SDK raises."""


class CodexNotFoundError(CodexError):
    """No Codex runtime binary was found."""


class ClientClosedError(CodexError):
    """The client was closed; it accepts no new work."""


class TransportError(CodexError):
    """The connection to the app-server failed."""


class TransportClosedError(TransportError):
    """The app-server process exited or its pipes closed.

    Attributes:
        exit_code: the process exit status (negative: killed by that signal), or None if unknown.
        stderr_tail: the last lines the app-server wrote to stderr.
    """

    def __init__(
        self,
        message: str,
        *,
        exit_code: int | None = None,
        stderr_tail: Sequence[str] = (),
    ) -> None:
        self.exit_code = exit_code
        self.stderr_tail = list(stderr_tail)
        detail = message
        if exit_code is not None:
            detail += f" (exit code {exit_code})"
        if self.stderr_tail:
            detail += "\n--- app-server stderr (tail) ---\n" + "\n".join(self.stderr_tail)
        super().__init__(detail)


class MessageTooLargeError(TransportError):
    """The app-server wrote a line longer than the configured limit."""


class RequestTimeoutError(CodexError, TimeoutError):
    """A request got no response within its timeout. Its waiter has been released."""

    def __init__(self, method: str, timeout: float) -> None:
        self.method = method
        self.timeout = timeout
        super().__init__(f"{method!r} got no response within {timeout:g}s")


class TurnTimeoutError(CodexError, TimeoutError):
    """A turn sent no notification for `timeout` seconds; it was interrupted."""

    def __init__(self, turn_id: str, timeout: float) -> None:
        self.turn_id = turn_id
        self.timeout = timeout
        super().__init__(f"turn {turn_id} was silent for {timeout:g}s and was interrupted")


class TurnFailedError(CodexError):
    """A turn run with `run()` ended with status "failed"."""

    def __init__(self, turn_id: str, message: str | None, turn: Any = None) -> None:
        self.turn_id = turn_id
        self.turn = turn
        super().__init__(f"turn {turn_id} failed: {message or 'no error message'}")


class JsonRpcError(CodexError):
    """The app-server answered a request with a JSON-RPC error."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(f"JSON-RPC error {code}: {message}")
        self.code = code
        self.message = message
        self.data = data


class ParseError(JsonRpcError):
    """-32700: the server could not parse what it received."""


class InvalidRequestError(JsonRpcError):
    """-32600: the request is not valid now (for example, steering with no active turn)."""


class MethodNotFoundError(JsonRpcError):
    """-32601: the server does not know this method (or it needs the experimental API)."""


class InvalidParamsError(JsonRpcError):
    """-32602: the params do not match the method's schema."""


class InternalRpcError(JsonRpcError):
    """-32603: the server failed internally."""


class ServerBusyError(JsonRpcError):
    """The server is overloaded; retrying with backoff is the right answer."""


_BY_CODE: dict[int, type[JsonRpcError]] = {
    -32700: ParseError,
    -32600: InvalidRequestError,
    -32601: MethodNotFoundError,
    -32602: InvalidParamsError,
    -32603: InternalRpcError,
    SERVER_OVERLOADED_CODE: ServerBusyError,
}

_BUSY_WORDS = ("overloaded", "server busy", "too many requests", "retry later")


def map_jsonrpc_error(error: Any) -> JsonRpcError:
    """Turn the `error` member of a JSON-RPC response into the matching exception."""
    if not isinstance(error, dict):
        return JsonRpcError(-32603, f"malformed JSON-RPC error: {error!r}")
    raw_code = error.get("code", -32603)
    code = raw_code if isinstance(raw_code, int) else -32603
    message = str(error.get("message", "unknown error"))
    data = error.get("data")
    cls = _BY_CODE.get(code)
    if cls is None and (_says_busy(message) or "server_overloaded" in repr(data)):
        cls = ServerBusyError
    return (cls or JsonRpcError)(code, message, data)


def is_retryable_error(exc: BaseException) -> bool:
    """True when `exc` is transient: the server was overloaded and the call may succeed later."""
    if isinstance(exc, ServerBusyError):
        return True
    if isinstance(exc, JsonRpcError):
        return _says_busy(exc.message) or "server_overloaded" in repr(exc.data)
    return False


def _says_busy(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _BUSY_WORDS)
