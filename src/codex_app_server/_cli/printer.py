"""Live rendering of a turn: answer deltas to stdout, progress to stderr (or JSON lines)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from ..generated.methods import TURN_COMPLETED
from .codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .items import command_status, command_text, format_usage, item_summary, short, tool_name
from .style import Console

if TYPE_CHECKING:
    from .._protocol.notifications import Notification

#: Lines of a command's output shown under it (the rest is counted, not shown).
MAX_OUTPUT_LINES = 12


class TurnPrinter:
    """Renders a turn's notifications live: answer deltas to `out`, items to `err`."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.usage: dict[str, Any] | None = None
        self.status: str | None = None
        self.error: str | None = None
        self._streamed: set[str] = set()
        self._output: dict[str, _CommandOutput] = {}

    def handle(self, note: Notification) -> None:
        """Render one notification (those it does not show are ignored)."""
        method, params = note.method, note.params
        handler = self._HANDLERS.get(method)
        if handler is not None:
            handler(self, params)

    # -- items

    def _item_started(self, params: dict[str, Any]) -> None:
        item = params.get("item") or {}
        kind = item.get("type")
        c = self.console
        if kind == "commandExecution":
            c.tagged("run", f"$ {command_text(item)}", "cyan")
            self._output[str(item.get("id"))] = _CommandOutput()
        elif kind in ("mcpToolCall", "dynamicToolCall"):
            args = item.get("arguments")
            shown = "" if args in (None, {}, "") else " " + short(json.dumps(args), 80)
            c.tagged("tool", tool_name(item) + shown, "blue")
        elif kind == "webSearch" and item.get("query"):
            c.tagged("search", str(item.get("query")), "blue")

    def _item_completed(self, params: dict[str, Any]) -> None:
        item = params.get("item") or {}
        kind = item.get("type")
        item_id = str(item.get("id"))
        c = self.console
        if kind == "agentMessage":
            if item_id in self._streamed:
                c.partial(c.out, "\n")
            elif item.get("text"):
                c.line(c.out, str(item["text"]))
        elif kind == "reasoning":
            if item_id in self._streamed:
                c.end_line()
            else:
                for tag, text, style in item_summary(item):
                    c.tagged(tag, text, style)
        elif kind == "commandExecution":
            output = self._output.pop(item_id, None) or _CommandOutput()
            lines = []
            if not output.seen and item.get("aggregatedOutput"):
                lines = output.feed(str(item["aggregatedOutput"]))
            for line in lines + output.finish():
                c.line(c.err, c.err_style("dim", f"  | {line}"))
            status = item.get("status")
            ok = status == "completed" and item.get("exitCode") in (0, None)
            style = "green" if ok else ("yellow" if status == "declined" else "red")
            c.tagged("run", command_status(item), style)
        elif kind in ("fileChange", "mcpToolCall", "dynamicToolCall", "webSearch"):
            if kind == "webSearch" and item.get("query"):
                return  # shown when it started
            for tag, text, style in item_summary(item):
                c.tagged(tag, text, style)
        elif kind not in ("userMessage", None):
            for tag, text, style in item_summary(item):
                c.tagged(tag, text, style)

    # -- deltas

    def _agent_delta(self, params: dict[str, Any]) -> None:
        self._streamed.add(str(params.get("itemId")))
        self.console.partial(self.console.out, str(params.get("delta") or ""))

    def _reasoning_delta(self, params: dict[str, Any]) -> None:
        item_id = str(params.get("itemId"))
        c = self.console
        if item_id not in self._streamed:
            self._streamed.add(item_id)
            c.end_line()
            c.partial(c.err, c.err_style("dim bold", "[thinking]") + " ")
        c.partial(c.err, c.err_style("dim", str(params.get("delta") or "")))

    def _reasoning_part(self, params: dict[str, Any]) -> None:
        item_id = str(params.get("itemId"))
        if item_id in self._streamed and params.get("summaryIndex", 0):
            c = self.console
            c.end_line()
            c.partial(c.err, c.err_style("dim bold", "[thinking]") + " ")

    def _output_delta(self, params: dict[str, Any]) -> None:
        output = self._output.setdefault(str(params.get("itemId")), _CommandOutput())
        c = self.console
        for line in output.feed(str(params.get("delta") or "")):
            c.line(c.err, c.err_style("dim", f"  | {line}"))

    # -- turn

    def _plan(self, params: dict[str, Any]) -> None:
        marks = {"completed": "[x]", "inProgress": "[>]"}
        for step in params.get("plan") or []:
            if isinstance(step, dict):
                mark = marks.get(str(step.get("status")), "[ ]")
                self.console.tagged("plan", f"{mark} {step.get('step', '')}", "blue")

    def _error(self, params: dict[str, Any]) -> None:
        error = params.get("error") or {}
        message = str(error.get("message") or error) if isinstance(error, dict) else str(error)
        if params.get("willRetry"):
            self.console.tagged("retry", message, "yellow")
        else:
            self.error = message
            self.console.tagged("error", message, "red")

    def _usage(self, params: dict[str, Any]) -> None:
        usage = params.get("tokenUsage")
        if isinstance(usage, dict):
            self.usage = usage

    def _completed(self, params: dict[str, Any]) -> None:
        turn = params.get("turn") or {}
        self.status = str(turn.get("status") or "completed")
        error = turn.get("error")
        if isinstance(error, dict) and error.get("message"):
            self.error = str(error["message"])

    def finish(self, elapsed: float, thread_id: str | None = None) -> int:
        """Print the usage and the outcome; the exit status."""
        c = self.console
        c.end_line()
        if self.usage is not None:
            c.tagged("usage", format_usage(self.usage), "dim")
        where = f" (thread {thread_id})" if thread_id else ""
        if self.status == "completed":
            c.tagged("done", f"turn completed in {elapsed:.2f} s{where}", "green")
            return EXIT_OK
        if self.status == "interrupted":
            c.tagged("interrupted", f"turn interrupted after {elapsed:.2f} s{where}", "yellow")
            return EXIT_INTERRUPTED
        c.tagged("failed", self.error or f"turn ended with status {self.status}", "red")
        return EXIT_FAILED

    _HANDLERS: ClassVar[dict[str, Callable[[TurnPrinter, dict[str, Any]], None]]] = {
        "item/started": _item_started,
        "item/completed": _item_completed,
        "item/agentMessage/delta": _agent_delta,
        "item/reasoning/summaryTextDelta": _reasoning_delta,
        "item/reasoning/summaryPartAdded": _reasoning_part,
        "item/commandExecution/outputDelta": _output_delta,
        "turn/plan/updated": _plan,
        "error": _error,
        "thread/tokenUsage/updated": _usage,
        TURN_COMPLETED: _completed,
    }


class _CommandOutput:
    """A command's output, shown line by line up to `MAX_OUTPUT_LINES`."""

    def __init__(self) -> None:
        self.seen = False
        self._partial = ""
        self._shown = 0
        self._hidden = 0

    def feed(self, chunk: str) -> list[str]:
        self.seen = True
        *lines, self._partial = (self._partial + chunk).split("\n")
        return self._take(lines)

    def finish(self) -> list[str]:
        lines = self._take([self._partial] if self._partial.strip() else [])
        self._partial = ""
        if self._hidden:
            lines.append(f"... ({self._hidden} more lines)")
            self._hidden = 0
        return lines

    def _take(self, lines: list[str]) -> list[str]:
        shown = []
        for line in lines:
            if self._shown < MAX_OUTPUT_LINES:
                shown.append(line.rstrip("\r"))
                self._shown += 1
            else:
                self._hidden += 1
        return shown


class JsonPrinter:
    """`--json`: every notification as `{"method", "params"}` on its own line."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.status: str | None = None

    def handle(self, note: Notification) -> None:
        self.console.json_line({"method": note.method, "params": note.params})
        if note.method == TURN_COMPLETED:
            self.status = str((note.params.get("turn") or {}).get("status") or "completed")

    def finish(self, elapsed: float, thread_id: str | None = None) -> int:
        if self.status == "completed":
            return EXIT_OK
        return EXIT_INTERRUPTED if self.status == "interrupted" else EXIT_FAILED
