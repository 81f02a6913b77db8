"""What the command handles share (no I/O): params, output chunks, the handle state.

A streamed `command/exec` sends its output as `command/exec/outputDelta` notifications keyed
by the client-chosen `processId`; `thread/shellCommand` runs a command in a thread and its
`commandExecution` item is observed on the thread's `item/completed` notifications.
"""

from __future__ import annotations

import binascii  # base64 itself loads struct: the codec is all we use
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import CodexError, InvalidRequestError
from .models import to_wire, validate_thread_item
from .notifications import Notification
from .router import KeyPath

if TYPE_CHECKING:
    from ..generated.v2_all import CommandExecResponse

OUTPUT_DELTA = "command/exec/outputDelta"
#: What the runtime says to a control request for a command it does not (yet) know.
NOT_RUNNING = "no active command/exec"
PROCESS_ID_PATH: KeyPath = ("processId",)
ITEM_COMPLETED = "item/completed"
THREAD_ID_PATH: KeyPath = ("threadId",)


@dataclass(frozen=True)
class CommandOutput:
    """One chunk of a streamed command's output.

    Attributes:
        stream: `"stdout"` or `"stderr"` (a PTY multiplexes everything on stdout).
        data: the raw bytes.
        cap_reached: True on the last chunk of a stream truncated by `output_bytes_cap`.
    """

    stream: str
    data: bytes
    cap_reached: bool = False

    @property
    def text(self) -> str:
        """`data` decoded as UTF-8 (invalid bytes replaced)."""
        return self.data.decode("utf-8", errors="replace")

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> CommandOutput:
        return cls(
            stream=str(params.get("stream", "stdout")),
            data=binascii.a2b_base64(params.get("deltaBase64") or ""),
            cap_reached=bool(params.get("capReached", False)),
        )


class Finished:
    """The end of a command: its response, or the error of its request."""

    __slots__ = ("error", "result")  # a plain class: a dataclass costs the import ~0.4 ms

    def __init__(self, result: Any, error: BaseException | None) -> None:
        self.result = result
        self.error = error


def new_process_id() -> str:
    """A fresh connection-scoped process id."""
    import uuid  # per command, not per message

    return f"py-{uuid.uuid4().hex[:16]}"


def command_params(
    command: Sequence[str],
    *,
    process_id: str | None = None,
    stream: bool = False,
    stdin: bool = False,
    tty: bool = False,
    size: tuple[int, int] | Any = None,
    **fields: Any,
) -> dict[str, Any]:
    """The wire params of `command/exec` (keyword fields in snake_case; None left out)."""
    if isinstance(command, str):
        raise TypeError("command is an argv list, e.g. ['ls', '-l'], not a string")
    params: dict[str, Any] = {"command": [str(part) for part in command]}
    if process_id is not None:
        params["processId"] = process_id
    if stream:
        params["streamStdoutStderr"] = True
    if stdin:
        params["streamStdin"] = True
    if tty:
        params["tty"] = True
    if size is not None:
        params["size"] = _size(size)
    for name, value in fields.items():
        if value is not None:
            head, *rest = name.split("_")
            params[head + "".join(p.title() for p in rest)] = to_wire(value)
    return params


def _size(size: Any) -> Any:
    if isinstance(size, tuple):
        rows, cols = size
        return {"rows": rows, "cols": cols}
    return to_wire(size)


class CommandBase:
    """The state of a streamed command, shared by the sync and async handles."""

    def __init__(self, process_id: str, control_timeout: float | None) -> None:
        self.process_id = process_id
        self._control_timeout = control_timeout
        self._stdout = bytearray()
        self._stderr = bytearray()
        self._finished = False
        self._result: CommandExecResponse | None = None
        self._error: BaseException | None = None
        self._done = False  # the request has ended (set by the runner)

    def __repr__(self) -> str:
        state = "finished" if self._finished else "running"
        return f"{type(self).__name__}(process_id={self.process_id!r}, {state})"

    @property
    def stdout(self) -> bytes:
        """The stdout bytes received so far (read by iterating or by `wait()`)."""
        return bytes(self._stdout)

    @property
    def stderr(self) -> bytes:
        """The stderr bytes received so far."""
        return bytes(self._stderr)

    @property
    def finished(self) -> bool:
        """True once the final `command/exec` response has been read."""
        return self._finished

    def _take(self, item: Any) -> CommandOutput | None:
        if isinstance(item, Finished):
            self._finished = True
            self._result = item.result
            if self._error is None:
                self._error = item.error
            return None
        if isinstance(item, BaseException):
            self._finished = True
            self._error = item
            return None
        assert isinstance(item, Notification)
        chunk = CommandOutput.from_params(item.params)
        (self._stderr if chunk.stream == "stderr" else self._stdout).extend(chunk.data)
        return chunk

    def _outcome(self) -> CommandExecResponse:
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def _retry_delay(self, error: InvalidRequestError, attempt: int, started: float) -> float:
        """How long to wait before sending a control request again, or raise `error`.

        A control request sent right after the start may reach the server before the
        command is registered ("no active command/exec"): it is retried, briefly, while
        the command has not ended.
        """
        limit = self._control_timeout
        if (
            NOT_RUNNING not in str(error)
            or self._ended()
            or (limit is not None and time.monotonic() - started >= limit)
        ):
            raise error
        return float(min(0.002 * 2**attempt, 0.05))

    def _ended(self) -> bool:
        return self._done

    def _write_params(self, data: bytes | str | None, close_stdin: bool) -> dict[str, Any]:
        params: dict[str, Any] = {"processId": self.process_id}
        if data:
            raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            params["deltaBase64"] = binascii.b2a_base64(raw, newline=False).decode("ascii")
        if close_stdin:
            params["closeStdin"] = True
        return params


def user_shell_item(item: Any) -> Any:
    """The `commandExecution` item of a user shell command in an `item/completed`, or None."""
    if isinstance(item, BaseException):
        raise item
    raw = item.params.get("item")
    if not isinstance(raw, dict) or raw.get("type") != "commandExecution":
        return None
    return validate_thread_item(raw).root if raw.get("source") == "userShell" else None


def busy(thread_id: str) -> CodexError:
    return CodexError(f"a shell command is already running on thread {thread_id}")
