"""Command helpers: one-shot exec, streamed processes with stdin, PTYs, failures, timeouts."""

from __future__ import annotations

import pytest

from codex_app_server import (
    AsyncCommandProcess,
    CommandOutput,
    InvalidRequestError,
    RequestTimeoutError,
)

from .env import Env

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="package")]


async def test_command_exec(env: Env) -> None:
    done = await env.codex.command_exec(
        ["bash", "-c", 'echo "$GREETING"; pwd; exit 4'],
        env={"GREETING": "hello"},
        cwd=env.base,
    )
    assert done.exit_code == 4
    assert done.stdout.splitlines() == ["hello", str(env.base)]
    with pytest.raises(TypeError, match="argv list"):
        await env.codex.command_exec("echo hi")


@pytest.mark.parametrize("close_apart", [False, True], ids=["str-and-close", "bytes-then-close"])
async def test_command_start_streams_output_and_takes_input(env: Env, close_apart: bool) -> None:
    script = "echo ready; read line; echo got $line; echo warn >&2"
    async with await env.codex.command_start(["bash", "-c", script], stdin=True) as process:
        assert isinstance(process, AsyncCommandProcess)
        chunks = process.__aiter__()
        first = await chunks.__anext__()
        assert first == CommandOutput("stdout", b"ready\n")
        if close_apart:  # no newline: closing stdin is what ends the `read`
            await process.write(b"ping")
            await process.close_stdin()
        else:
            await process.write("ping\n", close_stdin=True)
        rest = [chunk async for chunk in chunks]
        result = await process.wait()
    assert result.exit_code == 0
    assert process.stdout == b"ready\ngot ping\n"
    assert process.stderr == b"warn\n"
    assert {c.stream for c in rest} == {"stdout", "stderr"}
    assert process.finished


async def test_wait_collects_output_that_was_not_iterated(env: Env) -> None:
    process = await env.codex.command_start(["bash", "-c", "printf 'a%.0s' {1..5000}"])
    result = await process.wait(timeout=30)
    assert result.exit_code == 0 and result.stdout == ""  # streamed, not buffered
    assert process.stdout == b"a" * 5000
    assert [chunk async for chunk in process] == []  # everything was read by wait()


async def test_command_start_terminate_and_timeout(env: Env) -> None:
    process = await env.codex.command_start(["sleep", "30"])
    with pytest.raises(RequestTimeoutError):
        await process.wait(timeout=0.2)
    await process.terminate()
    assert (await process.wait(timeout=30)).exit_code != 0


async def test_context_manager_terminates_a_running_command(env: Env) -> None:
    async with await env.codex.command_start(["sleep", "30"]) as process:
        pass
    assert process.finished


async def test_tty_command_with_resize(env: Env) -> None:
    async with await env.codex.command_start(
        ["bash", "-c", "stty size; read; stty size"],
        tty=True,
        stdin=True,
        size=(24, 80),
        sandbox_policy={"type": "dangerFullAccess"},  # a PTY needs the sandbox helper otherwise
    ) as process:
        chunks = process.__aiter__()
        assert b"24 80" in (await chunks.__anext__()).data
        await process.resize(30, 100)
        await process.write("\n")
        text = b"".join([c.data async for c in chunks])
    assert b"30 100" in text


async def test_a_command_the_server_rejects_raises(env: Env) -> None:
    process = await env.codex.command_start([])  # the server rejects an empty argv
    with pytest.raises(InvalidRequestError):
        [chunk async for chunk in process]
    with pytest.raises(InvalidRequestError):
        await process.wait()
    missing = await (await env.codex.command_start(["/no/such/program"])).wait(timeout=30)
    assert missing.exit_code != 0
