"""How the method tests declare what they cover, and the environment they share.

Each test declares the methods it covers with `@covers(...)` (the call succeeds and its typed
result is checked), `@accepted(...)` (the runtime accepts it offline; its feature needs the
network) or `@fails_offline(...)` (the call fails the documented way, because the method needs
an account, a remote service or hardware this machine does not have). A recorder on the
client's `_typed_request` checks that every declared method really went through its wrapper
with that outcome.
"""

from __future__ import annotations

import functools
import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from codex_app_server import AppServerClient, Codex, JsonRpcError
from codex_app_server.testing import Reply, ScriptedModel

F = TypeVar("F", bound=Callable[..., Any])

#: method -> the test that verifies it offline
VERIFIED: dict[str, str] = {}
#: method -> the test that checks it is accepted offline, though its feature needs the network
ACCEPTED: dict[str, str] = {}
#: method -> (the error it fails with offline, why)
FAILS: dict[str, tuple[type[JsonRpcError], str]] = {}


def covers(*methods: str) -> Callable[[F], F]:
    """The test calls each method through its wrapper and checks the typed result."""
    return _declare(VERIFIED, "_covers", methods)


def accepted(*methods: str) -> Callable[[F], F]:
    """The runtime accepts the call offline; the feature behind it needs the network."""
    return _declare(ACCEPTED, "_accepted", methods)


def fails_offline(method: str, error: type[JsonRpcError], why: str) -> Callable[[F], F]:
    """The test checks that the method fails offline with `error`, for the reason given."""
    assert method not in FAILS, method
    FAILS[method] = (error, why)
    return _declare({}, "_fails", (method,))


def _declare(table: dict[str, str], attribute: str, methods: tuple[str, ...]) -> Callable[[F], F]:
    def mark(test: F) -> F:
        checked = _checked(test)
        for method in methods:
            assert method not in table, method
            table[method] = test.__name__
        setattr(checked, attribute, (*getattr(checked, attribute, ()), *methods))
        return checked

    return mark


def _checked(test: F) -> F:
    """Wrap a test so that, once it passed, its declared methods are checked against the
    calls that really went through the wrappers."""
    if getattr(test, "_checked", False):
        return test

    @functools.wraps(test)
    def run(**fixtures: Any) -> None:
        env: Env = fixtures["env"]
        env.calls.clear()
        env.model.reset()
        test(**fixtures)
        assert env.model.unexpected_requests == 0, "the model got a request nobody scripted"
        outcomes: dict[str, list[BaseException | None]] = {}
        for call in env.calls:
            outcomes.setdefault(call.method, []).append(call.error)
        for method in (*getattr(run, "_covers", ()), *getattr(run, "_accepted", ())):
            assert None in outcomes.get(method, []), f"{method} was not called successfully"
        for method in getattr(run, "_fails", ()):
            error_type, _ = FAILS[method]
            errors = outcomes.get(method, [])
            assert any(isinstance(e, error_type) for e in errors), f"{method} did not fail so"

    run._checked = True  # type: ignore[attr-defined]
    return run  # type: ignore[return-value]


@dataclass
class Call:
    method: str
    error: BaseException | None


@dataclass
class Env:
    codex: Codex
    client: AppServerClient
    model: ScriptedModel
    workspace: Path
    base: Path
    thread_id: str  # a thread with two completed turns ("first", "second")
    turn_ids: list[str]  # its turns, oldest first
    calls: list[Call] = field(default_factory=list)

    def new_thread(self) -> str:
        return self.client.thread_start().thread.id

    def run_turn(self, thread_id: str, text: str, reply: str = "ok") -> str:
        self.model.enqueue(Reply.text(reply))
        turn = self.client.turn_start(thread_id=thread_id, input=text_input(text))
        for _ in self.client.stream_turn(turn.turn.id):
            pass
        return turn.turn.id

    def keyed(
        self, method: str, path: tuple[str, ...], value: str, *, tee: bool = False
    ) -> queue.SimpleQueue[Any]:
        """A queue that gets the notifications of `method` whose `path` is `value`."""
        sink: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.client.subscribe_keyed(method, path, value, sink, tee=tee)
        return sink


def record_calls(client: AppServerClient, calls: list[Call]) -> None:
    """Record every typed call of `client` (method, and the error if it raised)."""
    typed_request = client._typed_request

    def recording(method: str, *args: Any) -> Any:
        try:
            result = typed_request(method, *args)
        except BaseException as exc:
            calls.append(Call(method, exc))
            raise
        calls.append(Call(method, None))
        return result

    client._typed_request = recording  # type: ignore[method-assign, assignment]


def text_input(text: str) -> list[Any]:
    """A text input as plain JSON (the wrappers validate it into the model)."""
    return [{"type": "text", "text": text}]


def item_type(entry: Any) -> str:
    return str(getattr(entry, "root", entry).type)
