"""Thread and turn methods, through their typed wrappers on the real runtime."""

from __future__ import annotations

import json
import queue
from typing import Any

import pytest

from codex_app_server import InvalidRequestError, MethodNotFoundError, TurnHandle
from codex_app_server.generated import v2_all
from codex_app_server.testing import Reply

from .harness import Env, accepted, covers, fails_offline, item_type, text_input

pytestmark = pytest.mark.integration


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
    updated = client.thread_metadata_update(thread_id=thread_id, git_info={"branch": "main"})  # type: ignore[arg-type]
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
        thread_id=thread_id,
        target={"type": "custom", "instructions": "check it"},  # type: ignore[arg-type]
    )
    assert response.review_thread_id == thread_id
    turn = TurnHandle(env.client, thread_id, response.turn.id)
    assert turn.run().status.value == "completed"


@covers("thread/goal/set", "thread/goal/get", "thread/goal/clear")
def test_goals(env: Env) -> None:
    client = env.client
    thread_id = env.new_thread()
    assert client.thread_goal_get(thread_id=thread_id).goal is None
    paused = client.thread_goal_set(thread_id=thread_id, objective="ship it", status="paused")  # type: ignore[arg-type]
    assert (paused.goal.objective, paused.goal.status.value) == ("ship it", "paused")
    # An active goal on an idle thread starts a continuation turn at once; let it fail.
    turns = env.keyed("turn/completed", ("threadId",), thread_id, tee=True)
    env.model.enqueue(Reply.error(500, "no continuation in this test"))
    active = client.thread_goal_set(thread_id=thread_id, status="active").goal  # type: ignore[arg-type]
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
        thread_id=thread_id,
        expected_revision=revision,
        operation={"type": "read"},  # type: ignore[arg-type]
    )
    assert response.read_state.first_unread is None


@covers("thread/memoryMode/set", "thread/settings/update")
def test_thread_settings(env: Env) -> None:
    thread_id = env.new_thread()
    env.client.thread_memory_mode_set(thread_id=thread_id, mode="disabled")  # type: ignore[arg-type]
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
    client.thread_realtime_start(thread_id=thread_id, output_modality="text")  # type: ignore[arg-type]
    error = errors.get(timeout=10)  # the session needs the Realtime API
    assert "realtime" in error.params["message"]
    client.thread_realtime_append_text(thread_id=thread_id, text="hi")
    client.thread_realtime_append_speech(thread_id=thread_id, text="hi")
    audio = {"data": "", "sampleRate": 24000, "numChannels": 1}
    client.thread_realtime_append_audio(thread_id=thread_id, audio=audio)  # type: ignore[arg-type]
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
