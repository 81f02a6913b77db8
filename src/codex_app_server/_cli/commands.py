"""The commands that talk to an app-server: `run`, `models`, `threads list|read`."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from .approvals import Approver
from .codes import EXIT_FAILED, EXIT_OK, PROG, TOKEN_ENV
from .items import item_summary, short
from .printer import JsonPrinter, TurnPrinter
from .style import Console

if TYPE_CHECKING:
    from .._config import AppServerConfig
    from .._sync.codex import Codex
    from .._sync.turn import TurnHandle


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

    Approver(approve, console, json_mode=json_mode, stdin=stdin).install(codex.client)
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


def config_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if getattr(args, "codex_bin", None):
        fields["codex_bin"] = args.codex_bin
    return fields


def make_config(args: argparse.Namespace) -> AppServerConfig:
    """The `AppServerConfig` the options ask for (`CODEX_HOME` is honoured from the
    environment unless `--codex-home` is given)."""
    from .._config import AppServerConfig

    fields = config_fields(args)
    if getattr(args, "codex_home", None):
        fields["codex_home"] = args.codex_home
    if getattr(args, "url", None):  # a remote app-server: connect instead of spawning
        fields["url"] = args.url
        token_file = getattr(args, "token_file", None)
        if token_file:
            fields["auth_token_file"] = token_file
        elif os.environ.get(TOKEN_ENV):
            fields["auth_token"] = os.environ[TOKEN_ENV]
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
                f"not logged in (CODEX_HOME={codex.metadata.codex_home}). Log in with "
                f"`{PROG} login` (an API key from OPENAI_API_KEY or stdin; `--device-code` "
                "for a ChatGPT account) or from Python (`Codex().login_api_key(...)`, see "
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
            line += paint("dim", f"  {short(model['description'], 70)}")
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
        line = f"{paint('bold', str(thread.get('id')))}  {paint('dim', when)}  {short(title, 60)}"
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
