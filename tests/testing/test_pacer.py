"""Paced streams (`Reply(delay=...)`): one pacer thread writes them all (`_pacer`).

Deterministic: nothing sleeps to wait; a stall shows up as a socket timeout, not as a
timing assertion (the only bounds on time are generous sanity bounds).
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel, _http, _pacer
from codex_app_server.testing._sse import _Pause
from tests.testing.http_client import Client, prompt, request_bytes

#: Socket timeout of the test clients: a stalled stream fails the test after this long.
_STALL = 10


def _deltas(body: bytes) -> list[str]:
    out = []
    for block in body.decode().split("\n\n"):
        for line in block.split("\n"):
            if line.startswith("data: "):
                data = json.loads(line[6:])
                if data["type"] == "response.output_text.delta":
                    out.append(data["delta"])
    return out


def _read_chunks(f: Any) -> list[bytes]:
    """The chunks of one chunked response (after its head), the empty last one included."""
    while f.readline() not in (b"\r\n", b""):
        pass
    chunks = []
    while True:
        size = int(f.readline().strip(), 16)
        chunks.append(f.read(size))
        assert f.readline() == b"\r\n"
        if size == 0:
            return chunks


def _by_prompt(replies: dict[str, Reply]) -> Any:
    return lambda request: replies.get(request.last_user_text or "")


def test_many_concurrent_paced_streams_deliver_every_delta_in_its_own_chunk(
    scripted_model: ScriptedModel,
) -> None:
    n_streams, n_deltas = 40, 60
    parts = {f"s{i}": [f"<{i}.{k}>" for k in range(n_deltas)] for i in range(n_streams)}
    scripted_model.respond_with(
        _by_prompt({n: Reply.text("".join(p), deltas=p, delay=0.001) for n, p in parts.items()})
    )
    results: dict[str, list[bytes]] = {}

    def one(name: str) -> None:
        with socket.create_connection(("127.0.0.1", scripted_model.port), timeout=_STALL) as s:
            s.sendall(request_bytes(body=prompt(name)))
            results[name] = _read_chunks(s.makefile("rb"))

    threads = [threading.Thread(target=one, args=(name,)) for name in parts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == sorted(parts)
    for name, chunks in results.items():
        i = name[1:]
        # The same chunks as ever: the head frames with the first delta, then one chunk per
        # delta (the last one with the closing frames), then the empty last chunk.
        assert len(chunks) == n_deltas + 1 and chunks[-1] == b""
        assert [_deltas(c) for c in chunks[:-1]] == [[f"<{i}.{k}>"] for k in range(n_deltas)]
        assert b"response.created" in chunks[0] and b"response.completed" in chunks[-2]
        for middle in chunks[1:-2]:
            assert middle.startswith(b"event: response.output_text.delta\n")
            assert middle.count(b"\n\n") == 1
    assert scripted_model.errors == [] and scripted_model.unexpected_requests == 0


def test_a_reader_that_goes_away_ends_only_its_own_stream(scripted_model: ScriptedModel) -> None:
    long = Reply.text("x" * 100_000, deltas=100_000, delay=0.001)  # 100 s if not ended
    scripted_model.respond_with(
        _by_prompt({"long": long, "short": Reply.text("abcdefghij", deltas=10, delay=0.001)})
    )
    gone = socket.create_connection(("127.0.0.1", scripted_model.port), timeout=_STALL)
    gone.sendall(request_bytes(body=prompt("long")))
    assert gone.recv(1)  # its stream started
    scripted_model.wait_for_requests(1)
    other = Client(scripted_model)
    gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset
    gone.close()
    for _ in range(3):  # the other stream goes on, and the pacer serves later ones
        assert "".join(_deltas(other.post(prompt("short")).body)) == "abcdefghij"
    other.close()
    scripted_model.wait_until_idle(timeout=_STALL)  # the long stream ended
    assert scripted_model.errors == []  # a reader going away is no error of the model


def test_close_during_paced_streams_is_prompt_and_ends_every_thread() -> None:
    model = ScriptedModel().start()
    big = "y" * 4_000_000
    model.respond_with(
        _by_prompt(
            {
                "fast": Reply.text("f" * 100_000, deltas=100_000, delay=0.001),
                "slow": Reply.text("s" * 10, deltas=10, delay=0.5),
                "stuck": Reply.text(big, deltas=40, delay=0.001),  # never read: handed back
            }
        )
    )
    names = ["fast"] * 8 + ["slow"] * 8 + ["stuck"] * 2
    socks = []
    for name in names:
        sock = socket.create_connection(("127.0.0.1", model.port), timeout=_STALL)
        if name == "stuck":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(request_bytes(body=prompt(name)))
        socks.append(sock)
    model.wait_for_requests(len(names))
    for sock, name in zip(socks, names, strict=True):
        seen = b""
        while name == "fast" and seen.count(b"output_text.delta\n") < 2:
            seen += sock.recv(65536)  # a second delta: the pacer has this stream
    pacer = model._listener.pacer if model._listener is not None else None
    assert pacer is not None and pacer._thread is not None and pacer._thread.is_alive()
    started = time.monotonic()
    model.close()
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, elapsed  # generous: a paced stream would otherwise go on for 100 s
    assert not pacer._thread.is_alive()
    assert model.active_requests == 0 and not model._threads
    for sock, name in zip(socks, names, strict=True):
        if name != "stuck":  # (a stuck one would take seconds to drain through 4 KB)
            with pytest.raises((ConnectionError, AssertionError)):  # cut: EOF or reset
                while True:
                    assert sock.recv(65536)
        sock.close()


def test_a_slow_reader_does_not_stall_other_paced_streams(
    scripted_model: ScriptedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    handed_back: list[int] = []
    write = _http._Handler._write

    def counting_write(self: _http._Handler, data: bytes | memoryview) -> None:
        if isinstance(data, memoryview):  # only what the pacer hands back is a memoryview
            handed_back.append(len(data))
        write(self, data)

    setup = _http._Handler.setup

    def small_buffers(self: _http._Handler) -> None:
        setup(self)
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)

    monkeypatch.setattr(_http._Handler, "_write", counting_write)
    monkeypatch.setattr(_http._Handler, "setup", small_buffers)
    # 2 MB of deltas (and 8 MB of closing frames): far more than the socket buffers hold, so
    # the pacer's sends fill them and the connection's thread takes over (and hands back).
    big = "".join(f"{k:07d}" * 7_000 for k in range(40))
    scripted_model.respond_with(
        _by_prompt(
            {
                "slow": Reply.text(big, deltas=40, delay=0.001),
                "fast": Reply.text("abcdefghij" * 10, deltas=100, delay=0.002),
            }
        )
    )
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    slow.settimeout(_STALL)
    slow.connect(("127.0.0.1", scripted_model.port))
    slow.sendall(request_bytes(body=prompt("slow")))
    scripted_model.wait_for_requests(1)
    # While the slow reader reads nothing, a paced stream on another connection is served
    # in full (were the pacer blocked on the slow reader, this would time out).
    fast = Client(scripted_model)
    for _ in range(2):
        response = fast.post(prompt("fast"))
        assert "".join(_deltas(response.body)) == "abcdefghij" * 10
        assert len(response.chunks) == 101
    fast.close()
    # The fast handler marks its request answered just after its last chunk reached us:
    # wait for that, then only the slow stream is still being written.
    with scripted_model._changed:
        assert scripted_model._changed.wait_for(lambda: scripted_model._active <= 1, _STALL)
    assert scripted_model.active_requests == 1
    # Now the slow reader reads: every byte arrives, in order, in the same chunks: a delta
    # per chunk (the last one with `text.done`, which fills the batch), then the closing
    # frames, each larger than a batch, one chunk each.
    chunks = _read_chunks(slow.makefile("rb"))
    slow.close()
    assert [_deltas(c) for c in chunks[:40]] == [[f"{k:07d}" * 7_000] for k in range(40)]
    assert [c.count(b"\n\n") for c in chunks[40:]] == [1, 1, 1, 0]
    assert chunks[-2].startswith(b"event: response.completed\n") and chunks[-1] == b""
    assert handed_back  # the partial-write fallback did run
    scripted_model.wait_until_idle(timeout=_STALL)
    assert scripted_model.errors == []


# --------------------------------------------------------------------------- the pacer alone


def _pairs() -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    b.settimeout(_STALL)
    return a, b


def _paced(parts: list[bytes], pause: float) -> Iterator[bytes | _Pause]:
    for k, part in enumerate(parts):
        if k:
            yield _Pause(pause)
        yield part


def _read_all(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        got = sock.recv(65536)
        assert got
        data += got
    return data


def test_a_stream_that_fell_behind_catches_up_without_sleeping() -> None:
    pacer = _pacer.Pacer()
    ours, theirs = _pairs()
    parts = [b"%04d" % k for k in range(1000)]
    # 1000 chunks 10 ms apart, the first due 20 s ago: all of them are due now.
    stream = _pacer.PacedStream(ours, _paced(parts, 0.01), time.monotonic() - 20)
    started = time.monotonic()
    runner = threading.Thread(target=pacer.run, args=(stream, ours.sendall))
    runner.start()
    assert _read_all(theirs, 4000) == b"".join(parts)
    runner.join(_STALL)
    assert not runner.is_alive() and stream.finished
    assert time.monotonic() - started < 5  # generous: paced from now on, it would take 10 s
    thread = pacer.close()
    assert thread is not None
    thread.join(_STALL)
    assert not thread.is_alive()
    ours.close()
    theirs.close()


def test_closing_the_pacer_ends_long_pauses_and_refuses_new_streams() -> None:
    pacer = _pacer.Pacer()
    pairs = [_pairs() for _ in range(5)]
    errors: list[BaseException] = []

    def run(sock: socket.socket) -> None:
        stream = _pacer.PacedStream(sock, _paced([b"a", b"b"], 3600), time.monotonic())
        try:
            pacer.run(stream, sock.sendall)
        except BaseException as exc:
            errors.append(exc)

    runners = [threading.Thread(target=run, args=(ours,)) for ours, _ in pairs]
    for runner in runners:
        runner.start()
    for _, theirs in pairs:
        assert theirs.recv(1) == b"a"  # each stream is paused for an hour now
    thread = pacer.close()
    assert thread is not None
    for runner in runners:
        runner.join(_STALL)
    thread.join(_STALL)
    assert not thread.is_alive() and not any(r.is_alive() for r in runners)
    assert len(errors) == 5 and all(isinstance(e, _pacer._Gone) for e in errors)
    stream = _pacer.PacedStream(pairs[0][0], _paced([b"c"], 1), time.monotonic())
    with pytest.raises(_pacer._Gone):
        pacer.run(stream, pairs[0][0].sendall)
    for pair in pairs:
        for sock in pair:
            sock.close()


def test_a_reply_that_fails_to_render_while_paced_is_kept_in_errors(
    scripted_model: ScriptedModel, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def frames(reply: Reply, request: RecordedRequest, new_id: Any) -> Iterator[bytes | _Pause]:
        yield b"data: 1\n\n"
        yield _Pause(0.001)
        yield b"data: 2\n\n"
        raise RuntimeError("cannot render")

    monkeypatch.setattr(_http, "_render_stream", frames)
    scripted_model.enqueue(Reply.text("xy", deltas=2, delay=0.001), Reply.text("after"))
    with pytest.raises((AssertionError, ValueError, ConnectionError)):
        client.post()  # the stream is cut short: no last chunk
    monkeypatch.undo()
    assert [type(e) for e in scripted_model.errors] == [RuntimeError]
    fresh = Client(scripted_model)
    assert "".join(_deltas(fresh.post().body)) == "after"
    fresh.close()
