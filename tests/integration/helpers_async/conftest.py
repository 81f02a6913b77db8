"""One offline app-server for the package (a scripted model, a local stdio MCP server)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from codex_app_server import AsyncCodex
from codex_app_server.testing import ScriptedModel
from tests.support.echo_mcp import echo_mcp_settings

from .env import Env


@pytest_asyncio.fixture(loop_scope="package", scope="package")
async def env(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Env]:
    base = tmp_path_factory.mktemp("helpers")
    with ScriptedModel() as model:
        config = model.config(base, settings=echo_mcp_settings(base))
        async with AsyncCodex(config) as codex:
            yield Env(codex, model, base, config)


@pytest.fixture(autouse=True)
def fresh_model(env: Env) -> Iterator[None]:
    env.model.reset()
    yield
    assert env.model.unexpected_requests == 0, "the model got a request nobody scripted"
