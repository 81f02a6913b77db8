"""`python -m codex_app_server.testing serve`: a scripted model for a shell session.

Starts a `ScriptedModel`, writes an offline `CODEX_HOME` pointing at it, prints the
environment to export (shell `export` lines on stdout, then `# ready`), and serves until
interrupted. Point any client at it with that environment, e.g. `codex-py run "hi"`.
Each request takes the next `--reply` text; once those are used, the model echoes the
prompt, so every turn ends.
"""

from __future__ import annotations

import argparse
import re
import shlex
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from ._offline_home import MOCK_API_KEY_ENV, offline_env, write_offline_codex_home
from ._replies import Reply
from ._requests import RecordedRequest
from ._scripted_model import ScriptedModel

#: The prefix of the echo answer: "scripted model: you said: <prompt>".
ECHO_PREFIX = "scripted model: you said: "

_ENV_NAMES = ("CODEX_HOME", MOCK_API_KEY_ENV, "NO_PROXY", "no_proxy", "PATH")


def _words(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text) or [text]


def _reply(text: str, delay: float) -> Reply:
    return Reply.text(text, deltas=_words(text) if text else 0, delay=delay)


def export_lines(home: Path) -> list[str]:
    """The `export NAME=value` lines that point a client at the offline `home`."""
    env = {"CODEX_HOME": str(home), **offline_env()}
    return [f"export {name}={shlex.quote(env[name])}" for name in _ENV_NAMES if name in env]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m codex_app_server.testing",
        description="Offline stand-ins for the model API, for shells and other programs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve a scripted model and print the environment that points clients at it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--home", type=Path, help="the CODEX_HOME to write (default: a temp dir)")
    serve.add_argument("--port", type=int, default=0, help="the port (default: a free one)")
    serve.add_argument(
        "--reply",
        action="append",
        default=[],
        metavar="TEXT",
        help="answer the next request with TEXT (repeatable; then the prompt is echoed)",
    )
    serve.add_argument(
        "--delay", type=float, default=0.0, help="seconds between streamed words (0)"
    )
    serve.add_argument("--model", default=None, help="the model slug in config.toml")
    serve.add_argument(
        "--approval-policy", default="never", help="approval_policy in config.toml (never)"
    )
    serve.add_argument(
        "--sandbox", default="read-only", help="sandbox_mode in config.toml (read-only)"
    )
    return parser


def serve(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    stop: threading.Event,
) -> int:
    """Serve until `stop` is set; print the exports to `out` and a log line per request."""

    def echo(request: RecordedRequest) -> Reply:
        return _reply(f"{ECHO_PREFIX}{request.last_user_text or ''}", args.delay)

    with ScriptedModel(port=args.port) as model, tempfile.TemporaryDirectory() as tmp:
        home = args.home or Path(tmp) / "codex-home"
        fields = {"model": args.model} if args.model else {}
        write_offline_codex_home(
            home,
            model.base_url,
            approval_policy=args.approval_policy,
            sandbox_mode=args.sandbox,
            **fields,
        )
        model.enqueue(*(_reply(text, args.delay) for text in args.reply))
        model.respond_with(echo)
        for line in export_lines(home):
            print(line, file=out)
        print("# ready", file=out, flush=True)
        print(f"scripted model on {model.base_url}, CODEX_HOME={home}; Ctrl-C stops", file=err)
        seen = 0
        while not stop.is_set():
            try:
                requests = model.wait_for_requests(seen + 1, timeout=0.5)
            except TimeoutError:
                continue
            for request in requests[seen:]:
                print(f"request #{request.index + 1}: {request.last_user_text!r}", file=err)
            seen = len(requests)
            err.flush()
        for problem in model.errors:
            print(f"error: {problem!r}", file=err)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with `argv` (default: `sys.argv[1:]`); the exit status."""
    args = _parser().parse_args(argv)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        signal.signal(signal.SIGINT, on_signal)
        return serve(args, sys.stdout, sys.stderr, stop)
    except KeyboardInterrupt:
        return 0
