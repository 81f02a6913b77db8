"""File-system helpers and watches; config, skills and MCP servers; a login in progress."""

from __future__ import annotations

import os

import pytest

from codex_app_server import JsonRpcError, LoginError, RequestTimeoutError
from codex_app_server.testing import Reply

from .env import Env

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]


async def test_files(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    codex, root = env.codex, env.base / "files"
    await codex.fs_mkdir(root / "sub" / "deeper", recursive=True)
    await codex.fs_write(root / "sub" / "data.bin", b"\x00\x01\xfe")
    assert await codex.fs_read(root / "sub" / "data.bin") == b"\x00\x01\xfe"
    await codex.fs_write(str(root / "note.txt"), "héllo")
    assert await codex.fs_read_text(root / "note.txt") == "héllo"
    assert (root / "note.txt").read_bytes() == "héllo".encode()
    monkeypatch.chdir(root)  # relative paths are resolved against this process's cwd
    assert await codex.fs_read_text("note.txt") == "héllo"
    meta = await codex.fs_metadata("sub")
    assert meta.is_directory and not meta.is_file
    await codex.fs_copy("sub", "copy", recursive=True)
    assert (root / "copy" / "data.bin").read_bytes() == b"\x00\x01\xfe"
    listing = {(e.file_name, e.is_directory) for e in await codex.fs_list(root)}
    assert listing == {("sub", True), ("copy", True), ("note.txt", False)}
    await codex.fs_remove("copy", recursive=True)
    await codex.fs_remove("note.txt")
    assert sorted(os.listdir(root)) == ["sub"]
    with pytest.raises(JsonRpcError):
        await codex.fs_read("missing.txt")


async def test_fs_watch(env: Env) -> None:
    root = env.base / "watched"
    root.mkdir()
    async with await env.codex.fs_watch(root) as watch:
        (root / "a.txt").write_text("1")
        change = await watch.next(timeout=10)
        assert str(root / "a.txt") in change.changed_paths
        assert change.watch_id == watch.watch_id
    assert [c async for c in watch] == []  # closed: iteration ends
    with pytest.raises(RequestTimeoutError):
        await (await env.codex.fs_watch(root)).next(timeout=0.1)


async def test_config(env: Env) -> None:
    codex = env.codex
    read = await codex.config_read(include_layers=True)
    assert read.config.model == "gpt-5.5" and read.layers
    written = await codex.config_write("model_reasoning_summary", "detailed")
    assert written.status.value == "ok"
    batch = {"model_verbosity": "high", "model_reasoning_effort": "low"}
    version = (await codex.config_batch_write(batch)).version
    config = (await codex.config_read()).config
    assert config.model_reasoning_summary is not None
    assert config.model_reasoning_summary.value == "detailed"
    assert config.model_verbosity is not None and config.model_verbosity.value == "high"
    await codex.config_batch_write(
        [{"keyPath": "model_verbosity", "value": "low", "mergeStrategy": "replace"}],
        expected_version=version,
    )
    verbosity = (await codex.config_read()).config.model_verbosity
    assert verbosity is not None and verbosity.value == "low"
    with pytest.raises(JsonRpcError):
        await codex.config_write("model_verbosity", "medium", expected_version=version)  # stale


async def test_skills(env: Env) -> None:
    listed = await env.codex.skills(cwds=[env.base], force_reload=True)
    (entry,) = listed.data
    assert entry.cwd == str(env.base)
    assert all(skill.name for skill in entry.skills)


async def test_mcp_servers(env: Env) -> None:
    servers = await env.codex.mcp_servers()
    (echo,) = [s for s in servers if s.name == "echo"]
    assert "echo" in echo.tools
    assert await env.codex.mcp_servers(server_name="nope") == []


async def test_login_handles_share_the_connection_with_other_work(env: Env) -> None:
    """A pending login does not stop turns and commands, and vice versa."""
    handle = await env.codex.login_chatgpt()
    try:
        env.model.enqueue(Reply.text("still working"))
        thread = await env.codex.thread_start()
        assert (await thread.run("hi")).final_response == "still working"
        assert (await env.codex.command_exec(["true"])).exit_code == 0
    finally:
        await handle.cancel()
    with pytest.raises(LoginError):
        await handle.wait(timeout=10)
