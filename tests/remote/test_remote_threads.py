"""A remote app-server read from several threads at once (sync only: see test_remote_async)."""

from __future__ import annotations

import threading

import pytest

from codex_app_server import AppServerProcess, Codex
from codex_app_server.testing import ScriptedModel
from tests.support.replies import last_word_repeated

pytestmark = pytest.mark.integration


def test_a_turn_and_concurrent_streams(
    scripted_model: ScriptedModel, server: AppServerProcess
) -> None:
    scripted_model.respond_with(last_word_repeated(20))
    with Codex(server.client_config()) as codex:
        assert "codex" in codex.metadata.user_agent.lower()
        threads = [codex.thread_start() for _ in range(4)]
        handles = [t.turn(f"say w{i}") for i, t in enumerate(threads)]
        texts: dict[int, str] = {}

        def read(i: int) -> None:
            texts[i] = "".join(
                n.params["delta"]
                for n in handles[i].stream()
                if n.method == "item/agentMessage/delta"
            )

        readers = [threading.Thread(target=read, args=(i,)) for i in range(4)]
        for r in readers:
            r.start()
        for r in readers:
            r.join(30)
        assert texts == {i: " ".join([f"w{i}"] * 20) for i in range(4)}
