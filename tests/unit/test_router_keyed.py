"""Keyed subscriptions in the router: notifications routed by a key in their params."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from codex_app_server import AsyncCodex, Codex, LoginError, LoginTimeoutError, RequestTimeoutError
from codex_app_server._protocol.errors import TransportClosedError
from codex_app_server._protocol.notifications import Notification
from codex_app_server._protocol.router import MAX_RETAINED_KEYED, MessageRouter
from codex_app_server.testing import AsyncMockTransport, MockPeer, MockTransport, answer_initialize
from tests.support.mock_server import FAST
from tests.support.sinks import Sink, deliver

LOGIN = "account/login/completed"
OUTPUT = "command/exec/outputDelta"


def login_completed(login_id: str | None, success: bool = True) -> dict[str, Any]:
    return {"method": LOGIN, "params": {"loginId": login_id, "success": success, "error": None}}


def output(process_id: str, data: str = "aGk=") -> dict[str, Any]:
    return {
        "method": OUTPUT,
        "params": {
            "processId": process_id,
            "stream": "stdout",
            "deltaBase64": data,
            "capReached": False,
        },
    }


def turn_note(method: str, turn_id: str, thread_id: str = "thr") -> dict[str, Any]:
    if method in ("turn/started", "turn/completed"):
        params: dict[str, Any] = {"threadId": thread_id, "turn": {"id": turn_id, "items": []}}
    else:
        params = {"threadId": thread_id, "turnId": turn_id, "itemId": "i", "delta": "x"}
    return {"method": method, "params": params}


def test_keyed_notification_goes_to_its_subscriber(
    router: MessageRouter, global_sink: Sink
) -> None:
    a, b = Sink("a"), Sink("b")
    assert router.subscribe_key(OUTPUT, ("processId",), "p1", a) == []
    router.subscribe_key(OUTPUT, ("processId",), "p2", b)
    deliver(router.route(output("p2", "Yg==")))
    deliver(router.route(output("p1", "YQ==")))
    deliver(router.route(output("p3")))
    assert [n.params["deltaBase64"] for n in a.items] == ["YQ=="]
    assert [n.params["deltaBase64"] for n in b.items] == ["Yg=="]
    assert [n.params["processId"] for n in global_sink.items] == ["p3"]
    assert router.keyed_subscriptions == 2


def test_unsubscribed_key_goes_to_the_global_sink(router: MessageRouter, global_sink: Sink) -> None:
    a = Sink("a")
    router.subscribe_key(OUTPUT, ("processId",), "p1", a)
    assert router.unsubscribe_key(OUTPUT, ("processId",), "p1") is True
    assert router.unsubscribe_key(OUTPUT, ("processId",), "p1") is False
    deliver(router.route(output("p1")))
    assert a.items == []
    assert len(global_sink.items) == 1
    assert router.keyed_subscriptions == 0


def test_once_ends_after_one_delivery(router: MessageRouter, global_sink: Sink) -> None:
    a = Sink("a")
    router.subscribe_key(LOGIN, ("loginId",), "L1", a, once=True)
    deliver(router.route(login_completed("L1")))
    deliver(router.route(login_completed("L1")))
    assert len(a.items) == 1
    assert len(global_sink.items) == 1
    assert router.keyed_subscriptions == 0


def test_missing_or_null_key_is_not_matched(router: MessageRouter, global_sink: Sink) -> None:
    a = Sink("a")
    router.subscribe_key(LOGIN, ("loginId",), "L1", a)
    deliver(router.route(login_completed(None)))
    deliver(router.route({"method": LOGIN, "params": {"success": True}}))
    assert a.items == []
    assert len(global_sink.items) == 2


def test_nested_key_path(router: MessageRouter) -> None:
    a = Sink("a")
    router.subscribe_key("x/changed", ("target", "id"), "T", a)
    deliver(router.route({"method": "x/changed", "params": {"target": {"id": "T"}}}))
    deliver(router.route({"method": "x/changed", "params": {"target": "T"}}))
    assert len(a.items) == 1


def test_keyed_subscription_wins_over_turn_routing(router: MessageRouter) -> None:
    turn_sink, keyed = Sink("turn"), Sink("keyed")
    router.subscribe_turn("t1", turn_sink)
    router.subscribe_key("item/agentMessage/delta", ("itemId",), "i", keyed)
    deliver(router.route(turn_note("item/agentMessage/delta", "t1")))
    assert len(keyed.items) == 1
    assert turn_sink.items == []


def test_retained_notification_is_replayed_to_a_late_subscriber(
    router: MessageRouter, global_sink: Sink
) -> None:
    router.retain_key(LOGIN, ("loginId",))
    deliver(router.route(login_completed("L1", success=False)))
    # Unclaimed: it went to the global sink as well.
    assert len(global_sink.items) == 1
    assert router.retained_count == 1
    a = Sink("a")
    replay = router.subscribe_key(LOGIN, ("loginId",), "L1", a, once=True)
    assert [n.params["success"] for n in replay] == [False]
    assert router.retained_count == 0
    # once + a replayed match: nothing stays subscribed
    assert router.keyed_subscriptions == 0


def test_retention_keeps_only_keyed_notifications_of_retained_methods(
    router: MessageRouter,
) -> None:
    router.retain_key(LOGIN, ("loginId",))
    deliver(router.route(login_completed(None)))  # API-key login: no login id
    deliver(router.route(output("p1")))  # not retained
    assert router.retained_count == 0


def test_retention_is_bounded(router: MessageRouter) -> None:
    router.retain_key(OUTPUT, ("processId",))
    for i in range(MAX_RETAINED_KEYED + 10):
        deliver(router.route(output(f"p{i}")))
    assert router.retained_count == MAX_RETAINED_KEYED
    assert router.subscribe_key(OUTPUT, ("processId",), "p0", Sink()) == []
    assert len(router.subscribe_key(OUTPUT, ("processId",), "p10", Sink())) == 1


def test_retained_replay_without_once_keeps_the_subscription(router: MessageRouter) -> None:
    router.retain_key(OUTPUT, ("processId",))
    deliver(router.route(output("p1", "YQ==")))
    deliver(router.route(output("p1", "Yg==")))
    a = Sink("a")
    replay = router.subscribe_key(OUTPUT, ("processId",), "p1", a)
    assert [n.params["deltaBase64"] for n in replay] == ["YQ==", "Yg=="]
    deliver(router.route(output("p1", "Yw==")))
    assert [n.params["deltaBase64"] for n in a.items] == ["Yw=="]


def test_a_tee_observes_without_taking(router: MessageRouter, global_sink: Sink) -> None:
    owner, observer = Sink("owner"), Sink("observer")
    router.subscribe_turn("t1", owner)
    router.subscribe_key("item/agentMessage/delta", ("threadId",), "thr", observer, tee=True)
    deliver(router.route(turn_note("item/agentMessage/delta", "t1")))
    assert len(owner.items) == 1 and len(observer.items) == 1
    # Unrouted turns still buffer what a tee observed; no-turn notifications still go global.
    deliver(router.route(turn_note("item/agentMessage/delta", "t2")))
    assert len(observer.items) == 2 and router.buffered_turns == 1
    router.subscribe_key("thread/status/changed", ("threadId",), "thr", observer, tee=True)
    deliver(router.route({"method": "thread/status/changed", "params": {"threadId": "thr"}}))
    assert len(observer.items) == 3 and len(global_sink.items) == 1


def test_a_tee_once_ends_after_one_delivery(router: MessageRouter, global_sink: Sink) -> None:
    observer = Sink("observer")
    router.subscribe_key(LOGIN, ("loginId",), "L1", observer, once=True, tee=True)
    deliver(router.route(login_completed("L1")))
    deliver(router.route(login_completed("L1")))
    assert len(observer.items) == 1
    assert len(global_sink.items) == 2
    assert router.keyed_subscriptions == 0


def test_a_key_has_one_subscriber(router: MessageRouter) -> None:
    router.subscribe_key(OUTPUT, ("processId",), "p1", Sink())
    with pytest.raises(ValueError, match="already has a subscriber"):
        router.subscribe_key(OUTPUT, ("processId",), "p1", Sink(), tee=True)
    router.subscribe_key(OUTPUT, ("processId",), "p2", Sink())  # another key is fine
    router.unsubscribe_key(OUTPUT, ("processId",), "p1")
    router.subscribe_key(OUTPUT, ("processId",), "p1", Sink())


def test_fail_all_wakes_keyed_subscribers(router: MessageRouter, global_sink: Sink) -> None:
    a, b = Sink("a"), Sink("b")
    router.retain_key(LOGIN, ("loginId",))
    router.subscribe_key(OUTPUT, ("processId",), "p1", a)
    router.subscribe_key(LOGIN, ("loginId",), "L1", b, once=True)
    deliver(router.route(login_completed("L2")))
    error = TransportClosedError("gone")
    deliver(router.fail_all(error))
    assert a.items == [error]
    assert b.items == [error]
    assert router.keyed_subscriptions == 0
    assert router.retained_count == 0


def test_notifications_are_still_notifications(router: MessageRouter) -> None:
    a = Sink("a")
    router.subscribe_key(OUTPUT, ("processId",), "p1", a)
    deliver(router.route(output("p1")))
    (note,) = a.items
    assert isinstance(note, Notification)
    assert note.payload.process_id == "p1"  # type: ignore[union-attr]


# -- through the clients, on the mock transport -------------------------------------------------


def login_server(completion_success: bool) -> Any:
    """Answers `account/login/start` and sends the completion right behind the response."""

    def handle(message: dict[str, Any], peer: MockPeer) -> None:
        if answer_initialize(message, peer):
            return
        if message.get("method") == "account/login/start":
            login_id = f"L{message['id']}"
            result = {"type": "chatgpt", "loginId": login_id, "authUrl": "https://auth/x"}
            peer.send({"id": message["id"], "result": result})
            peer.send(login_completed(login_id, success=completion_success))

    return handle


@pytest.mark.parametrize("success", [True, False])
def test_a_login_completion_racing_its_response_reaches_the_handle(success: bool) -> None:
    with Codex(FAST, transport=MockTransport(login_server(success))) as codex:
        for _ in range(25):
            handle = codex.login_chatgpt()
            if success:
                assert handle.wait(timeout=5).login_id == handle.login_id
            else:
                with pytest.raises(LoginError) as info:
                    handle.wait(timeout=5)
                assert info.value.login_id == handle.login_id
        assert codex.client._router.keyed_subscriptions == 0


async def test_async_login_completion_racing_its_response_reaches_the_handle() -> None:
    async with AsyncCodex(FAST, transport=AsyncMockTransport(login_server(True))) as codex:
        for _ in range(25):
            handle = await codex.login_chatgpt()
            assert (await handle.wait(timeout=5)).success is True
        assert codex.client._router is not None
        assert codex.client._router.keyed_subscriptions == 0


def test_a_pending_login_times_out_and_can_be_waited_for_again() -> None:
    completions: list[str] = []

    def server(message: dict[str, Any], peer: MockPeer) -> None:
        if answer_initialize(message, peer):
            return
        if message.get("method") == "account/login/start":
            result = {"type": "chatgptDeviceCode", "loginId": "L1"}
            result.update({"verificationUrl": "https://v", "userCode": "ABCD"})
            peer.send({"id": message["id"], "result": result})
        elif message.get("method") == "account/login/cancel":
            peer.send({"id": message["id"], "result": {"status": "canceled"}})
            completions.append("L1")
            peer.send(login_completed("L1", success=False))

    with Codex(FAST, transport=MockTransport(server)) as codex:
        handle = codex.login_device_code()
        assert (handle.verification_url, handle.user_code, handle.auth_url) == (
            "https://v",
            "ABCD",
            None,
        )
        with pytest.raises(LoginTimeoutError):
            handle.wait(timeout=0.01)
        assert not handle.done
        assert handle.cancel().status.value == "canceled"
        with pytest.raises(LoginError):
            handle.wait(timeout=5)
        with pytest.raises(LoginError):  # settled: the same answer again, at once
            handle.wait(timeout=0)
        assert handle.done and completions == ["L1"]


def command_server(message: dict[str, Any], peer: MockPeer) -> None:
    """A streamed `command/exec`: three chunks, then the response."""
    if answer_initialize(message, peer):
        return
    if message.get("method") == "command/exec":
        process_id = message["params"]["processId"]
        for stream, data in [("stdout", b"one\n"), ("stderr", b"two\n"), ("stdout", b"3\n")]:
            params = {
                "processId": process_id,
                "stream": stream,
                "deltaBase64": base64.b64encode(data).decode(),
                "capReached": False,
            }
            peer.send({"method": OUTPUT, "params": params})
        peer.send({"id": message["id"], "result": {"exitCode": 0, "stdout": "", "stderr": ""}})


def test_command_output_is_routed_to_its_process() -> None:
    with Codex(FAST, transport=MockTransport(command_server)) as codex:
        process = codex.command_start(["anything"])
        assert [(c.stream, c.data) for c in process] == [
            ("stdout", b"one\n"),
            ("stderr", b"two\n"),
            ("stdout", b"3\n"),
        ]
        assert process.wait().exit_code == 0
        assert (process.stdout, process.stderr) == (b"one\n3\n", b"two\n")
        assert codex.client._router.keyed_subscriptions == 0


async def test_async_command_output_is_routed_to_its_process() -> None:
    async with AsyncCodex(FAST, transport=AsyncMockTransport(command_server)) as codex:
        process = await codex.command_start(["anything"])
        chunks = [c.data async for c in process]
        assert chunks == [b"one\n", b"two\n", b"3\n"]
        assert (await process.wait()).exit_code == 0


def test_a_dead_connection_ends_a_command_stream() -> None:
    def server(message: dict[str, Any], peer: MockPeer) -> None:
        if answer_initialize(message, peer):
            return
        if message.get("method") == "command/exec":
            peer.send(output(message["params"]["processId"]))
            peer.exit(1, ["boom"])

    with Codex(FAST, transport=MockTransport(server)) as codex:
        process = codex.command_start(["anything"])
        with pytest.raises(TransportClosedError):
            list(process)
        with pytest.raises(TransportClosedError):
            process.wait()
        assert process.stdout == b"hi"


SHELL_ITEM = {
    "type": "commandExecution",
    "id": "item-1",
    "command": "/bin/bash -lc ls",
    "cwd": "/tmp",
    "source": "userShell",
    "status": "completed",
    "commandActions": [],
    "aggregatedOutput": "listing\n",
    "exitCode": 0,
}


def shell_server(message: dict[str, Any], peer: MockPeer) -> None:
    """`thread/shellCommand`: `{}`, then a turn with an agent command and the shell one."""
    if answer_initialize(message, peer):
        return
    if message.get("method") == "thread/shellCommand":
        thread_id = message["params"]["threadId"]
        peer.send({"id": message["id"], "result": {}})
        peer.send(turn_note("turn/started", "shell-turn", thread_id=thread_id))
        for item in ({**SHELL_ITEM, "source": "agent", "id": "other"}, SHELL_ITEM):
            params = {"threadId": thread_id, "turnId": "shell-turn", "item": item}
            peer.send({"method": "item/completed", "params": params})
        peer.send(turn_note("turn/completed", "shell-turn", thread_id=thread_id))


def test_shell_command_returns_its_item() -> None:
    with Codex(FAST, transport=MockTransport(shell_server)) as codex:
        from codex_app_server import Thread

        item = Thread(codex.client, "thr").shell_command("ls")
        assert (item.id, item.aggregated_output, item.exit_code) == ("item-1", "listing\n", 0)
        assert codex.client._router.keyed_subscriptions == 0


async def test_async_shell_command_returns_its_item() -> None:
    async with AsyncCodex(FAST, transport=AsyncMockTransport(shell_server)) as codex:
        from codex_app_server import AsyncThread

        item = await AsyncThread(codex.client, "thr").shell_command("ls")
        assert item.id == "item-1"


def test_a_shell_command_wait_can_time_out() -> None:
    def server(message: dict[str, Any], peer: MockPeer) -> None:
        if not answer_initialize(message, peer) and "id" in message and "method" in message:
            peer.send({"id": message["id"], "result": {}})

    with Codex(FAST, transport=MockTransport(server)) as codex:
        from codex_app_server import Thread

        with pytest.raises(RequestTimeoutError):
            Thread(codex.client, "thr").shell_command("ls", timeout=0.05)
        assert codex.client._router.keyed_subscriptions == 0
