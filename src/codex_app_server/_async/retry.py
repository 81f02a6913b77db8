"""Retrying calls that failed because the server was overloaded."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from .._protocol.errors import is_retryable_error
from .._protocol.retry import backoff_delay, check_backoff
from .backend import sleep

T = TypeVar("T")


async def async_retry_on_overload(
    op: Callable[[], Awaitable[T]],
    *,
    max_attempts: int = 3,
    initial_delay_s: float = 0.25,
    max_delay_s: float = 2.0,
    jitter_ratio: float = 0.2,
) -> T:
    """Await `op()`; while it fails with a retryable error (`is_retryable_error`), wait with
    exponential backoff and jitter and call again, up to `max_attempts` calls in all.

    >>> result = await async_retry_on_overload(lambda: thread.run("hi"), max_attempts=5)
    """
    check_backoff(max_attempts, initial_delay_s, max_delay_s, jitter_ratio)
    attempt = 0
    while True:
        attempt += 1
        try:
            return await op()
        except Exception as exc:
            if attempt >= max_attempts or not is_retryable_error(exc):
                raise
        await sleep(backoff_delay(attempt, initial_delay_s, max_delay_s, jitter_ratio))
