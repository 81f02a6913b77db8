"""The backoff policy for retrying calls that failed because the server was overloaded."""

from __future__ import annotations


def check_backoff(
    max_attempts: int, initial_delay_s: float, max_delay_s: float, jitter: float
) -> None:
    """Raise `ValueError` for a policy that cannot work (no attempt, a negative delay)."""
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
    import random  # only when a backoff is jittered

    return float(max(0.0, base + random.uniform(-spread, spread)))
