"""File-system watches over `fs/watch`: `fs/changed` notifications routed to a handle.

`fs/changed` notifications are keyed by the client-chosen `watchId`: an `AsyncFsWatch`
subscribes to its id before `fs/watch` is sent, so it sees every change reported for it.
(Paths and payloads: `_protocol/fs.py`.)
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from .._protocol.errors import CodexError, RequestTimeoutError
from .._protocol.fs import CLOSED, FS_CHANGED, WATCH_ID_PATH, changed
from .backend import new_queue

if TYPE_CHECKING:
    from ..generated.v2_all import FsChangedNotification
    from .client import AsyncAppServerClient


class AsyncFsWatch:
    """A watch on a file or directory: its `fs/changed` notifications, in order.

    `await next(timeout)` returns the next `FsChangedNotification`; iterating (`async for`)
    yields them until `close()` (which sends `fs/unwatch`). Use it as an async context manager.
    """

    def __init__(self, client: AsyncAppServerClient, watch_id: str, path: str) -> None:
        self.client = client
        self.watch_id = watch_id
        self.path = path
        self._queue = new_queue("fs-watch")
        self._closed = False

    def __repr__(self) -> str:
        return f"AsyncFsWatch(watch_id={self.watch_id!r}, path={self.path!r})"

    async def _start(self) -> None:
        self.client.subscribe_keyed(FS_CHANGED, WATCH_ID_PATH, self.watch_id, self._queue)
        try:
            await self.client.fs_watch(path=self.path, watch_id=self.watch_id)
        except BaseException:
            self.client.unsubscribe_keyed(FS_CHANGED, WATCH_ID_PATH, self.watch_id)
            raise

    async def next(self, timeout: float | None = None) -> FsChangedNotification:
        """The next change; `RequestTimeoutError` after `timeout` seconds with none."""
        delivered, item = await self._queue.get(timeout)
        if not delivered:
            raise RequestTimeoutError(FS_CHANGED, timeout or 0.0)
        if item is CLOSED:
            raise CodexError("the watch is closed")
        return changed(item)

    def __aiter__(self) -> AsyncFsWatch:
        return self

    async def __anext__(self) -> FsChangedNotification:
        if self._closed and not len(self._queue):
            raise StopAsyncIteration
        _, item = await self._queue.get()
        if item is CLOSED:
            raise StopAsyncIteration
        return changed(item)

    async def close(self) -> None:
        """Stop watching (`fs/unwatch`). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.client.unsubscribe_keyed(FS_CHANGED, WATCH_ID_PATH, self.watch_id)
        self._queue.put_nowait(CLOSED)
        with contextlib.suppress(CodexError):
            await self.client.fs_unwatch(watch_id=self.watch_id)

    async def __aenter__(self) -> AsyncFsWatch:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
