"""Fixtures of the `codex_app_server.testing` tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from codex_app_server.testing import ScriptedModel
from tests.testing.http_client import Client


@pytest.fixture
def client(scripted_model: ScriptedModel) -> Iterator[Client]:
    c = Client(scripted_model)
    yield c
    c.close()
