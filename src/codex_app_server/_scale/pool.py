"""`AsyncCodexPool`: several app-servers behind one `thread_start`.

A thread is placed on the least-loaded healthy server and stays there: a thread has one
writer, and `thread/resume` on a second live server fails with "already has an active
writer". A server that dies is restarted (at most `max_restarts` times); its threads go
on, on their server once restarted or on another live server that shares its
CODEX_HOME (the history lives there). The turn that was running when the server died is
lost: its caller gets `ServerLostError`; the thread's next call works again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from codex_app_server import (
    AppServerConfig,
    ClientClosedError,
    PoolError,
    ServerBusyError,
    ServerLostError,
)

from .runner import LOST_CONNECTION
from .server import PoolServer

if TYPE_CHECKING:
    from codex_app_server import AsyncCodex, AsyncThread, RunResult


_BUSY_BACKOFF = (0.05, 0.1, 0.2, 0.4, 0.8)


class AsyncCodexPool:
    """Several app-servers, one client each, for asyncio code.

    >>> async with AsyncCodexPool(AppServerConfig(), size=4) as pool:
    ...     thread = await pool.thread_start()
    ...     print((await thread.run("Say hello.")).final_response)
    """

    def __init__(
        self,
        config: AppServerConfig | Sequence[AppServerConfig] | None = None,
        *,
        size: int | None = None,
        max_turns_per_server: int | None = None,
        max_restarts: int = 3,
        handlers: Any = None,
        tools: Any = None,
        drain_notifications: bool = False,
    ) -> None:
        """`config`: one `AppServerConfig` started `size` times (default 2), or a list of
        configs, one server each (`size` must then be None or match). `max_turns_per_server`
        bounds the turns running at once on one server (None: no bound). `max_restarts`:
        restarts allowed per server before it is given up. `handlers` and `tools` are
        passed to every server's `AsyncCodex`. `drain_notifications`: read and drop the
        notifications that belong to no turn (for long runs that never call
        `next_notification()`).
        """
        configs = _configs(config, size)
        kwargs: dict[str, Any] = {}
        if handlers is not None:
            kwargs["handlers"] = handlers
        if tools is not None:
            kwargs["tools"] = tools
        self.servers: list[PoolServer] = [
            PoolServer(
                i,
                c,
                max_restarts=max_restarts,
                max_turns=max_turns_per_server,
                codex_kwargs=kwargs,
                drain_notifications=drain_notifications,
            )
            for i, c in enumerate(configs)
        ]
        self._placement: dict[str, PoolServer] = {}
        self._started = False
        self._closed = False

    async def start(self) -> AsyncCodexPool:
        """Start every server: on each CODEX_HOME one first, then the rest together (many
        servers starting at the same moment on a fresh home fail to create its database)."""
        if self._started:
            return self
        self._started = True
        first: dict[str | None, PoolServer] = {}
        for server in self.servers:
            first.setdefault(server.home if server.home is not None else f"#{server.index}", server)
        try:
            await asyncio.gather(*(s.start() for s in first.values()))
            rest = [s for s in self.servers if s not in first.values()]
            await asyncio.gather(*(s.start() for s in rest))
        except BaseException:
            await self.close()
            raise
        return self

    async def close(self) -> None:
        """Stop every server (idempotent)."""
        self._closed = True
        await asyncio.gather(*(s.close() for s in self.servers), return_exceptions=True)

    async def __aenter__(self) -> AsyncCodexPool:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def healthy_servers(self) -> list[PoolServer]:
        """The servers that are up now."""
        return [s for s in self.servers if s.healthy]

    def server_of(self, thread_id: str) -> PoolServer | None:
        """The server a pool thread is placed on."""
        return self._placement.get(thread_id)

    async def thread_start(self, **kwargs: Any) -> AsyncPoolThread:
        """Start a thread on the least-loaded healthy server (keyword arguments as
        `AsyncCodex.thread_start`). A server that answers -32001 (overloaded) is skipped;
        when every server is overloaded, retry with backoff, then raise `ServerBusyError`."""
        busy: ServerBusyError | None = None
        for delay in (0.0, *_BUSY_BACKOFF):
            if delay:
                await asyncio.sleep(delay)
            skipped: set[int] = set()
            while True:
                server = await self._pick(exclude=skipped)
                if server is None:
                    break
                try:
                    thread = await server.codex.thread_start(**kwargs)
                except ServerBusyError as exc:
                    busy = exc
                    skipped.add(server.index)
                    continue
                except LOST_CONNECTION:
                    server.mark_dead()
                    skipped.add(server.index)
                    continue
                return self._place(thread, server)
            if busy is None:
                break
        if busy is not None:
            raise busy
        raise PoolError("no app-server of the pool is up")

    async def thread_resume(self, thread_id: str, **kwargs: Any) -> AsyncPoolThread:
        """Load a stored thread on the least-loaded healthy server (keyword arguments as
        `AsyncCodex.thread_resume`)."""
        server = await self._pick()
        if server is None:
            raise PoolError("no app-server of the pool is up")
        thread = await server.codex.thread_resume(thread_id, **kwargs)
        return self._place(thread, server)

    async def _pick(self, exclude: set[int] | None = None) -> PoolServer | None:
        self._check_open()
        if not self._started:
            await self.start()
        exclude = exclude or set()
        for server in self.servers:
            if not server.healthy and not server.failed and server.index not in exclude:
                await server.ensure_up()
        candidates = [s for s in self.servers if s.healthy and s.index not in exclude]
        return min(candidates, key=lambda s: s.load, default=None)

    def _place(self, thread: AsyncThread, server: PoolServer) -> AsyncPoolThread:
        previous = self._placement.get(thread.id)
        if previous is not None:
            previous.threads.discard(thread.id)
        self._placement[thread.id] = server
        server.threads.add(thread.id)
        return AsyncPoolThread(self, thread, server)

    def _forget(self, thread_id: str) -> None:
        server = self._placement.pop(thread_id, None)
        if server is not None:
            server.threads.discard(thread_id)

    async def _recover(self, pooled: AsyncPoolThread) -> None:
        """Bring a thread whose server died back: on its server once restarted, else on a
        live server of the same home."""
        server = pooled.server
        if await server.ensure_up():
            target: PoolServer | None = server
        else:
            same_home = [
                s
                for s in self.servers
                if s.healthy and s.home is not None and s.home == server.home
            ]
            target = min(same_home, key=lambda s: s.load, default=None)
        if target is None:
            self._forget(pooled.id)
            raise PoolError(
                f"thread {pooled.id} was on app-server {server.index}, which is down for good, "
                "and no live server shares its CODEX_HOME"
            )
        thread = await target.codex.thread_resume(pooled.id)
        self._place(thread, target)
        pooled._rebind(thread, target)

    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosedError("the pool is closed")


class AsyncPoolThread:
    """A thread of an `AsyncCodexPool`, pinned to one server.

    `run()` follows its thread when the server dies; every other `AsyncThread` method and
    attribute (`turn`, `read`, `set_name`, ...) is forwarded to the thread on its current
    server.

    Attributes:
        id: the thread id.
        server: the `PoolServer` it runs on.
    """

    def __init__(self, pool: AsyncCodexPool, thread: AsyncThread, server: PoolServer) -> None:
        self.pool = pool
        self.thread = thread
        self.server = server
        self.id = thread.id
        self._stale = False

    def __repr__(self) -> str:
        return f"AsyncPoolThread(id={self.id!r}, server={self.server.index})"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name == "thread":  # not set yet (copy, pickle)
            raise AttributeError(name)
        return getattr(self.thread, name)

    @property
    def codex(self) -> AsyncCodex:
        """The `AsyncCodex` of the server the thread is on."""
        return self.server.codex

    def _rebind(self, thread: AsyncThread, server: PoolServer) -> None:
        self.thread, self.server, self._stale = thread, server, False

    async def ensure_loaded(self) -> None:
        """Make sure the thread is loaded on a live server (after its server died)."""
        if self._stale or not self.server.healthy:
            await self.pool._recover(self)

    async def run(self, input: Any, **kwargs: Any) -> RunResult:
        """Run one turn (keyword arguments as `AsyncThread.run`). Raises `ServerLostError`
        if the server dies during the turn; the thread can be used again afterwards."""
        await self.ensure_loaded()
        server = self.server
        async with server.turn_slot():
            try:
                return await self.thread.run(input, **kwargs)
            except LOST_CONNECTION as exc:
                server.mark_dead()
                self._stale = True
                raise ServerLostError(
                    f"app-server {server.index} died during a turn of thread {self.id}: {exc}"
                ) from exc

    async def archive(self) -> None:
        """Archive the thread: the server unloads it (its memory is freed)."""
        await self.ensure_loaded()
        await self.server.codex.thread_archive(self.id)
        self.pool._forget(self.id)


def _configs(
    config: AppServerConfig | Sequence[AppServerConfig] | None, size: int | None
) -> list[AppServerConfig]:
    if config is None or isinstance(config, AppServerConfig):
        count = 2 if size is None else size
        if count < 1:
            raise ValueError("a pool needs at least one server")
        return [config or AppServerConfig()] * count
    configs = list(config)
    if not configs:
        raise ValueError("a pool needs at least one server")
    if size is not None and size != len(configs):
        raise ValueError(f"size={size} does not match the {len(configs)} configs given")
    return configs
