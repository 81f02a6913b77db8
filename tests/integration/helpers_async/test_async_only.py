"""Protocol helpers only the asyncio side has tests for: lazy start, several helpers per test
in one task, and `asyncio.gather` over commands (hand-written, not mirrored)."""

from __future__ import annotations

import asyncio

import pytest

from codex_app_server import (
    AsyncCodex,
    AsyncFsWatch,
    InvalidRequestError,
)
from codex_app_server.generated import v2_all
from codex_app_server.testing import Reply

from .env import Env

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]


async def test_helpers_start_the_client_lazily(env: Env) -> None:
    codex = AsyncCodex(env.config)  # not started: the first helper call starts it
    try:
        servers = await codex.mcp_servers()
        assert [s.name for s in servers] == ["echo"]
    finally:
        await codex.close()


async def test_threads_turns_and_items(env: Env) -> None:
    thread = await env.thread_with_turns("async paging one", "async paging two")
    stored = [t async for t in env.codex.iter_threads(page_size=1, search_term="async paging")]
    assert [t.id for t in stored] == [thread.id]
    assert isinstance(stored[0], v2_all.Thread)
    turns = [t.id async for t in thread.iter_turns(page_size=1)]
    assert len(turns) == 2
    entries = [e async for e in thread.iter_items(page_size=1)]
    assert len(entries) == 4
    only_first = [e async for e in thread.iter_items(turn_id=turns[1])]
    assert {e.turn_id for e in only_first} == {turns[1]}
    await thread.rollback()
    assert [t.id async for t in thread.iter_turns()] == turns[1:]
    await thread.revert(turns[1])
    assert [t async for t in thread.iter_turns()] == []
    with pytest.raises(ValueError, match="cannot roll back"):
        await thread.rollback()
    await thread.delete()
    other = await env.codex.thread_start()
    await env.codex.thread_delete(other.id)


async def test_review_goals_and_shell(env: Env) -> None:
    thread = await env.thread_with_turns("code")
    env.model.enqueue(Reply.text("All good."))
    review = await thread.review()
    assert (await review.run()).status.value == "completed"
    assert review.collector.final_response() == "All good."
    goal = await thread.goal_set("async goal", status="paused")  # active would start a turn
    assert goal.objective == "async goal"
    got = await thread.goal_get()
    assert got is not None and got.objective == "async goal"
    assert await thread.goal_clear() is True
    item = await thread.shell_command("echo async-shell")
    assert (item.aggregated_output, item.exit_code) == ("async-shell\n", 0)


async def test_commands_run_concurrently(env: Env) -> None:
    async def run(n: int) -> bytes:
        process = await env.codex.command_start(["bash", "-c", f"echo a{n}; echo b{n}"])
        return b"".join([chunk.data async for chunk in process])

    outputs = await asyncio.gather(*(run(n) for n in range(4)))
    assert outputs == [f"a{n}\nb{n}\n".encode() for n in range(4)]


async def test_files_and_watch(env: Env) -> None:
    codex, root = env.codex, env.base / "async-files"
    await codex.fs_mkdir(root / "d", recursive=True)
    await codex.fs_write(root / "d" / "f.txt", "text")
    assert await codex.fs_read(root / "d" / "f.txt") == b"text"
    assert await codex.fs_read_text(root / "d" / "f.txt") == "text"
    assert (await codex.fs_metadata(root / "d")).is_directory
    await codex.fs_copy(root / "d" / "f.txt", root / "g.txt")
    assert sorted(e.file_name for e in await codex.fs_list(root)) == ["d", "g.txt"]
    await codex.fs_remove(root / "d", recursive=True)
    assert [e.file_name for e in await codex.fs_list(root)] == ["g.txt"]
    watch = await codex.fs_watch(root)
    assert isinstance(watch, AsyncFsWatch)
    async with watch:
        (root / "new.txt").write_text("x")
        change = await watch.next(timeout=10)
        assert str(root / "new.txt") in change.changed_paths
    assert [c async for c in watch] == []


async def test_config_and_skills(env: Env) -> None:
    codex = env.codex
    assert (await codex.config_read()).config.model == "gpt-5.5"
    assert (await codex.config_write("model_verbosity", "low")).status.value == "ok"
    await codex.config_batch_write({"model_reasoning_summary": "concise"})
    config = (await codex.config_read()).config
    assert config.model_verbosity is not None and config.model_verbosity.value == "low"
    skills = await codex.skills(cwds=[env.base])
    assert [entry.cwd for entry in skills.data] == [str(env.base)]


async def test_generic_request_and_typed_methods(env: Env) -> None:
    client = env.codex.client
    thread = await env.codex.thread_start()
    raw = await client.request("thread/loaded/list", {})
    assert thread.id in raw["data"]
    typed = await client.request("thread/loaded/list", {}, v2_all.ThreadLoadedListResponse)
    assert typed.data == raw["data"]
    goal = await client.thread_goal_get(thread_id=thread.id)
    assert isinstance(goal, v2_all.ThreadGoalGetResponse) and goal.goal is None
    with pytest.raises(InvalidRequestError, match="unknown variant"):
        await client.request("no/such/method", {})
