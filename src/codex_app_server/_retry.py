"""Retrying calls that failed because the server was overloaded."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ._errors import is_retryable_error

T = TypeVar("T")


def _check(max_attempts: int, initial_delay_s: float, max_delay_s: float, jitter: float) -> None:
    if max_attempts < 1:
        raise ValueError("max_attempts must be >= 1")
    if initial_delay_s < 0 or max_delay_s < 0 or jitter < 0:
        raise ValueError("delays and jitter_ratio must be >= 0")


def backoff_delay(
    attempt: int, initial_delay_s: float, max_delay_s: float, jitter_ratio: float
) -> float:
    """Delay before retry number `attempt` (1-based): doubling, capped, with +/- jitter."""
    base = min(max_delay_s, initial_delay_s * (2 ** (attempt - 1)))
    spread = base * jitter_ratio
    return float(max(0.0, base + random.uniform(-spread, spread)))


def retry_on_overload(
    op: Callable[[], T],
    *,
    max_attempts: int = 3,
    initial_delay_s: float = 0.25,
    max_delay_s: float = 2.0,
    jitter_ratio: float = 0.2,
) -> T:
    """Call `op()`; while it fails with a retryable error (`is_retryable_error`), wait with
    exponential backoff and jitter and call again, up to `max_attempts` calls in all.

    >>> result = retry_on_overload(lambda: thread.run("hi"), max_attempts=5)
    """
    _check(max_attempts, initial_delay_s, max_delay_s, jitter_ratio)
    attempt = 0
    while True:
        attempt += 1
        try:
            return op()
        except Exception as exc:
            if attempt >= max_attempts or not is_retryable_error(exc):
                raise
        time.sleep(backoff_delay(attempt, initial_delay_s, max_delay_s, jitter_ratio))


async def async_retry_on_overload(
    op: Callable[[], Awaitable[T]],
    *,
    max_attempts: int = 3,
    initial_delay_s: float = 0.25,
    max_delay_s: float = 2.0,
    jitter_ratio: float = 0.2,
) -> T:
    """The asyncio form of `retry_on_overload`: `op` returns an awaitable."""
    _check(max_attempts, initial_delay_s, max_delay_s, jitter_ratio)
    attempt = 0
    while True:
        attempt += 1
        try:
            return await op()
        except Exception as exc:
            if attempt >= max_attempts or not is_retryable_error(exc):
                raise
        await asyncio.sleep(backoff_delay(attempt, initial_delay_s, max_delay_s, jitter_ratio))
