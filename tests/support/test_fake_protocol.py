"""The fake app-server's protocol methods, turns and process lifecycle, over raw pipes."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

from .fake_pipes import QUIET, Fake, is_completed, methods
from .fake_server.wire import CRASH_CODE, CRASH_STDERR, FAIL_MESSAGE, INITIALIZE_RESULT

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process semantics")

# -- protocol ------------------------------------------------------------------


def test_initialize_handshake(start: Callable[..., Fake]) -> None:
    fake = start()
    assert fake.call_error("thread/start", {}) == {"code": -32600, "message": "Not initialized"}
    assert fake.initialize() == INITIALIZE_RESULT
    assert fake.call_error("initialize", {})["message"] == "Already initialized"
    state = fake.call("fake/state")
    assert state["initialized"] is True
    assert state["clientInitialized"] is True
    assert state["pid"] == fake.proc.pid


def test_unknown_method_is_method_not_found(fake: Fake) -> None:
    assert fake.call_error("no/such/method", {})["code"] == -32601


def test_unparsable_input_is_ignored(fake: Fake) -> None:
    assert fake.proc.stdin is not None
    fake.proc.stdin.write(b"not json\n[1,2]\n\n")
    fake.proc.stdin.flush()
    assert fake.call("fake/echo", {"still": "alive"}) == {"still": "alive"}


def test_turn_streams_deltas_and_completes(fake: Fake) -> None:
    thread_id = fake.start_thread()
    text = "hello fake world DELTAS:5"
    turn_id = fake.start_turn(thread_id, text)
    messages = fake.read_until(is_completed(turn_id))
    assert methods(messages) == [
        "turn/started",
        "item/started",
        *["item/agentMessage/delta"] * 5,
        "item/completed",
        "thread/tokenUsage/updated",
        "turn/completed",
    ]
    for message in messages:
        assert message["params"].get("threadId") == thread_id
    deltas = [m["params"]["delta"] for m in messages[2:7]]
    assert all(deltas)
    assert "".join(deltas) == text
    item = messages[7]["params"]["item"]
    assert item["type"] == "agentMessage"
    assert item["text"] == text
    assert messages[-1]["params"]["turn"] == {
        "id": turn_id,
        "status": "completed",
        "items": [],
        "error": None,
    }
    read = fake.call("thread/read", {"threadId": thread_id, "includeTurns": True})
    assert read["thread"]["turns"][0]["items"] == [item]


def test_default_turn_has_three_deltas_padded_when_short(fake: Fake) -> None:
    thread_id = fake.start_thread()
    turn_id = fake.start_turn(thread_id, "hi")
    messages = fake.read_until(is_completed(turn_id))
    deltas = [m["params"]["delta"] for m in messages if m["method"] == "item/agentMessage/delta"]
    assert deltas == ["h", "i", "."]


def test_interrupt_silent_turn(fake: Fake) -> None:
    thread_id = fake.start_thread()
    turn_id = fake.start_turn(thread_id, "SILENT")
    assert fake.read()["method"] == "turn/started"
    fake.assert_quiet()
    assert fake.call("turn/steer", {"threadId": thread_id, "expectedTurnId": turn_id}) == {
        "turnId": turn_id
    }
    req_id = fake.request("turn/interrupt", {"threadId": thread_id, "turnId": turn_id})
    response, before = fake.response(req_id)
    assert before == []
    assert response["result"] == {}
    completed = fake.read()
    assert completed["method"] == "turn/completed"
    assert completed["params"]["turn"]["status"] == "interrupted"
    # Interrupting again is harmless; steering needs an active turn.
    assert fake.call("turn/interrupt", {"threadId": thread_id, "turnId": turn_id}) == {}
    assert fake.call_error("turn/steer", {"threadId": thread_id})["code"] == -32600


def test_interrupt_mid_stream_stops_deltas(fake: Fake) -> None:
    thread_id = fake.start_thread()
    turn_id = fake.start_turn(thread_id, "DELTAS:1000 DELAY_MS:5")
    fake.read_until(lambda m: m.get("method") == "item/agentMessage/delta")
    interrupt = fake.request("turn/interrupt", {"threadId": thread_id, "turnId": turn_id})
    echo = fake.request("fake/echo", {})
    messages = fake.read_until(lambda m: m.get("id") == echo)
    tail = methods(messages)
    done = tail.index("turn/completed")
    assert messages[done - 1]["id"] == interrupt
    assert messages[done]["params"]["turn"]["status"] == "interrupted"
    assert "item/agentMessage/delta" not in tail[done:]


def test_never_complete_turn(fake: Fake) -> None:
    thread_id = fake.start_thread()
    turn_id = fake.start_turn(thread_id, "NEVER_COMPLETE")
    fake.read_until(lambda m: m.get("method") == "thread/tokenUsage/updated")
    assert fake.call("fake/state")["activeTurns"] == [turn_id]


def test_failed_turn(fake: Fake) -> None:
    thread_id = fake.start_thread()
    turn_id = fake.start_turn(thread_id, "please FAIL")
    messages = fake.read_until(is_completed(turn_id))
    assert methods(messages) == ["turn/started", "error", "turn/completed"]
    assert messages[1]["params"]["error"]["message"] == FAIL_MESSAGE
    assert messages[2]["params"]["turn"]["status"] == "failed"
    assert messages[2]["params"]["turn"]["error"]["message"] == FAIL_MESSAGE


@pytest.mark.parametrize(
    ("decision", "text"),
    [("accept", "approved"), ("acceptForSession", "approved"), ("decline", "declined")],
)
def test_approval_turn(fake: Fake, decision: str, text: str) -> None:
    thread_id = fake.start_thread()
    turn_id = fake.start_turn(thread_id, "APPROVAL")
    assert fake.read()["method"] == "turn/started"
    request = fake.read()
    assert request["method"] == "item/commandExecution/requestApproval"
    assert request["params"]["threadId"] == thread_id
    assert request["params"]["turnId"] == turn_id
    assert "accept" in request["params"]["availableDecisions"]
    fake.send({"id": request["id"], "result": {"decision": decision}})
    messages = fake.read_until(is_completed(turn_id))
    assert messages[0]["method"] == "serverRequest/resolved"
    assert messages[0]["params"]["requestId"] == request["id"]
    completed = [m for m in messages if m["method"] == "item/completed"]
    assert completed[0]["params"]["item"]["text"] == text


def test_crash_mid_turn(fake: Fake) -> None:
    thread_id = fake.start_thread()
    fake.start_turn(thread_id, "CRASH")
    fake.read_until(lambda m: m.get("method") == "item/agentMessage/delta")
    assert fake.wait_exit() == CRASH_CODE
    assert CRASH_STDERR in fake.stderr()


def test_early_turn_events(start: Callable[..., Fake]) -> None:
    fake = start("early-turn-events")
    fake.initialize()
    thread_id = fake.start_thread()
    params = {"threadId": thread_id, "input": [{"type": "text", "text": "x"}]}
    response, before = fake.response(fake.request("turn/start", params))
    assert methods(before) == ["turn/started"]
    turn_id = response["result"]["turn"]["id"]
    assert methods(fake.read_until(is_completed(turn_id)))[0] == "item/started"


def test_resume_adopts_unknown_thread(fake: Fake) -> None:
    result = fake.call("thread/resume", {"threadId": "thr_from_before"})
    assert result["thread"]["id"] == "thr_from_before"
    assert fake.call("thread/read", {"threadId": "thr_from_before"})["thread"]["turns"] == []
    assert fake.call_error("thread/read", {"threadId": "thr_nope"})["code"] == -32600


# -- process lifecycle ---------------------------------------------------------


def test_stdin_eof_exits_zero(fake: Fake) -> None:
    fake.close_stdin()
    assert fake.wait_exit() == 0


def test_sigterm_default(fake: Fake) -> None:
    fake.proc.terminate()
    assert fake.wait_exit() == -signal.SIGTERM


def test_ignore_sigterm(start: Callable[..., Fake]) -> None:
    fake = start("ignore-sigterm")
    fake.initialize()
    fake.proc.terminate()
    assert fake.call("fake/echo", {"alive": True}) == {"alive": True}
    assert fake.proc.poll() is None
    fake.proc.kill()
    assert fake.wait_exit() == -signal.SIGKILL


def test_ignore_eof(start: Callable[..., Fake]) -> None:
    fake = start("ignore-eof")
    fake.initialize()
    fake.close_stdin()
    with pytest.raises(subprocess.TimeoutExpired):
        fake.proc.wait(QUIET)
    fake.proc.terminate()
    assert fake.wait_exit() == -signal.SIGTERM
