"""The `codex-py` command line (also `python -m codex_app_server`).

::

    codex-py demo                      a real turn, offline, with the scripted stand-in
    codex-py run "PROMPT"              stream a turn live (answer on stdout, progress on stderr)
    codex-py run --json "PROMPT"       every event as a JSON line on stdout
    codex-py run --approve ask "..."   answer approvals at the terminal (ask | deny | all)
    codex-py login                     an API key ($OPENAI_API_KEY or stdin); --device-code
    codex-py models                    the models the runtime offers
    codex-py threads list              stored threads
    codex-py threads read ID           one thread, with its turns

Plain output, no dependency: ANSI colours only when the stream is a terminal (and
`NO_COLOR` is not set); otherwise one readable, tagged line per event. This package is
imported only by the command line, never by `import codex_app_server`.

The modules: `parser` (the arguments), `commands` (run, models, threads), `login`, `demo`,
`approvals` (answers through the SDK's `ServerRequestHandlers`), `printer` (a turn, live),
`items` (one item as a tagged line), `style` (colours and the two output streams),
`codes` (the name and the exit statuses).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from .codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from .parser import build_parser
from .style import Console

__all__ = ["main"]


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
