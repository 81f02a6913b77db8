"""Running server-request handlers from the async client: coroutines as tasks, plain
functions in a worker thread."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .._protocol.handlers import HandlerRegistry
from .._protocol.notifications import ServerRequest

if TYPE_CHECKING:
    from .._workers import HandlerPool


async def answer(
    registry: HandlerRegistry,
    request: ServerRequest,
    raw_handler: Callable[[Any], Any] | None,
    pool: HandlerPool | None = None,
) -> dict[str, Any]:
    """The reply to `request`: coroutine handlers are awaited here, plain ones run in a
    worker thread of `pool` (so a slow one cannot block the event loop; the client's pool
    has daemon threads and grows when all are busy, see `HandlerPool`; None: the loop's
    default executor). Raises for an error reply."""
    loop = asyncio.get_running_loop()
    # Typing the params may import the generated models (~0.5 s the first time): not on
    # the event loop.
    plan = await loop.run_in_executor(pool, registry.plan, request, raw_handler)
    for call in plan.calls:
        try:
            if call.is_async:
                result = call.function(call.argument)
            else:
                result = await loop.run_in_executor(pool, call.function, call.argument)
            if inspect.isawaitable(result):
                result = await result
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return plan.failed(exc, call)
        if result is not None:
            return plan.reply(result, call)
    return plan.reply(None, None)
