"""How a thread item (a message, a command, a file change, ...) reads as one tagged line."""

from __future__ import annotations

import os
import re
from typing import Any


def short(text: str, limit: int = 100) -> str:
    """`text` on one line, cut to `limit` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def command_text(item: dict[str, Any]) -> str:
    """The command a `commandExecution` item (or approval request) runs, for display."""
    actions = item.get("commandActions") or []
    if len(actions) == 1 and isinstance(actions[0], dict) and actions[0].get("command"):
        return str(actions[0]["command"])
    command = item.get("command")
    if isinstance(command, list):
        return " ".join(str(part) for part in command)
    text = str(command or "")
    # The app-server shows `/bin/bash -c 'cmd'`: show `cmd`.
    match = re.fullmatch(r"\S*sh -l?c '(.*)'", text, flags=re.DOTALL)
    return match.group(1) if match else text


def _display_path(path: Any) -> str:
    """`path` relative to the current directory when it is inside it."""
    text = str(path)
    cwd = os.getcwd()
    if os.path.isabs(text) and text.startswith(cwd.rstrip(os.sep) + os.sep):
        return os.path.relpath(text, cwd)
    return text


def _change_kind(change: dict[str, Any]) -> str:
    kind = change.get("kind")
    name = kind.get("type") if isinstance(kind, dict) else kind
    return {"add": "A", "delete": "D", "update": "M"}.get(str(name), "M")


def item_summary(item: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Lines `(tag, text, style)` describing a completed item (for history and progress)."""
    kind = item.get("type")
    if kind == "userMessage":
        parts = [c.get("text", "") for c in item.get("content") or [] if isinstance(c, dict)]
        return [("you", " ".join(p for p in parts if p) or "(non-text input)", "bold")]
    if kind == "agentMessage":
        return [("codex", str(item.get("text") or ""), "")]
    if kind == "reasoning":
        summary = " ".join(str(s) for s in item.get("summary") or [])
        return [("thinking", summary, "dim")] if summary else []
    if kind == "commandExecution":
        return [("run", f"$ {command_text(item)}  ({command_status(item)})", "cyan")]
    if kind == "fileChange":
        lines = [
            ("edit", f"{_change_kind(c)} {_display_path(c.get('path', '?'))}", "magenta")
            for c in item.get("changes") or []
            if isinstance(c, dict)
        ]
        status = item.get("status")
        if status not in (None, "completed"):
            lines.append(("edit", str(status), "yellow"))
        return lines
    if kind in ("mcpToolCall", "dynamicToolCall"):
        return [("tool", f"{tool_name(item)}  ({item.get('status', '?')})", "blue")]
    if kind == "webSearch":
        return [("search", str(item.get("query") or ""), "blue")]
    if kind == "contextCompaction":
        return [("compact", "history compacted", "dim")]
    text = item.get("text")
    return [(str(kind), short(text) if isinstance(text, str) else "", "dim")] if kind else []


def command_status(item: dict[str, Any]) -> str:
    """A command item's outcome: `exit N, T ms`, or its status."""
    status = item.get("status")
    if status == "completed" or item.get("exitCode") is not None:
        text = f"exit {item.get('exitCode')}"
        duration = item.get("durationMs")
        return f"{text}, {duration} ms" if isinstance(duration, int) and duration > 0 else text
    return str(status or "?")


def tool_name(item: dict[str, Any]) -> str:
    """`server.tool` for an MCP call, the tool's name for a dynamic one."""
    if item.get("type") == "mcpToolCall":
        return f"{item.get('server', '?')}.{item.get('tool', '?')}"
    return str(item.get("tool") or "?")


def format_usage(usage: dict[str, Any]) -> str:
    """`tokenUsage.total` as one line."""
    total = usage.get("total") or {}

    def n(key: str) -> str:
        value = total.get(key)
        return f"{value:,}" if isinstance(value, int) else "?"

    return (
        f"{n('inputTokens')} input ({n('cachedInputTokens')} cached), "
        f"{n('outputTokens')} output ({n('reasoningOutputTokens')} reasoning), "
        f"{n('totalTokens')} total"
    )
