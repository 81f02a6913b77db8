"""Fixtures for the integration tests: a workspace-write config (`config`) and its
workspace; `spans`, an in-memory span exporter set as the tracer provider for one test.

A module that needs another config defines its own `config` fixture."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


@pytest.fixture
def spans() -> Iterator[Any]:
    """The `InMemorySpanExporter` every span of the test goes to (the SDK's tracing on)."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    previous = trace._TRACER_PROVIDER  # the API sets a global provider only once
    trace._TRACER_PROVIDER = provider
    try:
        yield exporter
    finally:
        trace._TRACER_PROVIDER = previous
        provider.shutdown()
