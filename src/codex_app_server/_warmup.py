"""The process-wide background warm-up of the models a turn uses (see `_protocol.warmup`).

The first client to start launches one daemon thread that builds what typing a turn's
result needs (`warm_turn_models()`) while the app-server spawns and initializes (about
100 ms during which the process only waits), marks itself done, then, for an async
client, builds the payload models of a turn's notifications
(`warm_notification_models()`). Async code awaits `WARMUP.wait()` before it types
anything, so the loop never blocks on an import or a validator build that the thread is
doing (or would do on the loop instead), and a first turn that completes early waits only
for the first step; sync code needs no wait (the import lock serializes it).

`asyncio` is imported only by the async paths: a blocking client's process never loads it
(about 25 ms of a cold start).
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

from ._constants import WARMUP_EXIT_WAIT
from ._protocol.warmup import warm_notification_models, warm_turn_models


class Warmup:
    """One background warm-up, awaitable from any event loop: `done` (and `wait()`) once
    what a turn's result types is built. Started from an event loop (an async client), it
    then builds the notification payload models too, so that a first `note.payload` does
    not build one on the loop; a sync client reads payloads on its own thread, where that
    costs no stall, and is spared the work (a few tens of ms of CPU)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = False
        self.done = False
        self._payloads = False  # the notification payloads are (to be) built
        self._past_payloads = False  # the thread no longer looks at `_payloads`
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def start(self) -> None:
        """Launch the warm-up thread (once per process; from an event loop, with the
        notification payloads, which a later async client adds if a sync one started it)."""
        in_loop = _in_event_loop()
        with self._lock:
            first = not self._started
            self._started = True
            later = False
            if in_loop and not self._payloads:
                self._payloads = True
                later = self._past_payloads
        if first:
            if not self._launch(self._run):  # no new threads: type on first use
                self._finish()
        elif later:
            self._launch(warm_notification_models)

    @staticmethod
    def _launch(target: Callable[[], None]) -> bool:
        thread = threading.Thread(target=target, name="codex-app-server-warmup", daemon=True)
        try:
            thread.start()
        except RuntimeError:  # interpreter shutting down
            return False
        # A daemon thread still importing or building validators while the interpreter
        # finalizes can abort the process (SIGABRT in a C extension; seen with a CLI call
        # that exits at once): let it finish first, boundedly.
        atexit.register(thread.join, WARMUP_EXIT_WAIT)
        return True

    def _run(self) -> None:
        try:
            warm_turn_models()
        finally:
            self._finish()
        with self._lock:
            payloads = self._payloads
            self._past_payloads = True
        if payloads:
            warm_notification_models()

    def _finish(self) -> None:
        with self._lock:
            self.done = True
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop is closed
                loop.call_soon_threadsafe(_resolve, future)

    async def wait(self) -> None:
        """Return once the warm-up is over (at once if it is, or was never started)."""
        if self.done or not self._started:
            return
        import asyncio

        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self.done:
                return
            self._waiters.append((loop, future))
        await asyncio.shield(future)


def _in_event_loop() -> bool:
    asyncio = sys.modules.get("asyncio")  # not imported: no loop can be running
    if asyncio is None:
        return False
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


WARMUP = Warmup()


async def avalidate(model_name: str | None, data: Any) -> Any:
    """`validate_as` for async code: after the warm-up, so the loop never waits on it."""
    from ._protocol.models import validate_as

    if not WARMUP.done:
        await WARMUP.wait()
    return validate_as(model_name, data)
