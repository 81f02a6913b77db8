"""The exception tree.

::

    CodexError
    ├── CodexNotFoundError          no runtime binary could be found (also FileNotFoundError)
    ├── ClientNotStartedError       a client used before start() (or after a failed start)
    ├── ClientClosedError           the client was closed by its owner; no new work
    ├── TransportError              the connection to the app-server failed
    │   ├── TransportClosedError    the app-server exited (exit_code, stderr_tail)
    │   ├── AuthenticationError     a remote app-server refused the connection (401/403)
    │   ├── ConnectionLostError     a remote connection dropped with this request in flight
    │   └── MessageTooLargeError    a line over AppServerConfig.max_line_bytes
    ├── RequestTimeoutError         no response within the request timeout (also TimeoutError)
    ├── TurnTimeoutError            a turn went silent too long; it was interrupted
    ├── TurnFailedError             a turn ended "failed" (run() only; also RuntimeError)
    ├── NotLoggedInError            the provider needs a login and there is none (before a turn)
    ├── PoolError                   a pool cannot go on (no server left, thread unrecoverable)
    │   └── ServerLostError         the server running a turn died; the thread lives on
    ├── InvalidMetadataError        `initialize` answered without the metadata a client needs
    ├── StructuredOutputError       the final message does not match the output schema
    ├── RunLimitExceeded            a run limit ended the run (with run(raise_on_limit=True))
    ├── LoginError                  a ChatGPT login failed or was cancelled
    ├── LoginTimeoutError           wait(timeout) ran out; the login is pending (also TimeoutError)
    └── JsonRpcError                the server answered with a JSON-RPC error (code, message, data)
                                    (alias: AppServerRpcError, the seed's name)
        ├── ParseError              -32700
        ├── InvalidRequestError     -32600
        ├── MethodNotFoundError     -32601
        ├── InvalidParamsError      -32602
        ├── InternalRpcError        -32603
        ├── ServerBusyError         -32001 "Server overloaded; retry later." (retryable)
        │   └── RetryLimitExceededError  the server exhausted its own retry budget
        └── DeclinedRequest         the client refuses a server request with a JSON-RPC error

Every exception the SDK raises is defined here (other modules re-export them where they
were first defined, so old imports keep working).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._constants import SERVER_OVERLOADED_CODE

if TYPE_CHECKING:
    from ..generated.v2_all import AccountLoginCompletedNotification


class CodexError(Exception):
    """Base class of every error this SDK raises."""


class CodexNotFoundError(CodexError, FileNotFoundError):
    """No Codex runtime binary was found (also a `FileNotFoundError`, for seed-era code).

    The message says where it looked and how to fix it.
    """

    def __str__(self) -> str:
        # FileNotFoundError would render (errno, strerror); keep the plain message.
        return str(self.args[0]) if self.args else ""


class ClientNotStartedError(CodexError):
    """The client was used before `start()` (or its start failed): call `start()`, or use
    it as a context manager. A typed error, not an `assert`, so it holds under `python -O`."""

    def __init__(
        self, message: str = "the client is not started: call start() first (or use `with`)"
    ) -> None:
        super().__init__(message)


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


class AuthenticationError(TransportError):
    """A remote app-server refused the connection (HTTP 401 or 403 on the upgrade).

    The message says what the server wants; it never contains the token.

    Attributes:
        status: the HTTP status (401, 403), or None when the token could not be read.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class ConnectionLostError(TransportError):
    """The connection to a remote app-server dropped while this request was in flight.

    The client reconnects on its own (`AppServerConfig.reconnect`); whether the request
    took effect on the server is unknown. Retryable: `is_retryable_error()` says True.
    """


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


class TurnFailedError(CodexError, RuntimeError):
    """A turn run with `run()` ended with status "failed"."""

    def __init__(self, turn_id: str, message: str | None, turn: Any = None) -> None:
        self.turn_id = turn_id
        self.turn = turn
        super().__init__(f"turn {turn_id} failed: {message or 'no error message'}")


class StructuredOutputError(CodexError):
    """The turn's final message does not validate against the requested output schema.

    Attributes:
        text: the final message as received (None if the turn produced none).
        result: the `RunResult` of the turn, with `parsed` left as None.
    """

    def __init__(self, message: str, text: str | None, result: Any = None) -> None:
        super().__init__(message)
        self.text = text
        self.result = result


class LoginError(CodexError):
    """A login ended without success: it failed, or it was cancelled.

    Attributes:
        login_id: the login's id.
        error: the server's reason (e.g. "Login was not completed" after a cancel).
        completion: the `AccountLoginCompletedNotification` itself.
    """

    def __init__(self, completion: AccountLoginCompletedNotification) -> None:
        self.login_id = completion.login_id
        self.error = completion.error
        self.completion = completion
        super().__init__(f"login {self.login_id} failed: {self.error or 'no reason given'}")


class LoginTimeoutError(CodexError, TimeoutError):
    """`wait(timeout)` ran out before the login completed; the login is still pending."""

    def __init__(self, login_id: str, timeout: float) -> None:
        self.login_id = login_id
        self.timeout = timeout
        super().__init__(f"login {login_id} did not complete within {timeout:g}s")


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


class RetryLimitExceededError(ServerBusyError):
    """The server answered that it exhausted its own retry budget ("retry limit", "too many
    failed attempts"). Still a `ServerBusyError`, so `retry_on_overload` backs off and tries
    again; catch this class first to give up sooner."""


class NotLoggedInError(CodexError):
    """The app-server has no login and its model provider needs one: a turn would only
    retry ("Reconnecting... 5/5") and wait. Raised before the turn starts; the message says
    how to log in from Python and from the command line."""


class PoolError(CodexError):
    """The pool cannot go on: no app-server is left, or a thread cannot be recovered."""


class ServerLostError(PoolError):
    """The app-server running a turn died; the turn is lost, the thread is not."""


class InvalidMetadataError(CodexError):
    """`initialize` answered without the metadata every client needs (a user agent naming the
    server and its version). Raised by start; the app-server is stopped."""


#: The seed-era name of the JSON-RPC error base.
AppServerRpcError = JsonRpcError


class DeclinedRequest(JsonRpcError):
    """A server request the client refuses with a JSON-RPC error (no valid "no" result exists)."""


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
    if (cls is None or cls is ServerBusyError) and _says_retry_limit(message):
        cls = RetryLimitExceededError
    return (cls or JsonRpcError)(code, message, data)


def is_retryable_error(exc: BaseException) -> bool:
    """True when `exc` is transient: the server was overloaded, or a remote connection
    dropped with the call in flight, and the call may succeed later."""
    if isinstance(exc, (ServerBusyError, ConnectionLostError)):
        return True
    if isinstance(exc, JsonRpcError):
        return _says_busy(exc.message) or "server_overloaded" in repr(exc.data)
    return False


def _says_busy(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _BUSY_WORDS)


_RETRY_LIMIT_WORDS = ("retry limit", "too many failed attempts")


def _says_retry_limit(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _RETRY_LIMIT_WORDS)


class RunLimitExceeded(CodexError):
    """A run limit ended the run (with `run(..., raise_on_limit=True)`).

    Attributes:
        limit: which one (`"max_turns"`, `"max_tool_calls"`, `"max_tokens"`,
            `"max_duration"`).
        result: the `RunResult` of the run so far (its last turn, interrupted).
    """

    def __init__(self, limit: str, result: Any = None) -> None:
        super().__init__(f"the run was stopped by its {limit} limit")
        self.limit = limit
        self.result = result
