"""The sans-IO router, state by state: where every kind of message goes."""

from __future__ import annotations

from typing import Any

import pytest

from codex_app_server._protocol.errors import (
    InvalidParamsError,
    JsonRpcError,
    MethodNotFoundError,
    ServerBusyError,
    TransportClosedError,
)
from codex_app_server._protocol.notifications import (
    Notification,
    ServerRequest,
    UnknownNotification,
)
from codex_app_server._protocol.router import MAX_UNCLAIMED_TURNS, Dropped, MessageRouter
from tests.support.sinks import Sink, deliver


def delta(turn_id: str, text: str = "x") -> dict[str, Any]:
    return {
        "method": "item/agentMessage/delta",
        "params": {"threadId": "thr", "turnId": turn_id, "itemId": "i", "delta": text},
    }


def completed(turn_id: str, status: str = "completed") -> dict[str, Any]:
    return {
        "method": "turn/completed",
        "params": {"threadId": "thr", "turn": {"id": turn_id, "status": status, "items": []}},
    }


def methods(sink: Sink) -> list[str]:
    return [n.method for n in sink.items]


# -- responses ------------------------------------------------------------------------------


def test_response_goes_to_its_own_waiter(router: MessageRouter) -> None:
    a, b = Sink("a"), Sink("b")
    ma = router.new_request("thread/start", {}, a)
    mb = router.new_request("model/list", {}, b)
    assert ma["id"] != mb["id"]
    deliver(router.route({"id": mb["id"], "result": {"data": []}}))
    deliver(router.route({"id": ma["id"], "result": {"thread": {"id": "t"}}}))
    assert a.items == [{"thread": {"id": "t"}}]
    assert b.items == [{"data": []}]
    assert router.pending_count == 0


def test_request_message_shape(router: MessageRouter) -> None:
    message = router.new_request("initialized", None, Sink())
    assert message == {"id": 1, "method": "initialized"}
    assert router.new_request("x", {"a": 1}, Sink())["params"] == {"a": 1}


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        ({"code": -32601, "message": "no such method"}, MethodNotFoundError),
        ({"code": -32602, "message": "bad"}, InvalidParamsError),
        ({"code": -32001, "message": "Server overloaded; retry later."}, ServerBusyError),
        ({"code": -32000, "message": "server busy, retry later"}, ServerBusyError),
        ({"code": 7, "message": "odd"}, JsonRpcError),
        ("not an object", JsonRpcError),
    ],
)
def test_error_response_is_mapped(router: MessageRouter, error: Any, cls: type) -> None:
    sink = Sink()
    request_id = router.new_request("m", {}, sink)["id"]
    deliver(router.route({"id": request_id, "error": error}))
    assert type(sink.items[0]) is cls


def test_response_to_unknown_id_is_dropped(router: MessageRouter) -> None:
    routed = router.route({"id": 999, "result": {}})
    assert isinstance(routed, Dropped)
    assert "999" in routed.reason


def test_string_id_that_is_a_number_still_matches(router: MessageRouter) -> None:
    sink = Sink()
    request_id = router.new_request("m", {}, sink)["id"]
    deliver(router.route({"id": str(request_id), "result": 1}))
    assert sink.items == [1]


def test_discarded_request_ignores_late_response(router: MessageRouter) -> None:
    sink = Sink()
    request_id = router.new_request("m", {}, sink)["id"]
    assert router.discard_request(request_id)
    assert not router.discard_request(request_id)
    assert isinstance(router.route({"id": request_id, "result": 1}), Dropped)
    assert sink.items == []


# -- malformed input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [[1, 2], "text", 3, None, {"method": 5}, {"id": 1}, {"params": {}}, {}],
)
def test_malformed_messages_are_dropped_not_raised(router: MessageRouter, message: Any) -> None:
    assert isinstance(router.route(message), Dropped)


# -- notifications ----------------------------------------------------------------------------


def test_notification_without_turn_goes_to_global(router: MessageRouter) -> None:
    deliver(router.route({"method": "thread/status/changed", "params": {"threadId": "t"}}))
    deliver(router.route({"method": "serverRequest/resolved", "params": {"threadId": "t"}}))
    assert methods(router.global_sink) == ["thread/status/changed", "serverRequest/resolved"]  # type: ignore[arg-type]


def test_early_notifications_are_buffered_and_replayed_in_order(router: MessageRouter) -> None:
    for i in range(3):
        assert router.route(delta("T", str(i))) == []
    assert router.buffered_turns == 1
    sink = Sink()
    replay = router.subscribe_turn("T", sink)
    assert [n.params["delta"] for n in replay] == ["0", "1", "2"]
    deliver(router.route(delta("T", "3")))
    assert [n.params["delta"] for n in sink.items] == ["3"]
    assert router.buffered_turns == 0


def test_interleaved_turns_are_kept_apart(router: MessageRouter) -> None:
    a, b = Sink("a"), Sink("b")
    router.subscribe_turn("A", a)
    router.subscribe_turn("B", b)
    for i in range(10):
        deliver(router.route(delta("A" if i % 2 else "B", str(i))))
    assert [n.params["delta"] for n in a.items] == ["1", "3", "5", "7", "9"]
    assert [n.params["delta"] for n in b.items] == ["0", "2", "4", "6", "8"]


def test_turn_id_is_read_from_nested_turn(router: MessageRouter) -> None:
    sink = Sink()
    router.subscribe_turn("T", sink)
    deliver(
        router.route({"method": "turn/started", "params": {"threadId": "x", "turn": {"id": "T"}}})
    )
    assert methods(sink) == ["turn/started"]


def test_completed_unclaimed_turn_frees_its_buffer(router: MessageRouter) -> None:
    router.route(delta("T"))
    deliver(router.route(completed("T")))
    assert router.buffered_turns == 0
    assert methods(router.global_sink) == ["turn/completed"]  # type: ignore[arg-type]
    # A straggler for a finished turn must not start a new, never-freed buffer.
    deliver(router.route(delta("T")))
    assert router.buffered_turns == 0


def test_subscribed_turn_detaches_on_completion(router: MessageRouter) -> None:
    sink = Sink()
    router.subscribe_turn("T", sink)
    deliver(router.route(completed("T")))
    assert router.subscribed_turns == 0
    assert router.turn_sink("T") is sink  # retained for a late reader
    deliver(router.route(delta("T", "late")))
    assert methods(sink) == ["turn/completed"]
    assert methods(router.global_sink) == ["item/agentMessage/delta"]  # type: ignore[arg-type]


def test_finished_turn_retention_is_bounded(router: MessageRouter) -> None:
    for i in range(10):
        router.subscribe_turn(f"T{i}", Sink())
        deliver(router.route(completed(f"T{i}")))
    assert router.turn_sink("T0") is None
    assert router.turn_sink("T9") is not None


def test_unsubscribe_sends_later_notifications_to_global(router: MessageRouter) -> None:
    sink = Sink()
    router.subscribe_turn("T", sink)
    router.unsubscribe_turn("T")
    deliver(router.route(delta("T")))
    assert sink.items == []
    assert len(router.global_sink.items) == 1  # type: ignore[attr-defined]


def test_unclaimed_turn_buffers_are_bounded(router: MessageRouter) -> None:
    for i in range(MAX_UNCLAIMED_TURNS + 5):
        router.route(delta(f"T{i}"))
    assert router.buffered_turns == MAX_UNCLAIMED_TURNS
    assert router.dropped_buffers == 5


def test_unknown_method_becomes_typed_fallback_routed_by_turn(router: MessageRouter) -> None:
    sink = Sink()
    router.subscribe_turn("T", sink)
    deliver(router.route({"method": "future/thing", "params": {"turnId": "T", "x": 1}}))
    deliver(router.route({"method": "future/other", "params": {"turn": {"id": "T"}}}))
    deliver(router.route({"method": "future/global", "params": {"x": 1}}))
    assert methods(sink) == ["future/thing", "future/other"]
    payload = sink.items[0].payload
    assert isinstance(payload, UnknownNotification)
    assert payload.params == {"turnId": "T", "x": 1}
    assert methods(router.global_sink) == ["future/global"]  # type: ignore[arg-type]


def test_notification_with_non_dict_params_is_kept(router: MessageRouter) -> None:
    deliver(router.route({"method": "odd", "params": [1, 2]}))
    note = router.global_sink.items[0]  # type: ignore[attr-defined]
    assert isinstance(note, Notification)
    assert note.params == {"value": [1, 2]}


# -- turn claims (turn/start) -----------------------------------------------------------------


def test_turn_start_response_claims_the_turn_atomically(router: MessageRouter) -> None:
    waiter, turn_sink = Sink("waiter"), Sink("turn")
    request_id = router.new_request("turn/start", {}, waiter, turn_sink=turn_sink)["id"]
    router.route(delta("T", "raced-ahead"))  # arrives before the response
    deliver(
        router.route({"id": request_id, "result": {"turn": {"id": "T", "status": "inProgress"}}})
    )
    deliver(router.route(delta("T", "after")))
    assert waiter.items[0]["turn"]["id"] == "T"
    assert [n.params["delta"] for n in turn_sink.items] == ["raced-ahead", "after"]


def test_turn_completed_before_turn_start_response_is_not_lost(router: MessageRouter) -> None:
    waiter, turn_sink = Sink("waiter"), Sink("turn")
    request_id = router.new_request("turn/start", {}, waiter, turn_sink=turn_sink)["id"]
    router.route(delta("T"))
    assert router.route(completed("T")) == []  # held: a claim is in flight
    deliver(router.route({"id": request_id, "result": {"turn": {"id": "T"}}}))
    assert methods(turn_sink) == ["item/agentMessage/delta", "turn/completed"]
    assert router.subscribed_turns == 0
    assert router.buffered_turns == 0


@pytest.mark.parametrize(
    "reply",
    [{"result": {"turn": {"id": "MINE"}}}, {"error": {"code": -32602, "message": "bad"}}],
    ids=["claimed-turn-is-another", "failed-turn-start-releases-the-claim"],
)
def test_held_buffers_are_freed_when_no_claim_is_in_flight(
    router: MessageRouter, reply: dict[str, Any]
) -> None:
    waiter = Sink()
    request_id = router.new_request("turn/start", {}, waiter, turn_sink=Sink())["id"]
    router.route(delta("OTHER"))
    router.route(completed("OTHER"))
    assert router.buffered_turns == 1
    deliver(router.route({"id": request_id, **reply}))
    assert router.buffered_turns == 0


# -- server requests and failure --------------------------------------------------------------


def test_server_request_goes_to_the_dispatcher(router: MessageRouter) -> None:
    message = {
        "id": 7,
        "method": "item/commandExecution/requestApproval",
        "params": {"threadId": "t", "turnId": "T", "command": "ls"},
    }
    deliver(router.route(message))
    request = router.server_request_sink.items[0]  # type: ignore[attr-defined]
    assert isinstance(request, ServerRequest)
    assert (request.id, request.turn_id, request.thread_id) == (7, "T", "t")


def test_fail_all_wakes_every_waiter_and_stream(router: MessageRouter) -> None:
    waiters = [Sink(f"w{i}") for i in range(3)]
    for w in waiters:
        router.new_request("m", {}, w)
    turn = Sink("turn")
    router.subscribe_turn("T", turn)
    router.route(delta("BUFFERED"))
    error = TransportClosedError("gone", exit_code=3, stderr_tail=["boom"])
    deliver(router.fail_all(error))
    for sink in [*waiters, turn, router.global_sink]:
        assert sink.items[-1] is error  # type: ignore[attr-defined]
    assert router.pending_count == 0
    assert router.subscribed_turns == 0
    assert router.buffered_turns == 0
