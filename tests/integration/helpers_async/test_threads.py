"""Thread helpers: paging, rollback and revert, delete, review, goals, shell commands."""

from __future__ import annotations

import asyncio  # unasync: async-only

import pytest

from codex_app_server import InvalidRequestError
from codex_app_server.generated import v2_all
from codex_app_server.testing import Reply

from .env import Env

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]


async def test_iter_threads_pages_through_every_thread(env: Env) -> None:
    made = [await env.thread_with_turns(f"paging marker {i}") for i in range(3)]
    found = env.codex.iter_threads(page_size=1, search_term="paging marker")
    ids = [t.id async for t in found]
    assert sorted(ids) == sorted(t.id for t in made)
    matching = [t async for t in env.codex.iter_threads(search_term="paging marker 2")]
    stored = matching[0]
    assert isinstance(stored, v2_all.Thread) and stored.id == made[2].id


async def test_iter_turns_and_items(env: Env) -> None:
    thread = await env.thread_with_turns("one", "two", "three")
    newest_first = [t.id async for t in thread.iter_turns(page_size=1)]
    assert len(newest_first) == 3
    oldest_first = [t.id async for t in thread.iter_turns(sort_direction="asc", page_size=2)]
    assert oldest_first == newest_first[::-1]
    full = [t async for t in thread.iter_turns(items_view="full")]
    assert [len(t.items) for t in full] == [2, 2, 2]
    entries = [e async for e in thread.iter_items(page_size=1)]
    assert len(entries) == 6
    texts = [getattr(e.item, "root", e.item) for e in entries]
    assert texts[0].type == "userMessage" and texts[1].text == "answer to one"
    only_last = [e async for e in thread.iter_items(turn_id=newest_first[0])]
    assert {e.turn_id for e in only_last} == {newest_first[0]}


async def test_rollback_and_revert(env: Env) -> None:
    thread = await env.thread_with_turns("a", "b", "c", "d")
    turns = [t.id async for t in thread.iter_turns()]  # newest first
    await thread.rollback()
    assert [t.id async for t in thread.iter_turns()] == turns[1:]
    await thread.rollback(2)
    assert [t.id async for t in thread.iter_turns()] == turns[3:]
    with pytest.raises(ValueError, match="cannot roll back 2"):
        await thread.rollback(2)
    reverted = await thread.revert(turns[3])
    assert reverted.thread.id == thread.id
    assert [t async for t in thread.iter_turns()] == []


async def test_revert_to_an_unknown_turn_fails(env: Env) -> None:
    thread = await env.thread_with_turns("only")
    with pytest.raises(InvalidRequestError):
        await thread.revert("no-such-turn")


async def test_delete(env: Env) -> None:
    first, second = await env.thread_with_turns("x"), await env.thread_with_turns("y")
    await first.delete()
    await env.codex.thread_delete(second.id)
    remaining = {t.id async for t in env.codex.iter_threads()}
    assert first.id not in remaining and second.id not in remaining


async def test_review_returns_a_turn_handle(env: Env) -> None:
    thread = await env.thread_with_turns("code")
    env.model.enqueue(Reply.text("No issues found."))
    handle = await thread.review("Look for off-by-one errors.")
    assert handle.thread_id == thread.id
    assert (await handle.run()).status.value == "completed"
    assert handle.collector.final_response() == "No issues found."
    assert "off-by-one" in (env.model.requests[-1].last_user_text or "")

    with pytest.raises(InvalidRequestError, match="detached review"):
        await thread.review({"type": "custom", "instructions": "again"}, delivery="detached")


async def test_goals(env: Env) -> None:
    thread = await env.codex.thread_start()
    assert await thread.goal_get() is None
    goal = await thread.goal_set("Ship the release", status="paused", token_budget=1000)
    assert (goal.objective, goal.token_budget, goal.status.value) == (
        "Ship the release",
        1000,
        "paused",
    )
    got = await thread.goal_get()
    assert got is not None and got.objective == "Ship the release"
    assert await thread.goal_clear() is True
    assert await thread.goal_clear() is False
    assert await thread.goal_get() is None


async def test_shell_command_on_an_idle_thread(env: Env) -> None:
    thread = await env.codex.thread_start()
    item = await thread.shell_command("echo from-the-shell; echo oops >&2; exit 3")
    assert isinstance(item, v2_all.CommandExecutionThreadItem)
    assert item.source is not None and item.source.value == "userShell"
    assert item.exit_code == 3
    assert item.aggregated_output == "from-the-shell\noops\n"
    # it ran as a turn of its own
    (turn,) = [t async for t in thread.iter_turns(items_view="full")]
    assert [getattr(i, "root", i).id for i in turn.items] == [item.id]


async def test_shell_command_inside_a_running_turn(env: Env) -> None:
    thread = await env.codex.thread_start()
    env.model.enqueue(Reply.hang())
    handle = await thread.turn("take your time")
    await asyncio.to_thread(env.model.wait_for_requests, 1)
    item = await thread.shell_command("echo inside")
    assert item.aggregated_output == "inside\n"
    await handle.interrupt()
    env.model.release()
    streamed = [
        note.params["item"]["id"]
        async for note in handle.stream()
        if note.method == "item/completed" and note.params["item"]["type"] == "commandExecution"
    ]
    assert streamed == [item.id]  # the turn's own stream saw it too
    assert (await thread.shell_command("true", timeout_ms=10_000)).exit_code == 0
