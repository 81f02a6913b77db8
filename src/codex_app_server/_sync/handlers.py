"""Running server-request handlers in a worker thread of the sync client."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from .._protocol.handlers import HandlerRegistry
from .._protocol.notifications import ServerRequest


def answer(
    registry: HandlerRegistry, request: ServerRequest, raw_handler: Callable[[Any], Any] | None
) -> dict[str, Any]:
    """The reply to `request`, running handlers in this (worker) thread.

    A coroutine handler is run to completion here with `asyncio.run`. Raises for a
    JSON-RPC error reply.
    """
    plan = registry.plan(request, raw_handler)
    for call in plan.calls:
        try:
            result = call.function(call.argument)
            if inspect.isawaitable(result):
                import asyncio  # only for a coroutine handler: blocking clients skip it

                result = asyncio.run(_await(result))
        except Exception as exc:
            return plan.failed(exc, call)
        if result is not None:
            return plan.reply(result, call)
    return plan.reply(None, None)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable
