"""What a new user hit in the first hour (issue 15): each fails at once, and says why."""

from __future__ import annotations

import inspect
import logging
import time
from pathlib import Path
from typing import Any

import pytest

import codex_app_server.generated.v2_all as generated
from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    AsyncThread,
    Codex,
    NotLoggedInError,
    Thread,
)
from codex_app_server.testing import Reply, ScriptedModel

OFFLINE = {
    "analytics.enabled": False,
    "features.plugins": False,
    "features.shell_snapshot": False,
    "check_for_update_on_startup": False,
}


@pytest.mark.integration
def test_no_login_fails_before_the_turn_with_how_to_log_in(tmp_path: Path) -> None:
    """An empty CODEX_HOME and the default OpenAI provider: the runtime would retry
    ("Reconnecting... 5/5") and then wait forever; the SDK refuses the turn at once."""
    config = AppServerConfig(
        codex_home=tmp_path / "home",
        env={"OPENAI_API_KEY": "", "CODEX_API_KEY": ""},
        config_overrides=OFFLINE,
        startup_timeout=60,
    )
    (tmp_path / "home").mkdir()
    began = time.monotonic()
    with Codex(config) as codex:
        thread = codex.thread_start()
        with pytest.raises(NotLoggedInError) as caught:
            thread.run("Say hello.")
    assert time.monotonic() - began < 30
    message = str(caught.value)
    assert "codex-py login" in message and "login_api_key" in message
    assert str(tmp_path / "home") in message


@pytest.mark.integration
async def test_no_login_fails_the_async_turn_too(tmp_path: Path) -> None:
    (tmp_path / "home").mkdir()
    config = AppServerConfig(
        codex_home=tmp_path / "home", env={"OPENAI_API_KEY": ""}, config_overrides=OFFLINE
    )
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()
        with pytest.raises(NotLoggedInError):
            await thread.turn("hi")


@pytest.mark.integration
def test_runtime_errors_are_logged_collected_and_passed_to_the_callback(
    scripted_model: ScriptedModel, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Any] = []
    config = scripted_model.config(tmp_path)
    config.on_runtime_error = seen.append
    scripted_model.enqueue(Reply.error(message="quota exhausted for this key"))
    caplog.set_level(logging.WARNING, logger="codex_app_server")
    with Codex(config) as codex:
        handle = codex.thread_start().turn("hi")
        handle.run()
        result = handle.collector.result(raise_on_failure=False)
    assert seen and "quota exhausted for this key" in seen[-1].message
    assert not seen[-1].will_retry
    assert [e.message for e in result.errors] == [e.message for e in seen]
    assert any("quota exhausted" in r.getMessage() for r in caplog.records)


def test_a_config_that_is_not_an_app_server_config_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"AppServerConfig.*dict.*thread_start\(config="):
        Codex({"model": "gpt-5.5"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AppServerConfig"):
        AsyncCodex("x")  # type: ignore[arg-type]


@pytest.mark.integration
def test_a_missing_cwd_fails_before_anything_is_sent(
    scripted_model: ScriptedModel, codex_config: AppServerConfig, tmp_path: Path
) -> None:
    missing = tmp_path / "nope"
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with Codex(codex_config) as codex:
        with pytest.raises(FileNotFoundError, match="nope"):
            codex.thread_start(cwd=missing)
        with pytest.raises(NotADirectoryError):
            codex.thread_start(cwd=a_file)
        thread = codex.thread_start()
        with pytest.raises(FileNotFoundError):
            thread.run("hi", cwd=str(missing))
    assert scripted_model.requests == []


@pytest.mark.integration
def test_enumerated_values_are_checked_with_the_allowed_ones(
    scripted_model: ScriptedModel, ok_codex: Codex
) -> None:
    codex = ok_codex
    with pytest.raises(ValueError, match="personality='grumpy'"):
        codex.thread_start(personality="grumpy")  # type: ignore[arg-type]
    thread = codex.thread_start(model="gpt-5.5")
    with pytest.raises(ValueError, match=r"effort='maximum' is not one of .*'high'"):
        thread.run("hi", effort="maximum", model="gpt-5.5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="summary="):
        thread.run("hi", summary="short")  # type: ignore[arg-type]
    assert scripted_model.requests == []
    result = thread.run("hi", sandbox_policy="read-only", effort="high", summary="concise")
    assert result.final_response == "ok"


# -- issue 10 item 1: no protocol field left out --------------------------------------

#: Params fields the high-level method fills itself (or takes under another name).
HANDLED = {
    "thread_start": {"dynamic_tools", "mock_experimental_field"},
    "thread_resume": {"thread_id"},
    "thread_fork": {"thread_id"},
    "run": {"thread_id", "input", "tool_output"},
}


@pytest.mark.parametrize(
    ("method", "model"),
    [
        (Codex.thread_start, generated.ThreadStartParams),
        (Codex.thread_list, generated.ThreadListParams),
        (Codex.thread_resume, generated.ThreadResumeParams),
        (Codex.thread_fork, generated.ThreadForkParams),
        (AsyncCodex.thread_start, generated.ThreadStartParams),
        (AsyncCodex.thread_resume, generated.ThreadResumeParams),
        (AsyncCodex.thread_fork, generated.ThreadForkParams),
        (Thread.turn, generated.TurnStartParams),
        (AsyncThread.run, generated.TurnStartParams),
    ],
    ids=lambda v: getattr(v, "__qualname__", str(v)),
)
def test_every_params_field_is_a_keyword(method: Any, model: Any) -> None:
    """The named keywords are fields of the params model, and every other field is taken
    through the method's **protocol_fields (checked against the model)."""
    parameters = inspect.signature(method).parameters
    named = {n for n, p in parameters.items() if p.kind is p.KEYWORD_ONLY}
    fields = set(model.model_fields)
    own = {"handlers", "tools", "output_schema", "interrupt_on_cancel"}
    own |= {"hooks", "limits", "on_turn_end", "raise_on_limit"}  # agent control (issue 16)
    assert named - own <= fields, named - own - fields
    takes_rest = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    leftover = fields - named - HANDLED.get(method.__name__, set()) - {"thread_id", "input"}
    assert takes_rest or not leftover, leftover


@pytest.mark.integration
def test_seed_keywords_on_the_real_runtime(scripted_model: ScriptedModel, ok_codex: Codex) -> None:
    codex = ok_codex
    thread = codex.thread_start(service_name="my-service", session_start_source="startup")
    thread.run("hi", turn_trigger="test")
    page = codex.thread_list(search_term="zzz-no-such-thread", sort_direction="desc")
    assert all(t.id != thread.id for t in page.data)
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'serivce_tier'.*did"):
        codex.thread_start(serivce_tier="fast")
    resumed = codex.thread_resume(thread.id, exclude_turns=True)
    assert resumed.id == thread.id
