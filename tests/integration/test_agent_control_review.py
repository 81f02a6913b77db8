"""Issue 16's claims that the other agent-control tests leave open, through the public API
on the real app-server and the scripted model: `before_tool` on a file change, at the
client scope and on a resumed thread, and when it times out; where hooks run (never on the
reader); `after_tool` at the run and fork scopes; each limit on the other side (sync /
async) and through a turn handle; the turn span's model and token attributes, the spans of
a file change and a dynamic tool call, a failed request's span; tracing without
OpenTelemetry installed."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    Codex,
    CodexError,
    CommandOutputDelta,
    ErrorReported,
    Hooks,
    PromptContext,
    RunLimitExceeded,
    RunLimits,
    ServerRequestHandlers,
    ToolResult,
    ToolUse,
    TurnCompleted,
    TurnEnd,
    allow,
    ask,
    deny,
)
from codex_app_server.generated import v2_all
from codex_app_server.testing import Reply, ScriptedModel, Usage
from tests.support.hook_guards import recording_guard

from .server_requests.helpers import item_statuses
from .test_agent_control_hooks import delete_ticket, ran, steered, tool_turn, wait_for_steer

pytestmark = pytest.mark.integration


READER = "codex-app-server-reader"
PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"


def by_name(exporter: InMemorySpanExporter) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for span in exporter.get_finished_spans():
        found.setdefault(span.name, []).append(span)
    return found


def child(found: dict[str, list[Any]], name: str, parent: Any) -> Any:
    """The one span called `name`, checked to be a child of `parent`."""
    (span,) = found[name]
    assert span.parent is not None and span.parent.span_id == parent.context.span_id
    return span


def rm_guard(use: ToolUse) -> Any:
    return deny("no deleting") if "rm " in (use.command or "") else allow()


def rm_turn(model: ScriptedModel, workspace: Path) -> None:
    (workspace / "keep.txt").write_text("x")
    model.enqueue(Reply.shell("rm keep.txt", call_id="c1"), Reply.text("done"))


def impatient_rm_turn(model: ScriptedModel, tmp_path: Path) -> tuple[AppServerConfig, Path]:
    """`rm_turn` on a config whose server requests wait at most 0.5 s for an answer."""
    config = model.config(tmp_path, sandbox_mode="workspace-write", server_request_timeout=0.5)
    assert config.cwd is not None
    workspace = Path(config.cwd)
    rm_turn(model, workspace)
    return config, workspace


# -- before_tool on a file change, traced --------------------------------------------------


def test_before_tool_denies_a_file_change_and_its_spans_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path, spans: Any
) -> None:
    scripted_model.enqueue(
        Reply.custom_tool_call("apply_patch", PATCH, call_id="p1", usage=Usage(100, 7)),
        Reply.text("not patched", usage=Usage(50, 3)),
    )
    uses, guard = recording_guard(deny("no new files"))

    with Codex(config) as codex:
        thread = codex.thread_start(hooks=Hooks(before_tool=guard), model="gpt-5.5")
        result = thread.run("add hello.txt")
    assert not (workspace / "hello.txt").exists()  # the denied patch was not applied
    assert scripted_model.requests[1].last_user_text == "no new files"  # the model read why
    assert ("fileChange", "declined") in item_statuses(result)
    (use,) = uses
    assert use.kind == "file_change" and use.thread_id == thread.id
    assert use.turn_id == result.turn.id and use.item_id  # type: ignore[union-attr]
    found = by_name(spans)
    (turn,) = found["codex.turn"]
    assert turn.attributes["gen_ai.request.model"] == "gpt-5.5"
    assert turn.attributes["gen_ai.usage.input_tokens"] == 150
    assert turn.attributes["gen_ai.usage.output_tokens"] == 10
    assert turn.attributes["codex.turn_id"] == result.turn.id  # type: ignore[union-attr]
    change = child(found, "codex.file_change", turn)
    assert change.attributes["codex.item.status"] == "declined"
    assert change.attributes["codex.file_change.paths"]
    approval = child(found, "codex.approval", change)
    assert approval.attributes["codex.approval.decision"] == "decline"
    child(found, "turn/steer", turn)  # the deny message, a request of the turn


# -- the client scope, and where hooks run -------------------------------------------------


def test_client_hooks_gate_commands_and_never_run_on_the_reader_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    (workspace / "keep.txt").write_text("x")
    scripted_model.enqueue(
        Reply.shell("rm keep.txt", call_id="c1"),
        Reply.shell("ls", call_id="c2"),
        Reply.text("done"),
    )
    where: dict[str, str] = {}

    def at(point: str) -> None:
        where[point] = threading.current_thread().name

    def before(use: ToolUse) -> Any:
        at("before_tool")
        return rm_guard(use)

    def after(done: ToolResult) -> None:
        at("after_tool")

    def prompt(context: PromptContext) -> None:
        at("before_prompt")

    def end(done: TurnEnd) -> None:
        at("on_turn_end")

    hooks = Hooks(before_tool=before, after_tool=after, before_prompt=prompt, on_turn_end=end)
    with Codex(config, hooks=hooks) as codex:
        result = codex.thread_start().run("clean up")  # the client's hooks only
    assert (workspace / "keep.txt").exists()
    assert ("commandExecution", "declined") in item_statuses(result)
    assert ("commandExecution", "completed") in item_statuses(result)
    assert set(where) == {"before_tool", "after_tool", "before_prompt", "on_turn_end"}
    assert READER not in where.values()


async def test_client_hooks_gate_commands_and_never_run_on_the_reader_async(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    rm_turn(scripted_model, workspace)
    where: dict[str, str] = {}

    def at(point: str) -> None:
        task = asyncio.current_task()
        where[point] = task.get_name() if task is not None else threading.current_thread().name

    async def before(use: ToolUse) -> Any:
        at("before_tool")
        return rm_guard(use)

    def after(done: ToolResult) -> None:  # a plain hook: inline on the loop
        at("after_tool")

    async def prompt(context: PromptContext) -> None:
        at("before_prompt")

    def end(done: TurnEnd) -> None:
        at("on_turn_end")

    hooks = Hooks(before_tool=before, after_tool=after, before_prompt=prompt, on_turn_end=end)
    async with AsyncCodex(config, hooks=hooks) as codex:
        thread = await codex.thread_start()
        result = await thread.run("clean up")
    assert (workspace / "keep.txt").exists()
    assert ("commandExecution", "declined") in item_statuses(result)
    assert set(where) == {"before_tool", "after_tool", "before_prompt", "on_turn_end"}
    assert READER not in where.values()


# -- before_tool that does not answer ------------------------------------------------------


def test_a_before_tool_that_times_out_denies_sync(
    scripted_model: ScriptedModel,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config, workspace = impatient_rm_turn(scripted_model, tmp_path)
    release = threading.Event()

    def stuck(use: ToolUse) -> Any:
        release.wait(30)
        return allow()  # too late: the request was declined meanwhile

    try:
        with caplog.at_level(logging.WARNING, "codex_app_server"), Codex(config) as codex:
            result = codex.thread_start(hooks=Hooks(before_tool=stuck)).run("clean up")
    finally:
        release.set()
    assert (workspace / "keep.txt").exists()
    assert ("commandExecution", "declined") in item_statuses(result)
    assert any("not answered" in r.getMessage() for r in caplog.records)


async def test_an_async_before_tool_that_times_out_denies_async(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    config, workspace = impatient_rm_turn(scripted_model, tmp_path)

    async def stuck(use: ToolUse) -> Any:
        await asyncio.Event().wait()  # never answers

    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(hooks=Hooks(before_tool=stuck))
        result = await thread.run("clean up")
    assert (workspace / "keep.txt").exists()
    assert ("commandExecution", "declined") in item_statuses(result)


# -- resume and fork scopes ----------------------------------------------------------------


async def test_before_tool_given_at_resume_gates_the_resumed_thread_async(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    scripted_model.enqueue(Reply.text("hello"))
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()  # no hook, the runtime's "never" policy
        await thread.run("hi")
        rm_turn(scripted_model, workspace)
        resumed = await codex.thread_resume(thread.id, hooks=Hooks(before_tool=rm_guard))
        result = await resumed.run("clean up")
    assert (workspace / "keep.txt").exists()
    assert ("commandExecution", "declined") in item_statuses(result)


def test_a_fork_keeps_before_tool_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    scripted_model.enqueue(Reply.text("hello"))
    with Codex(config) as codex:
        thread = codex.thread_start(hooks=Hooks(before_tool=rm_guard))
        thread.run("hi")
        rm_turn(scripted_model, workspace)
        result = codex.thread_fork(thread.id).run("clean up")
    assert (workspace / "keep.txt").exists()
    assert ("commandExecution", "declined") in item_statuses(result)


def test_after_tool_at_the_run_scope_steers_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    wait_for_steer(scripted_model, Reply.shell("echo hi", call_id="c1"), "look again")
    with Codex(config) as codex:
        thread = codex.thread_start(approval_policy="never")
        result = thread.run("say hi", hooks=Hooks(after_tool=lambda done: "look again"))
    assert result.final_response == "done"
    assert steered(scripted_model, "look again")
    found = by_name(spans)
    (turn,) = found["codex.turn"]
    child(found, "turn/steer", turn)  # the hook's steer, a request of the turn


async def test_a_fork_keeps_after_tool_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    seen: list[str] = []

    async def after(done: ToolResult) -> str:
        seen.append(done.thread_id or "")
        return "fork steer"

    scripted_model.enqueue(Reply.text("hello"))
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(approval_policy="never", hooks=Hooks(after_tool=after))
        await thread.run("hi")
        wait_for_steer(scripted_model, Reply.shell("echo hi", call_id="c1"), "fork steer")
        fork = await codex.thread_fork(thread.id)
        result = await fork.run("say hi")
    assert result.final_response == "done"
    assert seen == [fork.id]
    assert steered(scripted_model, "fork steer")


def test_on_turn_end_at_the_run_scope_continues_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("one"), Reply.text("two"))
    hooks = Hooks(on_turn_end=lambda end: "more" if end.turn == 1 else None)
    with Codex(config) as codex:
        result = codex.thread_start().run("go", hooks=hooks)
    assert result.final_response == "two" and result.turns == 2
    assert result.stopped_by is None


# -- limits, the other sides ---------------------------------------------------------------


def many_commands(model: ScriptedModel, usage: Any = True) -> None:
    model.enqueue(
        *(Reply.shell(f"echo {i}", call_id=f"c{i}", usage=usage) for i in range(4)),
        Reply.text("done"),
    )


async def test_max_tool_calls_raises_when_asked_async(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    many_commands(scripted_model)
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start(approval_policy="never")
        with pytest.raises(RunLimitExceeded) as caught:
            await thread.run("go", limits=RunLimits(max_tool_calls=1), raise_on_limit=True)
    assert caught.value.limit == "max_tool_calls"
    result = caught.value.result
    assert result is not None and result.stopped_by == "max_tool_calls"
    assert result.turn is not None and result.turn.status.value == "interrupted"
    # the call over the limit is the second response: its command may finish and be
    # posted back before the interrupt lands, but no further call is asked for
    assert 2 <= len(scripted_model.requests) <= 3


def test_max_tokens_interrupts_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    many_commands(scripted_model, Usage(input_tokens=600, output_tokens=10))
    with Codex(config) as codex:
        thread = codex.thread_start(approval_policy="never")
        thread.limits = RunLimits(max_tokens=1000)  # per thread, set after the start
        result = thread.run("go")
    assert result.stopped_by == "max_tokens"
    assert result.turn is not None and result.turn.status.value == "interrupted"
    # the call over the limit is the second response: its command may finish and be
    # posted back before the interrupt lands, but no further call is asked for
    assert 2 <= len(scripted_model.requests) <= 3
    (turn,) = by_name(spans)["codex.turn"]
    assert turn.attributes["codex.stopped_by"] == "max_tokens"
    assert turn.attributes["codex.turn.status"] == "interrupted"
    child(by_name(spans), "turn/interrupt", turn)


def test_a_turn_handle_says_which_limit_stopped_it_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    many_commands(scripted_model)
    with Codex(config) as codex:
        thread = codex.thread_start(approval_policy="never")
        handle = thread.turn("go", limits=RunLimits(max_tool_calls=2))
        events = list(handle.events())
    assert handle.stopped_by == "max_tool_calls"
    match events[-1]:
        case TurnCompleted(status="interrupted"):
            pass
        case other:
            raise AssertionError(f"the last event is {other!r}")


async def test_max_duration_raises_when_asked_async(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    scripted_model.enqueue(Reply.hang())
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()
        with pytest.raises(RunLimitExceeded) as caught:
            await thread.run("wait", limits=RunLimits(max_duration=0.3), raise_on_limit=True)
    assert caught.value.limit == "max_duration"
    found = by_name(spans)
    (turn,) = found["codex.turn"]
    assert turn.attributes["codex.stopped_by"] == "max_duration"
    child(found, "turn/interrupt", turn)  # sent by the timer, for the turn


def test_max_duration_timer_interrupt_is_a_span_of_the_turn_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    scripted_model.enqueue(Reply.hang())
    with Codex(config) as codex:
        result = codex.thread_start().run("wait", limits=RunLimits(max_duration=0.3))
    assert result.stopped_by == "max_duration"
    found = by_name(spans)
    (turn,) = found["codex.turn"]
    child(found, "turn/interrupt", turn)  # sent from the timer's thread


# -- tracing -------------------------------------------------------------------------------


async def test_spans_of_a_dynamic_tool_call_and_the_model_async(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    tool_turn(scripted_model)
    done: list[ToolResult] = []
    async with AsyncCodex(config, hooks=Hooks(after_tool=done.append)) as codex:
        thread = await codex.thread_start(tools=[delete_ticket])  # no model: the runtime's
        result = await thread.run("delete T-1")
    assert ran == ["T-1"] and result.final_response == "ok"
    (call_done,) = done  # after_tool sees the dynamic tool call's item too
    assert call_done.kind == "tool" and call_done.item.tool == "delete_ticket"
    assert call_done.turn_id == result.turn.id  # type: ignore[union-attr]
    found = by_name(spans)
    (turn,) = found["codex.turn"]
    assert turn.attributes["gen_ai.request.model"] == "gpt-5.5"
    call = child(found, "codex.tool_call", turn)
    assert call.attributes["codex.tool"] == "delete_ticket"
    assert call.attributes["codex.item.status"] == "completed"


def test_a_failed_request_has_an_error_span_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    tracer = trace.get_tracer("test")
    with (
        Codex(config) as codex,
        tracer.start_as_current_span("outer") as outer,
        pytest.raises(CodexError),
    ):
        codex.thread_resume("00000000-0000-0000-0000-000000000000")
    (span,) = by_name(spans)["thread/resume"]
    assert span.parent.span_id == outer.get_span_context().span_id
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["rpc.method"] == "thread/resume"


def test_tracing_is_off_without_opentelemetry_installed_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "opentelemetry" or m.startswith("opentelemetry.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    with pytest.raises(ImportError):
        import opentelemetry.trace  # noqa: F401
    scripted_model.enqueue(Reply.shell("echo hi", call_id="c1"), Reply.text("fine", usage=True))
    with Codex(config) as codex:
        thread = codex.thread_start(hooks=Hooks(before_tool=lambda use: allow()))
        result = thread.run("say hi", limits=RunLimits(max_tool_calls=5))
    assert result.final_response == "fine"
    assert ("commandExecution", "completed") in item_statuses(result)


# -- typed events: command output, a reported error ----------------------------------------


def test_typed_events_carry_command_output_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    # The runtime streams no delta for output written as the command starts (seen: `echo
    # hi; sleep 0.3; echo there` sends "there" only), so the output comes a moment later.
    scripted_model.enqueue(Reply.shell("sleep 0.5; echo hi", call_id="c1"), Reply.text("ok"))
    with Codex(config) as codex:
        events = list(codex.thread_start(approval_policy="never").turn("say hi").events())
    output = "".join(e.delta for e in events if isinstance(e, CommandOutputDelta))
    assert output == "hi\n"
    assert all(e.item_id for e in events if isinstance(e, CommandOutputDelta))


async def test_typed_events_of_a_failed_turn_async(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    scripted_model.enqueue(Reply.error(message="scripted refusal"))
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()
        handle = await thread.turn("hi")
        events = [event async for event in handle.events()]
    errors = [e for e in events if isinstance(e, ErrorReported)]
    assert errors and errors[-1].message == "scripted refusal" and not errors[-1].will_retry
    assert errors[-1].error.message == "scripted refusal"
    match events[-1]:
        case TurnCompleted(status="failed", error_message="scripted refusal"):
            pass
        case other:
            raise AssertionError(f"the last event is {other!r}")
    (turn,) = by_name(spans)["codex.turn"]  # the failed turn's span says so
    assert turn.attributes["codex.turn.status"] == "failed"
    assert turn.status.status_code.name == "ERROR"
    assert turn.status.description == "scripted refusal"


# -- before_tool: ask, and a hook that raises ----------------------------------------------


def test_before_tool_ask_defers_to_the_handler_and_a_raise_denies_sync(
    scripted_model: ScriptedModel,
    config: AppServerConfig,
    workspace: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    (workspace / "keep.txt").write_text("x")
    scripted_model.enqueue(
        Reply.shell("rm keep.txt", call_id="c1"),
        Reply.shell("touch made.txt", call_id="c2"),
        Reply.text("done"),
    )
    params: list[Any] = []
    handled: list[str] = []

    def hook(use: ToolUse) -> Any:
        params.append(use.params)
        if "rm " in (use.command or ""):
            raise RuntimeError("hook bug")
        return ask()

    def handler(p: v2_all.CommandExecutionRequestApprovalParams) -> str:
        handled.append(p.command or "")
        return "accept"

    handlers = ServerRequestHandlers(command_approval=handler)
    with caplog.at_level(logging.ERROR, "codex_app_server"), Codex(config) as codex:
        thread = codex.thread_start(hooks=Hooks(before_tool=hook), handlers=handlers)
        result = thread.run("go")
    assert ("commandExecution", "declined") in item_statuses(result)
    assert (workspace / "keep.txt").exists()  # the hook raised: denied, not run
    assert (workspace / "made.txt").exists()  # ask: the handler accepted it
    assert len(handled) == 1 and "touch made.txt" in handled[0]
    assert all(isinstance(p, v2_all.CommandExecutionRequestApprovalParams) for p in params)
    assert any(
        "before_tool" in r.getMessage() and "hook bug" in r.getMessage() for r in caplog.records
    )


# -- async hooks that time out; max_turns per thread ---------------------------------------


async def test_async_hooks_that_time_out_fail_safe_async(
    scripted_model: ScriptedModel, config: AppServerConfig, caplog: pytest.LogCaptureFixture
) -> None:
    scripted_model.enqueue(Reply.text("one"), Reply.text("never"))

    async def slow_end(end: TurnEnd) -> str:
        await asyncio.Event().wait()
        return "continue"

    async def slow_prompt(context: PromptContext) -> str:
        await asyncio.Event().wait()
        return "too late"

    with caplog.at_level(logging.ERROR, "codex_app_server"):
        async with AsyncCodex(config) as codex:
            thread = await codex.thread_start()
            result = await thread.run("go", hooks=Hooks(on_turn_end=slow_end, timeout=0.3))
            assert result.final_response == "one" and result.turns == 1
            with pytest.raises(TimeoutError):
                await thread.run("go", hooks=Hooks(before_prompt=slow_prompt, timeout=0.3))
    assert len(scripted_model.requests) == 1  # the timed-out prompt was not sent
    messages = [r.getMessage() for r in caplog.records]
    assert any("on_turn_end hook timed out" in m for m in messages)
    assert any("before_prompt hook timed out" in m for m in messages)


def test_max_turns_per_thread_bounds_client_follow_ups_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(*(Reply.text(f"r{i}") for i in range(3)))
    with Codex(config, hooks=Hooks(on_turn_end=lambda end: "more")) as codex:
        thread = codex.thread_start(limits=RunLimits(max_turns=2))
        result = thread.run("go")
    assert result.stopped_by == "max_turns" and result.turns == 2
    assert result.final_response == "r1"
    assert len(scripted_model.requests) == 2


def test_no_follow_up_starts_once_max_duration_is_up_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("one"), Reply.text("two"))

    def late(end: TurnEnd) -> str:
        time.sleep(0.6)  # the run's time passes while the hook decides
        return "more"

    with Codex(config) as codex:
        thread = codex.thread_start()
        result = thread.run("go", limits=RunLimits(max_duration=0.5), on_turn_end=late)
    assert result.stopped_by == "max_duration"
    assert result.turns == 1 and result.final_response == "one"
    assert len(scripted_model.requests) == 1  # no turn was started only to be interrupted


def test_client_before_tool_gates_a_thread_resumed_in_a_new_process_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    scripted_model.enqueue(Reply.text("hello"))
    with Codex(config) as codex:
        thread = codex.thread_start()
        thread.run("hi")
    rm_turn(scripted_model, workspace)
    with Codex(config, hooks=Hooks(before_tool=rm_guard)) as codex:  # another app-server
        result = codex.thread_resume(thread.id).run("clean up")
    assert (workspace / "keep.txt").exists()
    assert ("commandExecution", "declined") in item_statuses(result)


# -- example 11, its output checked --------------------------------------------------------

EXAMPLE = Path(__file__).parents[2] / "examples" / "11_agent_control"


@pytest.mark.parametrize("side", ["sync", "async"])
def test_example_11_does_what_it_says(
    side: str,
    scripted_model: ScriptedModel,
    tmp_path: Path,
    spans: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"example_11_{side}", EXAMPLE / f"{side}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.script(scripted_model)
    config = scripted_model.config(tmp_path)
    assert config.cwd is not None
    (Path(config.cwd) / "old.log").write_text("x")
    if side == "async":
        asyncio.run(module.main(config))
    else:
        module.main(config)
    module.print_spans(spans)
    printed = capsys.readouterr().out
    assert (Path(config.cwd) / "old.log").exists()  # the denied rm did not run
    expected = [
        "[thinking] First, look around.",
        "[hook] allowed: /bin/bash -c ls",
        "[after] command completed",
        "[command completed] /bin/bash -c ls",
        "[hook] denied: /bin/bash -c 'rm old.log'",
        "[after] command declined",
        "[command declined] /bin/bash -c 'rm old.log'",
        "[done: completed]",
        "[turn 1 completed] Step 1: read the code.",
        "[turn 2 completed] Step 2: write the tests.",
        "stopped by max_turns after 2 turns",
        "[span] codex.command in codex.turn",
        "[span] codex.approval in codex.command",
        "[span] turn/start in codex.turn",
    ]
    position = 0
    for text in expected:  # in order, but the spans in any (they end as they end)
        found = printed.find(text, 0 if text.startswith("[span]") else position)
        assert found >= 0, f"{text!r} not printed (in order):\n{printed}"
        position = max(position, found)
    prompts = [r.last_user_text for r in scripted_model.requests]
    assert "Plan three steps. Keep every answer short." in prompts  # the run's before_prompt


# -- a consumer that stops reading is not a failed turn ------------------------------------


def test_breaking_out_of_events_leaves_the_turn_span_to_finish_sync(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    scripted_model.enqueue(Reply.shell("echo hi", call_id="c1"), Reply.text("done"))
    with Codex(config) as codex:
        handle = codex.thread_start(approval_policy="never").turn("go")
        for _event in handle.events():
            break  # the first event only
        assert handle.run().status.value == "completed"  # read the rest
    (turn,) = by_name(spans)["codex.turn"]
    assert turn.status.status_code.name == "UNSET"  # not ERROR "GeneratorExit"
    assert turn.attributes["codex.turn.status"] == "completed"
    child(by_name(spans), "codex.command", turn)


def test_breaking_out_of_a_stream_keeps_the_deadline_sync(
    scripted_model: ScriptedModel, config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.hang())
    with Codex(config) as codex:
        handle = codex.thread_start().turn("wait", limits=RunLimits(max_duration=0.5))
        for _note in handle.stream():
            break
        turn = handle.run()  # the timer still interrupts it at 0.5 s
    assert handle.stopped_by == "max_duration"
    assert turn.status.value == "interrupted"


async def test_breaking_out_of_events_leaves_the_turn_span_to_finish_async(
    scripted_model: ScriptedModel, config: AppServerConfig, spans: Any
) -> None:
    scripted_model.enqueue(Reply.text("done"))
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()
        handle = await thread.turn("go")
        events = handle.events()
        async for _event in events:
            break
        await events.aclose()  # type: ignore[attr-defined]
        assert (await handle.run()).status.value == "completed"
    (turn,) = by_name(spans)["codex.turn"]
    assert turn.status.status_code.name == "UNSET"
    assert turn.attributes["codex.turn.status"] == "completed"
