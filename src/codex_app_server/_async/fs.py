"""File-system helpers over `fs/*`: bytes in and out, paths made absolute, watches routed.

The app-server wants absolute paths; a relative path is resolved against this Python
process's working directory (as `open()` would), not the app-server's.
`fs/changed` notifications are keyed by the client-chosen `watchId`: an `FsWatch` subscribes
to its id before `fs/watch` is sent, so it sees every change reported for it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import queue
import uuid
from typing import TYPE_CHECKING, Any

from .._protocol.errors import CodexError, RequestTimeoutError
from .._protocol.models import validate_as
from .._protocol.router import KeyPath
from .queues import AsyncQueue

if TYPE_CHECKING:
    from .._sync.client import AppServerClient
    from ..generated.v2_all import FsChangedNotification
    from .client import AsyncAppServerClient

FS_CHANGED = "fs/changed"
WATCH_ID_PATH: KeyPath = ("watchId",)

#: A path the helpers accept.
PathLike = str | os.PathLike[str]


def abs_path(path: PathLike) -> str:
    """`path` as an absolute path (relative ones against this process's cwd)."""
    return os.path.abspath(os.fspath(path))


def encode_data(data: bytes | str, encoding: str = "utf-8") -> str:
    """Bytes (or text, encoded) as the base64 the `fs/writeFile` request carries."""
    raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
    return base64.b64encode(raw).decode("ascii")


def decode_data(data_base64: str) -> bytes:
    return base64.b64decode(data_base64)


def new_watch_id() -> str:
    return f"py-watch-{uuid.uuid4().hex[:16]}"


def _changed(item: Any) -> FsChangedNotification:
    if isinstance(item, BaseException):
        raise item
    return validate_as("FsChangedNotification", item.params)  # type: ignore[no-any-return]


class FsWatch:
    """A watch on a file or directory: its `fs/changed` notifications, in order.

    `next(timeout)` returns the next `FsChangedNotification`; iterating yields them until
    `close()` (which sends `fs/unwatch`). Use it as a context manager.
    """

    def __init__(self, client: AppServerClient, watch_id: str, path: str) -> None:
        self.client = client
        self.watch_id = watch_id
        self.path = path
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False

    def __repr__(self) -> str:
        return f"FsWatch(watch_id={self.watch_id!r}, path={self.path!r})"

    def _start(self) -> None:
        self.client.subscribe_keyed(FS_CHANGED, WATCH_ID_PATH, self.watch_id, self._queue)
        try:
            self.client.fs_watch(path=self.path, watch_id=self.watch_id)
        except BaseException:
            self.client.unsubscribe_keyed(FS_CHANGED, WATCH_ID_PATH, self.watch_id)
            raise

    def next(self, timeout: float | None = None) -> FsChangedNotification:
        """The next change; `RequestTimeoutError` after `timeout` seconds with none."""
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise RequestTimeoutError(FS_CHANGED, timeout or 0.0) from None
        if item is _CLOSED:
            raise CodexError("the watch is closed")
        return _changed(item)

    def __iter__(self) -> FsWatch:
        return self

    def __next__(self) -> FsChangedNotification:
        if self._closed and self._queue.empty():
            raise StopIteration
        item = self._queue.get()
        if item is _CLOSED:
            raise StopIteration
        return _changed(item)

    def close(self) -> None:
        """Stop watching (`fs/unwatch`). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.client.unsubscribe_keyed(FS_CHANGED, WATCH_ID_PATH, self.watch_id)
        self._queue.put(_CLOSED)
        with contextlib.suppress(CodexError):
            self.client.fs_unwatch(watch_id=self.watch_id)

    def __enter__(self) -> FsWatch:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncFsWatch:
    """A watch on a file or directory, for asyncio code (see `FsWatch`)."""

    def __init__(
        self,
        client: AsyncAppServerClient,
        watch_id: str,
        path: str,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.client = client
        self.watch_id = watch_id
        self.path = path
        self._queue = AsyncQueue(loop, name="fs-watch")
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
        if item is _CLOSED:
            raise CodexError("the watch is closed")
        return _changed(item)

    def __aiter__(self) -> AsyncFsWatch:
        return self

    async def __anext__(self) -> FsChangedNotification:
        if self._closed and not len(self._queue):
            raise StopAsyncIteration
        _, item = await self._queue.get()
        if item is _CLOSED:
            raise StopAsyncIteration
        return _changed(item)

    async def close(self) -> None:
        """Stop watching (`fs/unwatch`). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self.client.unsubscribe_keyed(FS_CHANGED, WATCH_ID_PATH, self.watch_id)
        self._queue.put_nowait(_CLOSED)
        with contextlib.suppress(CodexError):
            await self.client.fs_unwatch(watch_id=self.watch_id)

    async def __aenter__(self) -> AsyncFsWatch:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


_CLOSED: Any = object()
