"""The asyncio turn handle: `AsyncTurnHandle` (stream, steer, interrupt, wait)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from .._protocol.events import Event, EventBuilder
from .._protocol.inputs import Input, input_to_wire
from .._protocol.limits import LimitTracker, RunLimits
from .._protocol.notifications import Notification
from .._protocol.run_result import TurnCollector
from .._warmup import WARMUP, avalidate
from .backend import monotonic
from .client import AsyncAppServerClient

if TYPE_CHECKING:
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
        #: The run limit that interrupted this turn, if one did.
        self.stopped_by: str | None = None

    def __repr__(self) -> str:
        return f"AsyncTurnHandle(id={self.id!r}, thread_id={self.thread_id!r})"

    async def steer(self, input: Input) -> TurnSteerResponse:
        """Add input to the running turn (the model is re-asked with it)."""
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

    async def stream(self) -> AsyncIterator[Notification]:
        """This turn's notifications, in order, through `turn/completed`."""
        if self.collector.completed:
            return
        if self._trace is None and self._limits is None:  # the hot path: nothing to watch
            async for note in self.client.stream_turn(self.id, thread_id=self.thread_id):
                self.collector.feed(note)
                yield note
            return
        async for note in self._watched():
            yield note

    async def _watched(self) -> AsyncIterator[Notification]:
        """`stream()` with a trace to feed and limits to enforce."""
        trace, limits = self._trace, self._limits
        try:
            async for note in self.client.stream_turn(self.id, thread_id=self.thread_id):
                self.collector.feed(note)
                if trace is not None:
                    trace.feed(note)
                if limits is not None and self.stopped_by is None:
                    reached = limits.feed(note) or limits.check_time(monotonic())
                    if reached is not None and note.method != "turn/completed":
                        self.stopped_by = reached
                        if trace is not None:
                            trace.span.set_attribute("codex.stopped_by", reached)
                        await self.interrupt()
                yield note
        except BaseException as exc:
            if trace is not None:
                trace.fail(exc)
            raise
        finally:
            if trace is not None:
                self.client.traces.closed(self.id)

    async def events(self) -> AsyncIterator[Event]:
        """This turn's typed events (`TurnStarted`, `ItemStarted`, `TextDelta`, ...,
        `TurnCompleted`; `RawEvent` for any other notification), for `match` statements."""
        build = EventBuilder()
        async for note in self.stream():
            yield build(note)

    async def run(self) -> Turn:
        """Wait for the turn to complete; the completed `Turn` (with the collected items)."""
        async for _ in self.stream():
            pass
        # unasync: begin async-only
        if not WARMUP.done:
            await WARMUP.wait()
        # unasync: end
        return self.collector.turn()


def limit_tracker(
    thread_limits: RunLimits | None, limits: RunLimits | LimitTracker | None
) -> LimitTracker | None:
    """The accounting a turn enforces: the run's (shared by its turns), or a new one."""
    if isinstance(limits, LimitTracker):
        return limits
    bounds = (thread_limits or RunLimits()).tighter(limits)
    return None if bounds.unbounded else LimitTracker(bounds, monotonic())
