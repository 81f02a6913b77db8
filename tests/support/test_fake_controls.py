"""The fake app-server's start-up scenarios and `fake/*` controls, over raw pipes."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

import pytest

from .fake_pipes import Fake, wait_until
from .fake_server.wire import (
    EXIT_ON_INITIALIZE_CODE,
    EXIT_ON_INITIALIZE_STDERR,
    EXIT_ON_START_CODE,
    EXIT_ON_START_STDERR,
    GARBAGE_ON_START,
    INITIALIZE_RESULT,
    SCENARIO_ENV,
    STDERR_FLOOD_BYTES,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process semantics")

# -- start-up scenarios --------------------------------------------------------


def test_garbage_on_start(start: Callable[..., Fake]) -> None:
    fake = start("garbage-on-start")
    lines = [fake.read_line().decode().rstrip("\n") for _ in GARBAGE_ON_START]
    assert lines == list(GARBAGE_ON_START)
    assert fake.initialize() == INITIALIZE_RESULT


def test_exit_on_start(start: Callable[..., Fake]) -> None:
    fake = start("exit-on-start")
    assert fake.wait_exit() == EXIT_ON_START_CODE
    assert fake.stderr() == EXIT_ON_START_STDERR
    fake.assert_eof()


def test_exit_on_initialize(start: Callable[..., Fake]) -> None:
    fake = start("exit-on-initialize")
    fake.request("initialize", {})
    assert fake.wait_exit() == EXIT_ON_INITIALIZE_CODE
    assert fake.stderr() == EXIT_ON_INITIALIZE_STDERR
    fake.assert_eof()


def test_error_on_initialize(start: Callable[..., Fake]) -> None:
    fake = start("error-on-initialize")
    assert fake.call_error("initialize", {})["code"] == -32603


def test_never_answer_initialize(start: Callable[..., Fake]) -> None:
    fake = start("never-answer-initialize")
    fake.request("initialize", {})
    echo = fake.request("fake/echo", {"n": 1})
    response, before = fake.response(echo)
    assert before == []
    assert response["result"] == {"n": 1}
    assert fake.call("fake/state")["initialized"] is False


def test_stderr_flood(start: Callable[..., Fake]) -> None:
    fake = start("stderr-flood")
    fake.initialize()
    fake.close_stdin()
    assert fake.wait_exit() == 0
    assert len(fake.stderr()) >= STDERR_FLOOD_BYTES


def test_scenarios_from_env_and_ignored_codex_args(start: Callable[..., Fake]) -> None:
    fake = start(
        extra_args=("app-server", "--listen", "stdio://"),
        env={SCENARIO_ENV: "jsonrpc-field"},
    )
    response, _ = fake.response(fake.request("initialize", {}))
    assert response["jsonrpc"] == "2.0"
    assert response["result"] == INITIALIZE_RESULT


def test_unknown_scenario_is_rejected(start: Callable[..., Fake]) -> None:
    fake = start("no-such-scenario")
    assert fake.wait_exit() == 2
    assert "unknown scenario" in fake.stderr()


# -- fake/* controls -----------------------------------------------------------


def test_fake_exit(fake: Fake) -> None:
    fake.request("fake/exit", {"code": 7, "stderr": "fatal: boom\n"})
    assert fake.wait_exit() == 7
    assert fake.stderr().endswith("fatal: boom\n")
    fake.assert_eof()


def test_fake_exit_with_delay_keeps_serving(fake: Fake) -> None:
    fake.request("fake/exit", {"code": 5, "delayMs": 100})
    assert fake.call("fake/echo", {"x": 1}) == {"x": 1}
    assert fake.wait_exit() == 5


def test_fake_hang(fake: Fake) -> None:
    fake.request("fake/hang")
    response, before = fake.response(fake.request("fake/echo", {"ok": 1}))
    assert before == []
    assert response["result"] == {"ok": 1}


def test_fake_stall_and_unstall(fake: Fake) -> None:
    fake.request("fake/stall")
    echo = fake.request("fake/echo", {"buffered": True})
    fake.assert_quiet()
    unstall = fake.request("fake/unstall")
    assert fake.read() == {"id": echo, "result": {"buffered": True}}
    assert fake.read() == {"id": unstall, "result": {}}


def test_fake_garbage(fake: Fake) -> None:
    lines = ["not json", '{"id": 999999, "result": {}}', "[1,2]"]
    raw = base64.b64encode(b"\xff\xfe invalid utf-8\n").decode()
    req_id = fake.request("fake/garbage", {"lines": lines, "rawBase64": raw})
    assert [fake.read_line() for _ in lines] == [line.encode() + b"\n" for line in lines]
    assert fake.read_line() == b"\xff\xfe invalid utf-8\n"
    assert fake.read() == {"id": req_id, "result": {}}


def test_fake_notify(fake: Fake) -> None:
    req_id = fake.request("fake/notify", {"method": "x/y", "params": {"a": 1}, "count": 3})
    response, before = fake.response(req_id)
    assert response["result"] == {}
    assert [(m["method"], m["params"]) for m in before] == [("x/y", {"a": 1})] * 3


def test_fake_flood(fake: Fake) -> None:
    count = 5000
    params = {"threadId": "thr_1", "turnId": "turn_1", "count": count}
    response, before = fake.response(fake.request("fake/flood", params))
    assert response["result"] == {"sent": count}
    assert len(before) == count
    assert {m["method"] for m in before} == {"item/agentMessage/delta"}
    assert before[0]["params"]["turnId"] == "turn_1"


def test_fake_bigline(fake: Fake) -> None:
    size = 2_000_000
    req_id = fake.request("fake/bigline", {"bytes": size})
    line = fake.read_line()
    assert len(line) == size + 1
    assert json.loads(line)["method"] == "fake/bigline"
    assert fake.read() == {"id": req_id, "result": {}}


@pytest.mark.parametrize(
    "reply",
    [{"result": {"answers": {"q": "yes"}}}, {"error": {"code": -32601, "message": "nope"}}],
)
def test_fake_server_request_round_trip(fake: Fake, reply: dict[str, Any]) -> None:
    params = {"method": "item/tool/requestUserInput", "params": {"q": 1}}
    req_id = fake.request("fake/serverRequest", params)
    request = fake.read()
    assert request["method"] == "item/tool/requestUserInput"
    assert request["params"] == {"q": 1}
    assert isinstance(request["id"], int)
    fake.send({"id": request["id"], **reply})
    assert fake.read() == {"id": req_id, "result": {"response": reply}}


def test_fake_sigstop(fake: Fake) -> None:
    assert fake.call("fake/sigstop") == {}

    def stopped() -> bool:
        pid, status = os.waitpid(fake.proc.pid, os.WUNTRACED | os.WNOHANG)
        return pid != 0 and os.WIFSTOPPED(status)

    wait_until(stopped)
    os.kill(fake.proc.pid, signal.SIGCONT)
    assert fake.call("fake/echo", {"thawed": True}) == {"thawed": True}


def test_fake_spawn_child_in_same_process_group(start: Callable[..., Fake]) -> None:
    fake = start(new_session=True)
    fake.initialize()
    pid = fake.call("fake/spawnChild", {"inheritStdio": True})["pid"]
    try:
        os.kill(pid, 0)  # alive
        assert os.getpgid(pid) == os.getpgid(fake.proc.pid) == fake.proc.pid
        os.killpg(fake.proc.pid, signal.SIGKILL)
        # The child holds the fake's stdout and stderr, so EOF on both means it died too.
        fake.assert_eof()
        assert fake.wait_exit() == -signal.SIGKILL
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_fake_spawn_child_does_not_hold_pipes_by_default(fake: Fake) -> None:
    pid = fake.call("fake/spawnChild", {"seconds": 30})["pid"]
    try:
        fake.request("fake/exit", {"code": 0})
        fake.assert_eof()
        assert fake.wait_exit() == 0
        os.kill(pid, 0)  # the orphan lives on
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def test_fake_echo_error_and_delay(fake: Fake) -> None:
    assert fake.call("fake/echo", {"a": [1, 2]}) == {"a": [1, 2]}
    error = fake.call_error("fake/error", {"code": -32099, "message": "bad", "data": {"k": 1}})
    assert error == {"code": -32099, "message": "bad", "data": {"k": 1}}
    delayed = fake.request("fake/delay", {"ms": 300, "result": {"late": True}})
    echo = fake.request("fake/echo", {})
    assert fake.read()["id"] == echo  # the delayed answer doesn't block others
    assert fake.read() == {"id": delayed, "result": {"late": True}}


def test_fake_reject_next(fake: Fake) -> None:
    assert fake.call("fake/rejectNext", {"count": 2}) == {}
    for _ in range(2):
        assert fake.call_error("thread/start", {})["code"] == -32001
    assert fake.start_thread().startswith("thr_")


def test_fake_stderr_and_received(fake: Fake) -> None:
    assert fake.call("fake/stderr", {"text": "hello stderr\n", "bytes": 1000}) == {}
    wait_until(lambda: "hello stderr" in fake.stderr() and len(fake.stderr()) >= 1000)
    received = fake.call("fake/received", {"method": "initialized"})["messages"]
    assert received == [{"method": "initialized"}]


def test_fake_close_stdout(fake: Fake) -> None:
    assert fake.call("fake/closeStdout") == {}
    fake.assert_eof()
    assert fake.proc.poll() is None
    fake.close_stdin()
    assert fake.wait_exit() == 0
