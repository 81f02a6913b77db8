"""`Reply` and `Usage`: built, split and checked without any server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from codex_app_server.testing import Reply, ScriptedModel, Usage
from codex_app_server.testing._replies import _FunctionCall, _Message, _Reasoning

#: For the calls that break the signatures on purpose (checked at run time too).
AnyReply: Any = Reply
AnyUsage: Any = Usage


def deltas_of(reply: Reply) -> list[str]:
    return [d for item in reply.items if isinstance(item, _Message) for d in item.deltas]


def test_reply_validation() -> None:
    with pytest.raises(ValueError, match="non-empty deltas"):
        Reply.text("ab", deltas=3)
    with pytest.raises(ValueError, match="join"):
        Reply.text("ab", deltas=["a", "c"])
    with pytest.raises(ValueError):
        Reply.text("ab", delay=-1)
    with pytest.raises(ValueError):
        Reply.error(200)
    with pytest.raises(ValueError):
        Reply.hang(then=Reply.error(500))
    with pytest.raises(TypeError):
        ScriptedModel().enqueue("not a reply")  # type: ignore[arg-type]
    # Mistakes surface where the reply is built, not later on a server thread.
    with pytest.raises(TypeError):
        Reply.raw([{"type": "x", "bad": object()}])
    with pytest.raises(TypeError):
        Reply.text("a", usage={"bad": object()})
    assert deltas_of(Reply.text("abcdefgh", deltas=3)) == ["abc", "def", "gh"]
    assert deltas_of(Reply.text("", deltas=5)) == []


def test_reply_options_are_keyword_only_and_checked() -> None:
    # Options never slip into the tool call: Reply.shell(reasoning=...) is a reasoning item.
    shell = Reply.shell("ls", reasoning="look first", workdir="/tmp", prefix_rule=("ls",))
    reasoning, call = shell.items
    assert isinstance(reasoning, _Reasoning) and reasoning.text == "look first"
    assert isinstance(call, _FunctionCall)
    assert json.loads(call.arguments) == {
        "cmd": "ls",
        "login": False,
        "workdir": "/tmp",
        "prefix_rule": ["ls"],
    }
    extra = Reply.shell("ls", extra_arguments={"new_arg": 1}).items[0]
    assert isinstance(extra, _FunctionCall) and json.loads(extra.arguments)["new_arg"] == 1
    bad: list[tuple[Any, type[Exception], str]] = [
        (lambda: AnyReply.shell("ls", reasonning="x"), TypeError, "reasonning"),
        (lambda: AnyReply.shell("ls", workdir=3), TypeError, "workdir must be str"),
        (lambda: AnyReply.shell("ls", tty="yes"), TypeError, "tty must be bool"),
        (lambda: AnyReply.shell("ls", yield_time_ms=True), TypeError, "yield_time_ms"),
        (lambda: AnyReply.shell("ls", login="no"), TypeError, "login must be a bool"),
        (lambda: AnyReply.shell("ls", prefix_rule=["ls", 1]), TypeError, "prefix_rule"),
        (lambda: AnyReply.shell(["ls"]), TypeError, "cmd must be a string"),
        (lambda: AnyReply.text("a", 1), TypeError, "positional"),
        (lambda: AnyReply.text(b"a"), TypeError, "text must be a string"),
        (lambda: AnyReply.text("a", delay="1"), TypeError, "delay must be a number"),
        (lambda: AnyReply.text("ab", deltas=True), TypeError, "deltas"),
        (lambda: AnyReply.text("ab", deltas=["a", 2]), TypeError, "deltas"),
        (lambda: AnyReply.text("a", reasoning=1), TypeError, "reasoning must be a string"),
        (lambda: AnyReply.text("a", usage="yes"), TypeError, "usage"),
        (lambda: AnyReply.function_call("t", 3), TypeError, "arguments must be a mapping"),
        (lambda: AnyReply.function_call("t", {"x": object()}), TypeError, "JSON-serializable"),
        (lambda: AnyReply.function_call("", {}), ValueError, "tool name"),
        (lambda: AnyReply.function_call("t", {}, call_id=7), TypeError, "call_id"),
        (lambda: AnyReply.function_call("t", {}, "c1"), TypeError, "positional"),
        (lambda: AnyReply.function_call("t", {}, namespace=""), ValueError, "namespace"),
        (lambda: AnyReply.function_call("t", {}, namespace=1), TypeError, "namespace"),
        (lambda: AnyReply.custom_tool_call("apply_patch", None), TypeError, "input"),
        (lambda: AnyReply.error("500"), TypeError, "status must be an int"),
        (lambda: AnyReply.error(True), TypeError, "status must be an int"),
        (lambda: AnyReply.error(500, 7), TypeError, "message must be a string"),
        (lambda: AnyReply.error(type="x"), ValueError, "explicit status"),
        (lambda: AnyReply.error(500, headers={"a\nb": "c"}), ValueError, "invalid header"),
        (lambda: AnyReply.hang(AnyReply.text("x")), TypeError, "positional"),
        (lambda: AnyReply.raw("data"), TypeError, "frames must be a sequence"),
        (lambda: AnyUsage(input_tokens=-1), TypeError, "input_tokens"),
        (lambda: AnyUsage(output_tokens=1.5), TypeError, "output_tokens"),
    ]
    for build, kind, words in bad:
        with pytest.raises(kind, match=words):
            build()
