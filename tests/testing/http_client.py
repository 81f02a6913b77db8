"""A strict, minimal HTTP/1.1 client for the scripted model's own tests."""

from __future__ import annotations

import json
import socket
from collections.abc import Mapping
from typing import Any

from codex_app_server.testing import ScriptedModel


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, chunks: list[int]):
        self.status = status
        self.headers = headers
        self.body = body
        self.chunks = chunks  # sizes of the chunks, when chunked

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[tuple[str | None, dict[str, Any]]]:
        """(event name, data) per SSE frame; checks that `event:` matches `data.type`."""
        frames = []
        for block in self.body.decode().split("\n\n"):
            if not block:
                continue
            event = None
            data = None
            for line in block.split("\n"):
                field, _, value = line.partition(": ")
                if field == "event":
                    event = value
                elif field == "data":
                    data = json.loads(value)
            assert data is not None, block
            assert event == data.get("type"), block
            frames.append((event, data))
        return frames

    def types(self) -> list[str]:
        return [data["type"] for _, data in self.events()]


def read_response(f: Any) -> Response:
    """Read one HTTP/1.1 response from a socket file, strictly."""
    status_line = f.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while (line := f.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    chunks: list[int] = []
    if headers.get("transfer-encoding") == "chunked":
        assert "content-length" not in headers
        parts = []
        while True:
            size = int(f.readline().strip(), 16)
            chunks.append(size)
            if size == 0:
                assert f.readline() == b"\r\n"
                break
            parts.append(f.read(size))
            assert f.readline() == b"\r\n"
        body = b"".join(parts)
    else:
        body = f.read(int(headers["content-length"]))
    return Response(status, headers, body, chunks)


def request_bytes(
    path: str = "/v1/responses",
    body: Mapping[str, Any] | bytes | None = None,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
) -> bytes:
    payload = body if isinstance(body, bytes) else json.dumps(body or {}).encode()
    head = [f"{method} {path} HTTP/1.1", "Host: test", f"Content-Length: {len(payload)}"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


class Client:
    """One keep-alive connection."""

    def __init__(self, model: ScriptedModel) -> None:
        self.sock = socket.create_connection(("127.0.0.1", model.port), timeout=10)
        self.file = self.sock.makefile("rb")

    def post(self, body: Mapping[str, Any] | bytes | None = None, **kwargs: Any) -> Response:
        self.sock.sendall(request_bytes(body=body, **kwargs))
        return read_response(self.file)

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def prompt(text: str) -> dict[str, Any]:
    return {
        "model": "gpt-5.5",
        "input": [
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "x"}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        ],
    }
