"""CPU per notification through `TurnHandle.stream()` with and without agent control.

Feeds pre-built notifications of a typical turn (deltas, items, usage) through the real
`TurnHandle.stream()` (its client's `stream_turn` replaced by a list), so what is measured
is the SDK's own per-notification work: plain, with a tracer provider set but nothing
traced by this turn, with limits, with a live OpenTelemetry trace (SDK provider, no
exporter), and `events()`. Also the per-request cost of the tracing check.

    .venv/bin/python benchmarks/agent_control_overhead.py
"""

from __future__ import annotations

import sys
import time
from typing import Any

from codex_app_server import TurnHandle
from codex_app_server._protocol.limits import LimitTracker, RunLimits
from codex_app_server._protocol.notifications import Notification

N = 50_000


def notes(n: int) -> list[Notification]:
    out = []
    for i in range(n):
        if i % 50 == 0:
            item: dict[str, object] = {
                "id": f"c{i}",
                "type": "commandExecution",
                "command": "ls",
                "status": "x",
            }
            out.append(Notification("item/started", {"item": item}, "t", "th"))
        elif i % 50 == 1:
            item = {
                "id": f"c{i - 1}",
                "type": "commandExecution",
                "command": "ls",
                "exitCode": 0,
            }
            out.append(Notification("item/completed", {"item": item}, "t", "th"))
        elif i % 50 == 2:
            usage = {"total": {"totalTokens": i}, "last": {"totalTokens": 10}}
            out.append(Notification("thread/tokenUsage/updated", {"tokenUsage": usage}, "t", "th"))
        else:
            out.append(
                Notification("item/agentMessage/delta", {"delta": "x", "itemId": "m"}, "t", "th")
            )
    out.append(
        Notification("turn/completed", {"turn": {"id": "t", "status": "completed"}}, "t", "th")
    )
    return out


class FakeClient:
    def __init__(self, items: list[Notification]) -> None:
        self.items = items
        self.config = type("C", (), {"on_runtime_error": None})()
        from codex_app_server._protocol.tracing import TurnTraces

        self.traces = TurnTraces()

    def stream_turn(self, turn_id: str, *, thread_id: str | None = None) -> Any:
        return iter(self.items)

    def request(self, method: str, params: Any, **kw: Any) -> Any:
        return {}


def per_note(setup: Any, method: str = "stream", repeat: int = 5) -> float:
    items = notes(N)
    best = float("inf")
    for _ in range(repeat):
        handle = TurnHandle(FakeClient(items), "th", "t")  # type: ignore[arg-type]
        setup(handle)
        start = time.process_time()
        for _ in getattr(handle, method)():
            pass
        best = min(best, time.process_time() - start)
    return best / len(items) * 1e9


def main() -> None:
    plain = per_note(lambda h: None)
    print(f"stream(), nothing set:            {plain:7.0f} ns/notification")
    limits = per_note(
        lambda h: setattr(
            h, "_limits", LimitTracker(RunLimits(max_tokens=10**12, max_tool_calls=10**9), 0.0)
        )
    )
    print(f"stream(), limits:                 {limits:7.0f} ns/notification")
    events = per_note(lambda h: None, "events")
    print(f"events(), nothing set:            {events:7.0f} ns/notification")

    from codex_app_server._protocol.tracing import TurnTraces, request_span

    def check(label: str) -> None:
        modules = sys.modules
        start = time.perf_counter()
        for _ in range(100_000):
            if "opentelemetry.trace" in modules:
                span = request_span("x")
                if span is not None:
                    span.end()
        print(f"{label}: {(time.perf_counter() - start) / 100_000 * 1e9:7.0f} ns/request")

    check("request tracing check, OTel not imported")
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    check("request tracing check, OTel imported, no provider")
    trace.set_tracer_provider(TracerProvider())
    after = per_note(lambda h: None)
    print(f"stream(), provider set, untraced: {after:7.0f} ns/notification")

    def traced(h: TurnHandle) -> None:
        turn = TurnTraces().start("th", "m")
        assert turn is not None
        turn.started("t")
        h._trace = turn

    print(f"stream(), traced (SDK provider):  {per_note(traced):7.0f} ns/notification")
    check("request span, SDK provider (no exporter)")


if __name__ == "__main__":
    main()
