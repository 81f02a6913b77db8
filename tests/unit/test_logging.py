"""The wire trace (`codex_app_server.wire`), secret redaction, and the stderr logger."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from codex_app_server import AppServerClient, AsyncAppServerClient
from codex_app_server import _logging as cas_logging
from codex_app_server._logging import REDACTED, format_message, is_secret_key, redact, redact_text
from codex_app_server._transport.process import StderrTail
from codex_app_server.testing import AsyncMockTransport, MockPeer, MockTransport
from tests.support.mock_server import FAST, MockAppServer

WIRE = "codex_app_server.wire"

# --------------------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    "key",
    [
        "apiKey",
        "api_key",
        "OPENAI_API_KEY",
        "accessToken",
        "refresh_token",
        "idToken",
        "token",
        "Authorization",
        "password",
        "clientSecret",
        "secret",
        "GITHUB_TOKEN",
        "x-api-key",
        "cookie",
    ],
)
def test_secret_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    ["tokenUsage", "inputTokens", "totalTokens", "maxOutputTokens", "threadId", "method", "text"],
)
def test_not_secret_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_redact_replaces_secret_values_at_any_depth() -> None:
    message: dict[str, Any] = {
        "id": 3,
        "method": "account/login/start",
        "params": {
            "type": "apiKey",
            "apiKey": "sk-live-abcdefghijklmnop",
            "nested": [{"accessToken": {"value": "x"}}, {"env": {"GITHUB_TOKEN": "ghp_x"}}],
            "tokenUsage": {"inputTokens": 12},
            "idToken": "",
            "refreshToken": None,
        },
    }
    redacted = redact(message)
    params = redacted["params"]
    assert params["apiKey"] == REDACTED
    assert params["nested"][0]["accessToken"] == REDACTED
    assert params["nested"][1]["env"]["GITHUB_TOKEN"] == REDACTED
    assert params["tokenUsage"] == {"inputTokens": 12}
    assert params["idToken"] == ""  # empty: shown as empty
    assert params["refreshToken"] is None
    assert params["type"] == "apiKey"
    assert message["params"]["apiKey"] == "sk-live-abcdefghijklmnop"  # the original is intact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer eyAbc.def-ghi_123", "eyAbc.def-ghi_123"),
        ("curl -H 'authorization: bearer abcd1234efgh'", "abcd1234efgh"),
        ("key is sk-proj-AbCdEf0123456789xyz", "AbCdEf0123456789xyz"),
        ("export OPENAI_API_KEY=not-an-sk-key-but-secret", "not-an-sk-key-but-secret"),
        ("GITHUB_TOKEN: ghs_0123456789abcdefghij", "ghs_0123456789abcdefghij"),
        ("https://x.test/cb?access_token=abc123&state=1", "abc123"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig_nature", "eyJzdWIiOiIxMjM0In0"),
    ],
)
def test_redact_text_finds_tokens_in_free_text(text: str, secret: str) -> None:
    redacted = redact_text(text)
    assert secret not in redacted
    assert REDACTED in redacted


def test_redact_text_leaves_ordinary_text_alone() -> None:
    text = "used 1,200 tokens; inputTokens=5; see https://example.com/docs?page=2 - ok"
    assert redact_text(text) == text


def test_format_message_cuts_long_messages() -> None:
    text = format_message({"params": {"text": "x" * 100}}, limit=40)
    assert text.startswith('{"params":{"text":"xxxxxxxx')
    assert text.endswith("more chars)")
    assert len(text) < 80


# --------------------------------------------------------------------------- the trace


def login_server(message: dict[str, Any], peer: MockPeer) -> None:
    if message.get("method") == "account/login/start":
        peer.send({"id": message["id"], "result": {"type": "apiKey", "accessToken": "tok-123"}})
        return
    MockAppServer()(message, peer)


def wire_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == WIRE]


def test_sync_client_traces_both_directions_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=WIRE)
    with AppServerClient(FAST, transport=MockTransport(login_server)) as client:
        client.request("account/login/start", {"type": "apiKey", "apiKey": "sk-secret-0123456789"})
        client.notify("initialized")
    lines = wire_lines(caplog)
    assert lines[0].startswith('send {"id":') and '"method":"initialize"' in lines[0]
    assert lines[1].startswith('recv {"id":') and '"userAgent"' in lines[1]
    login = [line for line in lines if "account/login/start" in line]
    assert login == [
        'send {"id":2,"method":"account/login/start","params":{"type":"apiKey",'
        '"apiKey":"[REDACTED]"}}'
    ]
    assert 'recv {"id":2,"result":{"type":"apiKey","accessToken":"[REDACTED]"}}' in lines
    assert lines.count('send {"method":"initialized"}') == 2
    assert not any("sk-secret" in line or "tok-123" in line for line in lines)


async def test_async_client_traces_both_directions_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=WIRE)
    async with AsyncAppServerClient(FAST, transport=AsyncMockTransport(login_server)) as client:
        await client.request("account/login/start", {"type": "apiKey", "apiKey": "sk-0123456789"})
    lines = wire_lines(caplog)
    assert any(line.startswith("send ") and '"apiKey":"[REDACTED]"' in line for line in lines)
    assert any(line.startswith("recv ") and '"accessToken":"[REDACTED]"' in line for line in lines)
    assert not any("sk-0123456789" in line or "tok-123" in line for line in lines)


def test_replies_to_server_requests_are_traced(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=WIRE)
    transport = MockTransport(MockAppServer())
    with AppServerClient(FAST, transport=transport) as client:
        transport.send(
            {"id": 99, "method": "item/fileChange/requestApproval", "params": {"itemId": "f"}}
        )
        transport.wait_for(lambda m: m.get("id") == 99, timeout=5)
        assert client.closed is False
    lines = wire_lines(caplog)
    assert 'recv {"id":99,"method":"item/fileChange/requestApproval","params":{"itemId":"f"}}' in (
        lines
    )
    assert 'send {"id":99,"result":{"decision":"decline"}}' in lines


def test_nothing_is_formatted_when_debug_is_off(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> str:
        raise AssertionError("the trace formatted a message while DEBUG was off")

    monkeypatch.setattr(cas_logging, "format_message", boom)
    caplog.set_level(logging.INFO, logger=WIRE)
    server = MockAppServer()
    with AppServerClient(FAST, transport=MockTransport(server)) as client:
        thread_id = client.request("thread/start", {})["thread"]["id"]
        deltas = list(client.stream_text(thread_id, "one two three"))
    assert deltas == ["one", "two", "three"]
    assert wire_lines(caplog) == []


def test_app_server_stderr_is_logged_redacted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="codex_app_server.stderr")
    tail = StderrTail()
    tail.feed(b"ERROR request failed: Authorization: Bearer abcdef123456\n")
    (record,) = [r for r in caplog.records if r.name == "codex_app_server.stderr"]
    assert record.levelno == logging.DEBUG
    assert record.getMessage() == "ERROR request failed: Authorization: Bearer [REDACTED]"
    # The tail kept for error messages is the raw line (it stays in this process).
    assert list(tail.lines) == ["ERROR request failed: Authorization: Bearer abcdef123456"]
