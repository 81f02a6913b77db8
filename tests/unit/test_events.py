"""Typed turn events: every notification becomes one event; typed models load lazily."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from codex_app_server._protocol.events import (
    CommandOutputDelta,
    ErrorReported,
    EventBuilder,
    ItemCompleted,
    ItemStarted,
    RawEvent,
    ReasoningDelta,
    TextDelta,
    TokenUsage,
    TurnCompleted,
    TurnStarted,
)
from codex_app_server._protocol.notifications import Notification

USAGE = {
    "total": {
        "totalTokens": 9,
        "inputTokens": 6,
        "cachedInputTokens": 0,
        "outputTokens": 3,
        "reasoningOutputTokens": 1,
    },
    "last": {
        "totalTokens": 9,
        "inputTokens": 6,
        "cachedInputTokens": 0,
        "outputTokens": 3,
        "reasoningOutputTokens": 1,
    },
}
IDS = {"threadId": "thr", "turnId": "trn"}


def note(method: str, **params: Any) -> Notification:
    return Notification.from_wire(method, {**IDS, **params})


def test_each_kind_of_notification_has_its_event() -> None:
    build = EventBuilder()
    events = [
        build(note("turn/started", turn={"id": "trn", "status": "inProgress", "items": []})),
        build(note("item/started", item={"type": "reasoning", "id": "rs", "summary": []})),
        build(note("item/reasoning/summaryTextDelta", itemId="rs", delta="hm", summaryIndex=0)),
        build(note("item/reasoning/textDelta", itemId="rs", delta="raw", contentIndex=0)),
        build(note("item/agentMessage/delta", itemId="msg", delta="Hel")),
        build(note("item/commandExecution/outputDelta", itemId="cmd", delta="out")),
        build(note("thread/tokenUsage/updated", tokenUsage=USAGE)),
        build(note("error", error={"message": "Reconnecting... 2/5"}, willRetry=True)),
        build(note("turn/completed", turn={"id": "trn", "status": "completed", "items": []})),
        build(note("thread/status/changed", status={"type": "idle"})),
    ]
    kinds = [type(e) for e in events]
    assert kinds == [
        TurnStarted,
        ItemStarted,
        ReasoningDelta,
        ReasoningDelta,
        TextDelta,
        CommandOutputDelta,
        TokenUsage,
        ErrorReported,
        TurnCompleted,
        RawEvent,
    ]
    assert all(e.thread_id == "thr" for e in events)
    assert events[2] == ReasoningDelta("thr", "trn", "rs", "hm", kind="summary")
    assert events[3].kind == "text"  # type: ignore[attr-defined]
    assert events[6].total_tokens == 9  # type: ignore[attr-defined]
    assert events[7].will_retry and events[7].message == "Reconnecting... 2/5"  # type: ignore[attr-defined]
    completed = events[8]
    assert isinstance(completed, TurnCompleted) and completed.status == "completed"
    assert completed.usage is not None and completed.usage.total.total_tokens == 9
    assert isinstance(events[9], RawEvent) and events[9].notification.method.endswith("changed")


def test_events_are_frozen_and_match_by_field() -> None:
    event = EventBuilder()(note("item/agentMessage/delta", itemId="m", delta="hi"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.delta = "x"  # type: ignore[attr-defined]
    match event:
        case TextDelta(delta=text, item_id="m"):
            assert text == "hi"
        case _:
            pytest.fail("no match")


def test_typed_item_is_validated_once_and_only_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    from codex_app_server._protocol import events as events_module

    calls: list[Any] = []
    real = events_module.typed_thread_item  # type: ignore[attr-defined]

    def counting(raw: Any) -> Any:
        calls.append(raw)
        return real(raw)

    monkeypatch.setattr(events_module, "typed_thread_item", counting)
    raw: dict[str, Any] = {
        "type": "commandExecution",
        "id": "c",
        "command": "ls",
        "cwd": "/",
        "status": "completed",
    }
    raw |= {"commandActions": [], "exitCode": 0, "aggregatedOutput": "a\n"}
    event = EventBuilder()(note("item/completed", item=raw))
    assert isinstance(event, ItemCompleted) and event.item_type == "commandExecution"
    assert calls == []
    item = event.item
    assert type(item).__name__ == "CommandExecutionThreadItem" and item.exit_code == 0
    assert event.item is item and len(calls) == 1


def test_malformed_params_fall_back_to_raw_events() -> None:
    build = EventBuilder()
    cases: list[tuple[str, dict[str, Any]]] = [
        ("item/completed", {"item": "not a dict"}),
        ("item/agentMessage/delta", {"delta": 5}),
        ("thread/tokenUsage/updated", {"tokenUsage": None}),
        ("error", {"error": "boom"}),
        ("turn/completed", {"turn": []}),
    ]
    for method, params in cases:
        assert isinstance(build(note(method, **params)), RawEvent), method


def test_a_failed_turn_carries_its_error_message() -> None:
    turn = {"id": "trn", "status": "failed", "items": [], "error": {"message": "rate limited"}}
    event = EventBuilder()(note("turn/completed", turn=turn))
    assert isinstance(event, TurnCompleted)
    assert (event.status, event.error_message, event.usage) == ("failed", "rate limited", None)
    assert event.turn.status.value == "failed"
