"""Process death: when the app-server dies, every waiter fails fast with the reason.

Guarantee: when the app-server exits or is killed mid-turn, every pending request, stream,
`run()` and `next_notification()` fails within 1 second with `TransportClosedError`
carrying the exit code and the last lines of stderr; later calls fail at once with the
same error; `close()` afterwards is quiet; and the app-server's process group is ended
without waiting for `close()`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from codex_app_server import (
    AppServerClient,
    AsyncAppServerClient,
    AsyncCodex,
    AsyncThread,
    Codex,
    Thread,
    TransportClosedError,
)

from .conftest import TIMEOUT, fake_config, other_tasks, process_is_alive, sdk_threads, wait_for

DEATH_DEADLINE = 1.0


class Waiters:
    """Threads blocked in the client; each records when and how its call ended."""

    def __init__(self) -> None:
        self.ended: dict[str, tuple[float, BaseException | None]] = {}
        self._threads: list[threading.Thread] = []

    def spawn(self, name: str, call: Callable[[], Any]) -> None:
        def run() -> None:
            try:
                call()
            except BaseException as exc:
                self.ended[name] = (time.monotonic(), exc)
            else:
                self.ended[name] = (time.monotonic(), None)

        thread = threading.Thread(target=run, name=f"waiter-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(TIMEOUT)
            assert not thread.is_alive(), f"{thread.name} still blocked"


def drain_global(client: AppServerClient) -> None:
    while True:
        client.next_notification()


async def drain_global_async(client: AsyncAppServerClient) -> None:
    while True:
        await client.next_notification()


def fake_state(client: AppServerClient) -> dict[str, Any]:
    return client.request("fake/state")  # type: ignore[no-any-return]


def received(client: AppServerClient, method: str) -> int:
    return len(client.request("fake/received", {"method": method})["messages"])


def spawn_one_of_each(
    waiters: Waiters | AsyncWaiters,
    stream: Callable[[], Any],
    thread: Thread | AsyncThread,
    client: AppServerClient | AsyncAppServerClient,
    drain: Callable[[Any], Any],
) -> None:
    """A waiter of each kind a death must wake (the ones `assert_every_waiter_died` checks):
    a turn's stream, a `run()` on another thread, a request, and `next_notification()`."""
    waiters.spawn("stream", stream)
    waiters.spawn("run", lambda: thread.run("SILENT"))
    waiters.spawn("request", lambda: client.request("fake/hang"))
    waiters.spawn("next_notification", lambda: drain(client))


def assert_every_waiter_died(
    killer: BaseException | None,
    ended: dict[str, tuple[float, BaseException | None]],
    *,
    since: float,
) -> None:
    """The request that killed the fake and every waiter failed with its exit (code 17)."""
    assert_died_with(killer, 17, "fatal: boom", since=since, at=time.monotonic())
    assert set(ended) == {"stream", "run", "request", "next_notification"}
    for at, exc in ended.values():
        assert_died_with(exc, 17, "fatal: boom", since=since, at=at)


def assert_died_with(
    exc: BaseException | None, code: int | None, stderr: str | None, *, since: float, at: float
) -> None:
    assert isinstance(exc, TransportClosedError), repr(exc)
    if code is not None:
        assert exc.exit_code == code
    if stderr is not None:
        assert stderr in exc.stderr_tail, exc.stderr_tail
    assert at - since < DEATH_DEADLINE, f"took {at - since:.3f}s"


# -- sync -----------------------------------------------------------------------------


def test_death_mid_turn_fails_every_sync_waiter_within_1s(no_thread_leaks: None) -> None:
    with Codex(fake_config()) as codex:
        client = codex.client
        streaming = codex.thread_start().turn("SILENT")
        run_thread = codex.thread_start()
        started = threading.Event()

        def stream() -> None:
            for _ in streaming.stream():
                started.set()

        waiters = Waiters()
        spawn_one_of_each(waiters, stream, run_thread, client, drain_global)
        assert started.wait(TIMEOUT)
        wait_for(lambda: len(fake_state(client)["activeTurns"]) == 2, what="run() started")
        wait_for(lambda: received(client, "fake/hang") == 1, what="fake/hang sent")

        t0 = time.monotonic()
        with pytest.raises(TransportClosedError) as killer:
            client.request("fake/exit", {"code": 17, "stderr": "fatal: boom\n"})
        waiters.join()
        assert_every_waiter_died(killer.value, waiters.ended, since=t0)

        # Every waiter got the one error; later calls fail at once, with that same error.
        assert all(exc is killer.value for _, exc in waiters.ended.values())
        t1 = time.monotonic()
        with pytest.raises(TransportClosedError) as later:
            run_thread.run("again")
        assert later.value is killer.value and time.monotonic() - t1 < 0.1
        with pytest.raises(TransportClosedError):
            client.request("fake/echo", {})
    codex.close()  # quiet, again


def test_crash_mid_turn_raises_from_sync_run_with_exit_code_and_stderr() -> None:
    with Codex(fake_config()) as codex:
        thread = codex.thread_start()
        with pytest.raises(TransportClosedError) as info:
            thread.run("CRASH DELTAS:5")
    assert info.value.exit_code == 70
    assert "fake-app-server: crashed mid-turn" in info.value.stderr_tail
    assert "crashed mid-turn" in str(info.value)


@pytest.mark.parametrize(
    ("scenario", "code", "stderr"),
    [
        ("exit-on-start", 2, "fake-app-server: failed to start"),
        ("exit-on-initialize", 3, "fake-app-server: fatal error during initialize"),
    ],
)
def test_death_during_start_raises_transport_closed(
    no_thread_leaks: None, scenario: str, code: int, stderr: str
) -> None:
    t0 = time.monotonic()
    with pytest.raises(TransportClosedError) as info:
        Codex(fake_config(scenario))
    assert info.value.exit_code == code
    assert stderr in info.value.stderr_tail
    assert time.monotonic() - t0 < 5.0


def test_stdout_closed_while_alive_fails_waiters_within_1s(no_thread_leaks: None) -> None:
    """Regression: the reader waited up to 1 s for an exit code (plus 0.5 s for stderr)
    before failing anyone, so a server that closed its stdout but lived on was reported
    after 1.5 s."""
    with Codex(fake_config()) as codex:
        client = codex.client
        handle = codex.thread_start().turn("SILENT")
        waiters = Waiters()
        waiters.spawn("stream", lambda: list(handle.stream()))
        pid = client._transport.pid  # type: ignore[attr-defined]
        t0 = time.monotonic()
        with pytest.raises(TransportClosedError):
            client.request("fake/closeStdout")
            client.request("fake/echo", {})  # the answer to closeStdout made it out
        waiters.join()
        at, exc = waiters.ended["stream"]
        assert_died_with(exc, None, None, since=t0, at=at)
        # The connection is dead, so the process is ended without waiting for close().
        wait_for(lambda: not process_is_alive(pid), what="the app-server to be ended")


def test_process_group_dies_with_the_app_server_without_close(children: list[int]) -> None:
    """Regression: a crashed app-server's children (shells, MCP servers) lived on until
    the user called close()."""
    with Codex(fake_config()) as codex:
        client = codex.client
        child = client.request("fake/spawnChild", {"seconds": 60})["pid"]
        children.append(child)
        assert process_is_alive(child)
        with pytest.raises(TransportClosedError):
            client.request("fake/exit", {"code": 1})
        t0 = time.monotonic()
        wait_for(lambda: not process_is_alive(child), timeout=3.0, what="the orphaned child")
        assert time.monotonic() - t0 < DEATH_DEADLINE


def test_death_is_seen_even_when_a_child_holds_stdout_open(
    no_thread_leaks: None, children: list[int]
) -> None:
    """Regression: a child that inherited the app-server's stdout kept the pipe open after
    the app-server died, so the reader never saw EOF and every waiter hung."""
    with Codex(fake_config()) as codex:
        client = codex.client
        handle = codex.thread_start().turn("SILENT")
        children.append(
            client.request("fake/spawnChild", {"seconds": 60, "inheritStdio": True})["pid"]
        )
        waiters = Waiters()
        waiters.spawn("stream", lambda: list(handle.stream()))
        waiters.spawn("request", lambda: client.request("fake/hang"))
        wait_for(lambda: received(client, "fake/hang") == 1, what="fake/hang sent")
        t0 = time.monotonic()
        with pytest.raises(TransportClosedError):
            client.request("fake/exit", {"code": 9, "stderr": "fatal: gone\n"})
        waiters.join()
        for at, exc in waiters.ended.values():
            assert_died_with(exc, 9, None, since=t0, at=at)


def test_a_new_client_starts_clean_after_a_death() -> None:
    with Codex(fake_config()) as codex, pytest.raises(TransportClosedError):
        codex.client.request("fake/exit", {"code": 1})
    with Codex(fake_config()) as codex:
        assert codex.thread_start().run("hello").final_response == "hello"


# -- async ----------------------------------------------------------------------------


class AsyncWaiters:
    def __init__(self) -> None:
        self.ended: dict[str, tuple[float, BaseException | None]] = {}
        self.tasks: list[asyncio.Task[None]] = []

    def spawn(self, name: str, call: Callable[[], Any]) -> None:
        async def run() -> None:
            try:
                await call()
            except BaseException as exc:
                self.ended[name] = (time.monotonic(), exc)
            else:
                self.ended[name] = (time.monotonic(), None)

        self.tasks.append(asyncio.ensure_future(run()))

    async def join(self) -> None:
        _, pending = await asyncio.wait(self.tasks, timeout=TIMEOUT)
        assert not pending, "waiters still blocked"


async def async_received(client: AsyncAppServerClient, method: str) -> int:
    result = await client.request("fake/received", {"method": method})
    return len(result["messages"])


async def async_wait_for(condition: Callable[[], Any], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.002)


async def test_death_mid_turn_fails_every_async_waiter_within_1s() -> None:
    threads_before = set(sdk_threads())
    tasks_before = other_tasks()
    async with AsyncCodex(fake_config()) as codex:
        client = codex.client
        streaming = await (await codex.thread_start()).turn("SILENT")
        run_thread = await codex.thread_start()
        started = asyncio.Event()

        async def stream() -> None:
            async for _ in streaming.stream():
                started.set()

        waiters = AsyncWaiters()
        spawn_one_of_each(waiters, stream, run_thread, client, drain_global_async)
        await asyncio.wait_for(started.wait(), TIMEOUT)

        async def both_turns_active() -> bool:
            return len((await client.request("fake/state"))["activeTurns"]) == 2

        async def hang_sent() -> bool:
            return await async_received(client, "fake/hang") == 1

        await async_wait_for(both_turns_active, "run() started")
        await async_wait_for(hang_sent, "fake/hang sent")

        t0 = time.monotonic()
        with pytest.raises(TransportClosedError) as killer:
            await client.request("fake/exit", {"code": 17, "stderr": "fatal: boom\n"})
        await waiters.join()
        assert_every_waiter_died(killer.value, waiters.ended, since=t0)

        assert all(exc is killer.value for _, exc in waiters.ended.values())
        t1 = time.monotonic()
        with pytest.raises(TransportClosedError) as later:
            await run_thread.run("again")
        assert later.value is killer.value and time.monotonic() - t1 < 0.1
    await codex.close()  # quiet, again
    assert other_tasks() == tasks_before
    assert set(sdk_threads()) <= threads_before


async def test_crash_mid_turn_raises_from_async_run_with_exit_code_and_stderr() -> None:
    async with AsyncCodex(fake_config()) as codex:
        thread = await codex.thread_start()
        with pytest.raises(TransportClosedError) as info:
            await thread.run("CRASH DELTAS:5")
    assert info.value.exit_code == 70
    assert "fake-app-server: crashed mid-turn" in info.value.stderr_tail


@pytest.mark.parametrize(
    ("scenario", "code", "stderr"),
    [
        ("exit-on-start", 2, "fake-app-server: failed to start"),
        ("exit-on-initialize", 3, "fake-app-server: fatal error during initialize"),
    ],
)
async def test_death_during_async_start_raises_transport_closed(
    scenario: str, code: int, stderr: str
) -> None:
    tasks_before = other_tasks()
    codex = AsyncCodex(fake_config(scenario))
    with pytest.raises(TransportClosedError) as info:
        await codex.start()
    assert info.value.exit_code == code
    assert stderr in info.value.stderr_tail
    await codex.close()
    assert other_tasks() == tasks_before


async def test_async_stdout_closed_while_alive_fails_waiters_within_1s() -> None:
    """Regression: the async reader waited up to 1.5 s for the exit code and stderr."""
    tasks_before = other_tasks()
    async with AsyncCodex(fake_config()) as codex:
        client = codex.client
        handle = await (await codex.thread_start()).turn("SILENT")
        waiters = AsyncWaiters()

        async def stream() -> None:
            async for _ in handle.stream():
                pass

        waiters.spawn("stream", stream)
        pid = client._transport.pid  # type: ignore[attr-defined]
        t0 = time.monotonic()
        with pytest.raises(TransportClosedError):
            await client.request("fake/closeStdout")
            await client.request("fake/echo", {})
        await waiters.join()
        at, exc = waiters.ended["stream"]
        assert_died_with(exc, None, None, since=t0, at=at)
        deadline = time.monotonic() + TIMEOUT
        while process_is_alive(pid):
            assert time.monotonic() < deadline, "the app-server was not ended"
            await asyncio.sleep(0.005)
    assert other_tasks() == tasks_before


async def test_async_death_is_seen_even_when_a_child_holds_stdout_open(
    children: list[int],
) -> None:
    """Regression: with a child holding the pipe, the async reader never saw EOF."""
    async with AsyncCodex(fake_config()) as codex:
        client = codex.client
        handle = await (await codex.thread_start()).turn("SILENT")
        spawned = await client.request("fake/spawnChild", {"seconds": 60, "inheritStdio": True})
        children.append(spawned["pid"])
        waiters = AsyncWaiters()

        async def stream() -> None:
            async for _ in handle.stream():
                pass

        waiters.spawn("stream", stream)
        waiters.spawn("request", lambda: client.request("fake/hang"))

        async def hang_sent() -> bool:
            return await async_received(client, "fake/hang") == 1

        await async_wait_for(hang_sent, "fake/hang sent")
        t0 = time.monotonic()
        with pytest.raises(TransportClosedError):
            await client.request("fake/exit", {"code": 9})
        await waiters.join()
        for at, exc in waiters.ended.values():
            assert_died_with(exc, 9, None, since=t0, at=at)
