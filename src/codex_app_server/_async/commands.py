"""Commands: `command/exec` with streamed output, and a thread's shell command as a turn.

A streamed `command/exec` sends its output as `command/exec/outputDelta` notifications keyed
by the client-chosen `processId`; `CommandProcess` subscribes to its process id before the
request is written (a keyed subscription in the router), so no chunk can be missed, and
the final response (sent by the server after the last chunk) ends the stream.

`thread/shellCommand` answers `{}` and then runs the command in the thread (a turn of its own,
or inside the running turn); `run_shell_command` waits for its `commandExecution` item,
observed with a `tee` keyed subscription on the thread's `item/completed` notifications.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import queue
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._protocol.errors import CodexError, InvalidRequestError, RequestTimeoutError
from .._protocol.models import to_wire, validate_thread_item
from .._protocol.notifications import Notification
from .._protocol.router import KeyPath
from .queues import AsyncQueue

if TYPE_CHECKING:
    from .._sync.client import AppServerClient
    from ..generated.v2_all import CommandExecResponse, CommandExecutionThreadItem
    from .client import AsyncAppServerClient

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
            data=base64.b64decode(params.get("deltaBase64") or ""),
            cap_reached=bool(params.get("capReached", False)),
        )


@dataclass(frozen=True)
class _Finished:
    result: Any
    error: BaseException | None


def new_process_id() -> str:
    """A fresh connection-scoped process id."""
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


class _CommandBase:
    def __init__(self, process_id: str, control_timeout: float | None) -> None:
        self.process_id = process_id
        self._control_timeout = control_timeout
        self._stdout = bytearray()
        self._stderr = bytearray()
        self._finished = False
        self._result: CommandExecResponse | None = None
        self._error: BaseException | None = None

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
        if isinstance(item, _Finished):
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
        raise NotImplementedError

    def _write_params(self, data: bytes | str | None, close_stdin: bool) -> dict[str, Any]:
        params: dict[str, Any] = {"processId": self.process_id}
        if data:
            raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
            params["deltaBase64"] = base64.b64encode(raw).decode("ascii")
        if close_stdin:
            params["closeStdin"] = True
        return params


class CommandProcess(_CommandBase):
    """A running `command/exec` whose output streams to this handle.

    Iterate it for `CommandOutput` chunks as they arrive; `wait()` for the final
    `CommandExecResponse` (its exit code; the streamed bytes are in `stdout`/`stderr`).
    `write()`/`close_stdin()` need `stdin=True`, `resize()` needs `tty=True`. As a context
    manager, a command still running at exit is terminated.
    """

    def __init__(self, client: AppServerClient, process_id: str) -> None:
        super().__init__(process_id, client.config.request_timeout)
        self.client = client
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._runner: threading.Thread | None = None
        self._done = threading.Event()

    def _start(self, params: dict[str, Any]) -> None:
        self.client.subscribe_keyed(OUTPUT_DELTA, PROCESS_ID_PATH, self.process_id, self._queue)
        self._runner = threading.Thread(
            target=self._run, args=(params,), name=f"codex-command-{self.process_id}", daemon=True
        )
        self._runner.start()

    def _run(self, params: dict[str, Any]) -> None:
        try:
            result = self.client.command_exec(params, timeout=math.inf)
        except BaseException as exc:
            self._queue.put(_Finished(None, exc))
        else:
            self._queue.put(_Finished(result, None))
        finally:
            # The response comes after the last output chunk: nothing more is routed here.
            self.client.unsubscribe_keyed(OUTPUT_DELTA, PROCESS_ID_PATH, self.process_id)
            self._done.set()

    def _ended(self) -> bool:
        return self._done.is_set()

    def _control(self, method: Callable[[dict[str, Any]], Any], params: dict[str, Any]) -> None:
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                method(params)
                return
            except InvalidRequestError as exc:
                delay = self._retry_delay(exc, attempt, started)
            self._done.wait(delay)
            attempt += 1

    def __iter__(self) -> Iterator[CommandOutput]:
        """The output chunks, in order, until the command exits (then its error, if any)."""
        while not self._finished:
            chunk = self._take(self._queue.get())
            if chunk is not None:
                yield chunk
        if self._error is not None:
            raise self._error

    def wait(self, timeout: float | None = None) -> CommandExecResponse:
        """Wait for the command to exit; its `CommandExecResponse` (exit code).

        Output not yet iterated is collected into `stdout`/`stderr`. Raises the
        request's `JsonRpcError` if the command could not run, `RequestTimeoutError` after
        `timeout` seconds (the command keeps running).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._finished:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self._queue.get(timeout=remaining)
            except queue.Empty:
                raise RequestTimeoutError("command/exec", timeout or 0.0) from None
            self._take(item)
        return self._outcome()

    def write(self, data: bytes | str, *, close_stdin: bool = False) -> None:
        """Write to the command's stdin (`stdin=True` needed); optionally close it after."""
        self._control(self.client.command_exec_write, self._write_params(data, close_stdin))

    def close_stdin(self) -> None:
        """Close the command's stdin."""
        self._control(self.client.command_exec_write, self._write_params(None, True))

    def terminate(self) -> None:
        """Terminate the command (`command/exec/terminate`)."""
        self._control(self.client.command_exec_terminate, {"processId": self.process_id})

    def resize(self, rows: int, cols: int) -> None:
        """Resize the command's PTY (`tty=True` needed)."""
        size = {"rows": rows, "cols": cols}
        self._control(self.client.command_exec_resize, {"processId": self.process_id, "size": size})

    def __enter__(self) -> CommandProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._finished:
            with contextlib.suppress(CodexError):
                self.terminate()
            with contextlib.suppress(CodexError):
                self.wait(timeout=self.client.config.shutdown_grace * 3)


class AsyncCommandProcess(_CommandBase):
    """A running `command/exec` for asyncio code (see `CommandProcess`)."""

    def __init__(
        self, client: AsyncAppServerClient, process_id: str, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(process_id, client.config.request_timeout)
        self.client = client
        self._queue = AsyncQueue(loop, name="command")
        self._loop = loop
        self._task: asyncio.Task[None] | None = None

    def _start(self, params: dict[str, Any]) -> None:
        self.client.subscribe_keyed(OUTPUT_DELTA, PROCESS_ID_PATH, self.process_id, self._queue)
        self._task = self._loop.create_task(self._run(params))

    async def _run(self, params: dict[str, Any]) -> None:
        try:
            result = await self.client.command_exec(params, timeout=math.inf)
        except BaseException as exc:
            self._queue.put_nowait(_Finished(None, exc))
            if isinstance(exc, asyncio.CancelledError):
                raise
        else:
            self._queue.put_nowait(_Finished(result, None))
        finally:
            self.client.unsubscribe_keyed(OUTPUT_DELTA, PROCESS_ID_PATH, self.process_id)

    def _ended(self) -> bool:
        return self._task is not None and self._task.done()

    async def _control(
        self, method: Callable[[dict[str, Any]], Awaitable[Any]], params: dict[str, Any]
    ) -> None:
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                await method(params)
                return
            except InvalidRequestError as exc:
                delay = self._retry_delay(exc, attempt, started)
            await asyncio.sleep(delay)
            attempt += 1

    async def __aiter__(self) -> AsyncIterator[CommandOutput]:
        """The output chunks, in order, until the command exits."""
        while not self._finished:
            _, item = await self._queue.get()
            chunk = self._take(item)
            if chunk is not None:
                yield chunk
        if self._error is not None:
            raise self._error

    async def wait(self, timeout: float | None = None) -> CommandExecResponse:
        """Wait for the command to exit (see `CommandProcess.wait`)."""
        deadline = None if timeout is None else self._loop.time() + timeout
        while not self._finished:
            remaining = None if deadline is None else max(0.0, deadline - self._loop.time())
            delivered, item = await self._queue.get(remaining)
            if not delivered:
                raise RequestTimeoutError("command/exec", timeout or 0.0)
            self._take(item)
        return self._outcome()

    async def write(self, data: bytes | str, *, close_stdin: bool = False) -> None:
        """Write to the command's stdin (`stdin=True` needed)."""
        await self._control(self.client.command_exec_write, self._write_params(data, close_stdin))

    async def close_stdin(self) -> None:
        """Close the command's stdin."""
        await self._control(self.client.command_exec_write, self._write_params(None, True))

    async def terminate(self) -> None:
        """Terminate the command."""
        await self._control(self.client.command_exec_terminate, {"processId": self.process_id})

    async def resize(self, rows: int, cols: int) -> None:
        """Resize the command's PTY (`tty=True` needed)."""
        size = {"rows": rows, "cols": cols}
        await self._control(
            self.client.command_exec_resize, {"processId": self.process_id, "size": size}
        )

    async def __aenter__(self) -> AsyncCommandProcess:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if not self._finished:
            with contextlib.suppress(CodexError):
                await self.terminate()
            with contextlib.suppress(CodexError):
                await self.wait(timeout=self.client.config.shutdown_grace * 3)


def start_command(client: AppServerClient, params: dict[str, Any]) -> CommandProcess:
    """Start a streamed `command/exec` (params from `command_params(..., stream=True)`)."""
    process = CommandProcess(client, params["processId"])
    process._start(params)
    return process


async def async_start_command(
    client: AsyncAppServerClient, params: dict[str, Any], loop: asyncio.AbstractEventLoop
) -> AsyncCommandProcess:
    """The asyncio twin of `start_command` (call on the client's loop, once started)."""
    process = AsyncCommandProcess(client, params["processId"], loop)
    process._start(params)
    await asyncio.sleep(0)  # let the request go out before anything the caller sends
    return process


# -- a thread's shell command ---------------------------------------------------------------


def _user_shell_item(item: Any) -> Any:
    """The `commandExecution` item of a user shell command in an `item/completed`, or None."""
    if isinstance(item, BaseException):
        raise item
    raw = item.params.get("item")
    if not isinstance(raw, dict) or raw.get("type") != "commandExecution":
        return None
    return validate_thread_item(raw).root if raw.get("source") == "userShell" else None


def _busy(thread_id: str) -> CodexError:
    return CodexError(f"a shell command is already running on thread {thread_id}")


def run_shell_command(
    client: AppServerClient, thread_id: str, params: dict[str, Any], timeout: float | None
) -> CommandExecutionThreadItem:
    """Send `thread/shellCommand` and wait for its `commandExecution` item to complete.

    The runtime answers `{}` at once and runs the command in the thread: as a turn of its own
    when the thread is idle, inside the running turn otherwise. Either way its item's
    `item/completed` is observed (a `tee` keyed subscription on the thread, so a turn being
    streamed still gets it too).
    """
    completed: queue.SimpleQueue[Any] = queue.SimpleQueue()
    try:
        client.subscribe_keyed(ITEM_COMPLETED, THREAD_ID_PATH, thread_id, completed, tee=True)
    except ValueError:
        raise _busy(thread_id) from None
    try:
        client.thread_shell_command(params)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = _user_shell_item(completed.get(timeout=remaining))
            except queue.Empty:
                raise RequestTimeoutError("thread/shellCommand", timeout or 0.0) from None
            if item is not None:
                return item  # type: ignore[no-any-return]
    finally:
        client.unsubscribe_keyed(ITEM_COMPLETED, THREAD_ID_PATH, thread_id)


async def async_run_shell_command(
    client: AsyncAppServerClient,
    thread_id: str,
    params: dict[str, Any],
    timeout: float | None,
    loop: asyncio.AbstractEventLoop,
) -> CommandExecutionThreadItem:
    """The asyncio twin of `run_shell_command`."""
    completed = AsyncQueue(loop, name="shell")
    try:
        client.subscribe_keyed(ITEM_COMPLETED, THREAD_ID_PATH, thread_id, completed, tee=True)
    except ValueError:
        raise _busy(thread_id) from None
    try:
        await client.thread_shell_command(params)
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            delivered, item = await completed.get(remaining)
            if not delivered:
                raise RequestTimeoutError("thread/shellCommand", timeout or 0.0)
            item = _user_shell_item(item)
            if item is not None:
                return item  # type: ignore[no-any-return]
    finally:
        client.unsubscribe_keyed(ITEM_COMPLETED, THREAD_ID_PATH, thread_id)
