"""Concurrent turns, asyncio: one AsyncCodex client runs several turns at once.

Each turn's notifications are routed to its own handle by turn id: `asyncio.gather` over
`run()` or `stream()` calls just works, with no lock and no thread per turn.

    python examples/03_concurrent_turns/async.py                       # with your account
    python examples/_offline.py examples/03_concurrent_turns/async.py  # offline
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig, AsyncCodex, AsyncTurnHandle, TextInput

if TYPE_CHECKING:
    from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

QUESTIONS = [
    "What is 6 times 7?",
    "Which is the largest planet?",
    "What is 'stressed' spelled backwards?",
]


async def main(config: AppServerConfig | None = None) -> None:
    async with AsyncCodex(config) as codex:
        threads = await asyncio.gather(*(codex.thread_start() for _ in QUESTIONS))
        started = time.monotonic()

        # The simple way: run every turn to completion, concurrently.
        results = await asyncio.gather(
            *(thread.run(question) for thread, question in zip(threads, QUESTIONS, strict=True))
        )
        for question, result in zip(QUESTIONS, results, strict=True):
            print(f"{question} -> {result.final_response}")

        # Streaming several turns at once: each handle sees only its own turn's events.
        async def collect(handle: AsyncTurnHandle) -> str:
            parts = []
            async for note in handle.stream():
                if note.method == "item/agentMessage/delta":
                    parts.append(note.params["delta"])
            return "".join(parts)

        handles = await asyncio.gather(
            *(t.turn(TextInput(f"Again: {q}")) for t, q in zip(threads, QUESTIONS, strict=True))
        )
        streamed = await asyncio.gather(*(collect(h) for h in handles))
        print("streamed again:", streamed)
        print(f"{2 * len(QUESTIONS)} turns in {time.monotonic() - started:.2f} s")


ANSWERS = {
    "6 times 7": "Six times seven is 42.",
    "largest planet": "Jupiter is the largest planet.",
    "'stressed'": "Backwards, 'stressed' is 'desserts'.",
}


def answer(request: RecordedRequest) -> Reply:
    """Offline: the scripted model answers by what it was asked (turns arrive in any order)."""
    from codex_app_server.testing import Reply

    question = request.last_user_text or ""
    text = next((a for key, a in ANSWERS.items() if key in question), "I don't know.")
    return Reply.text(text, deltas=4, delay=0.05)


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    model.respond_with(answer)


if __name__ == "__main__":
    asyncio.run(main())
