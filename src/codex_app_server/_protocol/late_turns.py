"""Readers that come too late or twice: what a turn stream does when its events are gone
or already claimed by another reader (sans-IO)."""

from __future__ import annotations

from typing import Any

from .errors import CodexError
from .notifications import Notification


def second_reader_message(turn_id: str) -> str:
    """The error a second concurrent reader of one turn gets."""
    return (
        f"turn {turn_id} is already being read by another stream: a turn's events go to one "
        "reader (iterate one stream and share what it yields, or await the same handle's "
        "run() after the stream ends)"
    )


def late_turn_notes(turn_id: str, thread_id: str | None, read: Any) -> list[Notification]:
    """The notifications a late reader of a forgotten turn gets, from `thread/read`.

    `read` is the `thread/read` result (with turns), or None when the thread is unknown.
    A finished turn is replayed as one `item/completed` per stored item and its
    `turn/completed`, so that `run()` gets the turn's result; deltas are not stored by
    the server and are not replayed. Raises `CodexError` when the result cannot be had:
    no thread id, the turn is not in the thread, or it is still running although this
    connection has forgotten it.
    """
    if thread_id is None:
        raise CodexError(
            f"turn {turn_id} is not known on this connection (finished and out of retention, "
            "or never started here), and without its thread id its result cannot be read"
        )
    turns = (read or {}).get("thread", {}).get("turns") or []
    turn = next((t for t in turns if isinstance(t, dict) and t.get("id") == turn_id), None)
    if turn is None:
        raise CodexError(f"turn {turn_id} is not a turn of thread {thread_id}")
    if turn.get("status") in (None, "inProgress"):
        raise CodexError(
            f"turn {turn_id} is still running but this connection has forgotten it; its "
            "events cannot be replayed"
        )
    notes = [
        Notification.from_wire(
            "item/completed", {"threadId": thread_id, "turnId": turn_id, "item": item}
        )
        for item in turn.get("items") or []
        if isinstance(item, dict)
    ]
    notes.append(Notification.from_wire("turn/completed", {"threadId": thread_id, "turn": turn}))
    return notes
