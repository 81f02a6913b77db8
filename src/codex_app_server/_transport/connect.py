"""Which transport a config asks for: a WebSocket to `config.url`, else a spawned stdio.

The WebSocket module (and the `websockets` package) load only when a URL is given, and the
asyncio transport only for an asyncio client: a blocking client never imports `asyncio`.
"""

from __future__ import annotations

from .._config import AppServerConfig
from .base import AsyncTransport, Transport
from .stdio import StdioTransport


def sync_transport_for(config: AppServerConfig) -> Transport:
    """`WebSocketTransport` for `config.url`, else `StdioTransport`."""
    if config.url is not None:
        from .websocket import WebSocketTransport

        return WebSocketTransport(config)
    return StdioTransport(config)


def async_transport_for(config: AppServerConfig) -> AsyncTransport:
    """`AsyncWebSocketTransport` for `config.url`, else `AsyncStdioTransport`."""
    if config.url is not None:
        from .websocket import AsyncWebSocketTransport

        return AsyncWebSocketTransport(config)
    from .async_stdio import AsyncStdioTransport

    return AsyncStdioTransport(config)
