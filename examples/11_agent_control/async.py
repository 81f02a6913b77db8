"""Agent control, asyncio: typed events to match, hooks that vet and watch commands, limits.

`handle.events()` yields frozen event classes (`TextDelta`, `ItemCompleted`, ...) for
`match`; `Hooks(before_tool=...)` sees each command before it runs (the thread then asks
for approvals: `approval_policy="untrusted"`, `approvals_reviewer="user"`; a deny message
is steered to the model); `after_tool` sees each finished command (on the client: every
thread); `before_prompt` (here for one run) may rewrite a prompt; `run(...,
on_turn_end=..., limits=RunLimits(max_turns=...))` follows up automatically, bounded.
Tracing: with a tracer provider set (here one recording in memory, if `opentelemetry-sdk`
is installed) every turn is a `codex.turn` span, with a child per command, approval and
request; run as a script, the example prints them at the end.

    python examples/11_agent_control/async.py                       # with your account
    python examples/_offline.py examples/11_agent_control/async.py  # offline
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    Hooks,
    ItemCompleted,
    PromptContext,
    ReasoningDelta,
    RunLimits,
    TextDelta,
    ToolResult,
    ToolUse,
    TurnCompleted,
    TurnEnd,
    allow,
    deny,
)

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from codex_app_server.testing import ScriptedModel


async def vet(use: ToolUse) -> Any:
    """Before a command runs: no deleting, anything else is fine."""
    if use.kind == "command" and "rm " in (use.command or ""):
        print(f"[hook] denied: {use.command}")
        return deny("deleting files is not allowed here")
    print(f"[hook] allowed: {use.command}")
    return allow()


async def report(done: ToolResult) -> None:
    """After a command ran (or was declined): just log it (a string would steer the turn)."""
    print(f"[after] {done.kind} {done.item.status.value}")


async def house_rules(prompt: PromptContext) -> str:
    """Before each prompt of a run: add the house rules."""
    return f"{prompt.input} Keep every answer short."


async def keep_going(end: TurnEnd) -> str | None:
    """When a turn ends: ask for one more step (the run's max_turns bounds this)."""
    print(f"[turn {end.turn} {end.status}] {end.result.final_response}")
    return "Continue with the next step."


def record_spans() -> InMemorySpanExporter | None:
    """Set a tracer provider that keeps the spans in memory (a program would export them);
    None without `opentelemetry-sdk` (the SDK itself needs only `opentelemetry-api`)."""
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
            InMemorySpanExporter,
        )
    except ImportError:
        return None
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    trace.set_tracer_provider(provider)
    return spans


def print_spans(spans: InMemorySpanExporter) -> None:
    """The SDK's spans, each with its parent: turns, their commands, approvals, requests."""
    finished = spans.get_finished_spans()
    names = {span.context.span_id: span.name for span in finished if span.context}
    for span in finished:
        if span.name.startswith("codex.") or span.name == "turn/start":
            parent = names.get(span.parent.span_id, "-") if span.parent else "-"
            print(f"[span] {span.name} in {parent}")


async def main(config: AppServerConfig | None = None) -> None:
    async with AsyncCodex(config, hooks=Hooks(after_tool=report)) as codex:
        thread = await codex.thread_start(hooks=Hooks(before_tool=vet))

        # 1. Typed events, matched.
        handle = await thread.turn("Tidy up the workspace: list it, then remove old.log.")
        async for event in handle.events():
            match event:
                case ReasoningDelta(delta=text):
                    print(f"[thinking] {text}")
                case ItemCompleted(item_type="commandExecution", item=item):
                    print(f"[command {item.status.value}] {item.command}")
                case TextDelta(delta=text):
                    print(text, end="", flush=True)
                case TurnCompleted(status=status):
                    print(f"\n[done: {status}]")

        # 2. Follow-ups, stopped by a limit, with a prompt hook for this run only.
        result = await thread.run(
            "Plan three steps.",
            on_turn_end=keep_going,
            limits=RunLimits(max_turns=2),
            hooks=Hooks(before_prompt=house_rules),
        )
        print(f"stopped by {result.stopped_by} after {result.turns} turns")


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import Reply

    model.enqueue(
        Reply.shell("ls", call_id="c1", reasoning="First, look around."),
        Reply.shell("rm old.log", call_id="c2"),
        Reply.text("Listed the workspace; removing old.log was not allowed.", deltas=4),
        Reply.text("Step 1: read the code."),
        Reply.text("Step 2: write the tests."),
    )


if __name__ == "__main__":
    spans = record_spans()
    asyncio.run(main())
    if spans is not None:
        print_spans(spans)
