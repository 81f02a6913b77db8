"""Command approvals through the real app-server: declined by default, accepted by handlers
(checked on disk), per-thread overrides, cancel, failures and timeouts."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import AppServerConfig, Codex, ServerRequestHandlers, approve_all
from codex_app_server.generated import v2_all
from codex_app_server.testing import Reply, ScriptedModel

from .helpers import ASKS, item_statuses, tool_output, touch_then_answer

pytestmark = pytest.mark.integration

# -- command approvals ---------------------------------------------------------------------


def test_command_is_declined_by_default(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    touch_then_answer(scripted_model)
    with Codex(config) as codex:
        result = codex.thread_start(**ASKS).run("make the marker")
    assert result.final_response == "done"
    assert not (workspace / "marker.txt").exists()
    assert ("commandExecution", "declined") in item_statuses(result)
    assert "rejected by user" in tool_output(scripted_model)


def test_command_accepted_by_a_typed_handler_runs(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    seen: list[v2_all.CommandExecutionRequestApprovalParams] = []

    def review(params: v2_all.CommandExecutionRequestApprovalParams) -> str:
        seen.append(params)
        return "accept" if "touch marker.txt" in (params.command or "") else "decline"

    touch_then_answer(scripted_model)
    with Codex(config, handlers=ServerRequestHandlers(command_approval=review)) as codex:
        thread = codex.thread_start(**ASKS)
        result = thread.run("make the marker")
    assert (workspace / "marker.txt").exists()
    assert ("commandExecution", "completed") in item_statuses(result)
    assert "made" in tool_output(scripted_model)
    (params,) = seen
    assert isinstance(params, v2_all.CommandExecutionRequestApprovalParams)
    assert (params.thread_id, params.item_id) == (thread.id, "c1")
    assert params.cwd is not None and Path(params.cwd) == workspace
    assert params.proposed_execpolicy_amendment == ["touch", "marker.txt"]


def test_accept_for_session_stops_asking_for_the_same_command(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    calls: list[str | None] = []

    def once(params: v2_all.CommandExecutionRequestApprovalParams) -> str:
        calls.append(params.command)
        return "acceptForSession"

    scripted_model.enqueue(
        Reply.shell("touch again.txt", call_id="c1"),
        Reply.shell("touch again.txt", call_id="c2"),
        Reply.text("twice"),
    )
    with Codex(config, handlers={"item/commandExecution/requestApproval": once}) as codex:
        assert codex.thread_start(**ASKS).run("twice").final_response == "twice"
    assert len(calls) == 1
    assert (workspace / "again.txt").exists()
    assert "exited with code 0" in tool_output(scripted_model, "c2")


def test_approve_all_is_the_explicit_yes(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    touch_then_answer(scripted_model)
    with Codex(config, handlers=approve_all) as codex:
        codex.thread_start(**ASKS).run("make the marker")
    assert (workspace / "marker.txt").exists()


def test_thread_handlers_override_the_client_wide_ones(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    scripted_model.respond_with(
        lambda req: (
            Reply.text("ok")
            if req.function_call_outputs
            else Reply.shell(f"touch {req.last_user_text}.txt", call_id="c1")
        )
    )
    strict = ServerRequestHandlers(command_approval=lambda p: "decline")
    with Codex(config, handlers=approve_all) as codex:
        codex.thread_start(**ASKS, handlers=strict).run("strict")
        codex.thread_start(**ASKS).run("relaxed")
    assert not (workspace / "strict.txt").exists()
    assert (workspace / "relaxed.txt").exists()


def test_cancel_interrupts_the_turn(
    scripted_model: ScriptedModel, config: AppServerConfig, workspace: Path
) -> None:
    touch_then_answer(scripted_model)
    with Codex(config, handlers={"item/commandExecution/requestApproval": lambda p: "cancel"}) as c:
        result = c.thread_start(**ASKS).run("make the marker")
    assert result.turn is not None and result.turn.status.value == "interrupted"
    assert not (workspace / "marker.txt").exists()


def test_handler_that_raises_fails_the_approval_and_the_client_keeps_working(
    scripted_model: ScriptedModel,
    config: AppServerConfig,
    workspace: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(params: Any) -> str:
        raise RuntimeError("reviewer crashed")

    touch_then_answer(scripted_model)
    scripted_model.enqueue(Reply.text("still here"))
    with Codex(config, handlers=ServerRequestHandlers(command_approval=broken)) as codex:
        thread = codex.thread_start(**ASKS)
        assert thread.run("make the marker").final_response == "done"
        assert not (workspace / "marker.txt").exists()
        assert thread.run("next").final_response == "still here"
    # A JSON-RPC error reply is a failed approval for the server: the command did not run.
    assert "approval request failed" in tool_output(scripted_model)
    assert any("reviewer crashed" in r.getMessage() for r in caplog.records)


def test_handler_that_never_returns_is_declined_after_the_timeout(
    scripted_model: ScriptedModel, tmp_path: Path
) -> None:
    config = scripted_model.config(
        tmp_path, sandbox_mode="workspace-write", server_request_timeout=0.5
    )
    release = threading.Event()

    def stuck(params: Any) -> str:
        release.wait(30)
        return "accept"

    touch_then_answer(scripted_model)
    try:
        with Codex(config, handlers=ServerRequestHandlers(command_approval=stuck)) as codex:
            started = time.monotonic()
            result = codex.thread_start(**ASKS).run("make the marker")
            elapsed = time.monotonic() - started
    finally:
        release.set()
    assert result.final_response == "done"
    assert 0.5 <= elapsed < 10
    assert "rejected by user" in tool_output(scripted_model)
    assert config.cwd is not None and not (Path(config.cwd) / "marker.txt").exists()
