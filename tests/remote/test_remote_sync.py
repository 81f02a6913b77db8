"""Remote app-servers through the sync API: ws, unix and wss, errors, several clients."""

from __future__ import annotations

import ssl
import threading
import time
from pathlib import Path

import pytest

from codex_app_server import (
    AppServerConfig,
    AppServerProcess,
    AuthenticationError,
    Codex,
    TransportClosedError,
    TransportError,
)
from codex_app_server.testing import Reply, ScriptedModel
from tests.support.replies import last_word_repeated

from .relay import Relay

pytestmark = pytest.mark.integration


def test_a_turn_and_concurrent_streams(
    scripted_model: ScriptedModel, server: AppServerProcess
) -> None:
    scripted_model.respond_with(last_word_repeated(20))
    with Codex(server.client_config()) as codex:
        assert "codex" in codex.metadata.user_agent.lower()
        threads = [codex.thread_start() for _ in range(4)]
        handles = [t.turn(f"say w{i}") for i, t in enumerate(threads)]
        texts: dict[int, str] = {}

        def read(i: int) -> None:
            texts[i] = "".join(
                n.params["delta"]
                for n in handles[i].stream()
                if n.method == "item/agentMessage/delta"
            )

        readers = [threading.Thread(target=read, args=(i,)) for i in range(4)]
        for r in readers:
            r.start()
        for r in readers:
            r.join(30)
        assert texts == {i: " ".join([f"w{i}"] * 20) for i in range(4)}


def test_missing_and_wrong_token(ws_server: AppServerProcess) -> None:
    assert ws_server.token
    with pytest.raises(AuthenticationError) as missing:
        Codex(AppServerConfig(url=ws_server.url))
    assert missing.value.status == 401
    assert "auth_token" in str(missing.value) and "bearer" in str(missing.value).lower()
    secret = "wrong-" + ws_server.token[:8]
    with pytest.raises(AuthenticationError) as wrong:
        Codex(AppServerConfig(url=ws_server.url, auth_token=secret))
    assert "rejected" in str(wrong.value)
    assert secret not in str(wrong.value) and secret not in repr(
        AppServerConfig(url="ws://h:1", auth_token=secret)
    )


def test_token_file(ws_server: AppServerProcess, scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue(Reply.text("from a file"))
    config = AppServerConfig(url=ws_server.url, auth_token_file=ws_server.token_file)
    with Codex(config) as codex:
        assert codex.thread_start().run("hi").final_response == "from a file"


def test_nothing_listening_fails_fast_naming_the_url(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(TransportError, match=r"nothing is listening at ws://127\.0\.0\.1:9"):
        Codex(AppServerConfig(url="ws://127.0.0.1:9", startup_timeout=5))
    sock = tmp_path / "none.sock"
    with pytest.raises(TransportError, match="nothing is listening at unix://"):
        Codex(AppServerConfig(url=f"unix://{sock}", startup_timeout=5))
    assert time.monotonic() - started < 5


def test_server_killed_mid_turn_wakes_the_stream(
    scripted_model: ScriptedModel, ws_server: AppServerProcess
) -> None:
    scripted_model.enqueue(Reply.text("x " * 500, deltas=500, delay=0.01))
    config = ws_server.client_config(reconnect_timeout=1.0)
    with Codex(config) as codex:
        handle = codex.thread_start().turn("go")
        stream = handle.stream()
        next(n for n in stream if n.method == "item/agentMessage/delta")
        killed = time.monotonic()
        ws_server.kill()
        with pytest.raises(TransportClosedError, match="could not reconnect"):
            for _ in stream:
                pass
        # 1 s of reconnect attempts (the give-up time), then every waiter is woken.
        assert time.monotonic() - killed < 2.5


def test_server_killed_without_reconnect_wakes_within_a_second(
    scripted_model: ScriptedModel, ws_server: AppServerProcess
) -> None:
    scripted_model.enqueue(Reply.text("x " * 500, deltas=500, delay=0.01))
    with Codex(ws_server.client_config(reconnect=False)) as codex:
        handle = codex.thread_start().turn("go")
        stream = handle.stream()
        next(n for n in stream if n.method == "item/agentMessage/delta")
        killed = time.monotonic()
        ws_server.kill()
        with pytest.raises(TransportClosedError):
            for _ in stream:
                pass
        assert time.monotonic() - killed < 1.0


def test_two_clients_and_close_leaves_the_server_running(
    scripted_model: ScriptedModel, server: AppServerProcess
) -> None:
    scripted_model.enqueue(Reply.text("first"), Reply.text("second"), Reply.text("third"))
    with Codex(server.client_config()) as a, Codex(server.client_config()) as b:
        ta, tb = a.thread_start(), b.thread_start()
        assert ta.run("one").final_response in ("first", "second")
        assert tb.run("two").final_response in ("first", "second")
        thread_id = ta.id
    assert server.returncode is None  # closing both clients left the server up
    with Codex(server.client_config()) as c:
        resumed = c.thread_resume(thread_id)
        assert resumed.run("three").final_response == "third"
        turns = resumed.read(include_turns=True).thread.turns
        assert len(turns) == 2


def test_wss_through_a_tls_relay(
    scripted_model: ScriptedModel,
    ws_server: AppServerProcess,
    tls_relay: Relay,
    tls_files: tuple[Path, Path],
) -> None:
    url = f"wss://127.0.0.1:{tls_relay.port}"
    with pytest.raises(TransportError, match="TLS certificate verification failed"):
        Codex(ws_server.client_config(url=url))
    context = ssl.create_default_context(cafile=str(tls_files[0]))
    scripted_model.enqueue(Reply.text("over TLS", deltas=4))
    with Codex(ws_server.client_config(url=url, ssl_context=context)) as codex:
        assert codex.thread_start().run("hi").final_response == "over TLS"


def test_plain_ws_client_against_tls_is_named(
    ws_server: AppServerProcess, tls_relay: Relay
) -> None:
    # A wss:// URL pointed at a plain ws server: the TLS handshake fails and says so.
    with pytest.raises(TransportError, match="TLS"):
        Codex(ws_server.client_config(url=str(ws_server.url).replace("ws://", "wss://")))
