"""Fixtures for the integration tests: a workspace-write config (`config`) and its workspace.

A module that needs another config defines its own `config` fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_app_server import AppServerConfig
from codex_app_server.testing import ScriptedModel


@pytest.fixture
def config(scripted_model: ScriptedModel, tmp_path: Path) -> AppServerConfig:
    """Commands may write in the workspace, so an approved `touch` really creates a file."""
    return scripted_model.config(tmp_path, sandbox_mode="workspace-write")


@pytest.fixture
def workspace(config: AppServerConfig) -> Path:
    assert config.cwd is not None
    return Path(config.cwd)
