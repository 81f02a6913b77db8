"""The protocol helpers of `Codex` and `Thread`, against the real runtime (offline)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_app_server import (
    Codex,
    CommandOutput,
    CommandProcess,
    InvalidRequestError,
    JsonRpcError,
    LoginError,
    RequestTimeoutError,
    Thread,
)
from codex_app_server.generated import v2_all
from codex_app_server.testing import Reply, ScriptedModel
from tests.support.echo_mcp import echo_mcp_settings

pytestmark = pytest.mark.integration


class Env:
    def __init__(self, codex: Codex, model: ScriptedModel, base: Path) -> None:
        self.codex = codex
        self.model = model
        self.base = base

    def thread_with_turns(self, *texts: str) -> Thread:
        thread = self.codex.thread_start()
        for text in texts:
            self.model.enqueue(Reply.text(f"answer to {text}"))
            thread.run(text)
        return thread


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    base = tmp_path_factory.mktemp("helpers")
    with ScriptedModel() as model:
        config = model.config(base, settings=echo_mcp_settings(base))
        with Codex(config) as codex:
            yield Env(codex, model, base)


@pytest.fixture(autouse=True)
def fresh_model(env: Env) -> Iterator[None]:
    env.model.reset()
    yield
    assert env.model.unexpected_requests == 0, "the model got a request nobody scripted"


# -- threads ----------------------------------------------------------------------------------


def test_iter_threads_pages_through_every_thread(env: Env) -> None:
    made = [env.thread_with_turns(f"paging marker {i}") for i in range(3)]
    ids = [t.id for t in env.codex.iter_threads(page_size=1, search_term="paging marker")]
    assert sorted(ids) == sorted(t.id for t in made)
    stored = next(env.codex.iter_threads(search_term="paging marker 2"))
    assert isinstance(stored, v2_all.Thread) and stored.id == made[2].id


def test_iter_turns_and_items(env: Env) -> None:
    thread = env.thread_with_turns("one", "two", "three")
    newest_first = [t.id for t in thread.iter_turns(page_size=1)]
    assert len(newest_first) == 3
    oldest_first = [t.id for t in thread.iter_turns(sort_direction="asc", page_size=2)]
    assert oldest_first == newest_first[::-1]
    full = list(thread.iter_turns(items_view="full"))
    assert [len(t.items) for t in full] == [2, 2, 2]
    entries = list(thread.iter_items(page_size=1))
    assert len(entries) == 6
    texts = [getattr(e.item, "root", e.item) for e in entries]
    assert texts[0].type == "userMessage" and texts[1].text == "answer to one"
    only_last = list(thread.iter_items(turn_id=newest_first[0]))
    assert {e.turn_id for e in only_last} == {newest_first[0]}


def test_rollback_and_revert(env: Env) -> None:
    thread = env.thread_with_turns("a", "b", "c", "d")
    turns = [t.id for t in thread.iter_turns()]  # newest first
    thread.rollback()
    assert [t.id for t in thread.iter_turns()] == turns[1:]
    thread.rollback(2)
    assert [t.id for t in thread.iter_turns()] == turns[3:]
    with pytest.raises(ValueError, match="cannot roll back 2"):
        thread.rollback(2)
    reverted = thread.revert(turns[3])
    assert reverted.thread.id == thread.id
    assert list(thread.iter_turns()) == []


def test_delete(env: Env) -> None:
    first, second = env.thread_with_turns("x"), env.thread_with_turns("y")
    first.delete()
    env.codex.thread_delete(second.id)
    remaining = {t.id for t in env.codex.iter_threads()}
    assert first.id not in remaining and second.id not in remaining


def test_review_returns_a_turn_handle(env: Env) -> None:
    thread = env.thread_with_turns("code")
    env.model.enqueue(Reply.text("No issues found."))
    handle = thread.review("Look for off-by-one errors.")
    assert handle.thread_id == thread.id
    assert handle.run().status.value == "completed"
    assert handle.collector.final_response() == "No issues found."
    assert "off-by-one" in (env.model.requests[-1].last_user_text or "")

    with pytest.raises(InvalidRequestError, match="detached review"):
        thread.review({"type": "custom", "instructions": "again"}, delivery="detached")


def test_goals(env: Env) -> None:
    thread = env.codex.thread_start()
    assert thread.goal_get() is None
    goal = thread.goal_set("Ship the release", status="paused", token_budget=1000)
    assert (goal.objective, goal.token_budget, goal.status.value) == (
        "Ship the release",
        1000,
        "paused",
    )
    got = thread.goal_get()
    assert got is not None and got.objective == "Ship the release"
    assert thread.goal_clear() is True
    assert thread.goal_clear() is False
    assert thread.goal_get() is None


def test_shell_command_on_an_idle_thread(env: Env) -> None:
    thread = env.codex.thread_start()
    item = thread.shell_command("echo from-the-shell; echo oops >&2; exit 3")
    assert isinstance(item, v2_all.CommandExecutionThreadItem)
    assert item.source.value == "userShell" and item.exit_code == 3
    assert item.aggregated_output == "from-the-shell\noops\n"
    (turn,) = thread.iter_turns(items_view="full")  # it ran as a turn of its own
    assert [getattr(i, "root", i).id for i in turn.items] == [item.id]


def test_shell_command_inside_a_running_turn(env: Env) -> None:
    thread = env.codex.thread_start()
    env.model.enqueue(Reply.hang())
    handle = thread.turn("take your time")
    env.model.wait_for_requests(1)
    item = thread.shell_command("echo inside")
    assert item.aggregated_output == "inside\n"
    handle.interrupt()
    env.model.release()
    streamed = [
        note.params["item"]["id"]
        for note in handle.stream()
        if note.method == "item/completed" and note.params["item"]["type"] == "commandExecution"
    ]
    assert streamed == [item.id]  # the turn's own stream saw it too
    assert thread.shell_command("true", timeout_ms=10_000).exit_code == 0


# -- commands ---------------------------------------------------------------------------------


def test_command_exec(env: Env) -> None:
    done = env.codex.command_exec(
        ["bash", "-c", 'echo "$GREETING"; pwd; exit 4'],
        env={"GREETING": "hello"},
        cwd=env.base,
    )
    assert done.exit_code == 4
    assert done.stdout.splitlines() == ["hello", str(env.base)]
    with pytest.raises(TypeError, match="argv list"):
        env.codex.command_exec("echo hi")  # type: ignore[arg-type]


def test_command_start_streams_output_and_takes_input(env: Env) -> None:
    script = "echo ready; read line; echo got $line; echo warn >&2"
    with env.codex.command_start(["bash", "-c", script], stdin=True) as process:
        assert isinstance(process, CommandProcess)
        chunks = iter(process)
        first = next(chunks)
        assert first == CommandOutput("stdout", b"ready\n")
        process.write("ping\n", close_stdin=True)
        rest = list(chunks)
        result = process.wait()
    assert result.exit_code == 0
    assert process.stdout == b"ready\ngot ping\n"
    assert process.stderr == b"warn\n"
    assert {c.stream for c in rest} == {"stdout", "stderr"}
    assert process.finished


def test_wait_collects_output_that_was_not_iterated(env: Env) -> None:
    process = env.codex.command_start(["bash", "-c", "printf 'a%.0s' {1..5000}"])
    result = process.wait(timeout=30)
    assert result.exit_code == 0 and result.stdout == ""  # streamed, not buffered
    assert process.stdout == b"a" * 5000
    assert list(process) == []  # everything was read by wait()


def test_command_start_terminate_and_timeout(env: Env) -> None:
    process = env.codex.command_start(["sleep", "30"])
    with pytest.raises(RequestTimeoutError):
        process.wait(timeout=0.2)
    process.terminate()
    assert process.wait(timeout=30).exit_code != 0


def test_context_manager_terminates_a_running_command(env: Env) -> None:
    with env.codex.command_start(["sleep", "30"]) as process:
        pass
    assert process.finished


def test_tty_command_with_resize(env: Env) -> None:
    with env.codex.command_start(
        ["bash", "-c", "stty size; read; stty size"],
        tty=True,
        stdin=True,
        size=(24, 80),
        sandbox_policy={"type": "dangerFullAccess"},  # a PTY needs the sandbox helper otherwise
    ) as process:
        chunks = iter(process)
        assert b"24 80" in next(chunks).data
        process.resize(30, 100)
        process.write("\n")
        text = b"".join(c.data for c in chunks)
    assert b"30 100" in text


def test_a_command_the_server_rejects_raises(env: Env) -> None:
    process = env.codex.command_start([])  # the server rejects an empty argv
    with pytest.raises(InvalidRequestError):
        list(process)
    with pytest.raises(InvalidRequestError):
        process.wait()
    missing = env.codex.command_start(["/no/such/program"]).wait(timeout=30)
    assert missing.exit_code != 0


def test_concurrent_commands_get_their_own_output(env: Env) -> None:
    processes = [
        env.codex.command_start(["bash", "-c", f"for i in 1 2 3; do echo p{n}-$i; done"])
        for n in range(4)
    ]
    outputs: dict[int, bytes] = {}

    def read(n: int) -> None:
        outputs[n] = b"".join(chunk.data for chunk in processes[n])

    readers = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=30)
    for n in range(4):
        assert outputs[n] == f"p{n}-1\np{n}-2\np{n}-3\n".encode()


# -- files ------------------------------------------------------------------------------------


def test_files(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    codex, root = env.codex, env.base / "files"
    codex.fs_mkdir(root / "sub" / "deeper", recursive=True)
    codex.fs_write(root / "sub" / "data.bin", b"\x00\x01\xfe")
    assert codex.fs_read(root / "sub" / "data.bin") == b"\x00\x01\xfe"
    codex.fs_write(str(root / "note.txt"), "héllo")
    assert codex.fs_read_text(root / "note.txt") == "héllo"
    assert (root / "note.txt").read_bytes() == "héllo".encode()
    monkeypatch.chdir(root)  # relative paths are resolved against this process's cwd
    assert codex.fs_read_text("note.txt") == "héllo"
    meta = codex.fs_metadata("sub")
    assert meta.is_directory and not meta.is_file
    codex.fs_copy("sub", "copy", recursive=True)
    assert (root / "copy" / "data.bin").read_bytes() == b"\x00\x01\xfe"
    listing = {(e.file_name, e.is_directory) for e in codex.fs_list(root)}
    assert listing == {("sub", True), ("copy", True), ("note.txt", False)}
    codex.fs_remove("copy", recursive=True)
    codex.fs_remove("note.txt")
    assert sorted(os.listdir(root)) == ["sub"]
    with pytest.raises(JsonRpcError):
        codex.fs_read("missing.txt")


def test_fs_watch(env: Env) -> None:
    root = env.base / "watched"
    root.mkdir()
    with env.codex.fs_watch(root) as watch:
        (root / "a.txt").write_text("1")
        change = watch.next(timeout=10)
        assert str(root / "a.txt") in change.changed_paths
        assert change.watch_id == watch.watch_id
    assert list(watch) == []  # closed: iteration ends
    with pytest.raises(RequestTimeoutError):
        env.codex.fs_watch(root).next(timeout=0.1)


# -- config, skills, MCP -----------------------------------------------------------------------


def test_config(env: Env) -> None:
    codex = env.codex
    read = codex.config_read(include_layers=True)
    assert read.config.model == "gpt-5.5" and read.layers
    written = codex.config_write("model_reasoning_summary", "detailed")
    assert written.status.value == "ok"
    version = codex.config_batch_write(
        {"model_verbosity": "high", "model_reasoning_effort": "low"}
    ).version
    config = codex.config_read().config
    assert config.model_reasoning_summary is not None
    assert config.model_reasoning_summary.value == "detailed"
    assert config.model_verbosity is not None and config.model_verbosity.value == "high"
    codex.config_batch_write(
        [{"keyPath": "model_verbosity", "value": "low", "mergeStrategy": "replace"}],
        expected_version=version,
    )
    assert codex.config_read().config.model_verbosity.value == "low"  # type: ignore[union-attr]
    with pytest.raises(JsonRpcError):
        codex.config_write("model_verbosity", "medium", expected_version=version)  # stale


def test_skills(env: Env) -> None:
    listed = env.codex.skills(cwds=[env.base], force_reload=True)
    (entry,) = listed.data
    assert entry.cwd == str(env.base)
    assert all(skill.name for skill in entry.skills)


def test_mcp_servers(env: Env) -> None:
    servers = env.codex.mcp_servers()
    (echo,) = [s for s in servers if s.name == "echo"]
    assert "echo" in echo.tools
    assert env.codex.mcp_servers(server_name="nope") == []


def test_login_handles_share_the_connection_with_other_work(env: Env) -> None:
    """A pending login does not stop turns and commands, and vice versa."""
    handle = env.codex.login_chatgpt()
    try:
        env.model.enqueue(Reply.text("still working"))
        assert env.codex.thread_start().run("hi").final_response == "still working"
        assert env.codex.command_exec(["true"]).exit_code == 0
    finally:
        handle.cancel()
    with pytest.raises(LoginError):
        handle.wait(timeout=10)


def test_revert_to_an_unknown_turn_fails(env: Env) -> None:
    thread = env.thread_with_turns("only")
    with pytest.raises(InvalidRequestError):
        thread.revert("no-such-turn")
