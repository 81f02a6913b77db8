"""The sync client and high-level API on the in-process mock transport."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from codex_app_server import (
    AppServerClient,
    AppServerConfig,
    ClientClosedError,
    Codex,
    InvalidParamsError,
    JsonRpcError,
    MethodNotFoundError,
    RequestTimeoutError,
    ServerBusyError,
    TransportClosedError,
    TurnFailedError,
    TurnTimeoutError,
    UnknownNotification,
)
from codex_app_server.testing import MockPeer, MockTransport, answer_initialize
from tests.support.mock_server import FAST, MockAppServer, is_reply


def test_initialize_then_initialized(transport: MockTransport, client: AppServerClient) -> None:
    methods = [m.get("method") for m in transport.received]
    assert methods[:2] == ["initialize", "initialized"]
    init = transport.received[0]["params"]
    assert init["capabilities"] == {"experimentalApi": True}
    assert init["clientInfo"]["name"] == FAST.client_name
    assert client.metadata.user_agent == "mock-app-server/0.0.0"


def test_concurrent_requests_get_their_own_answers_out_of_order() -> None:
    n = 16
    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    def handler(message: dict[str, Any], peer: MockPeer) -> None:
        if answer_initialize(message, peer) or message.get("method") != "echo":
            return
        with lock:
            received.append(message)
            batch = list(received) if len(received) == n else []
        for m in reversed(batch):  # answer all at once, in reverse order
            peer.send({"id": m["id"], "result": m["params"]})

    results: dict[int, Any] = {}
    with AppServerClient(FAST, transport=MockTransport(handler)) as c:

        def call(i: int) -> None:
            results[i] = c.request("echo", {"i": i})

        threads = [threading.Thread(target=call, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert results == {i: {"i": i} for i in range(n)}


def test_run_collects_final_response(codex: Codex) -> None:
    thread = codex.thread_start()
    result = thread.run("hello there world")
    assert result.final_response == "hello there world"
    assert result.turn is not None and result.turn.status.value == "completed"
    assert [type(i.root).__name__ for i in result.items] == ["AgentMessageThreadItem"]


def test_early_notifications_are_replayed_to_the_handle(
    server: MockAppServer, codex: Codex
) -> None:
    server.events_before_response = True
    handle = codex.thread_start().turn("a b c")
    notes = list(handle.stream())
    assert [n.method for n in notes] == [
        "turn/started",
        "item/agentMessage/delta",
        "item/agentMessage/delta",
        "item/agentMessage/delta",
        "item/completed",
        "turn/completed",
    ]


def test_two_turns_stream_concurrently_from_two_threads(
    server: MockAppServer, codex: Codex
) -> None:
    server.hold_turns = True
    thread = codex.thread_start()
    a = thread.turn("a1 a2 a3")
    b = thread.turn("b1 b2")
    got: dict[str, list[str]] = {}

    def consume(handle: Any) -> None:
        got[handle.id] = [
            n.params["delta"] for n in handle.stream() if n.method == "item/agentMessage/delta"
        ]

    readers = [threading.Thread(target=consume, args=(h,)) for h in (a, b)]
    for r in readers:
        r.start()
    server.release(b.id)
    server.release(a.id)
    for r in readers:
        r.join(10)
    assert got == {a.id: ["a1", "a2", "a3"], b.id: ["b1", "b2"]}


def test_unknown_notifications_are_typed_fallbacks(
    transport: MockTransport, server: MockAppServer, codex: Codex
) -> None:
    server.hold_turns = True
    handle = codex.thread_start().turn("x")
    transport.send({"method": "brand/new", "params": {"turnId": handle.id, "k": 1}})
    transport.send({"method": "brand/global", "params": {"k": 2}})
    server.release(handle.id)
    notes = list(handle.stream())
    unknown = [n for n in notes if n.method == "brand/new"]
    assert len(unknown) == 1 and isinstance(unknown[0].payload, UnknownNotification)
    assert unknown[0].payload.params == {"turnId": handle.id, "k": 1}
    global_note = codex.client.next_notification(timeout=5)
    assert global_note.method == "brand/global"


def test_known_notification_with_bad_params_is_a_fallback_not_a_crash(
    transport: MockTransport, client: AppServerClient
) -> None:
    transport.send({"method": "thread/started", "params": {"thread": "not-a-thread"}})
    note = client.next_notification(timeout=5)
    assert isinstance(note.payload, UnknownNotification)
    assert note.payload.reason.startswith("invalid params")


@pytest.mark.parametrize(
    ("code", "cls"),
    [(-32601, MethodNotFoundError), (-32602, InvalidParamsError), (-32001, ServerBusyError)],
)
def test_jsonrpc_errors_are_mapped(
    server: MockAppServer, client: AppServerClient, code: int, cls: type[JsonRpcError]
) -> None:
    server.errors["thread/start"] = {"code": code, "message": "nope", "data": {"x": 1}}
    with pytest.raises(cls) as info:
        client.request("thread/start", {})
    assert info.value.code == code and info.value.data == {"x": 1}


def test_request_timeout_leaves_no_waiter(client: AppServerClient) -> None:
    client._transport.handler = lambda m, p: None  # type: ignore[attr-defined]
    with pytest.raises(RequestTimeoutError):
        client.request("silent", {}, timeout=0.05)
    assert client._router.pending_count == 0


def test_server_exit_wakes_every_waiter_with_exit_code_and_stderr(
    transport: MockTransport, server: MockAppServer, codex: Codex
) -> None:
    server.hold_turns = True
    handle = codex.thread_start().turn("x")
    transport.handler = None  # the next request is never answered
    errors: list[BaseException] = []

    def pending_request() -> None:
        try:
            codex.client.request("never", {})
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=pending_request)
    t.start()
    transport.wait_for(lambda m: m.get("method") == "never")
    transport.exit(3, ["fatal: it broke"])
    t.join(5)
    with pytest.raises(TransportClosedError) as info:
        list(handle.stream())
    assert info.value.exit_code == 3 and "fatal: it broke" in str(info.value)
    assert isinstance(errors[0], TransportClosedError)
    with pytest.raises(TransportClosedError):  # later calls fail at once
        codex.thread_start()
    codex.close()  # quiet


def test_closed_client_refuses_work(transport: MockTransport) -> None:
    c = AppServerClient(FAST, transport=transport)
    c.start()
    c.close()
    c.close()
    with pytest.raises(ClientClosedError):
        c.request("thread/start", {})


def test_garbage_lines_are_skipped(transport: MockTransport, client: AppServerClient) -> None:
    transport.send_raw(b"this is not json\n")
    transport.send_raw(b"[1, 2, 3]\n")
    transport.send({"id": 12345, "result": {}})
    transport.send({"method": "thread/status/changed", "params": {"threadId": "t"}})
    assert client.next_notification(timeout=5).method == "thread/status/changed"
    assert client.request("thread/start", {})["thread"]["id"]


def test_failed_turn_raises_from_run(transport: MockTransport, codex: Codex) -> None:
    def handler(message: dict[str, Any], peer: MockPeer) -> None:
        if message.get("method") == "turn/start":
            turn = {"id": "T", "status": "inProgress", "items": []}
            peer.send({"id": message["id"], "result": {"turn": turn}})
            err = {"message": "model exploded"}
            peer.send(
                {
                    "method": "error",
                    "params": {"threadId": "t", "turnId": "T", "error": err, "willRetry": False},
                }
            )
            done = {**turn, "status": "failed", "error": err}
            peer.send({"method": "turn/completed", "params": {"threadId": "t", "turn": done}})
        else:
            MockAppServer()(message, peer)

    transport.handler = handler
    thread = codex.thread_start()
    with pytest.raises(TurnFailedError, match="model exploded"):
        thread.run("boom")


def test_turn_inactivity_timeout_interrupts(
    transport: MockTransport, server: MockAppServer
) -> None:
    server.hold_turns = True
    config = AppServerConfig(request_timeout=5.0, turn_inactivity_timeout=0.05)
    with Codex(config, transport=transport) as codex:
        handle = codex.thread_start().turn("x")
        with pytest.raises(TurnTimeoutError):
            for _ in handle.stream():
                pass
        interrupt = transport.wait_for(lambda m: m.get("method") == "turn/interrupt")
        assert interrupt["params"]["turnId"] == handle.id


def test_approval_is_declined_by_default(transport: MockTransport, client: AppServerClient) -> None:
    transport.send(
        {
            "id": "srv-1",
            "method": "item/commandExecution/requestApproval",
            "params": {"threadId": "t", "turnId": "T", "command": "rm -rf /"},
        }
    )
    reply = transport.wait_for(lambda m: is_reply(m, "srv-1"))
    assert reply == {"id": "srv-1", "result": {"decision": "decline"}}


def test_unknown_server_request_gets_method_not_found(
    transport: MockTransport, client: AppServerClient
) -> None:
    transport.send({"id": 99, "method": "brand/newRequest", "params": {}})
    reply = transport.wait_for(lambda m: is_reply(m, 99))
    assert reply["error"]["code"] == -32601


def test_handler_that_raises_sends_an_error_and_the_client_keeps_working(
    transport: MockTransport,
) -> None:
    def handler(request: Any) -> Any:
        raise RuntimeError("handler bug")

    with AppServerClient(FAST, transport=transport, server_request_handler=handler) as c:
        transport.send({"id": 5, "method": "item/fileChange/requestApproval", "params": {}})
        reply = transport.wait_for(lambda m: is_reply(m, 5))
        assert reply["error"]["code"] == -32603 and "handler bug" in reply["error"]["message"]
        assert c.request("thread/start", {})["thread"]["id"]


def test_handler_that_hangs_is_declined_after_its_timeout(transport: MockTransport) -> None:
    release = threading.Event()

    def handler(request: Any) -> Any:
        release.wait(10)
        return {"decision": "accept"}

    config = AppServerConfig(request_timeout=5.0, server_request_timeout=0.05)
    with AppServerClient(config, transport=transport, server_request_handler=handler):
        transport.send({"id": 6, "method": "item/commandExecution/requestApproval", "params": {}})
        reply = transport.wait_for(lambda m: is_reply(m, 6))
        assert reply["result"] == {"decision": "decline"}
        release.set()


def test_models_and_thread_list_are_typed(server: MockAppServer, codex: Codex) -> None:
    server.results["model/list"] = {"data": [], "nextCursor": None}
    server.results["thread/list"] = {"data": [], "nextCursor": None}
    assert codex.models().data == []
    assert codex.thread_list(limit=5).data == []
    sent = [m for m in codex.client._transport.received if m.get("method") == "thread/list"]  # type: ignore[attr-defined]
    assert sent[0]["params"] == {"limit": 5}


def test_close_cancels_the_decline_timer_of_a_hung_handler(transport: MockTransport) -> None:
    release = threading.Event()
    started = threading.Event()

    def handler(request: Any) -> Any:
        started.set()
        release.wait(10)
        return {"decision": "decline"}

    config = AppServerConfig(request_timeout=5.0, server_request_timeout=600)
    client = AppServerClient(config, transport=transport, server_request_handler=handler)
    client.start()
    transport.send({"id": 7, "method": "item/commandExecution/requestApproval", "params": {}})
    assert started.wait(5)
    timers = [t for t in threading.enumerate() if isinstance(t, threading.Timer)]
    assert timers, "a decline timer should be running while the handler works"
    client.close()
    for timer in timers:
        timer.join(5)
        assert not timer.is_alive()
    release.set()


def test_a_stream_left_mid_batch_leaves_the_rest_for_the_next_reader(
    server: MockAppServer, codex: Codex
) -> None:
    """Regression: a stream takes every queued notification at once (`take_all`); one
    that is left after its first item must put the rest back, or the next reader (another
    `stream()`, `run()`) would never see them."""
    server.hold_turns = True
    handle = codex.thread_start().turn("w1 w2 w3 w4")
    server.release(handle.id)
    queue = codex.client.turn_queue(handle.id)
    with queue._cond:  # all 7 notifications queued: the first take_all gets them all
        assert queue._cond.wait_for(lambda: len(queue) == 7, timeout=10)
    seen = []
    for note in handle.stream():
        seen.append(note.method)
        break  # as a program leaves a stream: the generator is closed, its `finally` runs
    assert seen == ["turn/started"] and len(queue) == 6
    rest = list(handle.stream())
    assert [n.params.get("delta") for n in rest[:4]] == ["w1", "w2", "w3", "w4"]
    assert [n.method for n in rest[4:]] == ["item/completed", "turn/completed"]
    assert codex.client._budget.used == 0
