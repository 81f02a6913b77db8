"""`ScriptedModel` over plain HTTP, without the app-server: framing, script, life cycle."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time

import pytest

from codex_app_server.testing import (
    RecordedRequest,
    Reply,
    ScriptedModel,
    Usage,
)
from tests.testing.http_client import Client, Response, prompt, read_response, request_bytes

# --------------------------------------------------------------------------- framing


def test_text_reply_is_a_chunked_event_stream_in_responses_api_order(
    scripted_model: ScriptedModel, client: Client
) -> None:
    scripted_model.enqueue(Reply.text("Hello world", deltas=3))
    response = client.post(prompt("hi"))

    assert response.status == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.chunks[-1] == 0  # properly terminated
    assert response.types() == [
        "response.created",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    events = [data for _, data in response.events()]
    message_id = events[1]["item"]["id"]
    assert events[1]["item"] == {
        "type": "message",
        "id": message_id,
        "status": "in_progress",
        "role": "assistant",
        "content": [],
    }
    deltas = [e for e in events if e["type"] == "response.output_text.delta"]
    assert [d["delta"] for d in deltas] == ["Hell", "o wo", "rld"]
    assert {(d["item_id"], d["output_index"], d["content_index"]) for d in deltas} == {
        (message_id, 0, 0)
    }
    done = events[8]["item"]
    assert done["id"] == message_id
    assert done["content"] == [{"type": "output_text", "text": "Hello world", "annotations": []}]
    completed = events[9]["response"]
    assert completed["id"] == events[0]["response"]["id"]
    assert completed["status"] == "completed"
    assert "usage" not in completed


def test_ids_are_fresh_each_time_a_reply_is_served(
    scripted_model: ScriptedModel, client: Client
) -> None:
    reply = Reply.text("same")
    scripted_model.enqueue(reply, reply)
    first, second = client.post(prompt("a")).events(), client.post(prompt("b")).events()
    assert first[0][1]["response"]["id"] != second[0][1]["response"]["id"]
    assert first[1][1]["item"]["id"] != second[1][1]["item"]["id"]
    # Both went over one keep-alive connection.
    assert scripted_model.connections_accepted == 1


def test_zero_deltas_and_explicit_delta_strings(
    scripted_model: ScriptedModel, client: Client
) -> None:
    scripted_model.enqueue(Reply.text("whole", deltas=0), Reply.text("abc", deltas=["a", "bc"]))
    assert "response.output_text.delta" not in client.post().types()
    deltas = [d["delta"] for _, d in client.post().events() if d["type"].endswith("text.delta")]
    assert deltas == ["a", "bc"]


def test_reasoning_comes_before_the_message(scripted_model: ScriptedModel, client: Client) -> None:
    scripted_model.enqueue(Reply.text("answer", reasoning="I thought about it"))
    events = [data for _, data in client.post().events()]
    types = [e["type"] for e in events]
    assert types[:8] == [
        "response.created",
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        "response.output_item.added",
    ]
    reasoning = events[6]["item"]
    assert reasoning["type"] == "reasoning"
    assert reasoning["summary"] == [{"type": "summary_text", "text": "I thought about it"}]
    assert events[3]["delta"] == "I thought about it"
    assert events[7]["item"]["type"] == "message"
    assert events[7]["output_index"] == 1


def test_function_call_frames(scripted_model: ScriptedModel, client: Client) -> None:
    scripted_model.enqueue(
        Reply.function_call("exec_command", {"cmd": "echo hi"}, call_id="c1"),
        Reply.function_call("my_tool", '{"raw": true}'),
        Reply.function_call("my_tool", '{"raw": true}'),
        Reply.shell("ls", workdir="/tmp"),
        Reply.custom_tool_call("apply_patch", "*** Begin Patch\n*** End Patch\n"),
    )
    calls = []
    for _ in range(5):
        events = [data for _, data in client.post().events()]
        assert [e["type"] for e in events] == [
            "response.created",
            "response.output_item.added",
            "response.output_item.done",
            "response.completed",
        ]
        calls.append(events[2]["item"])
    assert calls[0]["type"] == "function_call"
    assert (calls[0]["name"], calls[0]["call_id"]) == ("exec_command", "c1")
    assert json.loads(calls[0]["arguments"]) == {"cmd": "echo hi"}
    assert calls[1]["arguments"] == '{"raw": true}'
    assert calls[1]["call_id"] != calls[2]["call_id"]  # generated, unique
    assert json.loads(calls[3]["arguments"]) == {"cmd": "ls", "login": False, "workdir": "/tmp"}
    assert calls[4]["type"] == "custom_tool_call"
    assert calls[4]["input"].startswith("*** Begin Patch")


def test_usage(scripted_model: ScriptedModel, client: Client) -> None:
    explicit = Usage(input_tokens=120, output_tokens=7, cached_input_tokens=20)
    scripted_model.enqueue(
        Reply.text("a", usage=explicit),
        Reply.text("a" * 400, usage=True),
        Reply.text("a", usage={"input_tokens": 1, "custom": "kept"}),
    )
    usages = [
        client.post(prompt("x" * 1000)).events()[-1][1]["response"]["usage"] for _ in range(3)
    ]
    assert usages[0] == {
        "input_tokens": 120,
        "input_tokens_details": {"cached_tokens": 20},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 127,
    }
    plausible = usages[1]
    assert plausible["input_tokens"] > 200  # ~ request bytes / 4
    assert plausible["output_tokens"] == 100
    assert plausible["total_tokens"] == plausible["input_tokens"] + plausible["output_tokens"]
    assert usages[2] == {"input_tokens": 1, "custom": "kept"}


def test_error_reply(scripted_model: ScriptedModel, client: Client) -> None:
    scripted_model.enqueue(Reply.error(503, "busy", headers={"Retry-After": "1"}))
    response = client.post()
    assert response.status == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"]["message"] == "busy"
    assert response.json()["error"]["type"] == "server_error"
    assert scripted_model.unexpected_requests == 0
    assert client.post().status == 400  # the connection is still usable


def test_default_error_reply_is_a_plain_400(scripted_model: ScriptedModel, client: Client) -> None:
    scripted_model.enqueue(Reply.error(), Reply.error(message="über"), Reply.error(400, "json"))
    default, custom, explicit = client.post(), client.post(), client.post()
    assert (default.status, default.body) == (400, b"scripted error")
    assert default.headers["content-type"] == "text/plain; charset=utf-8"
    assert custom.body.decode() == "über"
    assert explicit.json()["error"] == {
        "message": "json",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    assert repr(Reply.error()) == "Reply.error(400)"


def test_raw_frames_are_sent_exactly(scripted_model: ScriptedModel, client: Client) -> None:
    scripted_model.enqueue(
        Reply.raw([{"type": "response.created", "response": {"id": "r"}}, "not json"])
    )
    response = client.post()
    assert response.body == (
        b'event: response.created\ndata: {"type":"response.created","response":{"id":"r"}}\n\n'
        b"data: not json\n\n"
    )


def test_delay_spaces_the_deltas(scripted_model: ScriptedModel, client: Client) -> None:
    scripted_model.enqueue(Reply.text("abcd", deltas=4, delay=0.05))
    started = time.monotonic()
    response = client.post()
    assert time.monotonic() - started >= 0.15  # three gaps
    # Each delta went out on its own, not batched with the rest.
    assert len(response.chunks) >= 5


def test_large_reply_is_batched(scripted_model: ScriptedModel, client: Client) -> None:
    text = "x" * 20_000
    scripted_model.enqueue(Reply.text(text, deltas=20_000))
    response = client.post()
    deltas = [d["delta"] for _, d in response.events() if d["type"].endswith("text.delta")]
    assert len(deltas) == 20_000 and "".join(deltas) == text
    assert len(response.chunks) < 100


# --------------------------------------------------------------------------- script


def test_unexpected_requests_fail_loudly(scripted_model: ScriptedModel, client: Client) -> None:
    response = client.post(prompt("nobody scripted this"))
    assert response.status == 400
    assert response.body.decode() == (
        "scripted model: no reply queued for request #1 (requests[0]) and no responder set"
    )
    assert scripted_model.unexpected_requests == 1
    assert scripted_model.requests[0].last_user_text == "nobody scripted this"

    assert client.post(path="/v1/unknown").status == 404
    assert scripted_model.unexpected_requests == 2
    models = client.post(path="/v1/models", method="GET", body=b"")
    assert (models.status, models.json()) == (200, {"object": "list", "data": []})
    assert scripted_model.unexpected_requests == 2
    assert [r.path for r in scripted_model.other_requests] == ["/v1/unknown", "/v1/models"]
    assert len(scripted_model.requests) == 1


def test_queue_first_then_responder(scripted_model: ScriptedModel, client: Client) -> None:
    seen: list[RecordedRequest] = []

    def responder(request: RecordedRequest) -> Reply | None:
        seen.append(request)
        if request.last_user_text == "boom":
            raise RuntimeError("responder bug")
        if request.last_user_text == "none":
            return None
        return Reply.text(f"echo {request.last_user_text}")

    scripted_model.respond_with(responder)
    scripted_model.enqueue(Reply.text("queued"))

    def final_text(response: Response) -> str:
        return str(response.events()[-2][1]["item"]["content"][0]["text"])

    assert final_text(client.post(prompt("a"))) == "queued"
    assert final_text(client.post(prompt("b"))) == "echo b"
    none = client.post(prompt("none"))
    assert none.status == 400
    assert (
        none.body == b"scripted model: the responder returned no reply for request #3 (requests[2])"
    )
    assert scripted_model.unexpected_requests == 1
    failed = client.post(prompt("boom"))
    assert failed.status == 400 and "RuntimeError('responder bug')" in failed.body.decode()
    assert [str(e) for e in scripted_model.errors] == ["responder bug"]
    assert [r.last_user_text for r in seen] == ["b", "none", "boom"]

    scripted_model.respond_with(None)
    assert client.post().status == 400
    assert scripted_model.unexpected_requests == 2


def test_recorded_request(scripted_model: ScriptedModel, client: Client) -> None:
    body = {
        "model": "gpt-5.5",
        "tools": [{"type": "function", "name": "exec_command"}, {"type": "web_search"}],
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "ctx"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]},
            {"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "hi\n"},
            {
                "type": "custom_tool_call_output",
                "call_id": "p1",
                "output": [{"type": "input_text", "text": "done"}],
            },
        ],
    }
    scripted_model.enqueue(Reply.text("ok"))
    client.post(body, headers={"Authorization": "Bearer k"})
    request = scripted_model.wait_for_requests(1)[0]
    assert (request.method, request.path, request.index) == ("POST", "/v1/responses", 0)
    assert request.headers["authorization"] == "Bearer k"
    assert request.headers["AUTHORIZATION"] == "Bearer k"
    assert request.body == body
    assert request.model == "gpt-5.5"
    assert request.user_texts == ["ctx", "go"]
    assert request.last_user_text == "go"
    assert request.function_call_outputs == [
        {"call_id": "c1", "output": "hi\n"},
        {"call_id": "p1", "output": "done"},
    ]
    assert request.tools == ["exec_command", "web_search"]
    assert "last_user_text='go'" in repr(request)


def test_chunked_and_gzipped_request_bodies(scripted_model: ScriptedModel) -> None:
    scripted_model.respond_with(lambda r: Reply.text("ok"))
    payload = gzip.compress(json.dumps(prompt("zipped")).encode())
    head = (
        b"POST /v1/responses HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Encoding: gzip\r\nConnection: close\r\n\r\n"
    )
    body = b"".join(
        b"%x\r\n%b\r\n" % (len(payload[i : i + 7]), payload[i : i + 7])
        for i in range(0, len(payload), 7)
    )
    with socket.create_connection(("127.0.0.1", scripted_model.port), timeout=10) as sock:
        sock.sendall(head + body + b"0\r\n\r\n")
        assert read_response(sock.makefile("rb")).status == 200
    assert scripted_model.requests[0].last_user_text == "zipped"


# --------------------------------------------------------------------------- waiting


def test_wait_for_requests_times_out(scripted_model: ScriptedModel) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="0 of 1 requests"):
        scripted_model.wait_for_requests(1, timeout=0.05)
    assert 0.04 < time.monotonic() - started < 1.0


def test_wait_for_requests_wakes_on_arrival(scripted_model: ScriptedModel) -> None:
    scripted_model.respond_with(lambda r: Reply.text("ok"))

    def post_twice() -> None:
        c = Client(scripted_model)
        c.post()
        c.post()
        c.close()

    poster = threading.Thread(target=post_twice)
    poster.start()
    assert len(scripted_model.wait_for_requests(2, timeout=10)) == 2
    poster.join()


def test_hang_sends_headers_then_nothing_until_released(scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue(Reply.hang(then=Reply.text("late")))
    with socket.create_connection(("127.0.0.1", scripted_model.port), timeout=10) as sock:
        sock.sendall(request_bytes())
        head = b""
        while not head.endswith(b"\r\n\r\n"):  # byte by byte: read nothing past the head
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Content-Type: text/event-stream" in head
        sock.settimeout(0.1)
        with pytest.raises(TimeoutError):
            sock.recv(1)  # the stream is open and silent
        assert scripted_model.active_requests == 1
        scripted_model.release()
        sock.settimeout(10)
        body = b""
        while not body.endswith(b"0\r\n\r\n"):
            body += sock.recv(65536)
        assert b'"type":"response.completed"' in body


def test_release_counts_from_the_arrival_of_the_request(
    scripted_model: ScriptedModel, client: Client
) -> None:
    def responder(request: RecordedRequest) -> Reply:
        # A test that sees the request and releases at once may beat the hang to its wait.
        scripted_model.release()
        return Reply.hang(then=Reply.text("late"))

    scripted_model.respond_with(responder)
    assert client.post().types()[-1] == "response.completed"


def test_hang_release_then(scripted_model: ScriptedModel, client: Client) -> None:
    scripted_model.enqueue(Reply.hang(then=Reply.text("late")), Reply.hang())
    result: list[Response] = []
    poster = threading.Thread(target=lambda: result.append(client.post()))
    poster.start()
    scripted_model.wait_for_requests(1)
    scripted_model.release()  # released even if the hang has not started waiting yet
    poster.join(10)
    assert result[0].types()[-1] == "response.completed"
    # A release does not pre-release later hangs; released without `then`, the stream
    # just ends (no response.completed).
    poster = threading.Thread(target=lambda: result.append(client.post()))
    poster.start()
    scripted_model.wait_for_requests(2)
    assert scripted_model.active_requests == 1
    scripted_model.release()
    poster.join(10)
    assert result[1].status == 200 and result[1].body == b""


def test_hang_ends_when_the_client_disconnects(scripted_model: ScriptedModel) -> None:
    scripted_model.enqueue(Reply.hang())
    sock = socket.create_connection(("127.0.0.1", scripted_model.port))
    sock.sendall(request_bytes())
    scripted_model.wait_for_requests(1)
    sock.close()
    scripted_model.wait_until_idle(timeout=5)
    assert scripted_model.active_requests == 0


# --------------------------------------------------------------------------- life cycle


def test_close_is_prompt_whatever_the_clients_do() -> None:
    model = ScriptedModel().start()
    model.enqueue(Reply.hang(), Reply.text("x" * 50_000, deltas=50_000))
    socks = [socket.create_connection(("127.0.0.1", model.port)) for _ in range(4)]
    socks[0].sendall(request_bytes())  # gets a hanging reply
    model.wait_for_requests(1)
    socks[1].sendall(request_bytes())  # gets ~8 MB it never reads
    model.wait_for_requests(2)
    socks[2].sendall(b"POST /v1/responses HTTP/1.1\r\nHost: t\r\n")  # half a request
    # socks[3] is connected and silent.
    started = time.monotonic()
    model.close()
    elapsed = time.monotonic() - started
    assert elapsed < 0.5, elapsed
    assert model.closed and model.active_requests == 0
    for sock in socks:
        sock.close()
    model.close()  # idempotent
    with pytest.raises(RuntimeError):
        model.start()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", model.port), timeout=1).close()


def test_concurrent_streams(scripted_model: ScriptedModel) -> None:
    scripted_model.respond_with(lambda r: Reply.text(str(r.last_user_text) * 1000, deltas=1000))
    texts: dict[str, str] = {}

    def one(name: str) -> None:
        c = Client(scripted_model)
        events = c.post(prompt(name)).events()
        c.close()
        texts[name] = "".join(d["delta"] for _, d in events if d["type"].endswith("text.delta"))

    threads = [threading.Thread(target=one, args=(f"t{i}",)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert texts == {f"t{i}": f"t{i}" * 1000 for i in range(50)}
    assert scripted_model.unexpected_requests == 0


def test_a_namespaced_function_call_carries_its_namespace(
    scripted_model: ScriptedModel, client: Client
) -> None:
    scripted_model.enqueue(
        Reply.function_call("echo", {"text": "hi"}, call_id="m1", namespace="mcp__echo"),
        Reply.function_call("echo", {}, call_id="m2"),
    )
    done = [
        d["item"] for _, d in client.post().events() if d["type"] == "response.output_item.done"
    ]
    assert [(i["namespace"], i["name"], i["call_id"]) for i in done] == [
        ("mcp__echo", "echo", "m1")
    ]
    done = [
        d["item"] for _, d in client.post().events() if d["type"] == "response.output_item.done"
    ]
    assert "namespace" not in done[0]
