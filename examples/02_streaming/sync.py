# Generated from async.py by scripts/unasync.py: do not edit.
"""Streaming: watch a turn as it happens, event by event, then text only.

python examples/02_streaming/sync.py                       # with your Codex account
python examples/_offline.py examples/02_streaming/sync.py  # offline, scripted model
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig, Codex, TextInput
from codex_app_server.generated.v2_all import TurnCompletedNotification

if TYPE_CHECKING:
    from codex_app_server.testing import ScriptedModel


def main(config: AppServerConfig | None = None) -> None:
    with Codex(config) as codex:
        thread = codex.thread_start()

        # 1. Every notification of one turn, in order, through `turn/completed`.
        #    `note.params` is the raw dict (cheap); `note.payload` is the typed model.
        handle = thread.turn(TextInput("Explain recursion in two sentences."))
        for note in handle.stream():
            if note.method == "item/reasoning/summaryTextDelta":
                print(f"[thinking] {note.params['delta']}")
            elif note.method == "item/started" and note.params["item"]["type"] == "agentMessage":
                print("[answer] ", end="")
            elif note.method == "item/agentMessage/delta":
                print(note.params["delta"], end="", flush=True)
            elif note.method == "item/completed" and note.params["item"]["type"] == "agentMessage":
                print()
            elif note.method == "thread/tokenUsage/updated":
                print(f"[usage] {note.params['tokenUsage']['total']['totalTokens']} tokens")
            elif isinstance(note.payload, TurnCompletedNotification):
                print(f"[turn {note.payload.turn.status.value}]")

        # 2. Only the text: the low-level client's `stream_text` yields the answer's deltas.
        print("[short] ", end="")
        for delta in codex.client.stream_text(thread.id, "Now say it in five words."):
            print(delta, end="", flush=True)
        print()


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import Reply

    model.enqueue(
        Reply.text(
            "Recursion is when a function calls itself on a smaller piece of the problem. "
            "It stops at a base case simple enough to answer directly.",
            deltas=12,
            delay=0.01,
            usage=True,
            reasoning="A definition plus the base case covers it.",
        ),
        Reply.text("Functions calling themselves, smaller.", deltas=5),
    )


if __name__ == "__main__":
    main()
