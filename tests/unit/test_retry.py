"""The overload backoff policy and its blocking and asyncio runners (no process, no sleeps:
the clock functions are replaced)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from codex_app_server import (
    InvalidParamsError,
    JsonRpcError,
    ServerBusyError,
    async_retry_on_overload,
    retry_on_overload,
)
from codex_app_server._async import retry as async_retry
from codex_app_server._protocol.retry import backoff_delay, check_backoff
from codex_app_server._sync import retry as sync_retry

BUSY = ServerBusyError(-32001, "Server overloaded; retry later.")


# --------------------------------------------------------------------------- the policy


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (5, 2.0), (30, 2.0)]
)
def test_backoff_doubles_and_is_capped(attempt: int, expected: float) -> None:
    assert backoff_delay(attempt, 0.25, 2.0, 0.0) == expected


def test_jitter_stays_within_its_ratio(monkeypatch: pytest.MonkeyPatch) -> None:
    import codex_app_server._protocol.retry as policy

    monkeypatch.setattr(policy.random, "uniform", lambda a, b: b)  # type: ignore[attr-defined]  # the widest draw
    assert backoff_delay(2, 0.25, 2.0, 0.2) == pytest.approx(0.6)
    monkeypatch.setattr(policy.random, "uniform", lambda a, b: a)  # type: ignore[attr-defined]
    assert backoff_delay(2, 0.25, 2.0, 0.2) == pytest.approx(0.4)
    # A jitter larger than the delay never makes it negative.
    assert backoff_delay(1, 1.0, 2.0, 5.0) == 0.0


def test_real_jitter_draws_are_in_range() -> None:
    delays = {backoff_delay(3, 0.25, 2.0, 0.2) for _ in range(200)}
    assert all(0.8 <= d <= 1.2 for d in delays)
    assert len(delays) > 1  # it does vary


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 0.1, 1.0, 0.1), "max_attempts must be >= 1"),
        ((3, -0.1, 1.0, 0.1), "delays and jitter_ratio must be >= 0"),
        ((3, 0.1, -1.0, 0.1), "delays and jitter_ratio must be >= 0"),
        ((3, 0.1, 1.0, -0.1), "delays and jitter_ratio must be >= 0"),
    ],
)
def test_an_impossible_policy_is_refused(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_backoff(*args)
    check_backoff(1, 0.0, 0.0, 0.0)  # the smallest valid one


# --------------------------------------------------------------------------- the runners


class Flaky:
    """Fails with `errors` in turn, then returns "ok"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the runners choose (both forms); they then wait 0 s, not that long."""
    chosen: list[float] = []

    def record(attempt: int, initial: float, cap: float, jitter: float) -> float:
        chosen.append(backoff_delay(attempt, initial, cap, jitter))
        return 0.0

    monkeypatch.setattr(sync_retry, "backoff_delay", record)
    monkeypatch.setattr(async_retry, "backoff_delay", record)
    return chosen


def as_async(op: Callable[[], str]) -> Callable[[], Awaitable[str]]:
    async def call() -> str:
        return op()

    return call


def run_both(op: Flaky, **kwargs: Any) -> list[Any]:
    """The outcome of the sync and the async runner on fresh copies of `op`."""
    outcomes: list[Any] = []
    for runner in ("sync", "async"):
        flaky = Flaky(*op.errors)
        try:
            if runner == "sync":
                value: Any = retry_on_overload(flaky, **kwargs)
            else:
                value = asyncio.run(async_retry_on_overload(as_async(flaky), **kwargs))
        except Exception as exc:
            value = exc
        outcomes.append((value, flaky.calls))
    return outcomes


def test_retries_while_busy_then_succeeds(sleeps: list[float]) -> None:
    outcomes = run_both(Flaky(BUSY, BUSY), jitter_ratio=0.0)
    assert outcomes == [("ok", 3), ("ok", 3)]
    assert sleeps == [0.25, 0.5, 0.25, 0.5]


def test_gives_up_after_max_attempts_with_the_last_error(sleeps: list[float]) -> None:
    last = ServerBusyError(-32001, "still overloaded")
    outcomes = run_both(Flaky(BUSY, BUSY, last), max_attempts=3, jitter_ratio=0.0)
    assert outcomes == [(last, 3), (last, 3)]
    assert len(sleeps) == 4  # two waits each: none after the last attempt


def test_a_non_retryable_error_is_raised_at_once(sleeps: list[float]) -> None:
    bad = InvalidParamsError(-32602, "bad params")
    assert run_both(Flaky(bad)) == [(bad, 1), (bad, 1)]
    assert sleeps == []


def test_busy_is_recognised_by_message_too(sleeps: list[float]) -> None:
    worded = JsonRpcError(-32000, "Server overloaded; retry later.")
    assert run_both(Flaky(worded), jitter_ratio=0.0) == [("ok", 2), ("ok", 2)]


def test_other_exceptions_are_not_retried(sleeps: list[float]) -> None:
    boom = RuntimeError("boom")
    assert run_both(Flaky(boom)) == [(boom, 1), (boom, 1)]


def test_one_attempt_means_no_retry(sleeps: list[float]) -> None:
    assert run_both(Flaky(BUSY), max_attempts=1) == [(BUSY, 1), (BUSY, 1)]
    assert sleeps == []


def test_the_policy_is_checked_before_the_first_call() -> None:
    op = Flaky()
    with pytest.raises(ValueError):
        retry_on_overload(op, max_attempts=0)
    with pytest.raises(ValueError):
        asyncio.run(async_retry_on_overload(as_async(op), initial_delay_s=-1))
    assert op.calls == 0
