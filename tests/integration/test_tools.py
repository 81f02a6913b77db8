"""Python functions as agent tools, through the real app-server and the scripted model: the
model sees the tool, calls it, and reads what the function returned (or why it failed)."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any, Literal

import pytest

from codex_app_server import AppServerConfig, AsyncCodex, Codex, tool
from codex_app_server.testing import Reply, ScriptedModel

pytestmark = pytest.mark.integration

calls: list[tuple[str, Any]] = []


@tool
def lookup_ticket(id: str, include_history: bool = False) -> dict[str, Any]:
    """Look up a support ticket by id.

    Args:
        id: the ticket id, e.g. "ABC-123".
        include_history: also return the ticket's history.
    """
    calls.append(("lookup_ticket", (id, include_history)))
    if id == "MISSING":
        raise LookupError(f"no ticket {id}")
    ticket: dict[str, Any] = {"id": id, "status": "open"}
    if include_history:
        ticket["history"] = ["created", "assigned"]
    return ticket


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    calls.clear()


def outputs(model: ScriptedModel) -> dict[str, str]:
    return {o["call_id"]: o["output"] for r in model.requests for o in r.function_call_outputs}


def dynamic_items(result: Any) -> list[Any]:
    return [
        getattr(i, "root", i)
        for i in result.items
        if getattr(getattr(i, "root", i), "type", None) == "dynamicToolCall"
    ]


def test_python_function_round_trip(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(
        Reply.function_call(
            "lookup_ticket", {"id": "ABC-123", "include_history": True}, call_id="t1"
        ),
        Reply.text("Ticket ABC-123 is open."),
    )
    with Codex(codex_config) as codex:
        result = codex.thread_start(tools=[lookup_ticket]).run("What is the state of ABC-123?")
    assert result.final_response == "Ticket ABC-123 is open."
    # The model was offered the tool with the derived schema ...
    offered = next(
        t for t in scripted_model.requests[0].body["tools"] if t.get("name") == "lookup_ticket"
    )
    assert offered["description"] == "Look up a support ticket by id."
    # (the app-server forwards the schema without `default`s)
    expected = json.loads(json.dumps(lookup_ticket.input_schema))
    del expected["properties"]["include_history"]["default"]
    assert offered["parameters"] == expected
    assert (
        offered["parameters"]["properties"]["id"]["description"] == 'the ticket id, e.g. "ABC-123".'
    )
    # ... the function ran with validated arguments, and the model read its return value.
    assert calls == [("lookup_ticket", ("ABC-123", True))]
    assert json.loads(outputs(scripted_model)["t1"]) == {
        "id": "ABC-123",
        "status": "open",
        "history": ["created", "assigned"],
    }
    (item,) = dynamic_items(result)
    assert (item.tool, item.success, item.arguments) == (
        "lookup_ticket",
        True,
        {"id": "ABC-123", "include_history": True},
    )


def test_invalid_arguments_and_exceptions_reach_the_model(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(
        Reply.function_call("lookup_ticket", {"ticket": "ABC-123"}, call_id="bad"),
        Reply.function_call("lookup_ticket", {"id": "MISSING"}, call_id="boom"),
        Reply.text("I could not find it."),
    )
    with Codex(codex_config) as codex:
        result = codex.thread_start(tools=[lookup_ticket]).run("look it up")
    got = outputs(scripted_model)
    assert got["bad"] == (
        "invalid arguments for tool 'lookup_ticket': id: Field required; "
        "ticket: Extra inputs are not permitted"
    )
    assert got["boom"] == "tool 'lookup_ticket' failed: LookupError: no ticket MISSING"
    assert [i.success for i in dynamic_items(result)] == [False, False]
    assert calls == [("lookup_ticket", ("MISSING", False))]  # never called with bad arguments


def test_client_wide_tools_fork_and_resume(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    @tool
    def convert(amount: float, currency: Literal["EUR", "USD"]) -> str:
        """Convert an amount of money to the other currency."""
        rate = 1.1 if currency == "EUR" else 0.9
        return f"{amount * rate:.2f}"

    def call_convert(call_id: str) -> None:
        scripted_model.enqueue(
            Reply.function_call("convert", {"amount": 10, "currency": "EUR"}, call_id=call_id),
            Reply.text("converted"),
        )

    call_convert("c1")
    call_convert("c2")
    with Codex(codex_config, tools=[convert]) as codex:
        thread = codex.thread_start(tools=[lookup_ticket])
        thread.run("convert 10 EUR")
        names = scripted_model.requests[0].tools
        assert {"convert", "lookup_ticket"} <= set(names)
        # A fork keeps the tools on the server and their implementations in this client.
        fork = codex.thread_fork(thread.id)
        fork.run("again, in the fork")
    assert outputs(scripted_model)["c1"] == "11.00"
    assert outputs(scripted_model)["c2"] == "11.00"

    # In a fresh process the server still offers the thread's tools; without their
    # implementations the call fails cleanly, with them it works.
    scripted_model.enqueue(
        Reply.function_call("lookup_ticket", {"id": "A-1"}, call_id="c3"), Reply.text("x")
    )
    scripted_model.enqueue(
        Reply.function_call("lookup_ticket", {"id": "A-2"}, call_id="c4"), Reply.text("y")
    )
    with Codex(codex_config) as fresh:
        fresh.thread_resume(thread.id).run("without the implementation")
    with Codex(codex_config) as fresh:
        fresh.thread_resume(thread.id, tools=[lookup_ticket]).run("with it")
    got = outputs(scripted_model)
    assert got["c3"] == "no handler is installed for the client tool 'lookup_ticket'"
    assert json.loads(got["c4"]) == {"id": "A-2", "status": "open"}


async def test_async_tools_round_trip(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    loop_thread: list[bool] = []

    @tool
    async def fetch_page(url: str) -> str:
        """Fetch a web page."""
        loop_thread.append(threading.current_thread() is threading.main_thread())
        await asyncio.sleep(0.01)
        return f"<html>{url}</html>"

    scripted_model.enqueue(
        Reply.function_call("fetch_page", {"url": "https://example.com"}, call_id="a1"),
        Reply.function_call("lookup_ticket", {"id": "B-2"}, call_id="a2"),
        Reply.text("fetched"),
    )
    async with AsyncCodex(codex_config) as codex:
        thread = await codex.thread_start(tools=[fetch_page, lookup_ticket])
        result = await thread.run("fetch it")
    assert result.final_response == "fetched"
    got = outputs(scripted_model)
    assert got["a1"] == "<html>https://example.com</html>"
    assert json.loads(got["a2"]) == {"id": "B-2", "status": "open"}
    assert loop_thread == [True]  # a coroutine tool runs on the event loop


def test_tool_offered_but_unregistered_in_another_client_is_not_run(
    scripted_model: ScriptedModel, codex_config: AppServerConfig, tmp_path: Path
) -> None:
    scripted_model.enqueue(Reply.text("hello"))
    scripted_model.enqueue(
        Reply.function_call("lookup_ticket", {"id": "X"}, call_id="u1"), Reply.text("done")
    )
    with Codex(codex_config) as codex:
        thread = codex.thread_start(tools=[lookup_ticket])
        thread.run("hi")
        codex.client.handlers.forget_thread(thread.id)
        thread.run("call it")
    assert calls == []
    assert outputs(scripted_model)["u1"].startswith("no handler is installed")
