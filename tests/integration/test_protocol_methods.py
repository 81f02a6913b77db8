"""Every client method of the protocol, called through its typed wrapper on the real runtime.

One offline app-server (scripted model, a local stdio MCP server) serves the whole module.
Each test declares the methods it covers with `@covers(...)` (the call succeeds and its typed
result is checked) or `@fails_offline(...)` (the call fails the documented way, because the
method needs an account, a remote service or hardware this machine does not have). A
recorder on the client's `_typed_request` checks that every declared method really went
through its wrapper with that outcome, `test_every_method_is_covered` checks that the
declarations cover the whole schema, and `test_the_docs_table_matches` that
docs/protocol-coverage.md says the same.
"""

from __future__ import annotations

import base64
import functools
import json
import queue
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from codex_app_server import (
    AppServerClient,
    Codex,
    InternalRpcError,
    InvalidParamsError,
    InvalidRequestError,
    JsonRpcError,
    MethodNotFoundError,
    Notification,
    TurnHandle,
)
from codex_app_server.generated import v2_all
from codex_app_server.generated.protocol_registry import CLIENT_REQUESTS
from codex_app_server.testing import Reply, ScriptedModel

pytestmark = pytest.mark.integration

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol-coverage.md"
F = TypeVar("F", bound=Callable[..., Any])

#: method -> the test that verifies it offline
VERIFIED: dict[str, str] = {}
#: method -> the test that checks it is accepted offline, though its feature needs the network
ACCEPTED: dict[str, str] = {}
#: method -> (the error it fails with offline, why)
FAILS: dict[str, tuple[type[JsonRpcError], str]] = {}


def covers(*methods: str) -> Callable[[F], F]:
    """The test calls each method through its wrapper and checks the typed result."""
    return _declare(VERIFIED, "_covers", methods)


def accepted(*methods: str) -> Callable[[F], F]:
    """The runtime accepts the call offline; the feature behind it needs the network."""
    return _declare(ACCEPTED, "_accepted", methods)


def fails_offline(method: str, error: type[JsonRpcError], why: str) -> Callable[[F], F]:
    """The test checks that the method fails offline with `error`, for the reason given."""
    assert method not in FAILS, method
    FAILS[method] = (error, why)
    return _declare({}, "_fails", (method,))


def _declare(table: dict[str, str], attribute: str, methods: tuple[str, ...]) -> Callable[[F], F]:
    def mark(test: F) -> F:
        checked = _checked(test)
        for method in methods:
            assert method not in table, method
            table[method] = test.__name__
        setattr(checked, attribute, (*getattr(checked, attribute, ()), *methods))
        return checked

    return mark


def _checked(test: F) -> F:
    """Wrap a test so that, once it passed, its declared methods are checked against the
    calls that really went through the wrappers."""
    if getattr(test, "_checked", False):
        return test

    @functools.wraps(test)
    def run(**fixtures: Any) -> None:
        env: Env = fixtures["env"]
        env.calls.clear()
        env.model.reset()
        test(**fixtures)
        assert env.model.unexpected_requests == 0, "the model got a request nobody scripted"
        outcomes: dict[str, list[BaseException | None]] = {}
        for call in env.calls:
            outcomes.setdefault(call.method, []).append(call.error)
        for method in (*getattr(run, "_covers", ()), *getattr(run, "_accepted", ())):
            assert None in outcomes.get(method, []), f"{method} was not called successfully"
        for method in getattr(run, "_fails", ()):
            error_type, _ = FAILS[method]
            errors = outcomes.get(method, [])
            assert any(isinstance(e, error_type) for e in errors), f"{method} did not fail so"

    run._checked = True  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]


ECHO_MCP_SERVER = r"""
import json, sys

def reply(request_id, result=None, error=None):
    message = {"jsonrpc": "2.0", "id": request_id}
    message.update({"error": error} if error else {"result": result})
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()

for line in sys.stdin:
    message = json.loads(line)
    method, request_id = message.get("method"), message.get("id")
    params = message.get("params") or {}
    if request_id is None:
        continue
    if method == "initialize":
        reply(request_id, {
            "protocolVersion": params.get("protocolVersion", "2025-06-18"),
            "capabilities": {"tools": {}, "resources": {}},
            "serverInfo": {"name": "echo", "version": "1.0"},
        })
    elif method == "tools/list":
        reply(request_id, {"tools": [{
            "name": "echo",
            "description": "Echo the text back.",
            "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}},
        }]})
    elif method == "tools/call":
        text = (params.get("arguments") or {}).get("text")
        reply(request_id, {"content": [{"type": "text", "text": f"echo: {text}"}]})
    elif method == "resources/list":
        reply(request_id, {"resources": [{"uri": "memo://hello", "name": "hello"}]})
    elif method == "resources/templates/list":
        reply(request_id, {"resourceTemplates": []})
    elif method == "resources/read":
        reply(request_id, {"contents": [{"uri": params["uri"], "text": "hello resource"}]})
    elif method == "ping":
        reply(request_id, {})
    else:
        reply(request_id, error={"code": -32601, "message": f"no method {method}"})
"""


@dataclass
class Call:
    method: str
    error: BaseException | None


@dataclass
class Env:
    codex: Codex
    client: AppServerClient
    model: ScriptedModel
    workspace: Path
    base: Path
    thread_id: str  # a thread with two completed turns ("first", "second")
    turn_ids: list[str]  # its turns, oldest first
    calls: list[Call] = field(default_factory=list)

    def new_thread(self) -> str:
        return self.client.thread_start().thread.id

    def run_turn(self, thread_id: str, text: str, reply: str = "ok") -> str:
        self.model.enqueue(Reply.text(reply))
        turn = self.client.turn_start(thread_id=thread_id, input=[{"type": "text", "text": text}])
        for _ in self.client.stream_turn(turn.turn.id):
            pass
        return turn.turn.id

    def keyed(
        self, method: str, path: tuple[str, ...], value: str, *, tee: bool = False
    ) -> queue.SimpleQueue[Any]:
        """A queue that gets the notifications of `method` whose `path` is `value`."""
        sink: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.client.subscribe_keyed(method, path, value, sink, tee=tee)
        return sink


def record_calls(client: AppServerClient, calls: list[Call]) -> None:
    """Record every typed call of `client` (method, and the error if it raised)."""
    typed_request = client._typed_request

    def recording(method: str, *args: Any) -> Any:
        try:
            result = typed_request(method, *args)
        except BaseException as exc:
            calls.append(Call(method, exc))
            raise
        calls.append(Call(method, None))
        return result

    client._typed_request = recording  # type: ignore[method-assign]


@pytest.fixture(scope="module")
def model() -> Iterator[ScriptedModel]:
    with ScriptedModel() as scripted:
        yield scripted


@pytest.fixture(scope="module")
def env(model: ScriptedModel, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    base = tmp_path_factory.mktemp("protocol")
    server = base / "mcp_echo.py"
    server.write_text(ECHO_MCP_SERVER, encoding="utf-8")
    config = model.config(
        base,
        settings={
            "features.step_model_switching": True,
            "mcp_servers.echo.command": sys.executable,
            "mcp_servers.echo.args": [str(server)],
        },
    )
    with Codex(config) as codex:
        client = codex.client
        calls: list[Call] = []
        record_calls(client, calls)
        workspace = Path(str(config.cwd))
        env = Env(codex, client, model, workspace, base, "", [], calls)
        env.thread_id = env.new_thread()
        env.turn_ids = [
            env.run_turn(env.thread_id, "first", "first answer"),
            env.run_turn(env.thread_id, "second", "second answer"),
        ]
        env.calls.clear()
        yield env


def text_input(text: str) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text}]


def item_type(entry: Any) -> str:
    return str(getattr(entry, "root", entry).type)


# -- threads and turns ------------------------------------------------------------------------


@covers(
    "thread/start",
    "thread/read",
    "thread/list",
    "thread/loaded/list",
    "thread/name/set",
    "thread/fork",
    "thread/archive",
    "thread/unarchive",
    "thread/unsubscribe",
    "thread/resume",
    "thread/metadata/update",
    "thread/delete",
)
def test_thread_lifecycle(env: Env) -> None:
    client = env.client
    started = client.thread_start()
    assert isinstance(started, v2_all.ThreadStartResponse)
    thread_id = started.thread.id
    env.run_turn(thread_id, "hello", "hi there")
    client.thread_name_set(thread_id=thread_id, name="lifecycle")
    read = client.thread_read(thread_id=thread_id)
    assert read.thread.name == "lifecycle"
    assert thread_id in client.thread_loaded_list().data
    listed = client.thread_list(search_term="lifecycle")
    assert [t.id for t in listed.data] == [thread_id]
    updated = client.thread_metadata_update(thread_id=thread_id, git_info={"branch": "main"})
    assert updated.thread.git_info is not None and updated.thread.git_info.branch == "main"
    fork = client.thread_fork(thread_id=thread_id)
    assert fork.thread.id != thread_id and fork.thread.forked_from_id == thread_id
    assert client.thread_unsubscribe(thread_id=fork.thread.id).status.value == "unsubscribed"
    client.thread_delete(thread_id=fork.thread.id)  # a fork's history refers to its source
    client.thread_archive(thread_id=thread_id)
    assert thread_id in [t.id for t in client.thread_list(archived=True).data]
    assert client.thread_unarchive(thread_id=thread_id).thread.id == thread_id
    resumed = client.thread_resume(thread_id=thread_id)
    assert resumed.thread.id == thread_id
    client.thread_delete(thread_id=thread_id)
    assert thread_id not in [t.id for t in client.thread_list().data]


@covers("turn/start", "turn/steer", "turn/settings/update", "turn/interrupt")
def test_turn_control(env: Env) -> None:
    client, model = env.client, env.model
    thread_id = env.new_thread()
    model.enqueue(Reply.hang(), Reply.hang())
    turn = client.turn_start(thread_id=thread_id, input=text_input("wait"))
    assert isinstance(turn, v2_all.TurnStartResponse)
    model.wait_for_requests(1)
    steer = client.turn_steer(
        thread_id=thread_id, expected_turn_id=turn.turn.id, input=text_input("change")
    )
    assert steer.turn_id == turn.turn.id
    settings = client.turn_settings_update(thread_id=thread_id, turn_id=turn.turn.id, effort="low")
    assert settings.status.value == "applied"
    client.turn_interrupt(thread_id=thread_id, turn_id=turn.turn.id)
    last = None
    for note in client.stream_turn(turn.turn.id):
        last = note
    model.release()
    assert last is not None and last.params["turn"]["status"] == "interrupted"


@covers(
    "thread/turns/list",
    "thread/items/list",
    "thread/items/read",
    "thread/timeline/list",
    "thread/search",
    "thread/searchOccurrences",
)
def test_history_reads(env: Env) -> None:
    client = env.client
    turns = client.thread_turns_list(thread_id=env.thread_id, limit=1)
    assert [t.id for t in turns.data] == [env.turn_ids[-1]]  # newest first
    assert turns.next_cursor is not None
    rest = client.thread_turns_list(thread_id=env.thread_id, cursor=turns.next_cursor)
    assert [t.id for t in rest.data] == [env.turn_ids[0]]
    items = client.thread_items_list(thread_id=env.thread_id, turn_id=env.turn_ids[0])
    assert [item_type(e.item) for e in items.data] == ["userMessage", "agentMessage"]
    first_ids = [getattr(e.item, "root", e.item).id for e in items.data]
    read = client.thread_items_read(
        thread_id=env.thread_id, turn_id=env.turn_ids[0], item_ids=first_ids
    )
    assert len(read.data) == 2
    timeline = client.thread_timeline_list(thread_id=env.thread_id)
    entries = [getattr(entry, "root", entry) for entry in timeline.data]
    kinds = [entry.type for entry in entries]
    assert kinds[0] == "turnStarted" and "turnCompleted" in kinds
    assert entries[0].turn_id == env.turn_ids[0]  # sent camelCase, spelled snake_case
    found = client.thread_search(search_term="second answer")
    assert env.thread_id in [hit.thread.id for hit in found.data]
    occurrences = client.thread_search_occurrences(thread_id=env.thread_id, search_term="first")
    assert occurrences.data and occurrences.data[0].turn_id == env.turn_ids[0]


@covers("thread/revert")
def test_revert(env: Env) -> None:
    thread_id = env.new_thread()
    first = env.run_turn(thread_id, "one")
    second = env.run_turn(thread_id, "two")
    reverted = env.client.thread_revert(thread_id=thread_id, before_turn_id=second)
    assert reverted.thread.id == thread_id
    assert [t.id for t in env.client.thread_turns_list(thread_id=thread_id).data] == [first]


@covers("thread/compact/start")
def test_compaction_runs_as_a_turn(env: Env) -> None:
    thread_id = env.new_thread()
    env.run_turn(thread_id, "long history")
    env.model.enqueue(Reply.text("SUMMARY"))
    items: queue.SimpleQueue[Any] = queue.SimpleQueue()
    env.client.subscribe_keyed("item/completed", ("threadId",), thread_id, items, tee=True)
    assert isinstance(
        env.client.thread_compact_start(thread_id=thread_id), v2_all.ThreadCompactStartResponse
    )
    assert items.get(timeout=30).params["item"]["type"] == "contextCompaction"
    env.client.unsubscribe_keyed("item/completed", ("threadId",), thread_id)
    assert "COMPACTION" in (env.model.requests[-1].last_user_text or "")


@covers("thread/inject_items")
def test_inject_items(env: Env) -> None:
    thread_id = env.new_thread()
    env.run_turn(thread_id, "before")
    item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "FYI"}]}
    response = env.client.thread_inject_items(thread_id=thread_id, items=[item])
    assert isinstance(response, v2_all.ThreadInjectItemsResponse)
    env.run_turn(thread_id, "after")
    texts = json.dumps(env.model.requests[-1].input)
    assert "FYI" in texts  # the injected item reached the model's context


@covers("review/start")
def test_review(env: Env) -> None:
    thread_id = env.new_thread()
    env.model.enqueue(Reply.text("Looks good."))
    response = env.client.review_start(
        thread_id=thread_id, target={"type": "custom", "instructions": "check it"}
    )
    assert response.review_thread_id == thread_id
    turn = TurnHandle(env.client, thread_id, response.turn.id)
    assert turn.run().status.value == "completed"


@covers("thread/goal/set", "thread/goal/get", "thread/goal/clear")
def test_goals(env: Env) -> None:
    client = env.client
    thread_id = env.new_thread()
    assert client.thread_goal_get(thread_id=thread_id).goal is None
    paused = client.thread_goal_set(thread_id=thread_id, objective="ship it", status="paused")
    assert (paused.goal.objective, paused.goal.status.value) == ("ship it", "paused")
    # An active goal on an idle thread starts a continuation turn at once; let it fail.
    turns = env.keyed("turn/completed", ("threadId",), thread_id, tee=True)
    env.model.enqueue(Reply.error(500, "no continuation in this test"))
    active = client.thread_goal_set(thread_id=thread_id, status="active").goal
    assert active.status.value == "active"
    assert turns.get(timeout=30).params["turn"]["status"] == "failed"
    client.unsubscribe_keyed("turn/completed", ("threadId",), thread_id)
    got = client.thread_goal_get(thread_id=thread_id).goal
    assert got is not None and got.objective == "ship it"
    assert client.thread_goal_clear(thread_id=thread_id).cleared is True
    assert client.thread_goal_get(thread_id=thread_id).goal is None


@covers("thread/shellCommand")
def test_shell_command(env: Env) -> None:
    thread_id = env.new_thread()
    items: queue.SimpleQueue[Any] = queue.SimpleQueue()
    env.client.subscribe_keyed("item/completed", ("threadId",), thread_id, items, tee=True)
    response = env.client.thread_shell_command(thread_id=thread_id, command="echo shell-out")
    assert isinstance(response, v2_all.ThreadShellCommandResponse)
    item = items.get(timeout=30).params["item"]
    env.client.unsubscribe_keyed("item/completed", ("threadId",), thread_id)
    assert (item["type"], item["source"]) == ("commandExecution", "userShell")
    assert item["aggregatedOutput"] == "shell-out\n" and item["exitCode"] == 0


@covers(
    "thread/queue/add",
    "thread/queue/list",
    "thread/queue/update",
    "thread/queue/reorder",
    "thread/queue/delete",
    "thread/queue/start",
)
def test_queue(env: Env) -> None:
    client, model = env.client, env.model
    thread_id = env.new_thread()
    model.enqueue(Reply.hang())
    busy = client.turn_start(thread_id=thread_id, input=text_input("busy"))
    model.wait_for_requests(1)
    one = client.thread_queue_add(
        thread_id=thread_id, client_user_message_id="m1", input=text_input("one")
    ).queued_submission
    two = client.thread_queue_add(
        thread_id=thread_id, client_user_message_id="m2", input=text_input("two")
    ).queued_submission
    assert [q.id for q in client.thread_queue_list(thread_id=thread_id).data] == [one.id, two.id]
    updated = client.thread_queue_update(
        thread_id=thread_id, queued_submission_id=one.id, input=text_input("one, edited")
    ).queued_submission
    assert getattr(updated.input[0], "root", updated.input[0]).text == "one, edited"
    client.thread_queue_reorder(thread_id=thread_id, queued_submission_ids=[two.id, one.id])
    assert [q.id for q in client.thread_queue_list(thread_id=thread_id).data] == [two.id, one.id]
    assert client.thread_queue_delete(thread_id=thread_id, queued_submission_id=two.id).deleted
    client.turn_interrupt(thread_id=thread_id, turn_id=busy.turn.id)
    for _ in client.stream_turn(busy.turn.id):
        pass
    model.release()
    # An interrupted turn leaves the queue alone; queue/start runs a submission as a turn.
    assert [q.id for q in client.thread_queue_list(thread_id=thread_id).data] == [one.id]
    model.enqueue(Reply.text("queued answer"))
    started = client.thread_queue_start(thread_id=thread_id, queued_submission_id=one.id)
    handle = TurnHandle(client, thread_id, started.turn.id)  # claimed like turn/start
    assert handle.run().status.value == "completed"
    assert handle.collector.final_response() == "queued answer"
    assert model.requests[-1].last_user_text == "one, edited"


@covers(
    "thread/attachment/add",
    "thread/attachment/list",
    "thread/attachment/remove",
    "thread/attachmentOwner/list",
)
def test_attachments(env: Env) -> None:
    client, thread_id = env.client, env.thread_id
    added = client.thread_attachment_add(
        thread_id=thread_id, attachment_type="note", identity_key="k1", payload={"a": 1}
    )
    assert added.outcome.value == "created" and added.attachment.payload == {"a": 1}
    listed = client.thread_attachment_list(thread_id=thread_id)
    assert [a.identity_key for a in listed.data] == ["k1"]
    owners = client.thread_attachment_owner_list(attachment_type="note", identity_key="k1")
    assert isinstance(owners, v2_all.ThreadAttachmentOwnerListResponse)
    client.thread_attachment_remove(thread_id=thread_id, attachment_type="note", identity_key="k1")
    assert client.thread_attachment_list(thread_id=thread_id).data == []


@covers(
    "threadSection/create",
    "threadSection/list",
    "threadSection/update",
    "threadSection/delete",
    "thread/section/move",
)
def test_sections(env: Env) -> None:
    client = env.client
    section = client.thread_section_create(name="work").section
    assert section.id in [s.id for s in client.thread_section_list().data]
    assert client.thread_section_update(section_id=section.id, name="play").section.name == "play"
    client.thread_section_move(thread_id=env.thread_id, section_id=section.id)
    assert client.thread_read(thread_id=env.thread_id).thread.section is not None
    # A required but nullable field: None as a keyword means "not given", so use a dict.
    client.thread_section_move({"threadId": env.thread_id, "sectionId": None})
    assert client.thread_read(thread_id=env.thread_id).thread.section is None
    client.thread_section_delete(section_id=section.id)
    assert section.id not in [s.id for s in client.thread_section_list().data]


@covers("thread/increment_elicitation", "thread/decrement_elicitation")
def test_elicitation_counter(env: Env) -> None:
    up = env.client.thread_increment_elicitation(thread_id=env.thread_id)
    assert (up.count, up.paused) == (1, True)
    down = env.client.thread_decrement_elicitation(thread_id=env.thread_id)
    assert (down.count, down.paused) == (0, False)


@covers("thread/readState/update")
def test_read_state(env: Env) -> None:
    thread_id = env.new_thread()
    changes = env.keyed("thread/readState/changed", ("threadId",), thread_id)
    env.run_turn(thread_id, "unread")
    revision = changes.get(timeout=10).params["readState"]["revision"]
    while not changes.empty():
        revision = changes.get_nowait().params["readState"]["revision"]
    env.client.unsubscribe_keyed("thread/readState/changed", ("threadId",), thread_id)
    response = env.client.thread_read_state_update(
        thread_id=thread_id, expected_revision=revision, operation={"type": "read"}
    )
    assert response.read_state.first_unread is None


@covers("thread/memoryMode/set", "thread/settings/update")
def test_thread_settings(env: Env) -> None:
    thread_id = env.new_thread()
    env.client.thread_memory_mode_set(thread_id=thread_id, mode="disabled")
    response = env.client.thread_settings_update(thread_id=thread_id, effort="low")
    assert isinstance(response, v2_all.ThreadSettingsUpdateResponse)


@covers(
    "thread/backgroundTerminals/list",
    "thread/backgroundTerminals/clean",
    "thread/backgroundTerminals/terminate",
)
def test_background_terminals(env: Env) -> None:
    client = env.client
    assert client.thread_background_terminals_list(thread_id=env.thread_id).data == []
    client.thread_background_terminals_clean(thread_id=env.thread_id)
    done = client.thread_background_terminals_terminate(thread_id=env.thread_id, process_id="1")
    assert done.terminated is False


@covers("thread/realtime/listVoices")
@accepted(
    "thread/realtime/start",
    "thread/realtime/appendText",
    "thread/realtime/appendSpeech",
    "thread/realtime/appendAudio",
    "thread/realtime/stop",
)
def test_realtime(env: Env) -> None:
    client = env.client
    assert client.thread_realtime_list_voices().voices.v2
    thread_id = env.new_thread()
    errors = env.keyed("thread/realtime/error", ("threadId",), thread_id)
    client.thread_realtime_start(thread_id=thread_id, output_modality="text")
    error = errors.get(timeout=10)  # the session needs the Realtime API
    assert "realtime" in error.params["message"]
    client.thread_realtime_append_text(thread_id=thread_id, text="hi")
    client.thread_realtime_append_speech(thread_id=thread_id, text="hi")
    audio = {"data": "", "sampleRate": 24000, "numChannels": 1}
    client.thread_realtime_append_audio(thread_id=thread_id, audio=audio)
    client.thread_realtime_stop(thread_id=thread_id)
    env.client.unsubscribe_keyed("thread/realtime/error", ("threadId",), thread_id)
    # The session tried the provider's realtime endpoint (the scripted model answers 404).
    assert [r.path for r in env.model.other_requests] == ["/v1/realtime"]
    env.model.reset()  # that request was expected


@fails_offline("thread/prediction/request", MethodNotFoundError, "not implemented by this runtime")
def test_prediction_is_not_implemented(env: Env) -> None:
    with pytest.raises(MethodNotFoundError, match="not implemented"):
        env.client.thread_prediction_request(
            thread_id=env.thread_id, source_turn_id=env.turn_ids[0]
        )


@fails_offline(
    "thread/approveGuardianDeniedAction",
    InvalidRequestError,
    "needs a denial event from the auto-review guardian (a model-driven review)",
)
def test_guardian_approval_needs_a_denial(env: Env) -> None:
    with pytest.raises(InvalidRequestError, match="Guardian denial event"):
        env.client.thread_approve_guardian_denied_action(thread_id=env.thread_id, event={})


# -- commands and processes -------------------------------------------------------------------


@covers("command/exec", "command/exec/write", "command/exec/terminate", "command/exec/resize")
def test_command_exec(env: Env) -> None:
    client = env.client
    done = client.command_exec(command=["bash", "-c", "echo out; echo err >&2; exit 3"])
    assert (done.exit_code, done.stdout, done.stderr) == (3, "out\n", "err\n")

    output = env.keyed("command/exec/outputDelta", ("processId",), "cat-1")
    results: queue.SimpleQueue[Any] = queue.SimpleQueue()
    exec_params = {
        "command": ["cat"],
        "processId": "cat-1",
        "streamStdin": True,
        "streamStdoutStderr": True,
    }
    runner = _in_thread(lambda: client.command_exec(exec_params), results)
    data = base64.b64encode(b"ping\n").decode()
    _retry_until_running(lambda: client.command_exec_write(process_id="cat-1", delta_base64=data))
    chunk = output.get(timeout=10)
    assert base64.b64decode(chunk.params["deltaBase64"]) == b"ping\n"
    client.command_exec_write(process_id="cat-1", close_stdin=True)
    assert results.get(timeout=10).exit_code == 0
    runner.join()

    tty = {
        "command": ["bash", "-c", "stty size; sleep 30"],
        "processId": "tty-1",
        "tty": True,
        "size": {"rows": 20, "cols": 70},
        "sandboxPolicy": {"type": "dangerFullAccess"},
    }
    tty_output = env.keyed("command/exec/outputDelta", ("processId",), "tty-1")
    runner = _in_thread(lambda: client.command_exec(tty), results)
    assert b"20 70" in base64.b64decode(tty_output.get(timeout=10).params["deltaBase64"])
    client.command_exec_resize(process_id="tty-1", size={"rows": 30, "cols": 90})
    client.command_exec_terminate(process_id="tty-1")
    assert results.get(timeout=10).exit_code != 0
    runner.join()
    for process_id in ("cat-1", "tty-1"):
        client.unsubscribe_keyed("command/exec/outputDelta", ("processId",), process_id)


@covers("process/spawn", "process/writeStdin", "process/resizePty", "process/kill")
def test_processes(env: Env) -> None:
    client = env.client
    exited = env.keyed("process/exited", ("processHandle",), "p-cat")
    output = env.keyed("process/outputDelta", ("processHandle",), "p-cat")
    client.process_spawn(
        command=["cat"],
        cwd=str(env.workspace),
        process_handle="p-cat",
        stream_stdin=True,
        stream_stdout_stderr=True,
    )
    data = base64.b64encode(b"abc\n").decode()
    client.process_write_stdin(process_handle="p-cat", delta_base64=data)
    assert base64.b64decode(output.get(timeout=10).params["deltaBase64"]) == b"abc\n"
    client.process_kill(process_handle="p-cat")
    assert exited.get(timeout=10).params["processHandle"] == "p-cat"

    pty_exited = env.keyed("process/exited", ("processHandle",), "p-tty")
    client.process_spawn(
        command=["sleep", "30"],
        cwd=str(env.workspace),
        process_handle="p-tty",
        tty=True,
        size={"rows": 10, "cols": 40},
    )
    client.process_resize_pty(process_handle="p-tty", size={"rows": 20, "cols": 50})
    client.process_kill(process_handle="p-tty")
    assert pty_exited.get(timeout=10).params["processHandle"] == "p-tty"
    for handle, method in [
        ("p-cat", "process/exited"),
        ("p-cat", "process/outputDelta"),
        ("p-tty", "process/exited"),
    ]:
        client.unsubscribe_keyed(method, ("processHandle",), handle)


def _in_thread(call: Callable[[], Any], results: queue.SimpleQueue[Any]) -> Any:
    import threading

    def run() -> None:
        try:
            results.put(call())
        except BaseException as exc:
            results.put(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _retry_until_running(call: Callable[[], Any], attempts: int = 200) -> None:
    """`command/exec/write` right after the start may find no process yet: retry on that."""
    import threading

    for _ in range(attempts):
        try:
            call()
            return
        except InvalidRequestError as exc:
            if "no active command/exec" not in str(exc):
                raise
            threading.Event().wait(0.01)
    raise AssertionError("the command never started")


# -- files and search -------------------------------------------------------------------------


@covers(
    "fs/writeFile",
    "fs/readFile",
    "fs/getMetadata",
    "fs/createDirectory",
    "fs/copy",
    "fs/readDirectory",
    "fs/remove",
    "fs/watch",
    "fs/unwatch",
)
def test_file_system(env: Env) -> None:
    client, root = env.client, env.base / "fs"
    root.mkdir()
    client.fs_create_directory(path=str(root / "a" / "b"), recursive=True)
    data = base64.b64encode(b"\x00binary\xff").decode()
    client.fs_write_file(path=str(root / "a" / "b" / "f.bin"), data_base64=data)
    read = client.fs_read_file(path=str(root / "a" / "b" / "f.bin"))
    assert base64.b64decode(read.data_base64) == b"\x00binary\xff"
    meta = client.fs_get_metadata(path=str(root / "a" / "b" / "f.bin"))
    assert meta.is_file and not meta.is_directory
    client.fs_copy(source_path=str(root / "a"), destination_path=str(root / "c"), recursive=True)
    assert (root / "c" / "b" / "f.bin").read_bytes() == b"\x00binary\xff"
    entries = client.fs_read_directory(path=str(root)).entries
    assert sorted((e.file_name, e.is_directory) for e in entries) == [("a", True), ("c", True)]
    client.fs_remove(path=str(root / "c"), recursive=True)
    assert not (root / "c").exists()
    changes = env.keyed("fs/changed", ("watchId",), "w1")
    watched = client.fs_watch(path=str(root), watch_id="w1")
    assert watched.path == str(root)
    (root / "new.txt").write_text("x")
    change = changes.get(timeout=10)
    assert str(root / "new.txt") in change.params["changedPaths"]
    client.fs_unwatch(watch_id="w1")
    client.unsubscribe_keyed("fs/changed", ("watchId",), "w1")


@covers(
    "fuzzyFileSearch",
    "fuzzyFileSearch/sessionStart",
    "fuzzyFileSearch/sessionUpdate",
    "fuzzyFileSearch/sessionStop",
)
def test_fuzzy_file_search(env: Env) -> None:
    client, root = env.client, env.base / "search"
    root.mkdir()
    (root / "needle.txt").write_text("x")
    (root / "other.md").write_text("x")
    found = client.fuzzy_file_search(query="needl", roots=[str(root)])
    assert [f.path for f in found.files] == ["needle.txt"]
    updates = env.keyed("fuzzyFileSearch/sessionUpdated", ("sessionId",), "s1")
    client.fuzzy_file_search_session_start(session_id="s1", roots=[str(root)])
    client.fuzzy_file_search_session_update(session_id="s1", query="other")
    paths: list[str] = []
    while "other.md" not in paths:
        paths = [f["path"] for f in updates.get(timeout=10).params["files"]]
    client.fuzzy_file_search_session_stop(session_id="s1")
    client.unsubscribe_keyed("fuzzyFileSearch/sessionUpdated", ("sessionId",), "s1")


# -- configuration, skills, MCP, plugins, apps ------------------------------------------------


@covers(
    "config/read",
    "config/value/write",
    "config/batchWrite",
    "configRequirements/read",
    "config/mcpServer/reload",
)
def test_config(env: Env) -> None:
    client = env.client
    before = client.config_read(include_layers=True)
    assert before.config.model == "gpt-5.5" and before.layers
    written = client.config_value_write(
        key_path="model_reasoning_summary", value="concise", merge_strategy="replace"
    )
    assert written.status.value == "ok" and written.file_path.endswith("config.toml")
    edits = [{"keyPath": "model_verbosity", "value": "low", "mergeStrategy": "replace"}]
    assert client.config_batch_write(edits=edits).status.value == "ok"
    after = client.config_read().config
    assert after.model_reasoning_summary is not None
    assert after.model_reasoning_summary.value == "concise"
    assert isinstance(client.config_requirements_read(), v2_all.ConfigRequirementsReadResponse)
    assert isinstance(client.config_mcp_server_reload(), v2_all.McpServerRefreshResponse)


@covers("skills/list", "skills/config/write", "skills/extraRoots/set")
def test_skills(env: Env) -> None:
    client = env.client
    root = env.base / "extra-skills" / "greet"
    root.mkdir(parents=True)
    (root / "SKILL.md").write_text("---\nname: greet\ndescription: Say hello.\n---\nHello.\n")
    client.skills_extra_roots_set(extra_roots=[str(root.parent)])
    listed = client.skills_list(force_reload=True)
    names = {s.name for entry in listed.data for s in entry.skills}
    assert "greet" in names
    written = client.skills_config_write(enabled=False, name="greet")
    assert written.effective_enabled is False
    client.skills_config_write(enabled=True, name="greet")
    client.skills_extra_roots_set(extra_roots=[])


@covers("mcpServerStatus/list", "mcpServer/tool/call", "mcpServer/resource/read")
@fails_offline(
    "mcpServer/oauth/login",
    InvalidRequestError,
    "OAuth needs a streamable-HTTP MCP server that offers it (a remote service)",
)
@fails_offline(
    "mcpServer/event/stream/start", InvalidRequestError, "only hosted (ChatGPT) apps stream events"
)
@covers("mcpServer/event/stream/stop")
def test_mcp_servers(env: Env) -> None:
    client = env.client
    status = client.mcp_server_status_list(thread_id=env.thread_id)
    (echo,) = [s for s in status.data if s.name == "echo"]
    assert "echo" in echo.tools and echo.resources[0].uri == "memo://hello"
    called = client.mcp_server_tool_call(
        server="echo", thread_id=env.thread_id, tool="echo", arguments={"text": "hi"}
    )
    assert called.content == [{"type": "text", "text": "echo: hi"}]
    resource = client.mcp_server_resource_read(server="echo", uri="memo://hello")
    assert resource.contents[0].text == "hello resource"
    with pytest.raises(InvalidRequestError, match="streamable HTTP"):
        client.mcp_server_oauth_login(name="echo")
    with pytest.raises(InvalidRequestError, match="hosted apps"):
        client.mcp_server_event_stream_start(
            thread_id=env.thread_id, server="echo", name="x", subscription_id="s", arguments={}
        )
    client.mcp_server_event_stream_stop(subscription_id="s")


@covers(
    "marketplace/add",
    "marketplace/upgrade",
    "marketplace/remove",
    "plugin/list",
    "plugin/installed",
    "plugin/search",
    "plugin/reconcile",
    "plugin/install",
    "plugin/uninstall",
)
def test_marketplace_and_plugins(env: Env) -> None:
    client = env.client
    manifest = write_marketplace(env.base / "market")
    added = client.marketplace_add(source=str(manifest.parents[2]))
    assert (added.marketplace_name, added.already_added) == ("localmk", False)
    assert isinstance(client.marketplace_upgrade(), v2_all.MarketplaceUpgradeResponse)
    installed = client.plugin_install(plugin_name="hello", marketplace_path=str(manifest))
    assert installed.auth_policy.value == "ON_INSTALL"
    assert isinstance(client.plugin_list(), v2_all.PluginListResponse)
    assert isinstance(client.plugin_installed(), v2_all.PluginInstalledResponse)
    assert client.plugin_search(search_term="hello").next_cursor is None
    assert client.plugin_reconcile().failed_remote_plugin_ids == []
    client.plugin_uninstall(plugin_id="hello@localmk")
    assert client.marketplace_remove(marketplace_name="localmk").marketplace_name == "localmk"


@covers("plugin/read")
def test_plugin_read_needs_the_plugins_feature(env: Env) -> None:
    """The offline config turns plugins off (their start-up sync reaches github.com); with
    the feature on, reading a local marketplace's plugin works offline too."""
    manifest = write_marketplace(env.base / "market-read")
    with pytest.raises(InvalidRequestError, match="plugins feature is disabled"):
        env.client.plugin_read(plugin_name="hello", marketplace_path=str(manifest))
    config = env.model.config(env.base / "plugins-on", settings={"features.plugins": True})
    with Codex(config) as codex:
        record_calls(codex.client, env.calls)
        detail = codex.client.plugin_read(plugin_name="hello", marketplace_path=str(manifest))
    assert (detail.plugin.summary.id, detail.plugin.description) == ("hello@localmk", "Hello.")


def write_marketplace(market: Path) -> Path:
    """A local marketplace with one plugin, `hello`; the path of its manifest."""
    plugin = market / "plugins" / "hello"
    (market / ".agents" / "plugins").mkdir(parents=True)
    (plugin / ".codex-plugin").mkdir(parents=True)
    (plugin / ".codex-plugin" / "plugin.json").write_text(
        json.dumps({"name": "hello", "version": "0.1.0", "description": "Hello."})
    )
    manifest = market / ".agents" / "plugins" / "marketplace.json"
    manifest.write_text(
        json.dumps(
            {
                "name": "localmk",
                "plugins": [
                    {
                        "name": "hello",
                        "source": {"source": "local", "path": "./plugins/hello"},
                        "policy": {"installation": "AVAILABLE", "authentication": "ON_INSTALL"},
                        "category": "Productivity",
                    }
                ],
            }
        )
    )
    return manifest


@fails_offline(
    "plugin/share/list", InvalidRequestError, "plugin sharing is a ChatGPT-backed service"
)
@fails_offline(
    "plugin/share/save", InvalidRequestError, "plugin sharing is a ChatGPT-backed service"
)
@fails_offline(
    "plugin/share/checkout", InvalidRequestError, "plugin sharing is a ChatGPT-backed service"
)
@fails_offline(
    "plugin/share/delete", InvalidRequestError, "plugin sharing is a ChatGPT-backed service"
)
@fails_offline(
    "plugin/share/updateTargets",
    InvalidRequestError,
    "plugin sharing is a ChatGPT-backed service",
)
@fails_offline(
    "plugin/skill/read", InvalidRequestError, "reads skills of remote (ChatGPT) marketplaces"
)
def test_remote_plugin_services(env: Env) -> None:
    client = env.client
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_list()
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_save(plugin_path=str(env.workspace))
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_checkout(remote_plugin_id="x")
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_delete(remote_plugin_id="x")
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_update_targets(
            remote_plugin_id="x", discoverability="UNLISTED", share_targets=[]
        )
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_skill_read(remote_marketplace_name="m", remote_plugin_id="x", skill_name="s")


@covers("app/list", "app/installed", "app/read")
def test_apps(env: Env) -> None:
    client = env.client
    assert client.app_list().data == []
    assert client.app_installed().apps == []
    assert client.app_read(app_ids=["nope"]).missing_app_ids == ["nope"]


@covers(
    "model/list",
    "modelProvider/capabilities/read",
    "collaborationMode/list",
    "permissionProfile/list",
    "experimentalFeature/list",
    "experimentalFeature/enablement/set",
    "hooks/list",
)
def test_catalogs(env: Env) -> None:
    client = env.client
    assert any(m.model == "gpt-5.5" for m in client.model_list(include_hidden=True).data)
    assert isinstance(
        client.model_provider_capabilities_read(), v2_all.ModelProviderCapabilitiesReadResponse
    )
    assert {m.name for m in client.collaboration_mode_list().data} >= {"Plan", "Default"}
    profiles = {p.id for p in client.permission_profile_list().data}
    assert ":read-only" in profiles
    features = {f.name: f for f in client.experimental_feature_list().data}
    assert features["step_model_switching"].enabled is True
    assert client.experimental_feature_enablement_set(enablement={}).enablement == {}
    (hooks,) = client.hooks_list(cwds=[str(env.workspace)]).data
    assert hooks.cwd == str(env.workspace)


@covers(
    "externalAgentConfig/detect",
    "externalAgentConfig/import",
    "externalAgentConfig/import/readHistories",
    "externalAgentConfig/import/recordHistory",
)
def test_external_agent_config(env: Env) -> None:
    client = env.client
    assert client.external_agent_config_detect(cwds=[str(env.workspace)]).items == []
    assert client.external_agent_config_import(migration_items=[]).import_id
    recorded = client.external_agent_config_import_record_history(
        provider_id="other", item_type_results=[]
    )
    assert recorded.import_id
    assert isinstance(
        client.external_agent_config_import_read_histories(),
        v2_all.ExternalAgentConfigImportHistoriesReadResponse,
    )


@covers(
    "project/create",
    "project/read",
    "project/update",
    "project/move",
    "project/list",
    "project/delete",
    "project/import",
)
def test_projects(env: Env) -> None:
    client = env.client
    roots = [{"path": str(env.workspace)}]
    project = client.project_create(idempotency_key="k1", name="proj", roots=roots).project
    assert client.project_read(project_id=project.id).project.name == "proj"
    assert client.project_update(project_id=project.id, name="renamed").project.name == "renamed"
    client.project_move(project_id=project.id)
    imported = client.project_import(idempotency_key="k2", name="imported", roots=roots).project
    ids = {p.id for p in client.project_list().data}
    assert {project.id, imported.id} <= ids
    client.project_delete(project_id=project.id)
    client.project_delete(project_id=imported.id)
    with pytest.raises(InvalidParamsError, match="project not found"):
        client.project_read(project_id=project.id)


@covers("memory/status", "memory/reset")
def test_memory(env: Env) -> None:
    assert env.client.memory_status().v2_consolidated_threads == 0
    assert isinstance(env.client.memory_reset(), v2_all.MemoryResetResponse)


@covers(
    "server/diagnostics",
    "mock/experimentalMethod",
    "rollout/compress",
    "windowsSandbox/readiness",
    "windowsSandbox/setupStart",
)
def test_server_utilities(env: Env) -> None:
    client = env.client
    assert client.server_diagnostics().process.id > 0
    assert client.mock_experimental_method(value="ping").echoed == "ping"
    assert isinstance(client.rollout_compress(), v2_all.RolloutCompressResponse)
    assert client.windows_sandbox_readiness().status.value == "notConfigured"
    assert isinstance(
        client.windows_sandbox_setup_start(mode="unelevated"),
        v2_all.WindowsSandboxSetupStartResponse,
    )


@covers("environment/add", "environment/status")
@fails_offline(
    "environment/info", InternalRpcError, "needs a reachable exec-server for the environment"
)
def test_environments(env: Env) -> None:
    client = env.client
    client.environment_add(environment_id="remote-1", exec_server_url="ws://127.0.0.1:9")
    # The connection attempt runs in the background: "pending" until it is refused. The
    # server sends no notification for it, so the status is read until it settles.
    deadline = time.monotonic() + 30
    status = client.environment_status(environment_id="remote-1")
    while status.status.value == "pending" and time.monotonic() < deadline:
        status = client.environment_status(environment_id="remote-1")
    assert status.status.value == "disconnected" and status.error
    with pytest.raises(InternalRpcError, match="exec-server"):
        client.environment_info(environment_id="remote-1")


@covers("remoteControl/status/read")
@fails_offline("remoteControl/enable", InvalidRequestError, "needs ChatGPT sign-in")
@fails_offline("remoteControl/disable", InvalidRequestError, "needs ChatGPT sign-in")
@fails_offline("remoteControl/client/list", InvalidRequestError, "needs ChatGPT sign-in")
@fails_offline("remoteControl/client/revoke", InvalidRequestError, "needs ChatGPT sign-in")
@fails_offline("remoteControl/pairing/start", InvalidRequestError, "needs remote control enabled")
@fails_offline(
    "remoteControl/pairing/status",
    InvalidRequestError,
    "needs a pairing code from a pairing (remote control enabled)",
)
def test_remote_control(env: Env) -> None:
    client = env.client
    assert client.remote_control_status_read().status.value == "disabled"
    for call in (
        client.remote_control_enable,
        client.remote_control_disable,
        lambda: client.remote_control_client_list(environment_id="e"),
        lambda: client.remote_control_client_revoke(environment_id="e", client_id="c"),
    ):
        with pytest.raises(InvalidRequestError, match="ChatGPT authentication"):
            call()
    with pytest.raises(InvalidRequestError, match="requires remote control to be enabled"):
        client.remote_control_pairing_start()
    with pytest.raises(InvalidRequestError, match="requires pairingCode"):
        client.remote_control_pairing_status()


@covers("userVerification/status", "userVerification/cancel")
@fails_offline(
    "userVerification/enroll", InternalRpcError, "needs a platform authenticator (passkey)"
)
@fails_offline(
    "userVerification/delete", InternalRpcError, "needs a platform authenticator (passkey)"
)
@fails_offline(
    "userVerification/verify", InvalidParamsError, "needs a challenge from an enrollment"
)
def test_user_verification(env: Env) -> None:
    client = env.client
    status = client.user_verification_status()
    assert status.credential_id is None and status.unavailable_reason is not None
    client.user_verification_cancel(request_id=1)
    with pytest.raises(InternalRpcError, match="not available"):
        client.user_verification_enroll()
    with pytest.raises(InternalRpcError, match="not available"):
        client.user_verification_delete()
    with pytest.raises(InvalidParamsError, match="challenge"):
        client.user_verification_verify(challenge="c", title="t", description="d")


# -- account ----------------------------------------------------------------------------------


@covers(
    "account/read",
    "account/login/start",
    "account/login/cancel",
    "account/logout",
    "account/gatewayOAuth/read",
    "account/gatewayOAuth/cancel",
)
@fails_offline(
    "account/gatewayOAuth/login",
    InvalidRequestError,
    "needs a model provider that signs in through a gateway",
)
def test_account_basics(env: Env) -> None:
    client = env.client
    assert client.account_read().account is None
    api_key = client.account_login_start({"type": "apiKey", "apiKey": "sk-test"})
    assert type(api_key.root).__name__ == "ApiKeyLoginAccountResponse"
    browser = client.account_login_start({"type": "chatgpt"})
    assert browser.auth_url.startswith("https://auth.openai.com/")  # type: ignore[union-attr]
    cancelled = client.account_login_cancel(login_id=browser.login_id)  # type: ignore[union-attr]
    assert cancelled.status.value == "canceled"
    assert isinstance(client.account_logout(), v2_all.LogoutAccountResponse)
    gateway = client.account_gateway_oauth_read()
    assert (gateway.provider_id, gateway.required) == ("mock", False)
    assert isinstance(client.account_gateway_oauth_cancel(), v2_all.GatewayOAuthCancelResponse)
    with pytest.raises(InvalidRequestError, match="does not use gateway OAuth"):
        client.account_gateway_oauth_login()


CHATGPT_ONLY = "needs a ChatGPT sign-in (an account on the network)"


@fails_offline("account/rateLimits/read", InvalidRequestError, CHATGPT_ONLY)
@fails_offline("account/usage/read", InvalidRequestError, CHATGPT_ONLY)
@fails_offline("account/workspaceMessages/read", InvalidRequestError, CHATGPT_ONLY)
@fails_offline("account/rateLimitResetCredit/consume", InvalidRequestError, CHATGPT_ONLY)
@fails_offline("account/sendAddCreditsNudgeEmail", InvalidRequestError, CHATGPT_ONLY)
def test_chatgpt_only_account_reads(env: Env) -> None:
    client = env.client
    for call in (
        client.account_rate_limits_read,
        client.account_usage_read,
        client.account_workspace_messages_read,
        lambda: client.account_rate_limit_reset_credit_consume(idempotency_key="k"),
        lambda: client.account_send_add_credits_nudge_email(credit_type="credits"),
    ):
        with pytest.raises(InvalidRequestError, match="authentication required"):
            call()


@covers("account/bedrock/checkGovCloudRequirements", "account/bedrock/discover")
@fails_offline("account/bedrock/setup", InvalidRequestError, "needs AWS credentials")
def test_bedrock(env: Env) -> None:
    client = env.client
    assert client.account_bedrock_check_gov_cloud_requirements().is_gov_cloud is False
    assert isinstance(client.account_bedrock_discover(), v2_all.BedrockDiscoverResponse)
    with pytest.raises(InvalidRequestError, match="AWS"):
        client.account_bedrock_setup({"type": "profile", "profile": "none", "region": "us-east-1"})


@fails_offline("feedback/upload", InternalRpcError, "uploads to a remote service (Sentry)")
def test_feedback_upload(env: Env) -> None:
    with pytest.raises(InternalRpcError, match="failed to upload feedback"):
        env.client.feedback_upload(classification="bug")


# -- the escape hatch ---------------------------------------------------------------------------


def test_generic_request_is_the_escape_hatch(env: Env) -> None:
    client = env.client
    raw = client.request("thread/turns/list", {"threadId": env.thread_id})
    assert [t["id"] for t in raw["data"]] == env.turn_ids[::-1]
    typed = client.request(
        "thread/turns/list", {"threadId": env.thread_id}, v2_all.ThreadTurnsListResponse
    )
    assert [t.id for t in typed.data] == env.turn_ids[::-1]
    model_params = v2_all.ThreadGoalGetParams(thread_id=env.thread_id)
    assert client.request("thread/goal/get", model_params) == {"goal": None}
    with pytest.raises(InvalidRequestError, match="unknown variant"):
        client.request("no/such/method", {})


# -- coverage -----------------------------------------------------------------------------------


def test_every_method_is_covered() -> None:
    methods = set(CLIENT_REQUESTS) - {"initialize"}
    assert len(methods) == 171
    declared = [set(VERIFIED), set(ACCEPTED), set(FAILS)]
    assert not (declared[0] & declared[1]) and not (declared[0] & declared[2])
    assert not (declared[1] & declared[2])
    assert set().union(*declared) == methods, sorted(methods - set().union(*declared))


def docs_rows() -> dict[str, str]:
    rows: dict[str, str] = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|\s*([a-z ]+?)\s*\|", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_the_docs_table_matches() -> None:
    rows = docs_rows()
    expected = {m: "verified" for m in VERIFIED}
    expected.update({m: "accepted" for m in ACCEPTED})
    expected.update({m: "fails offline" for m in FAILS})
    assert rows == expected


def _notification(item: Any) -> Notification:
    assert isinstance(item, Notification), item
    return item
