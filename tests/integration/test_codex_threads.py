"""The sync high-level API from several threads (no asyncio counterpart: see test_codex_async)."""

from __future__ import annotations

import threading

import pytest

from codex_app_server import AppServerConfig, Codex, TurnHandle
from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

pytestmark = pytest.mark.integration


def test_two_turns_stream_concurrently_from_two_threads(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    def reply(req: RecordedRequest) -> Reply:
        word = (req.last_user_text or "?").split()[-1]
        return Reply.text(" ".join([word] * 50), deltas=50, delay=0.002)

    scripted_model.respond_with(reply)
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
