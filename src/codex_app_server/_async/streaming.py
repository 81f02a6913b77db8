# The one source of both streaming mixins: scripts/unasync.py  # unasync: async-only
# generates its blocking twin, _sync/streaming.py.  # unasync: async-only
"""Requests and notifications on the low-level client: a mixin of `AsyncAppServerClient`.

`request()` (traced when OpenTelemetry is on) and the typed requests, the global queue, a
turn's queue, `stream_turn` (inactivity timeout, interrupt, gap recovery after a
reconnect) and `stream_text`. What does no I/O is in `_protocol/client_base.py`; the
client brings `_request` (the wait differs) and `turn_queue` (its own kind of queue).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import Any, overload

from .._protocol.client_base import ACCEPT_LOOKS_AT, M, request_tracing, tracing_on, unwrap
from .._protocol.errors import (
    ClientNotStartedError,
    CodexError,
    RequestTimeoutError,
    TurnTimeoutError,
)
from .._protocol.late_turns import late_turn_notes
from .._protocol.models import validate_as
from .._protocol.notifications import Notification
from .._protocol.params import build_params
from .._protocol.run_result import TurnCollector, feeder
from .._warmup import WARMUP
from ..generated.methods import TURN_COMPLETED
from .queues import AsyncQueue
from .reconnect import ReconnectMixin


class StreamingMixin(ReconnectMixin):
    """The notification half of `AsyncAppServerClient` (state is set up by its `__init__`)."""

    def turn_queue(self, turn_id: str) -> AsyncQueue:
        raise NotImplementedError

    async def _request(
        self, method: str, params: Any, response_model: Any, timeout: float | None
    ) -> Any:
        raise NotImplementedError

    @overload
    async def request(
        self,
        method: str,
        params: Any = None,
        response_model: None = None,
        *,
        timeout: float | None = None,
    ) -> Any: ...

    @overload
    async def request(
        self,
        method: str,
        params: Any = None,
        response_model: type[M] = ...,
        *,
        timeout: float | None = None,
    ) -> M: ...

    async def request(
        self,
        method: str,
        params: Any = None,
        response_model: type[M] | None = None,
        *,
        timeout: float | None = None,
    ) -> Any:
        """Send a request and wait for its result.

        `params` may be a dict (sent as is) or a generated params model. `timeout` is
        seconds after the write (default: `config.request_timeout`; `math.inf`: forever).
        Raises the mapped `JsonRpcError`, `RequestTimeoutError` or `TransportClosedError`.
        A caller that gives up (a cancelled task, Ctrl-C) leaves no waiter behind.
        """
        if tracing_on():
            with request_tracing(method):
                return await self._request(method, params, response_model, timeout)
        return await self._request(method, params, response_model, timeout)

    async def _typed_request(
        self,
        method: str,
        params: Any,
        fields: Mapping[str, Any],
        params_model: str | None,
        response_model: str | None,
        timeout: float | None,
    ) -> Any:
        result = await self.request(
            method, build_params(params, fields, params_model), timeout=timeout
        )
        # unasync: begin async-only
        if not WARMUP.done:  # the types a turn needs, made off the loop while it started
            await WARMUP.wait()
        # unasync: end
        return validate_as(response_model, result)

    async def next_notification(self, timeout: float | None = None) -> Notification:
        """The next notification that belongs to no turn (or to a turn nobody streams)."""
        if self._global is None:
            raise ClientNotStartedError()
        delivered, item = await self._global.get(timeout)
        return unwrap(  # type: ignore[no-any-return]
            delivered, item, lambda: RequestTimeoutError("next_notification", timeout or 0.0)
        )

    async def next_turn_notification(
        self, turn_id: str, timeout: float | None = None
    ) -> Notification:
        """The next notification of `turn_id`; raises `TurnTimeoutError` after `timeout`."""
        delivered, item = await self.turn_queue(turn_id).get(timeout)
        return unwrap(delivered, item, lambda: TurnTimeoutError(turn_id, timeout or 0.0))  # type: ignore[no-any-return]

    async def stream_turn(
        self,
        turn_id: str,
        *,
        thread_id: str | None = None,
        inactivity_timeout: float | None = None,
        collector: TurnCollector | None = None,
    ) -> AsyncIterator[Notification]:
        """Yield `turn_id`'s notifications up to and including `turn/completed`.

        If `inactivity_timeout` (default: `config.turn_inactivity_timeout`) passes with no
        notification, the turn is interrupted and `TurnTimeoutError` is raised. A
        `collector` is fed each notification just before it is yielded, and one already
        completed when reading starts means there is nothing to yield (the turn handle's
        stream, without a generator of its own around this one).
        """
        limit = inactivity_timeout or self.config.turn_inactivity_timeout
        seen = feeder(collector)
        if seen is None:
            return
        reading = self._begin_stream(turn_id)
        if reading is None:
            # Finished so long ago that it went out of retention, or read to its end: no
            # event will ever arrive for it again. Its result comes from `thread/read`.
            for note in late_turn_notes(turn_id, thread_id, await self._read_thread(thread_id)):
                seen(note)
                yield note
            return
        batch: deque[Any] = deque()
        turn_queue: AsyncQueue | None = None
        try:
            turn_queue = self.turn_queue(turn_id)
            while True:
                if not batch:
                    # Everything already there in one call (no coroutine, one lock).
                    batch = turn_queue.take_all()
                if batch:
                    item = batch.popleft()
                else:
                    delivered, item = await turn_queue.get(limit)
                    if not delivered:
                        if not reading.stuck():
                            continue  # the client or a command is working: not silence
                        await self._interrupt_quietly(thread_id, turn_id)
                        raise TurnTimeoutError(turn_id, limit or 0.0)
                if (
                    item.__class__ is not Notification or item.method in ACCEPT_LOOKS_AT
                ) and not reading.accept(item):
                    continue
                if item.method == TURN_COMPLETED:
                    reading.finished()
                    if thread_id is not None and reading.gaps is not None and reading.gaps.gap:
                        for lost in await self._recover_items(reading.gaps, thread_id, turn_id):
                            seen(lost)
                            yield lost
                    seen(item)
                    yield item
                    return
                seen(item)
                yield item
        finally:
            if turn_queue is not None:
                if batch:  # a stream left mid-batch: what it did not yield stays for the next
                    turn_queue.put_back(batch)
                turn_queue.disarm()
            self._end_stream(turn_id)

    async def _read_thread(self, thread_id: str | None) -> Any:
        if thread_id is None:
            return None
        return await self.request("thread/read", {"threadId": thread_id, "includeTurns": True})

    async def stream_text(
        self, thread_id: str, text: str, **turn_params: Any
    ) -> AsyncIterator[str]:
        """Start a turn with `text` and yield the agent's message deltas as they stream."""
        params = {"threadId": thread_id, "input": [{"type": "text", "text": text}], **turn_params}
        result = await self.request("turn/start", params)
        turn_id = result["turn"]["id"]
        async for note in self.stream_turn(turn_id, thread_id=thread_id):
            if note.method == "item/agentMessage/delta":
                yield note.params.get("delta", "")

    async def _interrupt_quietly(self, thread_id: str | None, turn_id: str) -> None:
        if thread_id is None:
            return
        with contextlib.suppress(CodexError):
            await self.request(
                "turn/interrupt",
                {"threadId": thread_id, "turnId": turn_id},
                timeout=self._interrupt_timeout(),
            )
