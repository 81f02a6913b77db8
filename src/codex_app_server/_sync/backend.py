"""The blocking side of the seams between the twins (hand-written; `_async/backend.py` is
the asyncio side, and says which modules are generated from it by `scripts/unasync.py`)."""

from __future__ import annotations

import contextlib
import inspect
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._protocol.errors import CodexError
from .queues import Queue, Slot

if TYPE_CHECKING:
    from .client import AppServerClient
    from .turn import TurnHandle

#: `time.sleep` (the asyncio side: `asyncio.sleep`).
sleep = time.sleep
#: The clock of run limits.
monotonic = time.monotonic


def start_on_construction(client: AppServerClient) -> None:
    """Start the app-server now: a `Codex` is started by its constructor."""
    client.start()


def ensure_started(client: AppServerClient) -> None:
    """Start a client that has not been started yet (idempotent)."""
    if client.initialize_result is None:
        client.start()


def new_queue(name: str, client: AppServerClient | None = None) -> Queue:
    """An unbounded, thread-safe queue for a keyed subscription; one of `client`'s reads for
    itself while it waits, as the client's own queues do (see `ReadGate`)."""
    return Queue(name=name, gate=client._gate if client is not None else None)


def spawn(target: Callable[..., None], *args: Any, name: str) -> threading.Thread:
    """Run `target(*args)` in the background: a daemon thread."""
    thread = threading.Thread(target=target, args=args, name=name, daemon=True)
    thread.start()
    return thread


def checkpoint() -> None:
    """Nothing to yield to: the spawned thread runs on its own."""


def run_turn(handle: TurnHandle) -> TurnHandle:
    """Wait for a started turn; interrupt it on the server on KeyboardInterrupt (Ctrl-C)."""
    try:
        handle.run()
    except KeyboardInterrupt:
        with contextlib.suppress(CodexError):
            handle.interrupt()
        raise
    return handle


def call_hook(
    hook: Callable[[Any], Any], argument: Any, timeout: float, name: str, *, strict: bool = False
) -> Any:
    """Call a plain hook in a worker thread and wait `timeout` seconds for it; its result,
    or None (logged) when it raised or timed out (it is then left to finish on its own).
    `strict`: the error is logged and raised instead (`TimeoutError` for a timeout).
    (`async` hooks need the asyncio API.)"""
    from .._protocol.hooks import failed_after

    outcome = "not starting the turn" if strict else "ignoring it"

    slot = Slot()

    def call() -> None:
        try:
            result = hook(argument)
            if inspect.isawaitable(result):
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                raise TypeError("an async hook needs the asyncio API (AsyncCodex)")
            slot.put_nowait((result, None))
        except Exception as exc:
            slot.put_nowait((None, exc))

    spawn(call, name=f"codex-hook-{name}")
    done, got = slot.get(timeout)
    result, exc = got if done else (None, None)
    if not done or exc is not None:
        failed_after(name, exc, outcome)
        if strict:
            if exc is not None:
                raise exc
            raise TimeoutError(f"the {name} hook did not return within {timeout} s")
        return None
    return result
