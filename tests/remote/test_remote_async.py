"""The asyncio high-level API against remote app-servers: ws, unix and wss, errors, clients."""

from __future__ import annotations

import asyncio
import ssl
import time
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import (
    AppServerConfig,
    AppServerProcess,
    AsyncCodex,
    AuthenticationError,
    TransportClosedError,
    TransportError,
)
from codex_app_server.testing import Reply, ScriptedModel

from .relay import Relay

pytestmark = pytest.mark.integration

# unasync: begin async-only
# The source of test_remote_sync.py (scripts/unasync.py writes it; edit this file instead).
# The tests after the last async-only marker have no blocking counterpart; the threaded one
# is in test_remote_threads.py.
# unasync: end


async def connect(config: AppServerConfig) -> None:
    """Start a client on `config` (and close it): what fails, fails here."""
    async with AsyncCodex(config):
        pass


async def test_missing_and_wrong_token(ws_server: AppServerProcess) -> None:
    assert ws_server.token
    with pytest.raises(AuthenticationError) as missing:
        await connect(AppServerConfig(url=ws_server.url))
    assert missing.value.status == 401
    assert "auth_token" in str(missing.value) and "bearer" in str(missing.value).lower()
    secret = "wrong-" + ws_server.token[:8]
    with pytest.raises(AuthenticationError) as wrong:
        await connect(AppServerConfig(url=ws_server.url, auth_token=secret))
    assert "rejected" in str(wrong.value)
    assert secret not in str(wrong.value) and secret not in repr(
        AppServerConfig(url="ws://h:1", auth_token=secret)
    )


async def test_token_file(ws_server: AppServerProcess, scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue(Reply.text("from a file"))
    config = AppServerConfig(url=ws_server.url, auth_token_file=ws_server.token_file)
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()
        assert (await thread.run("hi")).final_response == "from a file"


async def test_nothing_listening_fails_fast_naming_the_url(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"nothing is listening at ws://127\.0\.0\.1:9"):
        await connect(AppServerConfig(url="ws://127.0.0.1:9", startup_timeout=5))
    sock = tmp_path / "none.sock"
    with pytest.raises(TransportError, match="nothing is listening at unix://"):
        await connect(AppServerConfig(url=f"unix://{sock}", startup_timeout=5))
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("options", "error", "within"),
    [
        # 1 s of reconnect attempts (the give-up time), then every waiter is woken.
        ({"reconnect_timeout": 1.0}, "could not reconnect", 2.5),
        ({"reconnect": False}, "ended", 1.0),
    ],
    ids=["reconnect-gives-up", "no-reconnect"],
)
async def test_server_killed_mid_turn_wakes_the_stream(
    scripted_model: ScriptedModel,
    ws_server: AppServerProcess,
    options: dict[str, Any],
    error: str,
    within: float,
) -> None:
    scripted_model.enqueue(Reply.text("x " * 500, deltas=500, delay=0.01))
    async with AsyncCodex(ws_server.client_config(**options)) as codex:
        handle = await (await codex.thread_start()).turn("go")
        stream = handle.stream()
        async for note in stream:
            if note.method == "item/agentMessage/delta":
                break
        killed = time.monotonic()
        await asyncio.to_thread(ws_server.kill)
        with pytest.raises(TransportClosedError, match=error):
            async for _ in stream:
                pass
        assert time.monotonic() - killed < within


async def test_two_clients_and_close_leaves_the_server_running(
    scripted_model: ScriptedModel, server: AppServerProcess
) -> None:
    scripted_model.enqueue(Reply.text("first"), Reply.text("second"), Reply.text("third"))
    async with AsyncCodex(server.client_config()) as a, AsyncCodex(server.client_config()) as b:
        ta, tb = await a.thread_start(), await b.thread_start()
        assert (await ta.run("one")).final_response in ("first", "second")
        assert (await tb.run("two")).final_response in ("first", "second")
        thread_id = ta.id
    assert server.returncode is None  # closing both clients left the server up
    async with AsyncCodex(server.client_config()) as c:
        resumed = await c.thread_resume(thread_id)
        assert (await resumed.run("three")).final_response == "third"
        turns = (await resumed.read(include_turns=True)).thread.turns
        assert len(turns) == 2


async def test_wss_through_a_tls_relay(
    scripted_model: ScriptedModel,
    ws_server: AppServerProcess,
    tls_relay: Relay,
    tls_files: tuple[Path, Path],
) -> None:
    url = f"wss://127.0.0.1:{tls_relay.port}"
    with pytest.raises(TransportError, match="TLS certificate verification failed"):
        await connect(ws_server.client_config(url=url))
    context = ssl.create_default_context(cafile=str(tls_files[0]))
    scripted_model.enqueue(Reply.text("over TLS", deltas=4))
    async with AsyncCodex(ws_server.client_config(url=url, ssl_context=context)) as codex:
        thread = await codex.thread_start()
        assert (await thread.run("hi")).final_response == "over TLS"


async def test_plain_ws_client_against_tls_is_named(
    ws_server: AppServerProcess, tls_relay: Relay
) -> None:
    # A wss:// URL pointed at a plain ws server: the TLS handshake fails and says so.
    with pytest.raises(TransportError, match="TLS"):
        url = str(ws_server.url).replace("ws://", "wss://")
        await connect(ws_server.client_config(url=url))


# unasync: begin async-only
async def test_auth_and_nothing_listening(ws_server: AppServerProcess) -> None:
    with pytest.raises(AuthenticationError, match="HTTP 401"):
        await AsyncCodex(AppServerConfig(url=ws_server.url)).start()
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"nothing is listening at ws://127\.0\.0\.1:9"):
        await AsyncCodex(AppServerConfig(url="ws://127.0.0.1:9")).start()
    assert time.monotonic() - started < 1.0


async def test_close_leaves_the_server_running(
    scripted_model: ScriptedModel, server: AppServerProcess
) -> None:
    scripted_model.enqueue(Reply.text("kept"), Reply.text("resumed"))
    async with AsyncCodex(server.client_config()) as codex:
        thread = await codex.thread_start()
        assert (await thread.run("one")).final_response == "kept"
    assert server.returncode is None
    async with AsyncCodex(server.client_config()) as codex:
        resumed = await codex.thread_resume(thread.id)
        assert (await resumed.run("two")).final_response == "resumed"


# unasync: end
