"""The sync high-level API from several threads (no asyncio counterpart: see test_codex_async)."""

from __future__ import annotations

import threading

import pytest

from codex_app_server import AppServerConfig, Codex, TurnHandle
from codex_app_server.testing import ScriptedModel
from tests.support.replies import last_word_repeated

pytestmark = pytest.mark.integration


def test_two_turns_stream_concurrently_from_two_threads(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.respond_with(last_word_repeated(50))
    with Codex(codex_config) as codex:
        handles = [codex.thread_start().turn(f"say {w}") for w in ("alpha", "beta")]
        got = read_concurrently(handles)
    assert got[handles[0].id] == " ".join(["alpha"] * 50)
    assert got[handles[1].id] == " ".join(["beta"] * 50)


def read_concurrently(handles: list[TurnHandle]) -> dict[str, str]:
    """Each handle's streamed text, read from a thread of its own."""
    got: dict[str, str] = {}

    def consume(i: int) -> None:
        h = handles[i]
        got[h.id] = "".join(
            n.params["delta"] for n in h.stream() if n.method == "item/agentMessage/delta"
        )

    readers = [threading.Thread(target=consume, args=(i,)) for i in range(2)]
    for r in readers:
        r.start()
    for r in readers:
        r.join(60)
    return got
