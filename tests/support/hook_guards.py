"""A `before_tool` hook that records what it was asked and always answers the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codex_app_server import HookDecision, ToolUse


def recording_guard(answer: HookDecision) -> tuple[list[ToolUse], Callable[[ToolUse], Any]]:
    """`(uses, guard)`: `guard` appends each `ToolUse` to `uses` and returns `answer`."""
    uses: list[ToolUse] = []

    def guard(use: ToolUse) -> Any:
        uses.append(use)
        return answer

    return uses, guard
