"""The no-I/O half both low-level clients share (`_protocol/client_base.py`), seen through them."""

from __future__ import annotations

from codex_app_server import AppServerClient, AppServerConfig, AsyncAppServerClient
from codex_app_server._transport.mock import AsyncMockTransport, MockTransport
from codex_app_server.generated.v2_all import ThreadArchiveParams
from tests.support.mock_server import MockAppServer

FAST = AppServerConfig(request_timeout=5.0, shutdown_grace=0.2)


async def test_async_client_forgets_a_thread_archived_with_a_params_model() -> None:
    """Regression: the async client noted loaded threads from the params as given, so a
    `thread/archive` sent with a params model was not seen, and a reconnect resumed it."""
    server = MockAppServer()
    server.results["thread/archive"] = {}
    async with AsyncAppServerClient(FAST, transport=AsyncMockTransport(server)) as client:
        thread_id = (await client.request("thread/start", {}))["thread"]["id"]
        assert client._loaded.ids() == [thread_id]
        await client.request("thread/archive", ThreadArchiveParams(thread_id=thread_id))
        assert client._loaded.ids() == []


def test_sync_client_forgets_a_thread_archived_with_a_params_model() -> None:
    server = MockAppServer()
    server.results["thread/archive"] = {}
    with AppServerClient(FAST, transport=MockTransport(server)) as client:
        thread_id = client.request("thread/start", {})["thread"]["id"]
        assert client._loaded.ids() == [thread_id]
        client.request("thread/archive", ThreadArchiveParams(thread_id=thread_id))
        assert client._loaded.ids() == []
