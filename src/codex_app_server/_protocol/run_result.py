"""`RunResult` and the collector that builds it from a turn's notifications."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._logging import redact_text, sdk_logger
from ..generated.methods import TURN_COMPLETED
from .errors import TurnFailedError
from .models import model_class, validate_thread_item

if TYPE_CHECKING:
    from ..generated.v2_all import ThreadItem, ThreadTokenUsage, Turn
    from .events import ErrorReported
    from .notifications import Notification

logger = sdk_logger("codex_app_server")


@dataclass
class RunResult:
    """What `Thread.run()` returns.

    Attributes:
        final_response: text of the turn's last agent message whose phase is
            "final_answer" or unknown; None when there is no such message.
        items: the turn's completed items, typed.
        usage: token usage reported for the turn, if the server sent any.
        turn: the completed turn (status, error, timings).
        parsed: with `output_schema=` a pydantic model class, the validated instance.
        errors: the errors the runtime reported during the turn (`ErrorReported` events,
            e.g. "Reconnecting... 2/5" with `will_retry`), in order.
        stopped_by: the run limit that ended the run (`"max_turns"`, `"max_tool_calls"`,
            `"max_tokens"`, `"max_duration"`), None when none did.
        turns: how many turns the run took (hooks' follow-ups included).

    Equality compares `final_response`, `items` and `usage` only, as the seed's three-field
    result did: `RunResult(text, items, usage) == thread.run(...)` holds.
    """

    final_response: str | None
    items: list[ThreadItem] = field(default_factory=list)
    usage: ThreadTokenUsage | None = None
    turn: Turn | None = field(default=None, compare=False)
    parsed: Any = field(default=None, compare=False)
    errors: list[ErrorReported] = field(default_factory=list, compare=False)
    stopped_by: str | None = field(default=None, compare=False)
    turns: int = field(default=1, compare=False)


class TurnCollector:
    """Accumulates what a turn's notifications say (raw dicts; typed only at the end)."""

    __slots__ = (
        "completed",
        "error_message",
        "errors",
        "on_error",
        "raw_items",
        "raw_turn",
        "raw_usage",
        "turn_id",
    )

    def __init__(
        self, turn_id: str, on_error: Callable[[ErrorReported], Any] | None = None
    ) -> None:
        self.turn_id = turn_id
        self.on_error = on_error
        #: Every `error` notification of the turn, retried or not, in order.
        self.errors: list[ErrorReported] = []
        self.raw_items: list[dict[str, Any]] = []
        self.raw_usage: dict[str, Any] | None = None
        self.raw_turn: dict[str, Any] | None = None
        self.error_message: str | None = None
        self.completed = False

    def feed(self, note: Notification) -> None:
        method = note.method
        params = note.params
        if method == "item/completed":
            item = params.get("item")
            if isinstance(item, dict):
                self.raw_items.append(item)
        elif method == "thread/tokenUsage/updated":
            usage = params.get("tokenUsage")
            if isinstance(usage, dict):
                self.raw_usage = usage
        elif method == "error":
            error = params.get("error")
            if isinstance(error, dict) and not params.get("willRetry"):
                self.error_message = str(error.get("message") or "") or None
            self._runtime_error(note)
        elif method == TURN_COMPLETED:
            turn = params.get("turn")
            if isinstance(turn, dict):
                self.raw_turn = turn
            self.completed = True

    def _runtime_error(self, note: Notification) -> None:
        from .events import ErrorReported, event_from  # events load on the first error

        event = event_from(note)
        if not isinstance(event, ErrorReported):
            return
        self.errors.append(event)
        logger.warning(
            "the runtime reported an error in turn %s%s: %s",
            self.turn_id,
            " (it retries by itself)" if event.will_retry else "",
            redact_text(event.message),
        )
        if self.on_error is not None:
            try:
                self.on_error(event)
            except Exception:
                logger.exception("the on_runtime_error callback raised; ignored")

    @property
    def status(self) -> str | None:
        return self.raw_turn.get("status") if self.raw_turn else None

    def final_response(self) -> str | None:
        for item in reversed(self.raw_items):
            if item.get("type") == "agentMessage" and item.get("phase") in (None, "final_answer"):
                text = item.get("text")
                return text if isinstance(text, str) else None
        return None

    def turn(self, items: list[ThreadItem] | None = None) -> Turn:
        """The completed turn, with the collected items when the server sent none.

        Items that do not validate (a type newer than this SDK) are left out, not fatal.
        """
        raw = dict(self.raw_turn or {"id": self.turn_id, "status": "inProgress", "items": []})
        server_items = raw.get("items")
        if server_items and isinstance(server_items, list):
            raw["items"] = _typed_items(server_items)
        else:
            raw["items"] = self.items() if items is None else items
        return model_class("Turn").model_validate(raw)  # type: ignore[return-value]

    def items(self) -> list[ThreadItem]:
        """The collected items, typed; any that do not validate are logged and skipped."""
        return _typed_items(self.raw_items)

    def usage(self) -> ThreadTokenUsage | None:
        if self.raw_usage is None:
            return None
        return model_class("ThreadTokenUsage").model_validate(self.raw_usage)  # type: ignore[return-value]

    def result(self, *, raise_on_failure: bool = True) -> RunResult:
        """The `RunResult`; raises `TurnFailedError` for a failed turn unless told not to."""
        if raise_on_failure and self.status == "failed":
            error = (self.raw_turn or {}).get("error") or {}
            message = error.get("message") if isinstance(error, dict) else None
            raise TurnFailedError(self.turn_id, message or self.error_message, self.raw_turn)
        items = self.items()
        return RunResult(
            final_response=self.final_response(),
            items=items,
            usage=self.usage(),
            turn=self.turn(items),
            errors=list(self.errors),
        )


def _typed_items(raw_items: list[Any]) -> list[ThreadItem]:
    typed: list[ThreadItem] = []
    for raw in raw_items:
        try:
            typed.append(validate_thread_item(raw))
        except Exception as exc:  # a newer item type or shape: keep going
            logger.warning("skipping an item that does not validate: %s", exc)
    return typed


def feeder(collector: TurnCollector | None) -> Callable[[Notification], None] | None:
    """What a turn's stream calls with each notification it yields: `collector.feed`, a
    no-op without a collector, or None when `collector` already completed (nothing is left
    to stream)."""
    if collector is None:
        return _unobserved
    return None if collector.completed else collector.feed


def _unobserved(note: Notification) -> None:
    """The feeder of a stream without a collector."""
