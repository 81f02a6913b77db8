"""Resume and fork, asyncio: threads outlive the process; a fork branches a conversation.

Threads are stored under CODEX_HOME, so a new app-server process can `thread_resume` one
by id and go on with its whole history. `thread_fork` copies a thread's history into a
new thread: the two then go their own ways.

    python examples/08_resume_and_fork/async.py                       # with your account
    python examples/_offline.py examples/08_resume_and_fork/async.py  # offline
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig, AsyncCodex

if TYPE_CHECKING:
    from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

QUESTION = "What is the code word? One word."


async def main(config: AppServerConfig | None = None) -> None:
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()
        await thread.set_name("code word")
        first = await thread.run("Remember the code word: pelican.")
        print("original:", first.final_response)
        thread_id = thread.id

    # A new process: nothing in memory, the history comes from CODEX_HOME.
    async with AsyncCodex(config) as codex:
        original = await codex.thread_resume(thread_id)
        print("resumed: ", (await original.run(QUESTION)).final_response)

        fork = await codex.thread_fork(thread_id)
        changed = await fork.run("Change of plan: the code word is now albatross.")
        print("fork:    ", changed.final_response)
        # The two threads are independent: the fork's change does not reach the original.
        print("fork:    ", (await fork.run(QUESTION)).final_response)
        print("original:", (await original.run(QUESTION)).final_response)

        for name, t in (("original", original), ("fork", fork)):
            stored = (await t.read(include_turns=True)).thread
            print(f"{name} {t.id}: {len(stored.turns)} turns")


def remember(request: RecordedRequest) -> Reply:
    """Offline: the scripted model answers from the history it is sent with each request,
    so the right code word shows that resume and fork really carried the history."""
    from codex_app_server.testing import Reply

    said = request.user_texts[:-1]  # what the user said before this question
    if request.last_user_text != QUESTION:
        return Reply.text("Noted.")
    words = [w for text in said for w in ("pelican", "albatross") if w in text]
    return Reply.text(f"The code word is {words[-1]}." if words else "I don't know.")


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    model.respond_with(remember)


if __name__ == "__main__":
    asyncio.run(main())
