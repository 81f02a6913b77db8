"""One offline app-server for every method test (a scripted model, a local stdio MCP server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_app_server import Codex
from codex_app_server.testing import ScriptedModel
from tests.support.echo_mcp import echo_mcp_settings

from .harness import Call, Env, record_calls


@pytest.fixture(scope="package")
def model() -> Iterator[ScriptedModel]:
    with ScriptedModel() as scripted:
        yield scripted


@pytest.fixture(scope="package")
def env(model: ScriptedModel, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    base = tmp_path_factory.mktemp("protocol")
    config = model.config(
        base, settings={"features.step_model_switching": True, **echo_mcp_settings(base)}
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
