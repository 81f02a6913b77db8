"""Shared test configuration.

The `scripted_model` and `codex_config` fixtures come from the package's own pytest plugin
(`codex_app_server.testing.pytest_plugin`, registered as a pytest11 entry point).
"""

from collections.abc import Iterator

import pytest

from codex_app_server import AppServerConfig, Codex
from codex_app_server.testing import Reply, ScriptedModel


@pytest.fixture
def ok_codex(scripted_model: ScriptedModel, codex_config: AppServerConfig) -> Iterator[Codex]:
    """A started `Codex` on the scripted model, whose next turn answers "ok"."""
    scripted_model.enqueue(Reply.text("ok"))
    with Codex(codex_config) as codex:
        yield codex
