"""`codex-py demo`: one real turn through the real app-server, with the scripted model."""

from __future__ import annotations

import argparse
import re
from typing import Any

from .codes import EXIT_FAILED, EXIT_OK, PROG
from .commands import config_fields, run_turn
from .style import Console

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
        config = model.config(tmp, **config_fields(args))
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
