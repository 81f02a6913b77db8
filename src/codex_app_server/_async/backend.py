"""The asyncio side of the seams between the twins (hand-written; `_sync/backend.py` is the
blocking side). Everything else in the high-level API (`_async/codex.py`, `thread.py`,
`turn.py`, ...: the `FILES` of `scripts/unasync.py`) is turned into its `_sync/` twin by it.

The seams: how a client starts, where background work runs (a task here, a thread there),
how long waits and queues are made, and how a cancelled `run()` interrupts its turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from .._protocol.errors import CodexError
from .queues import AsyncQueue

if TYPE_CHECKING:
    from .client import AsyncAppServerClient
    from .turn import AsyncTurnHandle

#: `asyncio.sleep` (the blocking side: `time.sleep`).
sleep = asyncio.sleep
#: The clock of run limits.
monotonic = time.monotonic


def start_on_construction(client: AsyncAppServerClient) -> None:
    """Nothing: an `AsyncCodex` starts lazily (its constructor cannot await), at
    `async with` or its first call. (The blocking `Codex` starts in its constructor.)"""


async def ensure_started(client: AsyncAppServerClient) -> None:
    """Start a client that has not been started yet (idempotent)."""
    if client.initialize_result is None:
        await client.start()


def new_queue(name: str, client: AsyncAppServerClient | None = None) -> AsyncQueue:
    """An unbounded queue for a keyed subscription, on the running loop (`client`: for the
    blocking side, whose waiters read for themselves)."""
    return AsyncQueue(asyncio.get_running_loop(), name=name)


def spawn(
    target: Callable[..., Coroutine[Any, Any, None]], *args: Any, name: str
) -> asyncio.Task[None]:
    """Run `target(*args)` in the background: a task on the running loop."""
    return asyncio.get_running_loop().create_task(target(*args), name=name)


async def checkpoint() -> None:
    """Let the tasks just spawned run (a request they send goes out before the caller's)."""
    await asyncio.sleep(0)


async def run_turn(
    start: Coroutine[Any, Any, AsyncTurnHandle], interrupt_on_cancel: bool
) -> AsyncTurnHandle:
    """Start a turn (`start` is `thread.turn(...)`, not yet awaited) and wait for it.

    The start runs as its own task so that a cancellation landing while `turn/start` is in
    flight can still learn the turn id and interrupt it; a cancellation while the turn runs
    interrupts it on the server too (unless `interrupt_on_cancel=False`).
    """
    started = asyncio.ensure_future(start)
    try:
        handle = await asyncio.shield(started)
    except asyncio.CancelledError:
        if interrupt_on_cancel:
            await _interrupt_when_started(started)
        else:
            started.cancel()
        raise
    try:
        await handle.run()
    except asyncio.CancelledError:
        if interrupt_on_cancel:
            await _interrupt_shielded(handle)
        raise
    return handle


async def _interrupt_when_started(start: asyncio.Future[AsyncTurnHandle]) -> None:
    """Wait (bounded) for a turn start that was cancelled mid-flight, then interrupt it."""
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(asyncio.shield(start), 5.0)
    if start.done() and not start.cancelled() and start.exception() is None:
        await _interrupt_shielded(start.result())
    else:
        start.cancel()


async def _interrupt_shielded(handle: AsyncTurnHandle) -> None:
    task = asyncio.ensure_future(handle.interrupt())
    with contextlib.suppress(CodexError, asyncio.CancelledError, asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), 5.0)


async def call_hook(
    hook: Callable[[Any], Any], argument: Any, timeout: float, name: str, *, strict: bool = False
) -> Any:
    """Call a hook (plain or `async`) within `timeout` seconds (an `async` one; a plain one
    runs inline on the loop); its result, or None (logged) when it raised or timed out (the
    fail-safe of hooks after the fact). `strict`: the error is logged and raised instead
    (`TimeoutError` for a timeout)."""
    from .._protocol.hooks import failed_after

    outcome = "not starting the turn" if strict else "ignoring it"

    try:
        result = hook(argument)
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await asyncio.wait_for(result, timeout)
    except asyncio.TimeoutError:
        failed_after(name, None, outcome)
        if strict:
            raise TimeoutError(f"the {name} hook did not return within {timeout} s") from None
        return None
    except Exception as exc:
        failed_after(name, exc, outcome)
        if strict:
            raise
        return None
    return result
