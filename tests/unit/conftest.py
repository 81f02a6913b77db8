"""Fixtures shared by the unit tests: the in-process mock app-server, its transports and
clients on them, and a router with recording sinks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from codex_app_server import AppServerClient, AsyncCodex, Codex
from codex_app_server._protocol.router import MessageRouter
from codex_app_server.testing import AsyncMockTransport, MockTransport
from tests.support.mock_server import FAST, MockAppServer
from tests.support.sinks import Sink

from .handler_samples import SlowHandler


@pytest.fixture
def server() -> MockAppServer:
    return MockAppServer()


@pytest.fixture
def transport(server: MockAppServer) -> MockTransport:
    return MockTransport(server)


@pytest.fixture
def async_transport(server: MockAppServer) -> AsyncMockTransport:
    return AsyncMockTransport(server)


@pytest.fixture
def client(transport: MockTransport) -> Iterator[AppServerClient]:
    with AppServerClient(FAST, transport=transport) as c:
        yield c


@pytest.fixture
def codex(transport: MockTransport) -> Iterator[Codex]:
    with Codex(FAST, transport=transport) as c:
        yield c


@pytest.fixture
async def async_codex(async_transport: AsyncMockTransport) -> AsyncIterator[AsyncCodex]:
    async with AsyncCodex(FAST, transport=async_transport) as c:
        yield c


@pytest.fixture
def global_sink() -> Sink:
    return Sink("global")


@pytest.fixture
def router(global_sink: Sink) -> MessageRouter:
    return MessageRouter(global_sink, Sink("server-requests"), finished_retention=4)


@pytest.fixture
def slow_handler() -> Iterator[SlowHandler]:
    handler = SlowHandler()
    yield handler
    handler.release.set()  # never leave its worker thread blocked
