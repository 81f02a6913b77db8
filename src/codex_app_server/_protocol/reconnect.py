"""Reconnect bookkeeping shared by the sync and async clients (no I/O here).

When a remote connection drops, a client reconnects with backoff, re-initializes, sends
`thread/resume` for every thread it has loaded (the server then sends the rest of any
running turn), puts a `ConnectionResumed` marker in every active turn's stream, and, when
such a turn completes, recovers from `thread/read` the items whose `item/completed` was
lost in the gap.
"""

from __future__ import annotations

from typing import Any

from .._logging import sdk_logger
from .errors import CodexError, ConnectionLostError, TransportClosedError
from .notifications import CONNECTION_RESUMED, Notification
from .retry import backoff_delay

logger = sdk_logger("codex_app_server")

_LOADS = frozenset({"thread/start", "thread/resume", "thread/fork", "thread/unarchive"})
_UNLOADS = frozenset({"thread/archive", "thread/unsubscribe", "thread/delete"})
#: Jitter of each reconnect delay: +-50%.
JITTER = 0.5


class LoadedThreads:
    """The threads this client has loaded on the server (to resume after a reconnect)."""

    def __init__(self) -> None:
        self._ids: dict[str, None] = {}

    def note(self, method: str, params: Any, result: Any) -> None:
        if method in _LOADS:
            thread = result.get("thread") if isinstance(result, dict) else None
            thread_id = thread.get("id") if isinstance(thread, dict) else None
            if isinstance(thread_id, str):
                self._ids[thread_id] = None
        elif method in _UNLOADS and isinstance(params, dict):
            thread_id = params.get("threadId")
            if isinstance(thread_id, str):
                self._ids.pop(thread_id, None)

    def ids(self) -> list[str]:
        return list(self._ids)


class GapTracker:
    """Per turn stream: was there a gap, and which items completed (by id)."""

    __slots__ = ("gap", "seen")

    def __init__(self) -> None:
        self.gap = False
        self.seen: set[str] = set()

    def feed(self, note: Notification) -> bool:
        """Record `note`; False when it is a duplicate `item/completed` to skip."""
        if note.method == CONNECTION_RESUMED:
            self.gap = True
        elif note.method == "item/completed":
            item = note.params.get("item")
            item_id = item.get("id") if isinstance(item, dict) else None
            if isinstance(item_id, str):
                if item_id in self.seen:
                    return False
                self.seen.add(item_id)
        return True

    def recovered(self, read_result: Any, thread_id: str, turn_id: str) -> list[Notification]:
        """`item/completed` notifications for the turn's stored items never seen streamed."""
        turns = (
            read_result.get("thread", {}).get("turns") if isinstance(read_result, dict) else None
        )
        for turn in turns or []:
            if isinstance(turn, dict) and turn.get("id") == turn_id:
                notes = []
                for item in turn.get("items") or []:
                    item_id = item.get("id") if isinstance(item, dict) else None
                    if isinstance(item_id, str) and item_id not in self.seen:
                        self.seen.add(item_id)
                        params = {"threadId": thread_id, "turnId": turn_id, "item": item}
                        notes.append(Notification("item/completed", params, turn_id, thread_id))
                if notes:
                    logger.warning(
                        "turn %s: recovered %d item(s) lost in a reconnect gap from thread/read",
                        turn_id,
                        len(notes),
                    )
                return notes
        return []


def delay(config: Any, attempt: int) -> float:
    """Seconds before reconnect attempt `attempt + 1` (exponential, jittered)."""
    return backoff_delay(
        attempt, config.reconnect_initial_delay, config.reconnect_max_delay, JITTER
    )


def lost_error(url: str) -> ConnectionLostError:
    return ConnectionLostError(
        f"the connection to {url} dropped with this request in flight; the client is "
        "reconnecting, and whether the request took effect is unknown (retryable)"
    )


def gave_up_error(
    url: str, seconds: float, attempts: int, last: CodexError | None
) -> TransportClosedError:
    why = f": {last}" if last is not None else ""
    return TransportClosedError(
        f"lost the connection to {url} and could not reconnect "
        f"({attempts} attempt(s) in {seconds:.1f}s){why}"
    )


def may_retry(exc: CodexError) -> bool:
    """Whether a failed reconnect attempt is worth repeating (a refused token is not)."""
    from .errors import AuthenticationError

    return not isinstance(exc, AuthenticationError)
