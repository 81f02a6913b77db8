"""pytest fixtures for testing Codex-driven code offline.

Registered as a `pytest11` entry point, so the fixtures are available wherever the package
is installed:

- `scripted_model`: a started `ScriptedModel` (closed after the test).
- `codex_config`: `scripted_model.config(tmp_path)`, an `AppServerConfig` for an offline
  app-server that talks to it.

::

    def test_greets(scripted_model, codex_config):
        scripted_model.enqueue(Reply.text("Hello!"))
        with Codex(config=codex_config) as codex:
            ...

This module is imported by every pytest run in an environment that has the package, so it
imports nothing at module level beyond pytest; the SDK is loaded when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .._config import AppServerConfig
    from ._scripted_model import ScriptedModel

__all__ = ["codex_config", "scripted_model"]


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModel]:
    """A started `ScriptedModel` on a free loopback port; closed after the test."""
    from ._scripted_model import ScriptedModel

    with ScriptedModel() as model:
        yield model


@pytest.fixture
def codex_config(scripted_model: ScriptedModel, tmp_path: Path) -> AppServerConfig:
    """`scripted_model.config(tmp_path)`: an offline `AppServerConfig` (CODEX_HOME under
    `tmp_path`, working directory `tmp_path/workspace`)."""
    return scripted_model.config(tmp_path)
