"""Walking JSON Schemas in tests: every object node of a schema, nested ones included."""

from __future__ import annotations

from typing import Any


def schema_nodes(node: Any) -> list[dict[str, Any]]:
    """Every dict in `node` (a parsed JSON Schema), itself first, then depth-first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += schema_nodes(value)
    elif isinstance(node, list):
        for value in node:
            found += schema_nodes(value)
    return found
