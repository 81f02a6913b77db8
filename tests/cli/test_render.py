"""The CLI's live rendering and approval answers, fed synthetic events (no process)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from codex_app_server import Notification, ServerRequest
from codex_app_server._cli.approvals import Approver
from codex_app_server._cli.items import command_text, format_usage, item_summary
from codex_app_server._cli.printer import MAX_OUTPUT_LINES, JsonPrinter, TurnPrinter
from codex_app_server._cli.style import Console, wants_color

T = {"threadId": "thr", "turnId": "turn"}


def note(method: str, **params: Any) -> Notification:
    return Notification.from_wire(method, {**T, **params})


def console(color: str = "never") -> tuple[Console, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Console(out, err, color=color), out, err


def completed(status: str = "completed", error: str | None = None) -> Notification:
    turn: dict[str, Any] = {"id": "turn", "status": status, "items": [], "error": None}
    if error:
        turn["error"] = {"message": error}
    return note("turn/completed", turn=turn)


USAGE = {
    "total": {
        "inputTokens": 1200,
        "cachedInputTokens": 200,
        "outputTokens": 30,
        "reasoningOutputTokens": 5,
        "totalTokens": 1230,
    },
    "last": {},
}


def test_a_turn_renders_answer_on_stdout_and_progress_on_stderr() -> None:
    c, out, err = console()
    p = TurnPrinter(c)
    events = [
        note("turn/started", turn={"id": "turn", "status": "inProgress", "items": []}),
        note("item/started", item={"type": "reasoning", "id": "rs", "summary": []}),
        note("item/reasoning/summaryPartAdded", itemId="rs", summaryIndex=0),
        note("item/reasoning/summaryTextDelta", itemId="rs", delta="Let me ", summaryIndex=0),
        note("item/reasoning/summaryTextDelta", itemId="rs", delta="look.", summaryIndex=0),
        note("item/completed", item={"type": "reasoning", "id": "rs", "summary": ["x"]}),
        note(
            "item/started",
            item={"type": "commandExecution", "id": "c1", "command": "/bin/bash -c 'ls -a'"},
        ),
        note("item/commandExecution/outputDelta", itemId="c1", delta="file1\nfi"),
        note("item/commandExecution/outputDelta", itemId="c1", delta="le2\n"),
        note(
            "item/completed",
            item={
                "type": "commandExecution",
                "id": "c1",
                "command": "/bin/bash -c 'ls -a'",
                "status": "completed",
                "exitCode": 0,
                "aggregatedOutput": "file1\nfile2\n",
                "durationMs": 12,
            },
        ),
        note(
            "item/completed",
            item={
                "type": "fileChange",
                "id": "f1",
                "status": "completed",
                "changes": [{"path": "a.py", "kind": {"type": "add"}, "diff": ""}],
            },
        ),
        note("item/started", item={"type": "agentMessage", "id": "m1", "text": ""}),
        note("item/agentMessage/delta", itemId="m1", delta="Hello"),
        note("item/agentMessage/delta", itemId="m1", delta=" world."),
        note("item/completed", item={"type": "agentMessage", "id": "m1", "text": "Hello world."}),
        note("thread/tokenUsage/updated", tokenUsage=USAGE),
        completed(),
    ]
    for event in events:
        p.handle(event)
    assert p.finish(1.5, "thr") == 0
    assert out.getvalue() == "Hello world.\n"
    assert err.getvalue().splitlines() == [
        "[thinking] Let me look.",
        "[run] $ ls -a",
        "  | file1",
        "  | file2",  # streamed once, not repeated from aggregatedOutput
        "[run] exit 0, 12 ms",
        "[edit] A a.py",
        "[usage] 1,200 input (200 cached), 30 output (5 reasoning), 1,230 total",
        "[done] turn completed in 1.50 s (thread thr)",
    ]


def test_output_without_deltas_comes_from_the_completed_item_and_is_capped() -> None:
    c, _, err = console()
    p = TurnPrinter(c)
    output = "".join(f"line {i}\n" for i in range(MAX_OUTPUT_LINES + 5))
    item = {"type": "commandExecution", "id": "c", "command": "seq", "status": "completed"}
    p.handle(note("item/started", item=item))
    p.handle(note("item/completed", item={**item, "exitCode": 3, "aggregatedOutput": output}))
    lines = err.getvalue().splitlines()
    assert lines[1] == "  | line 0"
    assert lines[MAX_OUTPUT_LINES] == f"  | line {MAX_OUTPUT_LINES - 1}"
    assert lines[MAX_OUTPUT_LINES + 1] == "  | ... (5 more lines)"
    assert lines[-1] == "[run] exit 3"


def test_an_answer_without_deltas_is_printed_whole() -> None:
    c, out, _ = console()
    p = TurnPrinter(c)
    p.handle(note("item/completed", item={"type": "agentMessage", "id": "m", "text": "Whole."}))
    assert out.getvalue() == "Whole.\n"


def test_progress_never_lands_inside_a_streamed_line() -> None:
    out = err = io.StringIO()  # one terminal for both streams
    c = Console(out, err, color="never")
    p = TurnPrinter(c)
    p.handle(note("item/agentMessage/delta", itemId="m", delta="partial answer"))
    p.handle(note("error", error={"message": "reconnecting"}, willRetry=True))
    assert out.getvalue() == "partial answer\n[retry] reconnecting\n"


@pytest.mark.parametrize(
    ("status", "error", "code", "tag"),
    [
        ("failed", "model exploded", 1, "[failed] model exploded"),
        ("interrupted", None, 130, "[interrupted] turn interrupted"),
    ],
)
def test_outcome_sets_the_exit_status(status: str, error: str | None, code: int, tag: str) -> None:
    c, _, err = console()
    p = TurnPrinter(c)
    p.handle(completed(status, error))
    assert p.finish(0.1) == code
    assert tag in err.getvalue()


def test_error_notification_message_is_used_when_the_turn_has_none() -> None:
    c, _, err = console()
    p = TurnPrinter(c)
    p.handle(note("error", error={"message": "stream closed"}, willRetry=False))
    p.handle(completed("failed"))
    assert p.finish(0.1) == 1
    assert err.getvalue().splitlines() == ["[error] stream closed", "[failed] stream closed"]


def test_plan_updates_are_shown() -> None:
    c, _, err = console()
    TurnPrinter(c).handle(
        note(
            "turn/plan/updated",
            plan=[
                {"step": "read", "status": "completed"},
                {"step": "write", "status": "inProgress"},
                {"step": "test", "status": "pending"},
            ],
        )
    )
    assert err.getvalue().splitlines() == [
        "[plan] [x] read",
        "[plan] [>] write",
        "[plan] [ ] test",
    ]


def test_json_printer_writes_one_object_per_event() -> None:
    c, out, err = console()
    p = JsonPrinter(c)
    p.handle(note("item/agentMessage/delta", itemId="m", delta="é"))
    p.handle(completed("failed"))
    assert p.finish(0.1) == 1
    lines = out.getvalue().splitlines()
    assert lines[0] == '{"method":"item/agentMessage/delta","params":{"threadId":"thr",' + (
        '"turnId":"turn","itemId":"m","delta":"é"}}'
    )
    assert err.getvalue() == ""


def test_colour() -> None:
    c, _, err = console("always")
    c.tagged("run", "$ ls", "cyan")
    assert err.getvalue() == "\x1b[36;1m[run]\x1b[0m \x1b[36m$ ls\x1b[0m\n"
    assert wants_color(io.StringIO()) is False  # not a terminal


def test_colour_respects_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert wants_color(Tty()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert wants_color(Tty()) is False
    assert wants_color(Tty(), "always") is True


# --------------------------------------------------------------------------- approvals

NOW = {"startedAtMs": 1_700_000_000_000}
COMMAND = ServerRequest(
    7,
    "item/commandExecution/requestApproval",
    {**T, **NOW, "itemId": "c", "command": "/bin/bash -c 'rm -rf build'", "cwd": "/w"},
)
PATCH = ServerRequest(8, "item/fileChange/requestApproval", {**T, **NOW, "itemId": "f"})
LEGACY = ServerRequest(
    9,
    "execCommandApproval",
    {
        "conversationId": "thr",
        "callId": "call",
        "command": ["git", "push"],
        "cwd": "/w",
        "parsedCmd": [],
    },
)
LEGACY_PATCH = ServerRequest(
    10, "applyPatchApproval", {"conversationId": "thr", "callId": "call", "fileChanges": {}}
)
LEGACY_DECLINE = {"decision": {"denied": {"rejection": "declined by the client"}}}


@pytest.mark.parametrize(
    ("mode", "request_", "reply"),
    [
        ("all", COMMAND, {"decision": "accept"}),
        ("deny", COMMAND, {"decision": "decline"}),
        ("all", PATCH, {"decision": "accept"}),
        ("deny", PATCH, {"decision": "decline"}),
        ("all", LEGACY, {"decision": "approved"}),
        ("deny", LEGACY, LEGACY_DECLINE),
        ("all", LEGACY_PATCH, {"decision": "approved"}),
        ("deny", LEGACY_PATCH, LEGACY_DECLINE),
    ],
)
def test_approver_modes(
    mode: str, request_: ServerRequest, reply: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    c, out, err = console()
    assert Approver(mode, c).answer(request_) == reply
    assert out.getvalue() == ""
    assert "[approval]" in err.getvalue()
    assert not caplog.records  # a valid reply: the SDK did not replace it


@pytest.mark.parametrize("request_", [LEGACY, LEGACY_PATCH])
def test_a_legacy_decline_is_valid_under_the_schema(
    request_: ServerRequest, caplog: pytest.LogCaptureFixture
) -> None:
    """Regression: the CLI once answered a legacy decline with `{"decision": "denied"}`,
    which the schema rejects (the SDK then logged an error and sent its own default)."""
    from codex_app_server.generated import v2_all

    c, _, _ = console()
    reply = Approver("deny", c).answer(request_)
    name = "ExecCommandApprovalResponse" if request_ is LEGACY else "ApplyPatchApprovalResponse"
    model = getattr(v2_all, name).model_validate(reply)
    assert model.model_dump(by_alias=True, mode="json") == reply
    with pytest.raises(ValueError):
        getattr(v2_all, name).model_validate({"decision": "denied"})
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize(
    ("typed", "decision", "asked"),
    [
        ("y\n", "accept", 1),
        ("YES\n", "accept", 1),
        ("a\n", "acceptForSession", 1),
        ("\n", "decline", 1),
        ("c\n", "cancel", 1),
        ("what?\nn\n", "decline", 2),
        ("", "decline", 1),  # end of input
    ],
)
def test_approver_asks(typed: str, decision: str, asked: int) -> None:
    c, _, err = console()
    approver = Approver("ask", c, stdin=io.StringIO(typed))
    assert approver.answer(COMMAND) == {"decision": decision}
    assert err.getvalue().count("Allow the agent to run `rm -rf build` in /w?") == asked


def test_approver_leaves_other_requests_to_the_safe_default() -> None:
    c, _, err = console()
    question = ServerRequest(1, "item/tool/requestUserInput", {**T, "itemId": "q", "questions": []})
    assert Approver("all", c).answer(question) == {"answers": {}}  # the SDK's safe default
    assert err.getvalue() == ""


def test_approver_in_json_mode_prints_the_request_and_the_answer() -> None:
    from codex_app_server._protocol.handlers import HandlerRegistry

    c, out, _ = console()
    approver = Approver("deny", c, json_mode=True)
    echo = approver.echo(HandlerRegistry(approver.handlers))
    assert echo(PATCH) == {"decision": "decline"}
    lines = out.getvalue().splitlines()
    assert lines[0].startswith('{"id":8,"method":"item/fileChange/requestApproval"')
    assert lines[1] == '{"id":8,"result":{"decision":"decline"}}'


def test_approver_in_json_mode_prints_an_error_reply() -> None:
    from codex_app_server import JsonRpcError
    from codex_app_server._protocol.handlers import HandlerRegistry

    c, out, _ = console()
    approver = Approver("deny", c, json_mode=True)
    refresh = ServerRequest(3, "account/chatgptAuthTokens/refresh", {"reason": "unauthorized"})
    with pytest.raises(JsonRpcError):
        approver.echo(HandlerRegistry(approver.handlers))(refresh)
    last = out.getvalue().splitlines()[-1]
    assert last.startswith('{"id":3,"error":{"code":-32000,')


# --------------------------------------------------------------------------- helpers


def test_command_text() -> None:
    assert command_text({"command": "/bin/bash -c 'echo hi'"}) == "echo hi"
    assert command_text({"command": "/bin/zsh -lc 'a && b'"}) == "a && b"
    assert command_text({"command": ["git", "status"]}) == "git status"
    assert command_text({"commandActions": [{"command": "ls"}], "command": "x"}) == "ls"


def test_item_summary_for_history() -> None:
    user = {"type": "userMessage", "content": [{"type": "text", "text": "hi"}]}
    assert item_summary(user) == [("you", "hi", "bold")]
    assert item_summary({"type": "agentMessage", "text": "yo"}) == [("codex", "yo", "")]
    assert item_summary({"type": "reasoning", "summary": []}) == []
    tool = {"type": "mcpToolCall", "server": "docs", "tool": "search", "status": "failed"}
    assert item_summary(tool) == [("tool", "docs.search  (failed)", "blue")]


def test_format_usage_tolerates_missing_numbers() -> None:
    assert format_usage({"total": {"inputTokens": 5}}) == (
        "5 input (? cached), ? output (? reasoning), ? total"
    )


# --------------------------------------------------------------------------- run_turn


def test_ctrl_c_while_streaming_interrupts_the_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    from codex_app_server import AppServerConfig, Codex
    from codex_app_server._cli import commands as cli
    from codex_app_server.testing import MockTransport
    from tests.support.mock_server import MockAppServer

    server = MockAppServer()
    server.hold_turns = True  # the turn streams nothing until interrupted
    real_render = cli._render
    calls: list[object] = []

    def render(handle: Any, printer: Any) -> None:
        calls.append(handle)
        if len(calls) == 1:
            raise KeyboardInterrupt  # as if Ctrl-C arrived while waiting for events
        real_render(handle, printer)

    monkeypatch.setattr(cli, "_render", render)
    c, out, err = console()
    config = AppServerConfig(request_timeout=5.0, shutdown_grace=0.2)
    with Codex(config, transport=MockTransport(server)) as codex:
        status = cli.run_turn(codex, "hi", c)
    assert status == 130
    assert len(calls) == 2
    lines = err.getvalue().splitlines()
    assert lines[0] == "[interrupting] press Ctrl-C again to quit at once"
    assert lines[-1].startswith("[interrupted] turn interrupted after ")
    assert out.getvalue() == ""
