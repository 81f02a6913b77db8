"""The hook points and their scopes through the real app-server and the scripted model:
`after_tool` (and its steer), `before_prompt` (rewrite, fail safe), client / thread / run
scopes, `before_tool` on dynamic tools and the deny message the model reads, `max_duration`
on a silent turn, and the timeout of blocking hooks. Sync and async."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    Codex,
    Hooks,
    PromptContext,
    RunLimits,
    ToolResult,
    ToolUse,
    TurnEnd,
    allow,
    deny,
    tool,
)
from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel
from tests.support.hook_guards import recording_guard

pytestmark = pytest.mark.integration


def wait_for_steer(model: ScriptedModel, first: Reply, marker: str) -> None:
    """The model's script for a steer: `first`, then (once the tool ran) a reply that waits
    for the steer, which aborts it; the request that carries `marker` gets "done"."""

    def respond(request: RecordedRequest) -> Reply:
        if any(marker in text for text in request.user_texts):
            return Reply.text("done")
        if request.function_call_outputs:
            return Reply.hang()  # ends when the steer aborts the request
        return first

    model.respond_with(respond)


def steered(model: ScriptedModel, marker: str) -> bool:
    return any(marker in text for r in model.requests for text in r.user_texts)


# -- after_tool ----------------------------------------------------------------------------


def test_after_tool_sees_the_command_and_steers_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    wait_for_steer(scripted_model, Reply.shell("echo hi", call_id="c1"), "check the output")
    seen: list[ToolResult] = []

    def after(done: ToolResult) -> str:
        seen.append(done)
        return "check the output"

    with Codex(config) as codex:
        thread = codex.thread_start(approval_policy="never", hooks=Hooks(after_tool=after))
        result = thread.run("say hi")
    assert result.final_response == "done"
    (done,) = seen
    assert done.kind == "command" and done.thread_id == thread.id and done.turn_id
    assert "echo hi" in done.item.command and done.item.exit_code == 0
    assert steered(scripted_model, "check the output")


async def test_after_tool_async_hook_steers_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    wait_for_steer(scripted_model, Reply.shell("echo hi", call_id="c1"), "now summarize")

    async def after(done: ToolResult) -> str | None:
        return "now summarize" if done.kind == "command" else None

    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(approval_policy="never", hooks=Hooks(after_tool=after))
        result = await thread.run("say hi")
    assert result.final_response == "done"
    assert steered(scripted_model, "now summarize")


def test_a_failing_after_tool_is_logged_and_ignored_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, caplog: pytest.LogCaptureFixture
) -> None:
    scripted_model.enqueue(Reply.shell("echo hi", call_id="c1"), Reply.text("fine"))

    def after(done: ToolResult) -> str:
        raise RuntimeError("hook bug")

    with caplog.at_level(logging.ERROR, "codex_app_server"), Codex(config) as codex:
        thread = codex.thread_start(approval_policy="never", hooks=Hooks(after_tool=after))
        result = thread.run("say hi")
    assert result.final_response == "fine"
    assert any(
        "after_tool" in r.getMessage() and "hook bug" in r.getMessage() for r in caplog.records
    )


# -- before_prompt -------------------------------------------------------------------------


def test_before_prompt_rewrites_every_turn_of_a_run_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("one"), Reply.text("two"))
    contexts: list[PromptContext] = []

    def rewrite(context: PromptContext) -> str | None:
        contexts.append(context)
        return f"[policy] {context.input}" if context.turn == 1 else None

    def more(end: TurnEnd) -> str | None:
        return "and again" if end.turn == 1 else None

    with Codex(config) as codex:
        thread = codex.thread_start(hooks=Hooks(before_prompt=rewrite, on_turn_end=more))
        result = thread.run("hello")
    assert result.final_response == "two" and result.turns == 2
    assert [(c.turn, c.input) for c in contexts] == [(1, "hello"), (2, "and again")]
    first, second = scripted_model.requests
    assert first.last_user_text == "[policy] hello"
    assert second.last_user_text == "and again"  # None kept the input


async def test_a_failing_before_prompt_stops_the_turn_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("never"))

    async def refuse(context: PromptContext) -> str:
        raise PermissionError("prompt rejected")

    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(hooks=Hooks(before_prompt=refuse))
        with pytest.raises(PermissionError, match="prompt rejected"):
            await thread.run("hello")
        with pytest.raises(PermissionError):
            await thread.turn("hello")
    assert scripted_model.requests == []  # no turn was started


# -- scopes --------------------------------------------------------------------------------


def tagger(tag: str, log: list[str]) -> Any:
    def hook(context: PromptContext) -> str:
        log.append(tag)
        return f"{tag}: {context.input}"

    return hook


def test_scopes_client_thread_run_and_fork_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(*(Reply.text(f"r{i}") for i in range(4)))
    log: list[str] = []
    ends: list[str] = []
    client_hooks = Hooks(
        before_prompt=tagger("client", log), on_turn_end=lambda e: ends.append(e.turn_id)
    )
    with Codex(config, hooks=client_hooks) as codex:
        plain = codex.thread_start()
        plain.run("a")  # the client's hook
        thread = codex.thread_start(hooks=Hooks(before_prompt=tagger("thread", log)))
        thread.run("b", hooks=Hooks(before_prompt=tagger("run", log)))  # the run's wins
        thread.run("c")  # the thread's again
        fork = codex.thread_fork(thread.id, hooks=Hooks(before_prompt=tagger("fork", log)))
        fork.run("d")
    assert log == ["client", "run", "thread", "fork"]
    texts = [r.last_user_text for r in scripted_model.requests]
    assert texts == ["client: a", "run: b", "thread: c", "fork: d"]
    assert len(ends) == 4  # the client's on_turn_end stays in effect where none overrides it


async def test_scopes_resume_keeps_or_replaces_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(*(Reply.text(f"r{i}") for i in range(3)))
    log: list[str] = []
    async with AsyncCodex(config, hooks=Hooks(before_prompt=tagger("client", log))) as codex:
        thread = await codex.thread_start(hooks=Hooks(before_prompt=tagger("thread", log)))
        await thread.run("a")
        kept = await codex.thread_resume(thread.id)
        await kept.run("b")
        replaced = await codex.thread_resume(
            thread.id, hooks=Hooks(before_prompt=tagger("resumed", log))
        )
        await replaced.run("c")
    assert log == ["thread", "thread", "resumed"]


# -- before_tool on dynamic tools ----------------------------------------------------------

ran: list[str] = []


@tool
def delete_ticket(id: str) -> str:
    """Delete a support ticket."""
    ran.append(id)
    return f"deleted {id}"


def tool_turn(model: ScriptedModel) -> None:
    ran.clear()
    model.enqueue(
        Reply.function_call("delete_ticket", {"id": "T-1"}, call_id="t1"),
        Reply.text("ok"),
    )


def tool_output(model: ScriptedModel) -> str:
    return str(next(o["output"] for r in model.requests for o in r.function_call_outputs))


def test_before_tool_denies_a_dynamic_tool_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    tool_turn(scripted_model)
    uses, guard = recording_guard(deny("tickets are never deleted"))

    with Codex(config, tools=[delete_ticket]) as codex:  # a client-wide tool is gated too
        thread = codex.thread_start(hooks=Hooks(before_tool=guard))
        result = thread.run("delete T-1")
    assert result.final_response == "ok"
    assert ran == []
    assert "tickets are never deleted" in tool_output(scripted_model)
    (use,) = uses
    assert use.kind == "tool" and use.tool == "delete_ticket" and use.thread_id == thread.id
    assert use.arguments == {"id": "T-1"} and use.turn_id == result.turn.id  # type: ignore[union-attr]


async def test_before_tool_allows_a_dynamic_tool_from_a_run_scope_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    tool_turn(scripted_model)

    async def guard(use: ToolUse) -> Any:
        return allow()

    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(tools=[delete_ticket])
        result = await thread.run("delete T-1", hooks=Hooks(before_tool=guard))
    assert result.final_response == "ok"
    assert ran == ["T-1"] and "deleted T-1" in tool_output(scripted_model)


async def test_before_tool_sees_the_dynamic_tool_calls_item_id_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    tool_turn(scripted_model)
    uses, guard = recording_guard(allow())

    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(tools=[delete_ticket], hooks=Hooks(before_tool=guard))
        result = await thread.run("delete T-1")
    (call,) = [i for i in result.items if i.type == "dynamicToolCall"]
    (use,) = uses
    assert use.item_id is not None and use.item_id == call.id


# -- the deny message of a command reaches the model -----------------------------------------


def rm_guard(use: ToolUse) -> Any:
    return deny("deleting files is not allowed here") if "rm " in (use.command or "") else allow()


def rm_turn(model: ScriptedModel, workspace: Path) -> None:
    (workspace / "keep.txt").write_text("x")
    model.enqueue(Reply.shell("rm keep.txt", call_id="c1"), Reply.text("done"))


def check_told(model: ScriptedModel, workspace: Path, result: Any) -> None:
    """The decline and the deny message reach the model in one request, the next one."""
    assert (workspace / "keep.txt").exists()
    assert result.final_response == "done"
    _, second = model.requests
    assert [o["call_id"] for o in second.function_call_outputs] == ["c1"]
    assert second.last_user_text == "deleting files is not allowed here"


def test_a_denied_command_tells_the_model_why_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    rm_turn(scripted_model, workspace)
    with Codex(config) as codex:
        result = codex.thread_start(hooks=Hooks(before_tool=rm_guard)).run("clean up")
    check_told(scripted_model, workspace, result)


async def test_a_denied_command_tells_the_model_why_from_a_run_hook_async(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    rm_turn(scripted_model, workspace)
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()  # no hook: the run's asks for approvals itself
        result = await thread.run("clean up", hooks=Hooks(before_tool=rm_guard))
    check_told(scripted_model, workspace, result)


# -- max_duration on a silent turn ---------------------------------------------------------


def test_max_duration_interrupts_a_silent_turn_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.hang())
    with Codex(config) as codex:
        thread = codex.thread_start()
        started = time.monotonic()
        result = thread.run("wait", limits=RunLimits(max_duration=0.5))
    elapsed = time.monotonic() - started
    assert result.stopped_by == "max_duration"
    assert result.turn is not None and result.turn.status.value == "interrupted"
    assert config.turn_inactivity_timeout is not None
    assert 0.5 <= elapsed < config.turn_inactivity_timeout


async def test_max_duration_interrupts_a_silent_turn_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.hang())
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(limits=RunLimits(max_duration=0.5))
        started = time.monotonic()
        result = await thread.run("wait")
    elapsed = time.monotonic() - started
    assert result.stopped_by == "max_duration"
    assert result.turn is not None and result.turn.status.value == "interrupted"
    assert config.turn_inactivity_timeout is not None
    assert 0.5 <= elapsed < config.turn_inactivity_timeout


def test_the_deadline_timer_ends_with_its_turn_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("quick"))
    with Codex(config) as codex:
        handle = codex.thread_start().turn("hi", limits=RunLimits(max_duration=600))
        handle.run()
        handle._deadline.join(5)  # woken by the turn's end, not after 600 s
        assert not handle._deadline.is_alive()
    assert handle.stopped_by is None


async def test_the_deadline_timer_ends_with_its_turn_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("quick"))
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()
        handle = await thread.turn("hi", limits=RunLimits(max_duration=600))
        await handle.run()
        await asyncio.wait_for(handle._deadline, 5)
    assert handle.stopped_by is None


# -- blocking hooks time out ---------------------------------------------------------------


def test_a_blocking_hook_times_out_and_fails_safe_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, caplog: pytest.LogCaptureFixture
) -> None:
    scripted_model.enqueue(Reply.text("one"), Reply.text("never"))
    stuck = threading.Event()

    def slow_end(end: TurnEnd) -> str:
        stuck.wait(30)
        return "continue"  # too late: the run has stopped

    def slow_prompt(context: PromptContext) -> str:
        stuck.wait(30)
        return "too late"

    try:
        with caplog.at_level(logging.ERROR, "codex_app_server"), Codex(config) as codex:
            thread = codex.thread_start()
            result = thread.run("go", hooks=Hooks(on_turn_end=slow_end, timeout=0.3))
            assert result.final_response == "one" and result.turns == 1
            with pytest.raises(TimeoutError):
                thread.run("go", hooks=Hooks(before_prompt=slow_prompt, timeout=0.3))
    finally:
        stuck.set()
    assert len(scripted_model.requests) == 1
    assert any("on_turn_end hook timed out" in r.getMessage() for r in caplog.records)
