"""The HTTP side of `ScriptedModel`, on the standard library's `http.server`.

`_Server` is a `ThreadingHTTPServer` (one daemon thread per connection, HTTP/1.1
keep-alive); `_Handler` records each request, takes its reply from the model and writes
it: a JSON or text error, or a chunked event stream whose frames are gathered into large
writes, with a write (a flush) before every pause so that delayed deltas go out one by one.
From a stream's first pause on, the server's one `Pacer` thread writes it (`_pacer`) while
the connection's thread waits.

It replaced a hand-written HTTP/1.1 loop at no measurable cost to a turn: about 0.1 ms
more per request (the standard header parser), and the same deltas per second through
the app-server, which is the limit (tests/testing/measure_scripted_model.py).
Imported only when a model starts: `http.server` is not cheap to import.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from typing import TYPE_CHECKING, Any

from ._pacer import PacedStream, Pacer, _Gone
from ._replies import Reply
from ._requests import RecordedRequest, Responder, _Headers
from ._sse import _Pause, _render_stream

if TYPE_CHECKING:
    from ._scripted_model import ScriptedModel

#: Bytes gathered before a socket write when nothing asks to pause between frames.
_WRITE_BATCH = 64 * 1024

#: The prefix of every message the model itself answers with.
_PREFIX = "scripted model: "


class _Server(ThreadingHTTPServer):
    """One `ScriptedModel`'s listener; the model drives `handle_request()` itself."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, model: ScriptedModel, host: str, port: int) -> None:
        self.model = model
        self.pacer = Pacer()
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, port), _Handler)
        self.timeout = 0  # handle_request() never waits: the model selects first
        self.socket.setblocking(False)  # a connection reset before accept() must not block

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (socket.getfqdn): a DNS query.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # _Handler.handle keeps what matters; nothing is printed to stderr


class _Handler(BaseHTTPRequestHandler):
    """Serves the requests of one connection (keep-alive) on its own thread."""

    protocol_version = "HTTP/1.1"
    server: _Server
    error_content_type = "application/json"
    error_message_format = (
        '{"error": {"message": "scripted model: %(code)d %(message)s", '
        '"type": "invalid_request_error", "param": null, "code": null}}'
    )

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        model = self.server.model
        if not model._track(self.connection):
            return
        try:
            super().handle()
        except (OSError, ValueError, _Gone):
            pass  # the client went away, spoke garbage, or we are closing
        except Exception as exc:  # a bug, or a reply we could not render: keep it
            model._failed(exc)
        finally:
            model._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        headers = _Headers(list(self.headers.items()))
        raw = _decode(self._read_body(headers), headers.get("Content-Encoding", ""))
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        request = RecordedRequest(
            self.command,
            self.path.split("?", 1)[0],
            headers,
            parsed if isinstance(parsed, dict) else {},
            raw,
            received_at=time.monotonic(),
        )
        if not self._dispatch(request):
            self.close_connection = True

    # Not HEAD: its answers have no body, and every answer here has one.
    do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def _read_body(self, headers: Mapping[str, str]) -> bytes:
        if "chunked" in headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self._readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self._readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self._read_exactly(size))
                self._readline()
        length = int(headers.get("Content-Length") or 0)
        return self._read_exactly(length) if length > 0 else b""

    def _readline(self) -> bytes:
        line = self.rfile.readline(65537)
        if len(line) > 65536:
            raise ValueError("line too long")
        return line

    def _read_exactly(self, size: int) -> bytes:
        data = self.rfile.read(size)
        if len(data) != size:
            raise _Gone
        return data

    def _dispatch(self, request: RecordedRequest) -> bool:
        """Answer one request; False if the connection must end."""
        model = self.server.model
        path = request.path.rstrip("/")
        if request.method != "POST" or not path.endswith("/responses"):
            if request.method == "GET" and path.endswith("/models"):
                model._record_other(request, unexpected=False)
                self._send(200, {"object": "list", "data": []})
            else:
                model._record_other(request, unexpected=True)
                message = f"{_PREFIX}no route for {request.method} {request.path}"
                self._send(404, _error_body(message, 404))
            return True
        source, generation = model._take(request)
        try:
            return self._answer(request, source, generation)
        finally:
            model._answered()

    def _answer(
        self, request: RecordedRequest, source: Reply | Responder | None, generation: int
    ) -> bool:
        model = self.server.model
        which = f"request #{request.index + 1} (requests[{request.index}])"
        if source is None or isinstance(source, Reply):
            reply = source
            missing = f"{_PREFIX}no reply queued for {which} and no responder set"
        else:
            try:
                reply = source(request)
            except Exception as exc:
                model._failed(exc)
                self._send(400, f"{_PREFIX}the responder raised {exc!r} for {which}")
                return True
            missing = f"{_PREFIX}the responder returned no reply for {which}"
        if reply is None:
            # 400 with a text body: the runtime does not retry it and shows the body as is.
            model._count_unexpected()
            self._send(400, missing)
            return True
        if reply.kind == "error":
            self._send(reply.status, reply.error_body or {}, reply.headers)
            return True
        return self._stream(reply, request, generation)

    def _send(
        self,
        status: int,
        body: Mapping[str, Any] | str,
        extra: Sequence[tuple[str, str]] = (),
    ) -> None:
        if isinstance(body, str):
            payload, kind = body.encode(), "text/plain; charset=utf-8"
        else:
            payload, kind = json.dumps(body).encode(), "application/json"
        self.send_response_only(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _stream(self, reply: Reply, request: RecordedRequest, generation: int) -> bool:
        """Write an event stream; False if the connection must end."""
        model = self.server.model
        self.send_response_only(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-request-id", model._new_id("req"))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()  # the head goes out now, before any hang
        if reply.kind == "hang":
            if not model._wait_for_release(self.connection, generation):
                return False
            if reply.then is None:
                self._write(_END)
                return True
            reply = reply.then
        frames: Iterator[bytes | _Pause]
        if reply.kind == "raw":
            frames = iter(reply.frames)
        else:
            frames = _render_stream(reply, request, model._new_id)
        chunks = _chunked(frames)
        for item in chunks:
            if isinstance(item, _Pause):
                # Paced from here on: the pacer writes the rest, on time; we wait.
                stream = PacedStream(self.connection, chunks, time.monotonic() + item.seconds)
                self.server.pacer.run(stream, self._write)
                break
            self._write(item)
        return True

    def _write(self, data: bytes | memoryview) -> None:
        """Write (part of) a chunked body, blocking."""
        if self.server.model._closed.is_set():
            raise _Gone
        self.wfile.write(data)


def _chunked(frames: Iterator[bytes | _Pause]) -> Iterator[bytes | _Pause]:
    """A body's chunks (encoded, the last one included) and the pauses between them.

    Frames are gathered into chunks of about `_WRITE_BATCH` bytes, each meant for one
    write, and the chunk before a pause ends at the pause (so delayed deltas go out one by
    one).
    """
    batch: list[bytes] = []
    size = 0
    for frame in frames:
        if isinstance(frame, _Pause):
            if batch:
                yield _chunk(b"".join(batch))
                batch, size = [], 0
            yield frame
            continue
        batch.append(frame)
        size += len(frame)
        if size >= _WRITE_BATCH:
            yield _chunk(b"".join(batch))
            batch, size = [], 0
    if batch:
        yield _chunk(b"".join(batch))
    yield _END


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


#: The last chunk of a chunked body.
_END = b"0\r\n\r\n"


def _error_body(message: str, status: int) -> dict[str, Any]:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _decode(raw: bytes, encoding: str) -> bytes:
    """Undo a gzip or deflate content encoding; anything else is kept as received."""
    encoding = encoding.strip().lower()
    if encoding not in ("gzip", "deflate") or not raw:
        return raw
    try:
        return zlib.decompress(raw, 31 if encoding == "gzip" else 15)
    except zlib.error:
        return raw
