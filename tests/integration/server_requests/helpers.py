"""Scripting a command the agent runs, and reading back what the model and the items saw."""

from __future__ import annotations

from typing import Any

from codex_app_server.testing import Reply, ScriptedModel

ASKS: dict[str, Any] = {"approval_policy": "untrusted", "approvals_reviewer": "user"}


def touch_then_answer(model: ScriptedModel, name: str = "marker.txt") -> None:
    model.enqueue(Reply.shell(f"touch {name} && echo made", call_id="c1"), Reply.text("done"))


def tool_output(model: ScriptedModel, call_id: str = "c1") -> str:
    for request in reversed(model.requests):
        for output in request.function_call_outputs:
            if output["call_id"] == call_id:
                return str(output["output"])
    raise AssertionError(f"no output for {call_id} reached the model")


def item_statuses(result: Any) -> list[tuple[str, str | None]]:
    out = []
    for item in result.items:
        root = getattr(item, "root", item)
        status = getattr(root, "status", None)
        out.append((root.type, getattr(status, "value", status)))
    return out
