"""`AsyncCodexPool` / `CodexPool` through real app-servers and the scripted model."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import threading
from pathlib import Path

import pytest

from codex_app_server import (
    AppServerConfig,
    AsyncCodexPool,
    AsyncPoolThread,
    CodexPool,
    PoolError,
    PoolServer,
    ServerLostError,
)
from codex_app_server._scale.procs import app_server_pids
from codex_app_server.testing import Reply, ScriptedModel

from .conftest import Echo, answer_for

pytestmark = pytest.mark.integration


async def test_three_servers_start_on_a_fresh_home(
    codex_config: AppServerConfig, echo: Echo
) -> None:
    # Started at the same moment, servers on a fresh home fail; the pool starts one first.
    async with AsyncCodexPool(codex_config, size=3) as pool:
        assert len(pool.healthy_servers) == 3
        assert len(app_server_pids()) == 3
        threads = [await pool.thread_start() for _ in range(6)]
        assert sorted(t.server.index for t in threads) == [0, 0, 1, 1, 2, 2]  # least loaded
        results = await asyncio.gather(*(t.run(f"p{i}") for i, t in enumerate(threads)))
        assert [r.final_response for r in results] == [answer_for(f"p{i}") for i in range(6)]


async def test_a_thread_stays_on_its_server(
    scripted_model: ScriptedModel, codex_config: AppServerConfig, echo: Echo
) -> None:
    async with AsyncCodexPool(codex_config, size=2) as pool:
        a, b = await pool.thread_start(), await pool.thread_start()
        assert a.server is not b.server
        for i in range(3):
            await asyncio.gather(a.run(f"a{i}"), b.run(f"b{i}"))
            assert pool.server_of(a.id) is a.server and pool.server_of(b.id) is b.server
        # The other server cannot take the thread over while its writer lives.
        other = b.server.codex
        with pytest.raises(Exception, match="active writer"):
            await other.thread_resume(a.id)
        read = await a.read(include_turns=True)  # forwarded AsyncThread API
        assert len(read.thread.turns) == 3


async def thread_after_one_turn(
    pool: AsyncCodexPool, prompt: str
) -> tuple[AsyncPoolThread, PoolServer]:
    """A new thread of `pool` with one turn of history (`prompt`), and its server."""
    thread = await pool.thread_start()
    await thread.run(prompt)
    return thread, thread.server


async def test_a_killed_server_restarts_and_its_thread_goes_on(
    scripted_model: ScriptedModel, echo: Echo, codex_config: AppServerConfig
) -> None:
    async with AsyncCodexPool(codex_config, size=2, max_restarts=1) as pool:
        thread, victim = await thread_after_one_turn(pool, "remember me")
        scripted_model.enqueue(Reply.hang())
        turn = asyncio.ensure_future(thread.run("this turn is lost"))
        await asyncio.to_thread(scripted_model.wait_for_requests, 2, 30)
        pid = victim.pid
        assert pid in app_server_pids()
        os.kill(pid, signal.SIGKILL)
        with pytest.raises(ServerLostError):
            await asyncio.wait_for(turn, 30)
        scripted_model.release()

        result = await thread.run("and now?")  # restarted, resumed with its history
        assert result.final_response == answer_for("and now?")
        assert victim.restarts == 1 and thread.server is victim
        assert "remember me" in scripted_model.requests[-1].user_texts
        assert pid not in app_server_pids()


async def test_a_server_gone_for_good_hands_its_threads_to_one_on_the_same_home(
    scripted_model: ScriptedModel, echo: Echo, codex_config: AppServerConfig
) -> None:
    async with AsyncCodexPool(codex_config, size=2, max_restarts=0) as pool:
        thread, victim = await thread_after_one_turn(pool, "first")
        await victim.codex.close()  # as if it died, with no restart allowed
        result = await thread.run("second")
        assert result.final_response == answer_for("second")
        assert thread.server is not victim and victim.failed
        assert "first" in scripted_model.requests[-1].user_texts
        await thread.server.close()
        with pytest.raises(PoolError):
            await thread.run("third")


async def test_archive_unloads_threads(codex_config: AppServerConfig, echo: Echo) -> None:
    async with AsyncCodexPool(codex_config, size=1) as pool:
        threads = [await pool.thread_start() for _ in range(3)]
        await asyncio.gather(*(t.run("x") for t in threads))
        codex = pool.servers[0].codex
        loaded = await codex.client.request("thread/loaded/list", {})
        assert set(loaded["data"]) >= {t.id for t in threads}
        for t in threads:
            await t.archive()
        loaded = await codex.client.request("thread/loaded/list", {})
        assert not set(loaded["data"]) & {t.id for t in threads}
        assert pool.servers[0].threads == set()


def test_sync_pool(codex_config: AppServerConfig, echo: Echo, tmp_path: Path) -> None:
    with CodexPool(codex_config, size=2, max_turns_per_server=2) as pool:
        threads = [pool.thread_start() for _ in range(4)]
        assert sorted(t.server.index for t in threads) == [0, 0, 1, 1]
        assert [t.run(f"s{i}").final_response for i, t in enumerate(threads)] == [
            answer_for(f"s{i}") for i in range(4)
        ]
        read = threads[0].call("read", include_turns=True)
        assert len(read.thread.turns) == 1
    assert app_server_pids() == []


def test_sync_pool_takes_every_argument_of_the_async_pool(codex_config: AppServerConfig) -> None:
    # Regression: CodexPool listed its own arguments and lacked the documented
    # `drain_notifications`; it now passes AsyncCodexPool's arguments on as they are.
    assert list(inspect.signature(CodexPool).parameters) == list(
        inspect.signature(AsyncCodexPool).parameters
    )
    pool = CodexPool([codex_config], max_restarts=1, drain_notifications=True)
    try:
        assert [s._drain for s in pool.servers] == [True]
        assert [s.max_restarts for s in pool.servers] == [1]
    finally:
        pool.close()
    threads = threading.active_count()
    with pytest.raises(TypeError):
        CodexPool(codex_config, sise=2)  # type: ignore[call-arg]
    with pytest.raises(ValueError):
        CodexPool([codex_config], size=2)
    assert threading.active_count() == threads, "a failed CodexPool left its loop thread"
