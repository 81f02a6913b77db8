"""The `codex-py` argument parser."""

from __future__ import annotations

import argparse
from typing import Any

from .._version import __version__
from .codes import PROG, TOKEN_ENV
from .commands import cmd_models, cmd_run, cmd_threads_list, cmd_threads_read
from .demo import cmd_demo
from .login import DEFAULT_LOGIN_TIMEOUT, cmd_login, cmd_logout


def build_parser() -> argparse.ArgumentParser:
    """The `codex-py` argument parser; each command sets `func(args, console) -> status`."""
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
        "--url",
        metavar="URL",
        help="connect to a listening app-server (ws://, wss://, unix://PATH) instead of "
        "spawning one; see docs/remote.md",
    )
    common.add_argument(
        "--token-file",
        metavar="FILE",
        help=f"the bearer token for --url (default: ${TOKEN_ENV}, if set)",
    )
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

    _add_login(sub, common)

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
    from .batch import add_parser as add_batch_parser

    add_batch_parser(sub, [common])
    return parser


def _add_login(sub: Any, common: argparse.ArgumentParser) -> None:
    login = sub.add_parser(
        "login",
        parents=[common],
        help="log in (an API key, or a ChatGPT account)",
        description="Log in and store the credentials in CODEX_HOME. By default with an API "
        "key: $OPENAI_API_KEY, else one line read from stdin (prompted for on a terminal).",
    )
    how = login.add_mutually_exclusive_group()
    how.add_argument(
        "--with-api-key",
        action="store_true",
        help="read the API key from stdin even if OPENAI_API_KEY is set",
    )
    how.add_argument(
        "--device-code",
        action="store_true",
        help="a ChatGPT account: show a URL and a code to enter there (needs the network)",
    )
    how.add_argument(
        "--browser",
        action="store_true",
        help="a ChatGPT account: open a URL in a browser on this machine",
    )
    how.add_argument("--status", action="store_true", help="show who is logged in")
    login.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_LOGIN_TIMEOUT,
        metavar="SECONDS",
        help=f"how long a ChatGPT login waits ({DEFAULT_LOGIN_TIMEOUT:g})",
    )
    login.set_defaults(func=cmd_login)
    logout = sub.add_parser("logout", parents=[common], help="forget the stored credentials")
    logout.set_defaults(func=cmd_logout)
