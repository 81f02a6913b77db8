"""Run limits: how many turns, tool calls, tokens and seconds a run (or a thread) may use.

Pure accounting, fed a run's notifications; the driver asks it what was reached and then
interrupts the turn. A `RunResult` says which limit ended the run (`stopped_by`), and
`run(..., raise_on_limit=True)` raises `RunLimitExceeded` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from .errors import RunLimitExceeded

if TYPE_CHECKING:
    from .notifications import Notification

__all__ = ["LimitName", "LimitTracker", "RunLimitExceeded", "RunLimits"]

#: The name of a limit, as `RunResult.stopped_by` says it.
LimitName = Literal["max_turns", "max_tool_calls", "max_tokens", "max_duration"]

#: Items that count as one tool call each (when they start).
TOOL_ITEMS = frozenset(
    {"commandExecution", "fileChange", "mcpToolCall", "dynamicToolCall", "webSearch"}
)


@dataclass(frozen=True)
class RunLimits:
    """Bounds on a run; None means unbounded.

    Attributes:
        max_turns: turns in one `run()`, the first included; a `on_turn_end` hook's
            follow-up prompts stop when it is reached (3 = the prompt and two follow-ups).
        max_tool_calls: commands, file changes, MCP and dynamic tool calls, web searches.
        max_tokens: total tokens, as the runtime's usage notifications count them, summed
            over the run's turns.
        max_duration: seconds from the start of the run.
    """

    max_turns: int | None = None
    max_tool_calls: int | None = None
    max_tokens: int | None = None
    max_duration: float | None = None

    def __post_init__(self) -> None:
        for name in ("max_turns", "max_tool_calls", "max_tokens", "max_duration"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value < 0):
                raise ValueError(f"{name} must be a non-negative number or None, not {value!r}")
        if self.max_turns is not None and self.max_turns < 1:
            raise ValueError("max_turns must be at least 1")

    @property
    def unbounded(self) -> bool:
        return (
            self.max_turns is None
            and self.max_tool_calls is None
            and self.max_tokens is None
            and self.max_duration is None
        )

    def tighter(self, other: RunLimits | None) -> RunLimits:
        """Each bound the smaller of `self`'s and `other`'s (a thread's and a run's)."""
        if other is None:
            return self

        def low(a: Any, b: Any) -> Any:
            return b if a is None else a if b is None else min(a, b)

        return RunLimits(
            low(self.max_turns, other.max_turns),
            low(self.max_tool_calls, other.max_tool_calls),
            low(self.max_tokens, other.max_tokens),
            low(self.max_duration, other.max_duration),
        )


class LimitTracker:
    """The accounting of one run against its `RunLimits` (clock readings passed in)."""

    __slots__ = ("_turn_tokens", "limits", "reached", "started_at", "tokens", "tool_calls", "turns")

    def __init__(self, limits: RunLimits, now: float) -> None:
        self.limits = limits
        self.started_at = now
        self.turns = 0
        self.tool_calls = 0
        self.tokens = 0
        self._turn_tokens = 0
        self.reached: LimitName | None = None

    def turn_started(self) -> LimitName | None:
        """Count a turn; `"max_turns"` when the run may not start another one."""
        max_turns = self.limits.max_turns
        if max_turns is not None and self.turns >= max_turns:
            self.reached = "max_turns"
            return self.reached
        self.turns += 1
        self.tokens += self._turn_tokens
        self._turn_tokens = 0
        return None

    def feed(self, note: Notification) -> LimitName | None:
        """Account one notification; the limit it reaches, if any (once)."""
        if self.reached is not None:
            return None
        method = note.method
        limits = self.limits
        if method == "item/started" and limits.max_tool_calls is not None:
            item = note.params.get("item")
            if isinstance(item, dict) and item.get("type") in TOOL_ITEMS:
                self.tool_calls += 1
                if self.tool_calls > limits.max_tool_calls:
                    self.reached = "max_tool_calls"
        elif method == "thread/tokenUsage/updated" and limits.max_tokens is not None:
            usage = note.params.get("tokenUsage")
            last = usage.get("last") if isinstance(usage, dict) else None
            total = last.get("totalTokens") if isinstance(last, dict) else None
            if isinstance(total, int):
                # `last` is one model request; the turn's tokens are their sum.
                self._turn_tokens += total
                if self.tokens + self._turn_tokens >= limits.max_tokens:
                    self.reached = "max_tokens"
        return self.reached

    def used_tokens(self) -> int:
        return self.tokens + self._turn_tokens

    def remaining(self, now: float) -> float | None:
        """Seconds left before `max_duration` (None: unbounded)."""
        if self.limits.max_duration is None:
            return None
        return self.limits.max_duration - (now - self.started_at)

    def check_time(self, now: float) -> LimitName | None:
        left = self.remaining(now)
        if self.reached is None and left is not None and left <= 0:
            self.reached = "max_duration"
        return self.reached
