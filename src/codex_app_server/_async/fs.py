"""File-system watches over `fs/watch`: `fs/changed` notifications routed to a handle.

`fs/changed` notifications are keyed by the client-chosen `watchId`: an `AsyncFsWatch`
subscribes to its id before `fs/watch` is sent, so it sees every change reported for it.
(Paths and payloads: `_protocol/fs.py`.)
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from .._protocol.errors import CodexError, RequestTimeoutError
from .._protocol.fs import (
    CLOSED,
    FS_CHANGED,
    WATCH_ID_PATH,
    abs_path,
    changed,
    decode_data,
    encode_data,
    new_watch_id,
)
from .backend import new_queue
from .methods import ClientMethods

if TYPE_CHECKING:
    import os

    from ..generated.v2_all import (
        FsChangedNotification,
        FsGetMetadataResponse,
        FsReadDirectoryEntry,
    )
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
        self._queue = new_queue("fs-watch", client)
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


class FsMethods(ClientMethods):
    """`AsyncCodex`'s file-system methods (paths are made absolute against this
    process's cwd)."""

    async def fs_read(self, path: str | os.PathLike[str]) -> bytes:
        """The bytes of a file, read by the app-server."""
        client = await self._started_client()
        return decode_data((await client.fs_read_file(path=abs_path(path))).data_base64)

    async def fs_read_text(self, path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
        """The text of a file."""
        return (await self.fs_read(path)).decode(encoding)

    async def fs_write(
        self, path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8"
    ) -> None:
        """Write a file (created or replaced); `str` data is encoded with `encoding`."""
        client = await self._started_client()
        await client.fs_write_file(path=abs_path(path), data_base64=encode_data(data, encoding))

    async def fs_list(self, path: str | os.PathLike[str]) -> list[FsReadDirectoryEntry]:
        """The entries of a directory (`file_name`, `is_directory`, `is_file`)."""
        client = await self._started_client()
        return (await client.fs_read_directory(path=abs_path(path))).entries

    async def fs_metadata(self, path: str | os.PathLike[str]) -> FsGetMetadataResponse:
        """Whether a path is a file, directory or symlink, and its timestamps."""
        client = await self._started_client()
        return await client.fs_get_metadata(path=abs_path(path))

    async def fs_mkdir(
        self, path: str | os.PathLike[str], *, recursive: bool | None = None
    ) -> None:
        """Create a directory (with its parents if `recursive`)."""
        client = await self._started_client()
        await client.fs_create_directory(path=abs_path(path), recursive=recursive)

    async def fs_remove(
        self,
        path: str | os.PathLike[str],
        *,
        recursive: bool | None = None,
        force: bool | None = None,
    ) -> None:
        """Remove a file or directory (a non-empty directory needs `recursive`)."""
        client = await self._started_client()
        await client.fs_remove(path=abs_path(path), recursive=recursive, force=force)

    async def fs_copy(
        self,
        source: str | os.PathLike[str],
        destination: str | os.PathLike[str],
        *,
        recursive: bool | None = None,
    ) -> None:
        """Copy a file (or a directory, with `recursive`)."""
        client = await self._started_client()
        await client.fs_copy(
            source_path=abs_path(source),
            destination_path=abs_path(destination),
            recursive=recursive,
        )

    async def fs_watch(self, path: str | os.PathLike[str]) -> AsyncFsWatch:
        """Watch a file or directory: iterate the handle (`async for`) or call
        `next(timeout)` for its `FsChangedNotification`s; `close()` it to stop."""
        client = await self._started_client()
        watch = AsyncFsWatch(client, new_watch_id(), abs_path(path))
        await watch._start()
        return watch
