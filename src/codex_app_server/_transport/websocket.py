"""WebSocket transports: talk to an app-server listening on ws://, wss:// or unix://.

The app-server sends one JSON-RPC message per text frame, so a frame is a "line" for the
clients above (the router never knows the difference). Built on the `websockets` package:
its threaded client for `WebSocketTransport`, its asyncio client for
`AsyncWebSocketTransport`; both connect to a Unix socket too (the app-server speaks the same
WebSocket protocol there). Imported only when a config has a `url`.

`close()` disconnects and leaves the server running. `reconnect()` drops the current
connection and opens a new one (the client layer then re-initializes and resumes threads).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from .._config import AppServerConfig
from .._protocol.errors import MessageTooLargeError, TransportClosedError
from .remote import (
    Endpoint,
    close_detail,
    connect_error,
    connect_kwargs,
    import_websockets,
    is_too_large,
    parse_url,
)

_UNIX_URI = "ws://localhost/"


def _payload(data: bytes) -> bytes | memoryview:
    """A message line without its newline (a frame carries exactly one message)."""
    return memoryview(data)[:-1] if data.endswith(b"\n") else data


class _WebSocket:
    """What both WebSocket transports share: the endpoint, how a connection ends."""

    #: The client layer may call `reconnect()` when the connection drops.
    reconnectable = True

    def __init__(self, config: AppServerConfig) -> None:
        assert config.url is not None
        self._config = config
        self._endpoint: Endpoint = parse_url(config.url)
        self._ws: Any = None
        self._closed_exc: BaseException | None = None
        self._closing = False
        self._closed_cls: Any = None

    @property
    def url(self) -> str:
        return self._endpoint.url

    def _dialer(self, module: str, timeout: float | None) -> tuple[Callable[[], Any], str | None]:
        """How to open a connection with `websockets.<module>` (and the token it sends)."""
        client = import_websockets(module)
        self._closed_cls = import_websockets("exceptions").ConnectionClosed
        token = self._config.read_auth_token()
        kwargs = connect_kwargs(self._config, self._endpoint, token, timeout)
        if self._endpoint.unix_path is not None:
            kwargs.pop("proxy", None)
            return partial(
                client.unix_connect, self._endpoint.unix_path, _UNIX_URI, **kwargs
            ), token
        return partial(client.connect, self._endpoint.url, **kwargs), token

    def _ended(self, exc: BaseException) -> bytes:
        """A read failed with `exc`: b"" (end of stream), or `MessageTooLargeError`."""
        self._closed_exc = exc
        if self._closed_cls is not None and isinstance(exc, self._closed_cls) and is_too_large(exc):
            raise MessageTooLargeError(
                f"{self.url} sent a message longer than max_line_bytes="
                f"{self._config.max_line_bytes}"
            ) from exc
        return b""

    def _swap_out(self) -> Any:
        """Before a reconnect: the current connection (to drop), and no error yet."""
        if self._closing:
            raise self.closed_error("the transport is closed")
        old, self._ws = self._ws, None
        self._closed_exc = None
        return old

    def closed_error(self, reason: str) -> TransportClosedError:
        return TransportClosedError(
            f"{reason}: the connection to {self.url} ended{close_detail(self._closed_exc)}"
        )


class WebSocketTransport(_WebSocket):
    """A blocking WebSocket connection to a listening app-server (thread-safe writes)."""

    def __init__(self, config: AppServerConfig) -> None:
        super().__init__(config)
        self._write_lock = threading.Lock()

    def start(self) -> None:
        self._ws = self._connect()

    def _connect(self, timeout: float | None = None) -> Any:
        dial, token = self._dialer("sync.client", timeout)
        try:
            conn = dial()
        except Exception as exc:
            raise connect_error(exc, self._endpoint, token=token) from exc
        # Entered as a context manager, the form every `websockets` version supports quietly.
        return conn.__enter__()

    def reconnect(self, timeout: float | None = None) -> None:
        """Drop the current connection (if any) and open a new one within `timeout`
        seconds (default: `startup_timeout`); raises on failure."""
        old = self._swap_out()
        if old is not None:  # the peer is gone or going: no closing handshake to wait for
            with contextlib.suppress(Exception):
                old.socket.close()
        ws = self._connect(timeout)
        if self._closing:
            with contextlib.suppress(Exception):
                ws.close()
            raise self.closed_error("the transport is closed")
        self._ws = ws

    def write_line(self, data: bytes) -> None:
        ws = self._ws
        if ws is None or self._closing:
            raise self.closed_error("the app-server connection is closed")
        try:
            with self._write_lock:
                ws.send(_payload(data), text=True)
        except Exception as exc:
            raise self.closed_error(f"writing to {self.url} failed ({exc})") from exc

    def read_line(self) -> bytes:
        ws = self._ws
        if ws is None:
            return b""
        closed = self._closed_cls
        while True:
            try:
                data = ws.recv(decode=False)
            except (closed, OSError, RuntimeError) as exc:
                return self._ended(exc)
            if data:
                return bytes(data)

    def close(self) -> None:
        """Disconnect (bounded by `shutdown_grace`); the server keeps running. Idempotent."""
        self._closing = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.close()


class AsyncWebSocketTransport(_WebSocket):
    """An asyncio WebSocket connection to a listening app-server."""

    async def start(self) -> None:
        self._ws = await self._connect()

    async def _connect(self, timeout: float | None = None) -> Any:
        dial, token = self._dialer("asyncio.client", timeout)
        try:
            return await dial()
        except Exception as exc:
            raise connect_error(exc, self._endpoint, token=token) from exc

    async def reconnect(self, timeout: float | None = None) -> None:
        """Drop the current connection (if any) and open a new one within `timeout`
        seconds (default: `startup_timeout`); raises on failure."""
        old = self._swap_out()
        if old is not None:
            old.transport.abort()  # the peer is gone or going: no closing handshake
        ws = await self._connect(timeout)
        if self._closing:
            ws.transport.abort()
            raise self.closed_error("the transport is closed")
        self._ws = ws

    async def write_line(self, data: bytes) -> None:
        ws = self._ws
        if ws is None or self._closing:
            raise self.closed_error("the app-server connection is closed")
        try:
            await ws.send(_payload(data), text=True)
        except Exception as exc:
            raise self.closed_error(f"writing to {self.url} failed ({exc})") from exc

    async def read_line(self) -> bytes:
        ws = self._ws
        if ws is None:
            return b""
        closed = self._closed_cls
        while True:
            try:
                data = await ws.recv(decode=False)
            except (closed, OSError, RuntimeError) as exc:
                return self._ended(exc)
            if data:
                return bytes(data) if not isinstance(data, bytes) else data

    async def close(self) -> None:
        """Disconnect (bounded by `shutdown_grace`); the server keeps running. Idempotent."""
        self._closing = True
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
