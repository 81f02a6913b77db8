# Generated from async.py by scripts/unasync.py: do not edit.
"""Resume and fork: threads outlive the process; a fork branches a conversation.

Threads are stored under CODEX_HOME, so a new app-server process can `thread_resume` one
by id and go on with its whole history. `thread_fork` copies a thread's history into a
new thread: the two then go their own ways.

    python examples/08_resume_and_fork/sync.py                       # with your account
    python examples/_offline.py examples/08_resume_and_fork/sync.py  # offline
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig, Codex

if TYPE_CHECKING:
    from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

QUESTION = "What is the code word? One word."


def main(config: AppServerConfig | None = None) -> None:
    with Codex(config) as codex:
        thread = codex.thread_start()
        thread.set_name("code word")
        first = thread.run("Remember the code word: pelican.")
        print("original:", first.final_response)
        thread_id = thread.id

    # A new process: nothing in memory, the history comes from CODEX_HOME.
    with Codex(config) as codex:
        original = codex.thread_resume(thread_id)
        print("resumed: ", original.run(QUESTION).final_response)

        fork = codex.thread_fork(thread_id)
        changed = fork.run("Change of plan: the code word is now albatross.")
        print("fork:    ", changed.final_response)
        # The two threads are independent: the fork's change does not reach the original.
        print("fork:    ", fork.run(QUESTION).final_response)
        print("original:", original.run(QUESTION).final_response)

        for name, t in (("original", original), ("fork", fork)):
            stored = t.read(include_turns=True).thread
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
    main()
