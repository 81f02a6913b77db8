"""The asyncio turn handle: `AsyncTurnHandle` (stream, steer, interrupt, wait)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._protocol.errors import CodexError
from .._protocol.hooks import HookState, follow_up, logger, tool_result
from .._protocol.input_wire import input_to_wire
from .._protocol.limits import LimitTracker, RunLimits
from .._protocol.notifications import Notification
from .._protocol.run_result import TurnCollector
from .._protocol.tracing import attached
from .._warmup import WARMUP, avalidate
from .backend import call_hook, monotonic, new_queue, spawn
from .client import AsyncAppServerClient

if TYPE_CHECKING:
    from .._protocol.events import Event
    from .._protocol.inputs import Input
    from .._protocol.tracing import TurnTrace
    from ..generated.v2_all import (
        Turn,
        TurnInterruptResponse,
        TurnSteerResponse,
    )


class AsyncTurnHandle:
    """One running turn: stream it, steer it, interrupt it, or wait for it."""

    def __init__(self, client: AsyncAppServerClient, thread_id: str, turn_id: str) -> None:
        self.client = client
        self.thread_id = thread_id
        self.id = turn_id
        self.collector = TurnCollector(turn_id, client.config.on_runtime_error)
        self._trace: TurnTrace | None = None
        self._limits: LimitTracker | None = None
        self._hooks: HookState | None = None
        self._deadline: Any = None  # the max_duration timer (a task / a thread) ...
        self._ended: Any = None  # ... and the queue that wakes it early when the turn ends
        #: The run limit that interrupted this turn, if one did.
        self.stopped_by: str | None = None

    def __repr__(self) -> str:
        return f"AsyncTurnHandle(id={self.id!r}, thread_id={self.thread_id!r})"

    async def steer(self, input: str | Input) -> TurnSteerResponse:
        """Add input (text or input items) to the running turn (the model is re-asked with it)."""
        params = {
            "threadId": self.thread_id,
            "input": input_to_wire(input),
            "expectedTurnId": self.id,
        }
        return await avalidate("TurnSteerResponse", await self.client.request("turn/steer", params))  # type: ignore[no-any-return]

    async def interrupt(self) -> TurnInterruptResponse:
        """Ask the server to stop the turn; `turn/completed` (interrupted) follows."""
        params = {"threadId": self.thread_id, "turnId": self.id}
        result = await self.client.request("turn/interrupt", params)
        return await avalidate("TurnInterruptResponse", result)  # type: ignore[no-any-return]

    def stream(self) -> AsyncIterator[Notification]:
        """This turn's notifications, in order, through `turn/completed`."""
        if self._trace is None and self._limits is None and self._hooks is None:
            # The hot path: the client's own stream, which feeds the collector as it yields
            # and is empty once it completed (no generator here around it: one step less
            # per notification, and one object less per waiting turn).
            return self.client.stream_turn(
                self.id, thread_id=self.thread_id, collector=self.collector
            )
        return self._watched()

    async def _watched(self) -> AsyncIterator[Notification]:
        """`stream()` with a trace to feed, limits to enforce and hooks to call."""
        if self.collector.completed:
            return
        trace, limits, hooks = self._trace, self._limits, self._hooks
        notes = self.client.stream_turn(self.id, thread_id=self.thread_id)
        try:
            async for note in notes:
                self.collector.feed(note)
                if trace is not None:
                    trace.feed(note)
                if limits is not None and self.stopped_by is None:
                    reached = limits.feed(note) or limits.check_time(monotonic())
                    if reached is not None and note.method != "turn/completed":
                        await self._stop(reached)
                if hooks is not None and note.method == "item/completed":
                    with attached(trace):  # the hook's steer (and its own spans) too
                        await self._item_completed(hooks, note)
                yield note
        except GeneratorExit:
            # The consumer stopped reading (a `break`), not the turn: it goes on, its span
            # stays open and its deadline set, for a later `stream()` / `run()` to go on with.
            await _close(notes)
            if self.collector.completed:
                self._turn_over(trace)
            raise
        except BaseException as exc:
            if trace is not None:
                trace.fail(exc)
            self._turn_over(trace)
            raise
        self._turn_over(trace)

    def _turn_over(self, trace: TurnTrace | None) -> None:
        """The turn's stream ended: stop the deadline timer, forget the open trace."""
        if self._ended is not None:
            self._ended.put_nowait(True)  # the timer stops waiting
        if trace is not None:
            self.client.traces.closed(self.id)

    def _watch_limits(self, limits: LimitTracker) -> None:
        """Enforce `limits` on this turn; `max_duration` with a timer of its own, so that a
        silent turn is interrupted on time too."""
        self._limits = limits
        left = limits.remaining(monotonic())
        if left is not None:
            self._ended = new_queue("deadline")
            self._deadline = spawn(self._expire, left, name=f"codex-deadline-{self.id}")

    async def _expire(self, seconds: float) -> None:
        """At the run's `max_duration`: interrupt the turn if it is still going."""
        ended, _ = await self._ended.get(max(seconds, 0.0))
        limits = self._limits
        if ended or self.collector.completed or self.stopped_by is not None or limits is None:
            return
        if limits.reached is None:
            limits.reached = "max_duration"
        await self._stop("max_duration")

    async def _stop(self, reached: str) -> None:
        """Interrupt the turn for the run limit `reached` (a request of the turn's span)."""
        self.stopped_by = reached
        if self._trace is not None:
            self._trace.span.set_attribute("codex.stopped_by", reached)
        try:
            with attached(self._trace):
                await self.interrupt()
        except CodexError as exc:  # the turn ended meanwhile ("no active turn to interrupt")
            logger.debug("interrupting turn %s at %s failed: %s", self.id, reached, exc)

    async def _item_completed(self, state: HookState, note: Notification) -> None:
        """A completed item: call `after_tool`; a steer it returns is queued."""
        raw = note.params.get("item")
        if not isinstance(raw, dict):
            return
        hooks = state.current()
        if hooks is None or hooks.after_tool is None:
            return
        done = tool_result(raw, note.thread_id, note.turn_id)
        if done is None:
            return
        steer = follow_up(await call_hook(hooks.after_tool, done, hooks.timeout, "after_tool"))
        if steer is not None:
            await self._steer_quietly(steer)

    async def _steer_quietly(self, input: str | Input) -> None:
        try:
            await self.steer(input)
        except CodexError as exc:  # the turn ended before it: nothing left to steer
            logger.warning("could not steer turn %s (%s); the message was dropped", self.id, exc)

    async def events(self) -> AsyncIterator[Event]:
        """This turn's typed events (`TurnStarted`, `ItemStarted`, `TextDelta`, ...,
        `TurnCompleted`; `RawEvent` for any other notification), for `match` statements."""
        from .._protocol.events import EventBuilder  # events load on the first events()

        build = EventBuilder()
        notes = self.stream()
        try:
            async for note in notes:
                yield build(note)
        finally:
            await _close(notes)

    async def run(self) -> Turn:
        """Wait for the turn to complete; the completed `Turn` (with the collected items)."""
        async for _ in self.stream():
            pass
        # unasync: begin async-only
        if not WARMUP.done:
            await WARMUP.wait()
        # unasync: end
        return self.collector.turn()


async def _close(notes: Any) -> None:
    """Close a notification iterator now: an async generator left by a `break` is otherwise
    closed only when collected, and its turn counts as being read until then."""
    close = getattr(notes, "aclose", None)
    if close is not None:
        await close()


def limit_tracker(
    thread_limits: RunLimits | None, limits: RunLimits | LimitTracker | None
) -> LimitTracker | None:
    """The accounting a turn enforces: the run's (shared by its turns), or a new one."""
    if isinstance(limits, LimitTracker):
        return limits
    bounds = (thread_limits or RunLimits()).tighter(limits)
    return None if bounds.unbounded else LimitTracker(bounds, monotonic())
