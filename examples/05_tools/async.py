"""Tools, asyncio: `async def` tools, client-wide tools, and tools per thread.

python examples/05_tools/async.py                       # with your Codex account
python examples/_offline.py examples/05_tools/async.py  # offline, scripted model

A coroutine tool is awaited on the event loop; a plain function runs in a worker thread.
Tools given to `AsyncCodex(tools=...)` are offered in every thread; `thread_start(tools=...)`
adds tools for one thread. The server remembers a thread's tools: a forked thread keeps
them, and `thread_resume(..., tools=[...])` supplies their implementations in a new process.
"""

import asyncio
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from codex_app_server import AppServerConfig, AsyncCodex, Tool, tool

if TYPE_CHECKING:
    from codex_app_server.testing import ScriptedModel


@tool
async def fetch_status(service: str) -> str:
    """Check whether one of our services is up.

    Args:
        service: the service name, e.g. "api".
    """
    await asyncio.sleep(0.01)  # e.g. an HTTP health check
    print(f"[tool] fetch_status({service!r})")
    return f"{service}: up (p95 42 ms)"


class Incident(BaseModel):
    """An incident to open."""

    title: str = Field(description="one line")
    severity: int = Field(ge=1, le=4, description="1 is the most severe")


def open_incident(incident: Incident) -> dict[str, object]:
    """Open an incident."""
    print(f"[tool] open_incident({incident!r})")
    return {"id": "INC-7", "title": incident.title, "severity": incident.severity}


async def main(config: AppServerConfig | None = None) -> None:
    # A function whose only parameter is a pydantic model takes the model's fields.
    incidents = Tool.from_function(open_incident)
    print("open_incident schema:", incidents.input_schema["required"])
    async with AsyncCodex(config, tools=[fetch_status]) as codex:
        thread = await codex.thread_start(tools=[incidents])
        result = await thread.run("Is the api up? If it is slow, open a severity 3 incident.")
        for item in result.items:
            if item.type == "dynamicToolCall":
                print(f"[call] {item.tool} -> success={item.success}")
        print("answer:", result.final_response)


def script(model: "ScriptedModel") -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import Reply

    model.enqueue(
        Reply.function_call("fetch_status", {"service": "api"}, call_id="status"),
        Reply.function_call(
            "open_incident", {"title": "api latency check", "severity": 3}, call_id="incident"
        ),
        Reply.text("The api is up (p95 42 ms); I opened INC-7 to track latency."),
    )


if __name__ == "__main__":
    asyncio.run(main())
