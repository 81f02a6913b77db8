"""Tests for the fake app-server itself, driven over raw pipes (not through the SDK)."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .fake_app_server import (
    CRASH_CODE,
    CRASH_STDERR,
    EXIT_ON_INITIALIZE_CODE,
    EXIT_ON_INITIALIZE_STDERR,
    EXIT_ON_START_CODE,
    EXIT_ON_START_STDERR,
    FAIL_MESSAGE,
    GARBAGE_ON_START,
    INITIALIZE_RESULT,
    SCENARIO_ENV,
    STDERR_FLOOD_BYTES,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process semantics")

SCRIPT = Path(__file__).with_name("fake_app_server.py")
TIMEOUT = 10.0
QUIET = 0.2  # only for asserting that nothing arrives


def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.005)


class Fake:
    """One fake app-server process with line-level access to its stdout."""

    def __init__(
        self,
        *scenarios: str,
        extra_args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        new_session: bool = False,
    ) -> None:
        args = [sys.executable, str(SCRIPT), *(f"--scenario={s}" for s in scenarios)]
        self.proc = subprocess.Popen(
            [*args, *extra_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {})},
            start_new_session=new_session,
        )
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._stderr = bytearray()
        self._stderr_lock = threading.Lock()
        self._stderr_done = threading.Event()
        self._next_id = 1
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in iter(self.proc.stdout.readline, b""):
            self._lines.put(line)
        self._lines.put(b"")  # EOF marker

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for chunk in iter(lambda: self.proc.stderr.read1(65536), b""):  # type: ignore[union-attr]
            with self._stderr_lock:
                self._stderr += chunk
        self._stderr_done.set()

    # -- writing ---------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(self, method: str, params: Any = None) -> int:
        req_id = self._next_id
        self._next_id += 1
        message: dict[str, Any] = {"id": req_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return req_id

    def close_stdin(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()

    # -- reading ---------------------------------------------------------------

    def read_line(self, timeout: float = TIMEOUT) -> bytes:
        """The next raw stdout line; b"" means EOF."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no stdout line within {timeout}s") from None

    def read(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        line = self.read_line(timeout)
        assert line, "unexpected EOF on stdout"
        message = json.loads(line)
        assert isinstance(message, dict)
        return message

    def read_until(self, match: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Messages up to and including the first one that matches."""
        messages = []
        while True:
            message = self.read()
            messages.append(message)
            if match(message):
                return messages

    def response(self, req_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """(the response to req_id, the messages that came before it)."""
        *before, response = self.read_until(lambda m: m.get("id") == req_id and "method" not in m)
        return response, before

    def call(self, method: str, params: Any = None) -> Any:
        response, _ = self.response(self.request(method, params))
        assert "error" not in response, response
        return response["result"]

    def call_error(self, method: str, params: Any = None) -> dict[str, Any]:
        response, _ = self.response(self.request(method, params))
        assert "error" in response, response
        return response["error"]

    def assert_quiet(self, timeout: float = QUIET) -> None:
        with pytest.raises(queue.Empty):
            line = self._lines.get(timeout=timeout)
            pytest.fail(f"unexpected output: {line[:200]!r}")

    def assert_eof(self) -> None:
        assert self.read_line() == b""

    def stderr(self) -> str:
        with self._stderr_lock:
            return self._stderr.decode(errors="replace")

    def wait_exit(self, timeout: float = TIMEOUT) -> int:
        code = self.proc.wait(timeout)
        assert self._stderr_done.wait(timeout)
        return code

    # -- protocol helpers ------------------------------------------------------

    def initialize(self) -> dict[str, Any]:
        result = self.call("initialize", {"clientInfo": {"name": "test", "version": "0"}})
        self.send({"method": "initialized"})
        return result

    def start_thread(self) -> str:
        response, before = self.response(self.request("thread/start", {}))
        thread_id = response["result"]["thread"]["id"]
        assert before == []
        started = self.read()
        assert started["method"] == "thread/started"
        assert started["params"]["thread"]["id"] == thread_id
        return thread_id

    def start_turn(self, thread_id: str, text: str) -> str:
        params = {"threadId": thread_id, "input": [{"type": "text", "text": text}]}
        result = self.call("turn/start", params)
        assert result["turn"]["status"] == "inProgress"
        return result["turn"]["id"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(TIMEOUT)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def is_completed(turn_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda m: m.get("method") == "turn/completed" and m["params"]["turn"]["id"] == turn_id


def methods(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("method", "<response>") for m in messages]


@pytest.fixture
def start() -> Iterator[Callable[..., Fake]]:
    fakes: list[Fake] = []

    def _start(*scenarios: str, **kwargs: Any) -> Fake:
        fake = Fake(*scenarios, **kwargs)
        fakes.append(fake)
        return fake

    yield _start
    for fake in fakes:
        fake.close()


@pytest.fixture
def fake(start: Callable[..., Fake]) -> Fake:
    fake = start()
    fake.initialize()
    return fake


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
