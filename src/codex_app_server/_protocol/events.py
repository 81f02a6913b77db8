"""Typed turn events: a small set of frozen classes to `match` on, built from notifications.

`TurnHandle.events()` yields these instead of raw notifications:

>>> for event in handle.events():  # doctest: +SKIP
...     match event:
...         case TextDelta(delta=text):
...             print(text, end="")
...         case ItemCompleted(item=CommandExecutionThreadItem(command=cmd, exit_code=code)):
...             print(f"\\n$ {cmd} -> {code}")
...         case TurnCompleted(status=status, usage=usage):
...             print(f"\\n[{status}] {usage.total.total_tokens if usage else '?'} tokens")

Cheap by construction: an event holds the raw params and the few scalars a `match` needs
(ids, delta text, status); typed models (`item`, `usage`, `error`) are validated only when
read, once. Anything without a class of its own arrives as `RawEvent`, so nothing is hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .models import typed_thread_item, validate_as
from .notifications import CONNECTION_RESUMED, Notification

if TYPE_CHECKING:
    from ..generated.v2_all import ThreadTokenUsage, Turn, TurnError

__all__ = [
    "CommandOutputDelta",
    "ErrorReported",
    "Event",
    "ItemCompleted",
    "ItemStarted",
    "RawEvent",
    "Reconnected",
    "ReasoningDelta",
    "TextDelta",
    "TokenUsage",
    "TurnCompleted",
    "TurnStarted",
    "event_from",
]

_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every turn event: the thread and turn it belongs to."""

    thread_id: str | None
    turn_id: str | None

    def _cache(self, name: str, build: Callable[[], Any]) -> Any:
        value = getattr(self, name)
        if value is _UNSET:
            value = build()
            object.__setattr__(self, name, value)
        return value


@dataclass(frozen=True, slots=True)
class TurnStarted(Event):
    """The turn began (`turn/started`)."""


@dataclass(frozen=True, slots=True)
class _ItemEvent(Event):
    item_id: str | None
    item_type: str | None
    """The raw item type (`agentMessage`, `reasoning`, `commandExecution`, `fileChange`,
    `mcpToolCall`, `dynamicToolCall`, `webSearch`, ...): cheap to test, no validation."""
    raw_item: dict[str, Any] = field(repr=False)
    _item: Any = field(default=_UNSET, init=False, repr=False, compare=False)

    @property
    def item(self) -> Any:
        """The typed item: `AgentMessageThreadItem`, `CommandExecutionThreadItem`,
        `FileChangeThreadItem`, ... (the generated class of `item_type`), validated once."""
        return self._cache("_item", lambda: typed_thread_item(self.raw_item))


@dataclass(frozen=True, slots=True)
class ItemStarted(_ItemEvent):
    """An item began (`item/started`): an agent message, a command, a file change, ..."""


@dataclass(frozen=True, slots=True)
class ItemCompleted(_ItemEvent):
    """An item finished (`item/completed`) with its final content."""


@dataclass(frozen=True, slots=True)
class TextDelta(Event):
    """A piece of the agent's answer (`item/agentMessage/delta`)."""

    item_id: str | None
    delta: str


@dataclass(frozen=True, slots=True)
class ReasoningDelta(Event):
    """A piece of the model's reasoning: its summary (`kind="summary"`) or raw text."""

    item_id: str | None
    delta: str
    kind: str = "summary"


@dataclass(frozen=True, slots=True)
class CommandOutputDelta(Event):
    """Output of a running command (`item/commandExecution/outputDelta`)."""

    item_id: str | None
    delta: str


@dataclass(frozen=True, slots=True)
class TokenUsage(Event):
    """Token usage so far (`thread/tokenUsage/updated`)."""

    total_tokens: int | None
    raw_usage: dict[str, Any] = field(repr=False)
    _usage: Any = field(default=_UNSET, init=False, repr=False, compare=False)

    @property
    def usage(self) -> ThreadTokenUsage:
        """The typed usage (`usage.total`, `usage.last`)."""
        return self._cache("_usage", lambda: validate_as("ThreadTokenUsage", self.raw_usage))  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class ErrorReported(Event):
    """The runtime reported an error (`error`); with `will_retry` it is retrying by itself
    (e.g. "Reconnecting... 2/5"), without it the turn is about to fail."""

    message: str
    will_retry: bool
    raw_error: dict[str, Any] = field(repr=False)
    _error: Any = field(default=_UNSET, init=False, repr=False, compare=False)

    @property
    def error(self) -> TurnError:
        """The typed error (`message`, `codex_error_info`, `additional_details`)."""
        return self._cache("_error", lambda: validate_as("TurnError", self.raw_error))  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class TurnCompleted(Event):
    """The turn ended (`turn/completed`): `status` is `completed`, `interrupted` or `failed`;
    `error_message` says why it failed; `usage` is the last usage the turn reported."""

    status: str | None
    error_message: str | None
    raw_turn: dict[str, Any] = field(repr=False)
    raw_usage: dict[str, Any] | None = field(default=None, repr=False)
    _turn: Any = field(default=_UNSET, init=False, repr=False, compare=False)
    _usage: Any = field(default=_UNSET, init=False, repr=False, compare=False)

    @property
    def turn(self) -> Turn:
        """The typed turn (status, error, timings)."""
        return self._cache("_turn", lambda: validate_as("Turn", self.raw_turn))  # type: ignore[no-any-return]

    @property
    def usage(self) -> ThreadTokenUsage | None:
        """The typed usage, if the turn reported any."""
        raw = self.raw_usage
        return self._cache(  # type: ignore[no-any-return]
            "_usage", lambda: None if raw is None else validate_as("ThreadTokenUsage", raw)
        )


@dataclass(frozen=True, slots=True)
class Reconnected(Event):
    """The connection to a remote app-server dropped and came back mid-turn (an SDK marker,
    not a server notification): events the server sent in the gap are lost, except the
    items, which are recovered from `thread/read` before `TurnCompleted`."""

    url: str
    gap_seconds: float


@dataclass(frozen=True, slots=True)
class RawEvent(Event):
    """Any other notification, as received (`notification.method`, `.params`, `.payload`)."""

    notification: Notification


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _item_event(cls: type[_ItemEvent], note: Notification) -> Event:
    raw = note.params.get("item")
    if not isinstance(raw, dict):
        return RawEvent(note.thread_id, note.turn_id, note)
    return cls(note.thread_id, note.turn_id, _str(raw.get("id")), _str(raw.get("type")), raw)


def _delta(cls: Any, note: Notification, **extra: Any) -> Event:
    params = note.params
    delta = params.get("delta")
    if not isinstance(delta, str):
        return RawEvent(note.thread_id, note.turn_id, note)
    return cls(note.thread_id, note.turn_id, _str(params.get("itemId")), delta, **extra)  # type: ignore[no-any-return]


def _usage(note: Notification) -> Event:
    raw = note.params.get("tokenUsage")
    if not isinstance(raw, dict):
        return RawEvent(note.thread_id, note.turn_id, note)
    total = raw.get("total")
    tokens = total.get("totalTokens") if isinstance(total, dict) else None
    return TokenUsage(
        note.thread_id, note.turn_id, tokens if isinstance(tokens, int) else None, raw
    )


def _error(note: Notification) -> Event:
    raw = note.params.get("error")
    if not isinstance(raw, dict):
        return RawEvent(note.thread_id, note.turn_id, note)
    message = str(raw.get("message") or "")
    return ErrorReported(
        note.thread_id, note.turn_id, message, bool(note.params.get("willRetry")), raw
    )


def _completed(note: Notification, usage: dict[str, Any] | None) -> Event:
    raw = note.params.get("turn")
    if not isinstance(raw, dict):
        return RawEvent(note.thread_id, note.turn_id, note)
    error = raw.get("error")
    message = _str(error.get("message")) if isinstance(error, dict) else None
    return TurnCompleted(note.thread_id, note.turn_id, _str(raw.get("status")), message, raw, usage)


def _resumed(note: Notification) -> Event:
    params = note.params
    seconds = params.get("gapSeconds")
    return Reconnected(
        note.thread_id,
        note.turn_id,
        str(params.get("url") or ""),
        float(seconds) if isinstance(seconds, (int, float)) else 0.0,
    )


_BUILDERS: dict[str, Callable[[Notification], Event]] = {
    "turn/started": lambda n: TurnStarted(n.thread_id, n.turn_id),
    "item/started": lambda n: _item_event(ItemStarted, n),
    "item/completed": lambda n: _item_event(ItemCompleted, n),
    "item/agentMessage/delta": lambda n: _delta(TextDelta, n),
    "item/reasoning/summaryTextDelta": lambda n: _delta(ReasoningDelta, n, kind="summary"),
    "item/reasoning/textDelta": lambda n: _delta(ReasoningDelta, n, kind="text"),
    "item/commandExecution/outputDelta": lambda n: _delta(CommandOutputDelta, n),
    "thread/tokenUsage/updated": _usage,
    "error": _error,
    CONNECTION_RESUMED: _resumed,
}


class EventBuilder:
    """Turns one turn's notifications into events; remembers the last usage so that
    `TurnCompleted.usage` carries it."""

    __slots__ = ("_usage",)

    def __init__(self) -> None:
        self._usage: dict[str, Any] | None = None

    def __call__(self, note: Notification) -> Event:
        method = note.method
        if method == "turn/completed":
            return _completed(note, self._usage)
        build = _BUILDERS.get(method)
        if build is None:
            return RawEvent(note.thread_id, note.turn_id, note)
        event = build(note)
        if isinstance(event, TokenUsage):
            self._usage = event.raw_usage
        return event


def event_from(note: Notification) -> Event:
    """The event for one notification (without usage memory; see `EventBuilder`)."""
    return EventBuilder()(note)
