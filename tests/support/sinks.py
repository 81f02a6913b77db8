"""A recording queue for the sans-IO router's tests, and delivering what it routed."""

from __future__ import annotations

from typing import Any

from codex_app_server._protocol.router import Dropped


class Sink:
    """Stands in for a queue: records every item put into it."""

    def __init__(self, name: str = "sink") -> None:
        self.name = name
        self.items: list[Any] = []

    def put_nowait(self, item: Any) -> None:
        self.items.append(item)

    def __repr__(self) -> str:
        return f"Sink({self.name})"


def deliver(routed: Any) -> None:
    """Put each routed item into its sink (the router itself only says where)."""
    assert not isinstance(routed, Dropped), routed
    for sink, item in routed:
        sink.put_nowait(item)
