"""The `codex-py` command line, in a subprocess, against the real app-server.

`run`, `models` and `threads` are pointed at the scripted model's offline CODEX_HOME with
`--codex-home` (or the `CODEX_HOME` environment variable); `demo` needs nothing at all.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import AppServerConfig, Codex
from codex_app_server._cli.demo import DEMO_ANSWER, DEMO_COMMAND, DEMO_PROMPT
from codex_app_server.testing import Reply, ScriptedModel

pytestmark = pytest.mark.integration

ESC = "\x1b["


def cli(
    *args: str,
    config: AppServerConfig | None = None,
    stdin: str = "",
    home_from_env: bool = False,
    extra_env: dict[str, str] | None = None,
    unset: tuple[str, ...] = (),
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `python -m codex_app_server ARGS` with the offline CODEX_HOME of `config`, without
    the variables in `unset`."""
    dropped = ("NO_COLOR", "FORCE_COLOR", "CODEX_HOME", *unset)
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    argv = [sys.executable, "-m", "codex_app_server", *args]
    if config is not None:
        env.update(config.env or {})
        assert config.codex_home is not None
        if home_from_env:
            env["CODEX_HOME"] = os.fspath(config.codex_home)
        else:
            argv += ["--codex-home", os.fspath(config.codex_home)]
        cwd = config.cwd if cwd is None else cwd
    env.update(extra_env or {})
    return subprocess.run(
        argv, input=stdin, capture_output=True, text=True, env=env, cwd=cwd, timeout=120
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines and all(isinstance(obj, dict) for obj in lines)
    return lines


# --------------------------------------------------------------------------- demo


def test_demo_streams_a_real_turn_offline() -> None:
    done = cli("demo")
    assert done.returncode == 0, done.stderr
    assert done.stdout == DEMO_ANSWER + "\n"
    err = done.stderr
    expected_in_order = [
        f"[you] {DEMO_PROMPT}",
        "[thinking] The user wants proof",
        f"[run] $ {DEMO_COMMAND}",
        "  | Hello from a real shell!",  # the command really ran
        "[run] exit 0",
        "[thinking] The command printed",
        "[usage] ",
        "[done] turn completed in ",
    ]
    positions = [err.find(text) for text in expected_in_order]
    assert -1 not in positions, (positions, err)
    assert positions == sorted(positions), err
    assert " total" in err and "input" in err
    assert ESC not in done.stdout + done.stderr  # not a terminal: no colour codes


def test_demo_json_prints_every_event_as_a_json_line() -> None:
    done = cli("demo", "--json")
    assert done.returncode == 0, done.stderr
    events = json_lines(done.stdout)
    methods = [e["method"] for e in events]
    assert methods[-1] == "turn/completed"
    assert events[-1]["params"]["turn"]["status"] == "completed"
    assert "item/reasoning/summaryTextDelta" in methods
    assert "thread/tokenUsage/updated" in methods
    deltas = [e["params"]["delta"] for e in events if e["method"] == "item/agentMessage/delta"]
    assert len(deltas) > 10
    assert "".join(deltas) == DEMO_ANSWER
    commands = [
        e["params"]["item"]
        for e in events
        if e["method"] == "item/completed" and e["params"]["item"]["type"] == "commandExecution"
    ]
    assert commands and commands[0]["exitCode"] == 0
    assert "Hello from a real shell!" in commands[0]["aggregatedOutput"]


def test_color_only_when_asked_or_on_a_terminal() -> None:
    done = cli("demo", "--color", "always")
    assert done.returncode == 0, done.stderr
    assert ESC in done.stderr
    forced = cli("demo", extra_env={"FORCE_COLOR": "1"})
    assert ESC in forced.stderr
    assert ESC not in cli("demo", extra_env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).stderr


# --------------------------------------------------------------------------- run


def test_run_streams_the_answer_and_ends_with_usage(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("Two plus two is four.", deltas=5, usage=True))
    done = cli("run", "What is 2+2?", config=codex_config)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Two plus two is four.\n"
    assert "[usage] " in done.stderr
    assert done.stderr.rstrip().splitlines()[-1].startswith("[done] turn completed")
    assert scripted_model.requests[0].last_user_text == "What is 2+2?"


def test_run_honours_codex_home_from_the_environment(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("from the env home"))
    done = cli("run", "hi", config=codex_config, home_from_env=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "from the env home\n"
    assert len(scripted_model.requests) == 1


def test_run_json_lines_parse(scripted_model: ScriptedModel, codex_config: AppServerConfig) -> None:
    scripted_model.enqueue(Reply.text("json answer", deltas=3, usage=True))
    done = cli("run", "--json", "hi", config=codex_config)
    assert done.returncode == 0, done.stderr
    events = json_lines(done.stdout)
    methods = [e["method"] for e in events]
    assert methods[0] == "turn/started"
    assert methods[-1] == "turn/completed"
    assert methods.count("item/agentMessage/delta") == 3
    assert "thread/tokenUsage/updated" in methods
    assert done.stderr == ""


def test_run_continues_a_stored_thread(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.respond_with(lambda req: Reply.text(f"echo: {req.last_user_text}"))
    first = cli("run", "the code word is heron", config=codex_config)
    assert first.returncode == 0, first.stderr
    thread_id = first.stderr.split("(thread ")[1].split(")")[0]
    second = cli("run", "--thread", thread_id, "what was the code word?", config=codex_config)
    assert second.returncode == 0, second.stderr
    assert second.stdout == "echo: what was the code word?\n"
    assert "the code word is heron" in str(scripted_model.requests[-1].input)


def test_run_shows_file_changes(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    patch = "*** Begin Patch\n*** Add File: hello.txt\n+hi there\n*** End Patch\n"
    scripted_model.enqueue(Reply.custom_tool_call("apply_patch", patch), Reply.text("Added."))
    done = cli("run", "--sandbox", "workspace-write", "add a file", config=codex_config)
    assert done.returncode == 0, done.stderr
    assert "[edit] A hello.txt" in done.stderr.splitlines()
    assert codex_config.cwd is not None
    assert (Path(codex_config.cwd) / "hello.txt").read_text() == "hi there\n"
    assert done.stdout == "Added.\n"


def test_a_failed_turn_exits_1(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.error(500, "boom"))
    done = cli("run", "fail please", config=codex_config)
    assert done.returncode == 1
    assert "[failed]" in done.stderr
    assert done.stdout == ""


def test_ctrl_c_interrupts_the_turn(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.hang())
    assert codex_config.codex_home is not None
    env = {**os.environ, **(codex_config.env or {})}
    argv = [sys.executable, "-m", "codex_app_server", "run", "--json", "wait for it"]
    argv += ["--codex-home", os.fspath(codex_config.codex_home)]
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=codex_config.cwd,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # printed by the CLI: it is streaming
        assert first["method"] == "turn/started"
        scripted_model.wait_for_requests(1, timeout=60)  # the model is being asked
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    last = json_lines(out)[-1]
    assert last["method"] == "turn/completed"
    assert last["params"]["turn"]["status"] == "interrupted"
    assert "Traceback" not in err


def test_run_without_a_login_says_so_instead_of_waiting(tmp_path: Path) -> None:
    home = tmp_path / "empty-home"
    home.mkdir()
    done = cli("run", "hi", "--codex-home", str(home), unset=("OPENAI_API_KEY",), cwd=tmp_path)
    assert done.returncode == 1
    assert "[error] not logged in" in done.stderr
    assert "codex-py demo" in done.stderr
    assert done.stdout == ""


# --------------------------------------------------------------------------- approvals


def _run_a_command(
    model: ScriptedModel, config: AppServerConfig, *flags: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`run --approval-policy untrusted FLAGS go` against a model that asks to run a command."""
    model.enqueue(Reply.shell("echo approved-output"), Reply.text("all done"))
    done = cli("run", "--approval-policy", "untrusted", *flags, "go", config=config, stdin=stdin)
    assert done.returncode == 0, done.stderr
    return done


def _command_output_sent_back(model: ScriptedModel) -> str:
    outputs = model.requests[1].function_call_outputs
    assert len(outputs) == 1
    return str(outputs[0]["output"])


@pytest.mark.parametrize(
    ("mode", "shown", "ran", "sent_back"),
    [
        (
            "deny",
            ["[approval] declined: run `echo approved-output`", "[run] declined"],
            False,
            "rejected",
        ),
        ("all", ["[approval] approved: run `echo approved-output`"], True, "approved-output"),
    ],
)
def test_approve_deny_declines_and_all_runs_the_command(
    scripted_model: ScriptedModel,
    codex_config: AppServerConfig,
    mode: str,
    shown: list[str],
    ran: bool,
    sent_back: str,
) -> None:
    done = _run_a_command(scripted_model, codex_config, "--approve", mode)
    for line in shown:
        assert line in done.stderr
    assert ("| approved-output" in done.stderr) is ran
    assert ("  | approved-output" in done.stderr) is ran
    assert sent_back in _command_output_sent_back(scripted_model)
    assert done.stdout == "all done\n"


@pytest.mark.parametrize(
    ("typed", "ran", "prompts"),
    [("y\n", True, 1), ("n\n", False, 1), ("maybe\na\n", True, 2), ("", False, 1)],
)
def test_approve_ask_reads_the_answer_from_the_terminal(
    scripted_model: ScriptedModel,
    codex_config: AppServerConfig,
    typed: str,
    ran: bool,
    prompts: int,
) -> None:
    done = _run_a_command(scripted_model, codex_config, "--approve", "ask", stdin=typed)
    assert done.stderr.count("Allow the agent to run `echo approved-output`") == prompts
    assert ("  | approved-output" in done.stderr) is ran
    assert ("approved-output" in _command_output_sent_back(scripted_model)) is ran


def test_json_mode_shows_approval_requests_and_answers(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    done = _run_a_command(scripted_model, codex_config, "--json", "--approve", "deny")
    events = json_lines(done.stdout)
    requests = [e for e in events if e.get("method") == "item/commandExecution/requestApproval"]
    assert len(requests) == 1
    replies = [e for e in events if "result" in e and e.get("id") == requests[0]["id"]]
    assert replies == [{"id": requests[0]["id"], "result": {"decision": "decline"}}]


def test_without_approve_and_no_terminal_it_declines(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    done = _run_a_command(scripted_model, codex_config, stdin="y\n")
    assert "[approval] declined" in done.stderr
    assert "rejected" in _command_output_sent_back(scripted_model)


# --------------------------------------------------------------------------- models, threads


def test_models(codex_config: AppServerConfig) -> None:
    done = cli("models", config=codex_config)
    assert done.returncode == 0, done.stderr
    assert "gpt-5.5" in done.stdout
    assert sum(line.startswith("* ") for line in done.stdout.splitlines()) == 1  # one default
    as_json = cli("models", "--json", config=codex_config)
    (result,) = json_lines(as_json.stdout)
    assert "gpt-5.5" in [m["id"] for m in result["data"]]


def test_threads_list_and_read(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.respond_with(lambda req: Reply.text(f"echo: {req.last_user_text}"))
    with Codex(codex_config) as codex:
        thread = codex.thread_start()
        thread.run("hello there")
        thread.set_name("cli test thread")

    listed = cli("threads", "list", config=codex_config)
    assert listed.returncode == 0, listed.stderr
    (line,) = [line for line in listed.stdout.splitlines() if thread.id in line]
    assert "cli test thread" in line
    (listing,) = json_lines(cli("threads", "list", "--json", config=codex_config).stdout)
    assert thread.id in [t["id"] for t in listing["data"]]

    read = cli("threads", "read", thread.id, config=codex_config)
    assert read.returncode == 0, read.stderr
    assert f"thread {thread.id}" in read.stdout
    assert "[you] hello there" in read.stdout
    assert "[codex] echo: hello there" in read.stdout
    (raw,) = json_lines(cli("threads", "read", thread.id, "--json", config=codex_config).stdout)
    assert raw["thread"]["id"] == thread.id


def test_threads_read_of_an_unknown_thread_fails_cleanly(codex_config: AppServerConfig) -> None:
    done = cli("threads", "read", "00000000-0000-0000-0000-000000000000", config=codex_config)
    assert done.returncode == 1
    assert "[error] InvalidRequestError" in done.stderr
    assert "Traceback" not in done.stderr


# --------------------------------------------------------------------------- plumbing


def test_no_command_prints_usage_and_exits_2() -> None:
    done = cli()
    assert done.returncode == 2
    assert "usage: codex-py" in done.stderr
    assert "demo" in done.stderr


def test_version() -> None:
    from codex_app_server import __version__

    done = cli("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"codex-py {__version__}"


def test_console_script_is_declared() -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "codex-py"]
    assert script.value == "codex_app_server.__main__:main"
    with pytest.raises(SystemExit) as exited:
        script.load()(["--version"])
    assert exited.value.code == 0


def test_importing_the_package_does_not_load_the_cli() -> None:
    code = (
        "import sys, codex_app_server; from codex_app_server import Codex; "
        "print(sorted(m for m in sys.modules if m.startswith('codex_app_server._cli')"
        " or m in ('argparse', 'codex_app_server.__main__')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_verbose_twice_logs_the_wire_trace(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.respond_with(lambda req: Reply.text("traced"))
    done = cli("run", "-vv", "trace me", config=codex_config)
    assert done.returncode == 0, done.stderr
    assert "codex_app_server.wire DEBUG send {" in done.stderr
    assert '"method":"turn/start"' in done.stderr
    assert "codex_app_server.wire DEBUG recv {" in done.stderr
    once = cli("run", "-v", "trace me", config=codex_config)
    assert "codex_app_server.wire" not in once.stderr
