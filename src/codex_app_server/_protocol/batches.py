"""A reader's batch steps, for both drivers: decode lines, route them under one lock.

Each reader (the sync client's thread, the async client's task) reads every line that has
arrived at once, decodes them, routes the whole batch with one acquisition of the router
lock (a no-op lock on the event loop) and delivers outside it, in order, so a consumer
wakes once per batch rather than once per message. What failed or was dropped is logged
after the lock is released.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from .._logging import DEBUG, FaultLog, sdk_logger, trace_wire, wire_logger
from .router import Delivery, Dropped, MessageRouter
from .wire import OversizedLine, decode

logger = sdk_logger("codex_app_server")


def decode_batch(lines: list[bytes], faults: FaultLog | None = None) -> list[Any]:
    """The JSON messages of `lines`, in order (a line that is not JSON is logged,
    rate-limited by `faults`, and skipped; an `OversizedLine` is passed on as is)."""
    messages = []
    tracing = wire_logger.isEnabledFor(DEBUG)
    for line in lines:
        if not line:
            continue
        try:
            message = decode(line)
        except Exception:  # ValueError, or RecursionError from the stdlib parser
            if isinstance(line, OversizedLine):
                messages.append(line)
            elif faults is not None:
                faults.warning("not JSON", "skipping a line that is not JSON: %.200r", line)
            else:
                logger.warning("skipping a line that is not JSON: %.200r", line)
            continue
        if tracing:
            trace_wire("recv", message)
        messages.append(message)
    return messages


def route_batch(
    router: MessageRouter,
    lock: AbstractContextManager[Any],
    messages: list[Any],
    max_line_bytes: int = 0,
    on_dropped: Callable[[Dropped], None] | None = None,
) -> list[Delivery]:
    """Where each message goes, in order; the router lock is held once for the batch.

    An `OversizedLine` costs only the request or turn it was for (`route_oversized`);
    what is dropped goes to `on_dropped` (default: logged)."""
    deliveries: list[Delivery] = []
    dropped: list[Dropped] = []
    failed: list[tuple[Any, BaseException]] = []
    route = router.route
    with lock:  # routed in order, all at once: delivered in order after
        for message in messages:
            try:
                if isinstance(message, OversizedLine):
                    routed = router.route_oversized(message.head, message.size, max_line_bytes)
                else:
                    routed = route(message)
            except Exception as exc:  # one odd message must never kill the reader
                failed.append((message, exc))
                continue
            if isinstance(routed, Dropped):
                dropped.append(routed)
            else:
                deliveries += routed
    for message, error in failed:
        logger.error("skipping a message that could not be routed: %.200r", message, exc_info=error)
    for drop in dropped:
        if on_dropped is not None:
            on_dropped(drop)
        else:
            logger.warning("dropped a message: %s: %.200r", drop.reason, drop.message)
    return deliveries
