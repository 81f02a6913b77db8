"""`CodexPool`: the blocking twin of `AsyncCodexPool` (its event loop runs in a thread)."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from .pool import AsyncCodexPool, AsyncPoolThread

if TYPE_CHECKING:
    from codex_app_server import RunResult

    from .server import PoolServer

T = TypeVar("T")
P = ParamSpec("P")


def _arguments_of(
    source: Callable[Concatenate[Any, P], None],
) -> Callable[[Callable[..., None]], Callable[Concatenate[Any, P], None]]:
    """Give a method `source`'s parameters, for type checkers and for `help()`: the method
    passes its arguments on to `source`, so that the two cannot differ."""

    def apply(method: Callable[..., None]) -> Callable[Concatenate[Any, P], None]:
        method.__signature__ = inspect.signature(source)  # type: ignore[attr-defined]
        return method

    return apply


class CodexPool:
    """Several app-servers, one client each, for blocking code (see `AsyncCodexPool`).

    >>> with CodexPool(AppServerConfig(), size=4) as pool:
    ...     thread = pool.thread_start()
    ...     print(thread.run("Say hello.").final_response)

    Calls may come from several threads at once: each blocks until its own work is done.
    """

    @_arguments_of(AsyncCodexPool.__init__)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The same arguments as `AsyncCodexPool`."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, daemon=True, name="codex-pool"
        )
        self._thread.start()

        async def build() -> AsyncCodexPool:
            return AsyncCodexPool(*args, **kwargs)

        self._closed = False
        try:
            self.aio = self._call(build())
        except BaseException:  # bad arguments: no loop thread left behind
            self._closed = True
            self._stop_loop()
            raise

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    @property
    def servers(self) -> list[PoolServer]:
        """The pool's servers (see `PoolServer`)."""
        return self.aio.servers

    def start(self) -> CodexPool:
        """Start every server now (otherwise the first `thread_start` does)."""
        self._call(self.aio.start())
        return self

    def close(self) -> None:
        """Stop every server and the pool's event loop thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._call(self.aio.close())
        self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> CodexPool:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def thread_start(self, **kwargs: Any) -> PoolThread:
        """Start a thread on the least-loaded healthy server (see `AsyncCodexPool`)."""
        return PoolThread(self, self._call(self.aio.thread_start(**kwargs)))

    def thread_resume(self, thread_id: str, **kwargs: Any) -> PoolThread:
        """Load a stored thread on the least-loaded healthy server."""
        return PoolThread(self, self._call(self.aio.thread_resume(thread_id, **kwargs)))


class PoolThread:
    """A thread of a `CodexPool`, pinned to one server (blocking twin of `AsyncPoolThread`).

    `run()` and `archive()` block; other `AsyncThread` coroutine methods are available as
    blocking calls through `call(name, ...)`.

    Attributes:
        id: the thread id.
    """

    def __init__(self, pool: CodexPool, aio: AsyncPoolThread) -> None:
        self.pool = pool
        self.aio = aio
        self.id = aio.id

    def __repr__(self) -> str:
        return f"PoolThread(id={self.id!r}, server={self.server.index})"

    @property
    def server(self) -> PoolServer:
        """The server the thread is on now."""
        return self.aio.server

    def run(self, input: Any, **kwargs: Any) -> RunResult:
        """Run one turn (see `AsyncPoolThread.run`)."""
        return self.pool._call(self.aio.run(input, **kwargs))

    def archive(self) -> None:
        """Archive the thread (the server unloads it)."""
        self.pool._call(self.aio.archive())

    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call any `AsyncThread` coroutine method by name and wait for it, e.g.
        `thread.call("read", include_turns=True)`."""

        async def go() -> Any:
            await self.aio.ensure_loaded()
            return await getattr(self.aio.thread, method)(*args, **kwargs)

        return self.pool._call(go())
