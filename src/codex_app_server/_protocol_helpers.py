"""Small pieces shared by the sync and async protocol helpers of `Codex` and `Thread`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._models import to_wire

if TYPE_CHECKING:
    from ._async_client import AsyncAppServerClient


async def ensure_started(client: AsyncAppServerClient) -> None:
    """Start an `AsyncAppServerClient` that has not been started yet (idempotent)."""
    if client.initialize_result is None:
        await client.start()


def review_target(target: Any) -> Any:
    """A `review/start` target: None -> uncommitted changes; a string -> custom instructions.

    Anything else (a generated `ReviewTarget` variant or its dict) is sent as is.
    """
    if target is None:
        return {"type": "uncommittedChanges"}
    if isinstance(target, str):
        return {"type": "custom", "instructions": target}
    return to_wire(target)


def config_edits(edits: Mapping[str, Any] | Sequence[Any], merge_strategy: str) -> list[Any]:
    """`config/batchWrite` edits from `{key_path: value}` or from `ConfigEdit`s / dicts."""
    if isinstance(edits, Mapping):
        return [
            {"keyPath": key, "value": to_wire(value), "mergeStrategy": merge_strategy}
            for key, value in edits.items()
        ]
    return [to_wire(edit) for edit in edits]


def rollback_target(turn_ids_newest_first: Sequence[str], turns: int) -> str:
    """The turn to revert to (exclusive) so that the newest `turns` turns are dropped."""
    if turns < 1:
        raise ValueError("turns must be at least 1")
    if len(turn_ids_newest_first) < turns:
        raise ValueError(
            f"cannot roll back {turns} turn(s): the thread has {len(turn_ids_newest_first)}"
        )
    return turn_ids_newest_first[turns - 1]
