"""The `codex-py` command line (also `python -m codex_app_server`).

::

    codex-py demo                      a real turn, offline, with the scripted stand-in
    codex-py run "PROMPT"              stream a turn live (answer on stdout, progress on stderr)
    codex-py run --json "PROMPT"       every event as a JSON line on stdout
    codex-py run --approve ask "..."   answer approvals at the terminal (ask | deny | all)
    codex-py models                    the models the runtime offers
    codex-py threads list              stored threads
    codex-py threads read ID           one thread, with its turns

Plain output, no dependency: ANSI colours only when the stream is a terminal (and
`NO_COLOR` is not set); otherwise one readable, tagged line per event. This module is
imported only by the command line, never by `import codex_app_server`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TextIO

from .._version import __version__
from ..generated.methods import TURN_COMPLETED

if TYPE_CHECKING:
    from .._config import AppServerConfig
    from .._protocol.notifications import Notification, ServerRequest
    from .._sync.codex import Codex, TurnHandle

PROG = "codex-py"

#: Exit statuses.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: Lines of a command's output shown under it (the rest is counted, not shown).
MAX_OUTPUT_LINES = 12

# --------------------------------------------------------------------------- styling


def wants_color(stream: TextIO, mode: str = "auto") -> bool:
    """Colour for `stream`: `always`, `never`, or (`auto`) a terminal with colour allowed."""
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") not in (None, "", "0"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    """ANSI styling that is a no-op when colour is off."""

    _CODES: ClassVar[dict[str, str]] = {
        "bold": "1",
        "dim": "2",
        "red": "31",
        "green": "32",
        "yellow": "33",
        "blue": "34",
        "magenta": "35",
        "cyan": "36",
    }

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        if not self.enabled or not text:
            return text
        codes = ";".join(self._CODES[s] for s in dict.fromkeys(style.split()))
        return f"\x1b[{codes}m{text}\x1b[0m"


# --------------------------------------------------------------------------- items


def _short(text: str, limit: int = 100) -> str:
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
        return [("run", f"$ {command_text(item)}  ({_command_status(item)})", "cyan")]
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
        return [("tool", f"{_tool_name(item)}  ({item.get('status', '?')})", "blue")]
    if kind == "webSearch":
        return [("search", str(item.get("query") or ""), "blue")]
    if kind == "contextCompaction":
        return [("compact", "history compacted", "dim")]
    text = item.get("text")
    return [(str(kind), _short(text) if isinstance(text, str) else "", "dim")] if kind else []


def _command_status(item: dict[str, Any]) -> str:
    status = item.get("status")
    if status == "completed" or item.get("exitCode") is not None:
        text = f"exit {item.get('exitCode')}"
        duration = item.get("durationMs")
        return f"{text}, {duration} ms" if isinstance(duration, int) and duration > 0 else text
    return str(status or "?")


def _tool_name(item: dict[str, Any]) -> str:
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


# --------------------------------------------------------------------------- live output


class Console:
    """Where the CLI writes: the answer on `out`, progress on `err`; one lock for both.

    Tracks which stream has an unfinished line, so that a progress line never lands in
    the middle of streamed text, whichever streams share the terminal.
    """

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        *,
        color: str = "auto",
    ) -> None:
        self.out = out
        self.err = err
        self.out_style = Style(wants_color(out, color))
        self.err_style = Style(wants_color(err, color))
        self.lock = threading.RLock()
        self._open: TextIO | None = None

    def end_line(self) -> None:
        """Finish the unfinished line, if any."""
        with self.lock:
            if self._open is not None:
                self._open.write("\n")
                self._open.flush()
                self._open = None

    def partial(self, stream: TextIO, text: str) -> None:
        """Write `text` with no newline (streamed text)."""
        if not text:
            return
        with self.lock:
            if self._open is not None and self._open is not stream:
                self.end_line()
            stream.write(text)
            stream.flush()
            self._open = None if text.endswith("\n") else stream

    def line(self, stream: TextIO, text: str) -> None:
        """Write one whole line."""
        with self.lock:
            self.end_line()
            stream.write(text + "\n")
            stream.flush()

    def tagged(self, tag: str, text: str = "", style: str = "") -> None:
        """A progress line on `err`: `[tag] text`."""
        paint = self.err_style
        label = paint(f"{style} bold".strip(), f"[{tag}]")
        self.line(self.err, f"{label} {paint(style, text)}" if text else label)

    def json_line(self, obj: Any) -> None:
        """One JSON object per line on `out`."""
        self.line(self.out, json.dumps(obj, ensure_ascii=False, separators=(",", ":")))


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
            shown = "" if args in (None, {}, "") else " " + _short(json.dumps(args), 80)
            c.tagged("tool", _tool_name(item) + shown, "blue")
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
            c.tagged("run", _command_status(item), style)
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


# --------------------------------------------------------------------------- approvals

_COMMAND_APPROVAL = "item/commandExecution/requestApproval"
_FILE_APPROVAL = "item/fileChange/requestApproval"
_LEGACY_COMMAND_APPROVAL = "execCommandApproval"
_LEGACY_PATCH_APPROVAL = "applyPatchApproval"

# Answer -> decision, for the v2 approvals and the legacy ones.
_V2_DECISIONS = {
    "accept": "accept",
    "session": "acceptForSession",
    "decline": "decline",
    "cancel": "cancel",
}
_LEGACY_DECISIONS = {
    "accept": "approved",
    "session": "approved_for_session",
    "decline": "denied",
    "cancel": "abort",
}
_ANSWERS = {
    "y": "accept",
    "yes": "accept",
    "a": "session",
    "always": "session",
    "n": "decline",
    "no": "decline",
    "": "decline",
    "c": "cancel",
    "cancel": "cancel",
}


class Approver:
    """Answers the app-server's requests: approvals by `mode`, the rest with safe defaults.

    `ask` prompts on the terminal (`stdin`; end of input declines), `all` accepts every
    command and file change, `deny` declines them. Other requests (questions, permission
    escalations, elicitations, client tools) are left to the SDK's safe default answer.
    Installed as the client's low-level `server_request_handler` (None passes a request on).
    """

    def __init__(
        self,
        mode: str,
        console: Console,
        *,
        json_mode: bool = False,
        stdin: TextIO | None = None,
    ) -> None:
        self.mode = mode
        self.console = console
        self.json_mode = json_mode
        self.stdin = stdin if stdin is not None else sys.stdin

    def __call__(self, request: ServerRequest) -> Any:
        with self.console.lock:
            if self.json_mode:
                self.console.json_line(
                    {"id": request.id, "method": request.method, "params": request.params}
                )
            result = self._answer(request)
            if self.json_mode and result is not None:
                self.console.json_line({"id": request.id, "result": result})
            return result

    def _answer(self, request: ServerRequest) -> Any:
        """The reply, or None to leave the request to the SDK's safe default."""
        method, params = request.method, request.params
        if method in (_COMMAND_APPROVAL, _LEGACY_COMMAND_APPROVAL):
            what = f"run `{command_text(params)}`"
            if params.get("cwd"):
                what += f" in {params['cwd']}"
        elif method in (_FILE_APPROVAL, _LEGACY_PATCH_APPROVAL):
            what = "apply file changes"
        else:
            return None
        if params.get("reason"):
            what += f" ({params['reason']})"
        decisions = _LEGACY_DECISIONS if method.startswith(("exec", "apply")) else _V2_DECISIONS
        answer = {"all": "accept", "deny": "decline"}.get(self.mode) or self._ask(what)
        if not self.json_mode or self.mode == "ask":
            style = "green" if answer in ("accept", "session") else "yellow"
            verdict = {"accept": "approved", "session": "approved for the session"}.get(
                answer, "declined" if answer == "decline" else "declined; turn cancelled"
            )
            self.console.tagged("approval", f"{verdict}: {what}", style)
        return {"decision": decisions[answer]}

    def _ask(self, what: str) -> str:
        c = self.console
        c.end_line()
        prompt = c.err_style("yellow bold", "[approval]")
        question = f"{prompt} Allow the agent to {what}? [y]es / [a]lways / [N]o / [c]ancel: "
        while True:
            c.err.write(question)
            c.err.flush()
            reply = self.stdin.readline()
            if not reply:  # end of input
                c.err.write("\n")
                return "decline"
            answer = _ANSWERS.get(reply.strip().lower())
            if answer is not None:
                return answer


# --------------------------------------------------------------------------- turns


def run_turn(
    codex: Codex,
    prompt: str,
    console: Console,
    *,
    json_mode: bool = False,
    approve: str = "deny",
    stdin: TextIO | None = None,
    thread_id: str | None = None,
    thread_options: dict[str, Any] | None = None,
) -> int:
    """Start (or resume) a thread, run one turn, render it live; the exit status."""
    from .._protocol.inputs import TextInput

    codex.client.server_request_handler = Approver(
        approve, console, json_mode=json_mode, stdin=stdin
    )
    options = {k: v for k, v in (thread_options or {}).items() if v is not None}
    if thread_id:
        thread = codex.thread_resume(thread_id, **options)
    else:
        thread = codex.thread_start(**options)
    printer: TurnPrinter | JsonPrinter = JsonPrinter(console) if json_mode else TurnPrinter(console)
    started = time.monotonic()
    handle: TurnHandle | None = None
    try:
        handle = thread.turn(TextInput(prompt))
        _render(handle, printer)
    except KeyboardInterrupt:
        if handle is None:
            raise
        console.end_line()
        if not json_mode:
            console.tagged("interrupting", "press Ctrl-C again to quit at once", "yellow")
        with contextlib.suppress(Exception):
            handle.interrupt()
        _render(handle, printer)
    return printer.finish(time.monotonic() - started, None if json_mode else thread.id)


def _render(handle: TurnHandle, printer: TurnPrinter | JsonPrinter) -> None:
    for note in handle.stream():
        with printer.console.lock:
            printer.handle(note)


# --------------------------------------------------------------------------- demo

DEMO_PROMPT = "Check that the shell works, then say hello."
DEMO_COMMAND = "echo 'Hello from a real shell!'"
DEMO_ANSWER = (
    'The shell works: `echo` printed "Hello from a real shell!". Hello from Codex! '
    "This turn ran through the real Codex app-server; only the model was a scripted "
    "stand-in, so no account and no network were needed."
)


def script_demo(model: Any) -> None:
    """Enqueue the demo's replies on a `ScriptedModel`: reasoning and a shell command,
    then (once the command ran) more reasoning and a streamed answer with token usage."""
    from ..testing import Reply

    model.enqueue(
        # What `Reply.shell(DEMO_COMMAND)` sends, with a reasoning summary before it.
        Reply.function_call(
            "exec_command",
            {"cmd": DEMO_COMMAND, "login": False},
            reasoning="The user wants proof that commands run here. A harmless echo will do.",
        ),
        Reply.text(
            DEMO_ANSWER,
            deltas=re.findall(r"\S+\s*", DEMO_ANSWER),
            delay=0.02,
            usage=True,
            reasoning="The command printed what I expected, so the shell works.",
        ),
    )


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    import tempfile

    from .._sync.codex import Codex
    from ..testing import ScriptedModel

    json_mode = bool(args.json)
    if not json_mode:
        console.tagged(
            "demo",
            "a real turn through the real Codex app-server; the model is the scripted "
            "stand-in (no account, no network)",
            "bold",
        )
        console.tagged("you", DEMO_PROMPT, "bold")
    with (
        ScriptedModel() as model,
        tempfile.TemporaryDirectory(prefix="codex-py-demo-") as tmp,
    ):
        script_demo(model)
        config = model.config(tmp, **_config_fields(args))
        with Codex(config) as codex:
            status = run_turn(codex, DEMO_PROMPT, console, json_mode=json_mode)
        problems: list[Any] = list(model.errors)
        if model.unexpected_requests:
            problems.append(f"{model.unexpected_requests} unexpected requests")
    if problems:
        console.tagged("demo", f"the scripted model reported a problem: {problems}", "red")
        return EXIT_FAILED
    if not json_mode and status == EXIT_OK:
        console.tagged(
            "next",
            f'{PROG} run "your prompt" talks to your own account; '
            "see examples/ and docs/getting-started.md",
            "dim",
        )
    return status


# --------------------------------------------------------------------------- commands


def _config_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if getattr(args, "codex_bin", None):
        fields["codex_bin"] = args.codex_bin
    return fields


def make_config(args: argparse.Namespace) -> AppServerConfig:
    """The `AppServerConfig` the options ask for (`CODEX_HOME` is honoured from the
    environment unless `--codex-home` is given)."""
    from .._config import AppServerConfig

    fields = _config_fields(args)
    if getattr(args, "codex_home", None):
        fields["codex_home"] = args.codex_home
    return AppServerConfig(**fields)


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    from .._sync.codex import Codex

    approve = args.approve or ("ask" if _interactive(sys.stdin) else "deny")
    options = {
        "model": args.model,
        "cwd": args.cwd,
        "approval_policy": args.approval_policy,
        "sandbox": args.sandbox,
    }
    with Codex(make_config(args)) as codex:
        if not _can_reach_a_model(codex):
            console.tagged(
                "error",
                f"not logged in (CODEX_HOME={codex.metadata.codex_home}). Log in with the "
                "Codex CLI (`codex login`) or from Python (`Codex().login_api_key(...)`, see "
                f"docs/getting-started.md). `{PROG} demo` needs no account.",
                "red",
            )
            return EXIT_FAILED
        return run_turn(
            codex,
            args.prompt,
            console,
            json_mode=args.json,
            approve=approve,
            thread_id=args.thread,
            thread_options=options,
        )


def _can_reach_a_model(codex: Codex) -> bool:
    """False when the provider needs an OpenAI login and there is none (the turn would
    only retry forever); an `OPENAI_API_KEY` in the environment counts as a login."""
    try:
        account = codex.client.request("account/read", {})
    except Exception:  # an older or unusual server: let the turn say what is wrong
        return True
    if not isinstance(account, dict) or not account.get("requiresOpenaiAuth"):
        return True
    return account.get("account") is not None or bool(os.environ.get("OPENAI_API_KEY"))


def cmd_models(args: argparse.Namespace, console: Console) -> int:
    from .._sync.codex import Codex

    with Codex(make_config(args)) as codex:
        result = codex.client.request("model/list", {"includeHidden": bool(args.all)})
    if args.json:
        console.json_line(result)
        return EXIT_OK
    paint = console.out_style
    for model in result.get("data") or []:
        mark = "*" if model.get("isDefault") else " "
        name = f"{mark} {model.get('id', '?'):<18}"
        line = f"{paint('bold', name)} {model.get('displayName', '')}"
        if model.get("description"):
            line += paint("dim", f"  {_short(model['description'], 70)}")
        console.line(console.out, line)
    console.tagged("models", "* = default; --all includes hidden models", "dim")
    return EXIT_OK


def cmd_threads_list(args: argparse.Namespace, console: Console) -> int:
    from .._sync.codex import Codex

    params: dict[str, Any] = {"limit": args.limit}
    if args.archived:
        params["archived"] = True
    if args.cursor:
        params["cursor"] = args.cursor
    with Codex(make_config(args)) as codex:
        result = codex.client.request("thread/list", params)
    if args.json:
        console.json_line(result)
        return EXIT_OK
    paint = console.out_style
    threads = result.get("data") or []
    for thread in threads:
        when = _when(thread.get("recencyAt") or thread.get("createdAt"))
        title = thread.get("name") or thread.get("preview") or ""
        line = f"{paint('bold', str(thread.get('id')))}  {paint('dim', when)}  {_short(title, 60)}"
        console.line(console.out, line)
    if not threads:
        console.tagged("threads", "no threads" + (" archived" if args.archived else ""), "dim")
    if result.get("nextCursor"):
        console.tagged("threads", f"more: {PROG} threads list --cursor {result['nextCursor']}")
    return EXIT_OK


def cmd_threads_read(args: argparse.Namespace, console: Console) -> int:
    from .._sync.codex import Codex

    with Codex(make_config(args)) as codex:
        result = codex.client.request(
            "thread/read", {"threadId": args.thread_id, "includeTurns": True}
        )
    if args.json:
        console.json_line(result)
        return EXIT_OK
    paint = console.out_style
    thread = result.get("thread") or {}
    console.line(console.out, paint("bold", f"thread {thread.get('id')}"))
    for key, label in (("name", "name"), ("cwd", "cwd"), ("modelProvider", "provider")):
        if thread.get(key):
            console.line(console.out, f"  {label}: {thread[key]}")
    if thread.get("createdAt"):
        console.line(console.out, f"  created: {_when(thread['createdAt'])}")
    for turn in thread.get("turns") or []:
        console.line(
            console.out,
            paint("dim", f"--- turn {turn.get('id')} ({turn.get('status', '?')})"),
        )
        for item in turn.get("items") or []:
            for tag, text, style in item_summary(item):
                label = paint(f"{style} bold".strip(), f"[{tag}]")
                console.line(console.out, f"{label} {text}" if text else label)
    return EXIT_OK


def _when(timestamp: Any) -> str:
    if not isinstance(timestamp, (int, float)):
        return "?"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _interactive(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    base = argparse.ArgumentParser(add_help=False)
    base.add_argument(
        "--codex-bin", metavar="PATH", help="the codex binary (default: the bundled one)"
    )
    base.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour output (default: auto: on a terminal, unless NO_COLOR is set)",
    )
    base.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log to stderr: -v the SDK and the app-server's stderr, -vv also the wire trace",
    )
    common = argparse.ArgumentParser(add_help=False, parents=[base])
    common.add_argument(
        "--codex-home",
        metavar="DIR",
        help="CODEX_HOME for the app-server (default: $CODEX_HOME, else ~/.codex)",
    )

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Drive Codex agents through the Codex app-server.",
        epilog=f'Start with "{PROG} demo": a real turn, offline, with no account.',
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        parents=[common],
        help="run one turn and stream it live",
        description="Run one turn and stream it: the answer on stdout, progress on stderr.",
    )
    run.add_argument("prompt", help="what to ask the agent")
    run.add_argument("--json", action="store_true", help="print every event as a JSON line")
    run.add_argument(
        "--approve",
        choices=("ask", "deny", "all"),
        help="answer approval requests: ask at the terminal, deny all, or approve all "
        "(default: ask when stdin is a terminal, else deny)",
    )
    run.add_argument(
        "--approval-policy",
        choices=("untrusted", "on-request", "never"),
        help="when the agent asks for approval (default: from the Codex config)",
    )
    run.add_argument(
        "--sandbox",
        choices=("read-only", "workspace-write", "danger-full-access"),
        help="what commands may touch (default: from the Codex config)",
    )
    run.add_argument("--model", "-m", help="model id (see `models`)")
    run.add_argument("--cwd", metavar="DIR", help="the thread's working directory")
    run.add_argument("--thread", metavar="ID", help="continue this stored thread")
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser(
        "demo",
        parents=[base],
        help="a real turn, offline, with the scripted stand-in model",
        description="Run one real turn through the real app-server, offline: the model is "
        "codex_app_server.testing.ScriptedModel. No account, no network.",
    )
    demo.add_argument("--json", action="store_true", help="print every event as a JSON line")
    demo.set_defaults(func=cmd_demo)

    models = sub.add_parser("models", parents=[common], help="list the available models")
    models.add_argument("--all", action="store_true", help="include hidden models")
    models.add_argument("--json", action="store_true", help="print the raw result as JSON")
    models.set_defaults(func=cmd_models)

    threads = sub.add_parser("threads", help="stored threads")
    threads_sub = threads.add_subparsers(dest="threads_command", metavar="ACTION")
    listing = threads_sub.add_parser("list", parents=[common], help="list stored threads")
    listing.add_argument("--limit", type=int, default=20, help="at most this many (20)")
    listing.add_argument("--archived", action="store_true", help="archived threads")
    listing.add_argument("--cursor", help="continue a previous listing")
    listing.add_argument("--json", action="store_true", help="print the raw result as JSON")
    listing.set_defaults(func=cmd_threads_list)
    read = threads_sub.add_parser("read", parents=[common], help="show one thread's turns")
    read.add_argument("thread_id", metavar="ID")
    read.add_argument("--json", action="store_true", help="print the raw result as JSON")
    read.set_defaults(func=cmd_threads_read)
    threads.set_defaults(func=None, help_parser=threads)
    return parser


def setup_logging(verbosity: int, stream: TextIO) -> None:
    """`-v`: DEBUG logs of the SDK and the app-server's stderr; `-vv`: the wire trace too."""
    if verbosity <= 0:
        return
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger("codex_app_server")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("codex_app_server.wire").setLevel(
        logging.DEBUG if verbosity >= 2 else logging.INFO
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        help_parser = getattr(args, "help_parser", parser)
        help_parser.print_help(sys.stderr)
        return EXIT_USAGE
    console = Console(sys.stdout, sys.stderr, color=args.color)
    setup_logging(args.verbose, sys.stderr)
    from .._protocol.errors import CodexError

    try:
        with _quiet_broken_pipe():
            return int(func(args, console))
    except KeyboardInterrupt:
        console.end_line()
        return EXIT_INTERRUPTED
    except CodexError as exc:
        console.end_line()
        console.tagged("error", f"{type(exc).__name__}: {exc}", "red")
        return EXIT_FAILED


@contextlib.contextmanager
def _quiet_broken_pipe() -> Iterator[None]:
    """`codex-py run ... | head -1`: stop quietly when the reader goes away."""
    try:
        yield
    except BrokenPipeError:
        # Python would complain again while flushing stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(EXIT_FAILED) from None
