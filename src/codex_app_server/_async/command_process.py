"""Commands: `command/exec` with streamed output, and a thread's shell command as a turn.

A streamed `command/exec` sends its output as `command/exec/outputDelta` notifications keyed
by the client-chosen `processId`; `AsyncCommandProcess` subscribes to its process id before
the request is written (a keyed subscription in the router), so no chunk can be missed, and
the final response (sent by the server after the last chunk) ends the stream.

`thread/shellCommand` answers `{}` and then runs the command in the thread (a turn of its own,
or inside the running turn); `run_shell_command` waits for its `commandExecution` item,
observed with a `tee` keyed subscription on the thread's `item/completed` notifications.
(Params, output chunks and the handle state: `_protocol/commands.py`; the methods that start
them, `CommandMethods`: `commands.py`, which loads this module on first use.)
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .._protocol.commands import (
    ITEM_COMPLETED,
    OUTPUT_DELTA,
    PROCESS_ID_PATH,
    THREAD_ID_PATH,
    CommandBase,
    CommandOutput,
    Finished,
    busy,
    user_shell_item,
)
from .._protocol.errors import CodexError, InvalidRequestError, RequestTimeoutError
from .backend import checkpoint, new_queue, sleep, spawn

if TYPE_CHECKING:
    from ..generated.v2_all import CommandExecResponse, CommandExecutionThreadItem
    from .client import AsyncAppServerClient


class AsyncCommandProcess(CommandBase):
    """A running `command/exec` whose output streams to this handle.

    Iterate it for `CommandOutput` chunks (`async for`) as they arrive; `wait()` for the
    final `CommandExecResponse` (its exit code; the streamed bytes are in `stdout`/`stderr`).
    `write()`/`close_stdin()` need `stdin=True`, `resize()` needs `tty=True`. As an async
    context manager, a command still running at exit is terminated.
    """

    def __init__(self, client: AsyncAppServerClient, process_id: str) -> None:
        super().__init__(process_id, client.config.request_timeout)
        self.client = client
        self._queue = new_queue("command", client)

    def _start(self, params: dict[str, Any]) -> None:
        self.client.subscribe_keyed(OUTPUT_DELTA, PROCESS_ID_PATH, self.process_id, self._queue)
        self._runner = spawn(self._run, params, name=f"codex-command-{self.process_id}")

    async def _run(self, params: dict[str, Any]) -> None:
        try:
            result = await self.client.command_exec(params, timeout=math.inf)
        except BaseException as exc:
            self._queue.put_nowait(Finished(None, exc))
            if isinstance(exc, asyncio.CancelledError):  # unasync: async-only
                raise  # unasync: async-only
        else:
            self._queue.put_nowait(Finished(result, None))
        finally:
            # The response comes after the last output chunk: nothing more is routed here.
            self.client.unsubscribe_keyed(OUTPUT_DELTA, PROCESS_ID_PATH, self.process_id)
            self._done = True

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
            await sleep(delay)
            attempt += 1

    async def __aiter__(self) -> AsyncIterator[CommandOutput]:
        """The output chunks, in order, until the command exits (then its error, if any)."""
        while not self._finished:
            _, item = await self._queue.get()
            chunk = self._take(item)
            if chunk is not None:
                yield chunk
        if self._error is not None:
            raise self._error

    async def wait(self, timeout: float | None = None) -> CommandExecResponse:
        """Wait for the command to exit; its `CommandExecResponse` (exit code).

        Output not yet iterated is collected into `stdout`/`stderr`. Raises the
        request's `JsonRpcError` if the command could not run, `RequestTimeoutError` after
        `timeout` seconds (the command keeps running).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._finished:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            delivered, item = await self._queue.get(remaining)
            if not delivered:
                raise RequestTimeoutError("command/exec", timeout or 0.0)
            self._take(item)
        return self._outcome()

    async def write(self, data: bytes | str, *, close_stdin: bool = False) -> None:
        """Write to the command's stdin (`stdin=True` needed); optionally close it after."""
        await self._control(self.client.command_exec_write, self._write_params(data, close_stdin))

    async def close_stdin(self) -> None:
        """Close the command's stdin."""
        await self._control(self.client.command_exec_write, self._write_params(None, True))

    async def terminate(self) -> None:
        """Terminate the command (`command/exec/terminate`)."""
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


async def start_command(
    client: AsyncAppServerClient, params: dict[str, Any]
) -> AsyncCommandProcess:
    """Start a streamed `command/exec` (params from `command_params(..., stream=True)`)."""
    process = AsyncCommandProcess(client, params["processId"])
    process._start(params)
    await checkpoint()  # let the request go out before anything the caller sends
    return process


# -- a thread's shell command ---------------------------------------------------------------


async def run_shell_command(
    client: AsyncAppServerClient, thread_id: str, params: dict[str, Any], timeout: float | None
) -> CommandExecutionThreadItem:
    """Send `thread/shellCommand` and wait for its `commandExecution` item to complete.

    The runtime answers `{}` at once and runs the command in the thread: as a turn of its own
    when the thread is idle, inside the running turn otherwise. Either way its item's
    `item/completed` is observed (a `tee` keyed subscription on the thread, so a turn being
    streamed still gets it too).
    """
    completed = new_queue("shell", client)
    try:
        client.subscribe_keyed(ITEM_COMPLETED, THREAD_ID_PATH, thread_id, completed, tee=True)
    except ValueError:
        raise busy(thread_id) from None
    try:
        await client.thread_shell_command(params)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            delivered, item = await completed.get(remaining)
            if not delivered:
                raise RequestTimeoutError("thread/shellCommand", timeout or 0.0)
            item = user_shell_item(item)
            if item is not None:
                return item  # type: ignore[no-any-return]
    finally:
        client.unsubscribe_keyed(ITEM_COMPLETED, THREAD_ID_PATH, thread_id)
