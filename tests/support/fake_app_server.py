#!/usr/bin/env python3
"""A fake, fault-injectable Codex app-server for the SDK's reliability tests.

Standalone and stdlib-only::

    python tests/support/fake_app_server.py [--scenario NAME[,NAME...]] ...

It speaks the app-server's newline-delimited JSON-RPC over stdio (without the
``"jsonrpc"`` member, like the real server) well enough for a client to
initialize, start/resume/read threads and run streamed turns, and it misbehaves
on command so that faults can be injected deterministically.

Start-up scenarios (``--scenario``, repeatable and/or comma-separated, plus the
comma-separated ``FAKE_APP_SERVER_SCENARIOS`` environment variable; other
command-line arguments such as ``app-server --listen stdio://`` are ignored, so the
script can stand in for the codex binary)
-----------------------------------------------------------------------------------
``garbage-on-start``         write ``GARBAGE_ON_START`` (non-JSON, a JSON array, a
                             JSON string and a response to an unknown id) to stdout
                             first, then behave normally.
``exit-on-start``            write ``fake-app-server: failed to start`` to stderr and
                             exit with code 2 before reading anything.
``exit-on-initialize``       on ``initialize``: write
                             ``fake-app-server: fatal error during initialize`` to
                             stderr and exit with code 3 (no answer).
``error-on-initialize``      answer ``initialize`` with error -32603.
``never-answer-initialize``  never answer ``initialize`` (``fake/*`` still work).
``initialize-no-metadata``   answer ``initialize`` with ``{}`` (no user agent).
``initialize-non-object``    answer ``initialize`` with the string ``"ok"``.
``ignore-sigterm``           ignore SIGTERM and SIGINT (the client must SIGKILL).
``ignore-eof``               keep running after stdin EOF (default: exit 0 at once).
``stubborn``                 ``ignore-sigterm`` + ``ignore-eof``.
``stderr-flood``             write ``STDERR_FLOOD_BYTES`` (1 MiB) to stderr before
                             reading stdin; blocks unless the client drains stderr.
``early-turn-events``        ``turn/start`` emits ``turn/started`` *before* its response.
``jsonrpc-field``            add ``"jsonrpc": "2.0"`` to everything written.
``initialize-not-object``    answer ``initialize`` with a JSON string, not an object.

Protocol methods
----------------
``initialize`` -> ``INITIALIZE_RESULT``; again -> -32600 "Already initialized".
Any other non-``fake/`` request before ``initialize`` -> -32600 "Not initialized".
``thread/start`` -> ``{"thread": {...}, "model", "cwd", ...}``, then a
``thread/started`` notification.  Ids are ``thr_N``, ``turn_N``, ``item_N``.
``thread/resume`` {threadId} -> same shape; an unknown id is adopted (so a resume
works across fake restarts).  ``thread/read`` {threadId, includeTurns} -> {thread};
unknown id -> -32600.
``turn/start`` {threadId, input} -> ``{"turn": {"id", "status": "inProgress",
"items": [], "error": null}}``, then the turn streams from its own thread.  The
text of the first ``{"type": "text"}`` input item is the prompt.
``turn/interrupt`` {threadId, turnId} -> ``{}`` then ``turn/completed`` with status
``interrupted`` (just ``{}`` if the turn already ended; unknown turn -> -32600).
``turn/steer`` {threadId, expectedTurnId, input} -> ``{"turnId": <active turn>}``;
no active turn or a mismatching expectedTurnId -> -32600.
Unknown methods -> -32601.  Unparsable input lines are ignored (as the real server
does).  Client notifications (e.g. ``initialized``) are recorded, nothing more.

A default turn emits: ``turn/started``; ``item/started`` (agentMessage, text "");
``item/agentMessage/delta`` x3 whose concatenation is the prompt text (padded with
"." if the text is shorter than the delta count); ``item/completed`` (agentMessage,
full text); ``thread/tokenUsage/updated``; ``turn/completed`` (status completed).

Prompt keywords (anywhere in the prompt text, combinable)
---------------------------------------------------------
``SILENT``          ``turn/started`` then nothing until interrupted.
``NEVER_COMPLETE``  deltas, item/completed and usage but never ``turn/completed``.
``DELTAS:N``        N deltas (``DELTAS:0`` -> none, item/completed still sent).
``DELAY_MS:N``      wait N ms before each delta (an interrupt cuts it short).
``FAIL``            ``error`` notification, then ``turn/completed`` failed.
``APPROVAL``        send ``item/commandExecution/requestApproval`` to the client;
                    reply text is "approved" when the decision is accept /
                    acceptForSession / an ``accept...`` object, else "declined"
                    (also for cancel or an error reply).  A
                    ``serverRequest/resolved`` notification follows the reply.
``CRASH``           after the first delta: write ``fake-app-server: crashed mid-turn``
                    to stderr and exit 70.
``NO_USAGE``        skip ``thread/tokenUsage/updated``.

Control requests (always allowed, even before ``initialize``)
-------------------------------------------------------------
``fake/exit`` {code=1, stderr="", delayMs=0}: write stderr, exit; no answer.
``fake/hang`` {}: never answered.
``fake/stall`` {}: from now on nothing reaches stdout (output is buffered, stdin is
    still read and handled); not answered.
``fake/unstall`` {}: write everything buffered since the stall, then answer {}.
``fake/garbage`` {lines=[], rawBase64=None, repeat=1}: write each line + "\\n" (all of
    them ``repeat`` times), then the decoded bytes verbatim (may be invalid UTF-8 / lack a
    newline), then answer {}.
``fake/bigResponse`` {bytes}: answer with ``{"data": "xxx..."}``, the response line
    exactly ``bytes`` long (without the newline).
``fake/nullIdError`` {code=-32700, message="Parse error"}: answer with an error
    response whose id is null (as a server that could not read the id does).
``fake/notify`` {method, params={}, count=1}: emit it count times, answer {}.
``fake/flood`` {threadId, turnId, count, itemId="item_flood", delta="x"}: emit
    count ``item/agentMessage/delta`` in big batched writes from a worker thread,
    then answer {"sent": count}.
``fake/bigline`` {bytes, method="fake/bigline", params={}, field="data"}: emit one
    notification whose line is exactly ``bytes`` long (without the newline, when
    ``bytes`` exceeds the envelope), answer {}.
``fake/serverRequest`` {method, params={}, id=<next server id>}: send that request to
    the client; once it replies, answer {"response": {"result": ...}} or
    {"response": {"error": {...}}} (the reply minus id/jsonrpc).  Worker thread.
``fake/sigstop`` {}: answer {}, then SIGSTOP itself.
``fake/spawnChild`` {seconds=300, inheritStdio=false}: start ``sleep seconds`` in this
    process group (stdio to /dev/null unless inheritStdio), answer {"pid": pid}.
``fake/echo`` params: answer params.
``fake/error`` {code=-32000, message="fake error", data?}: answer with that error.
``fake/delay`` {ms, result={}}: answer result after ms (worker thread).
``fake/rejectNext`` {count=1, code=-32001, message="Server overloaded; retry
    later."}: the next count non-fake requests get that error; answer {}.
``fake/stderr`` {text="", bytes=0}: write text then ~bytes of filler to stderr,
    answer {}.
``fake/closeStdout`` {}: answer {}, then close stdout (the process keeps running).
``fake/received`` {method?}: answer {"messages": [...]}, everything received from
    the client so far (optionally only that method), except ``fake/received``.
``fake/state`` {}: answer {"pid", "pgid", "scenarios", "initialized",
    "clientInitialized", "threads", "activeTurns", "pendingServerRequests"}.

Output is thread-safe; every message (or batch) is written and flushed in one
call.  Stdin EOF -> exit 0 promptly.  SIGTERM keeps its default action.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.support.fake_server` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.support.fake_server.controls import FakeServer
from tests.support.fake_server.wire import (
    EXIT_ON_START_CODE,
    EXIT_ON_START_STDERR,
    GARBAGE_ON_START,
    SCENARIO_ENV,
    SCENARIOS,
    STDERR_FLOOD_BYTES,
    filler,
    hard_exit,
    write_stderr,
)


def parse_args(argv: list[str] | None) -> set[str]:
    parser = argparse.ArgumentParser(description="Fault-injectable fake Codex app-server.")
    parser.add_argument(
        "--scenario",
        action="append",
        default=[],
        help=f"comma-separated, repeatable; one of: {', '.join(SCENARIOS)}",
    )
    # Anything else (e.g. "app-server --listen stdio://" or "-c key=value" appended by a
    # client that thinks it launches codex) is accepted and ignored.
    args, _ignored = parser.parse_known_args(argv)
    values = [*args.scenario, os.environ.get(SCENARIO_ENV, "")]
    scenarios = {s.strip() for value in values for s in value.split(",") if s.strip()}
    unknown = scenarios - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return scenarios


def main(argv: list[str] | None = None) -> None:
    scenarios = parse_args(argv)
    if scenarios & {"ignore-sigterm", "stubborn"}:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    else:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    if "exit-on-start" in scenarios:
        write_stderr(EXIT_ON_START_STDERR)
        hard_exit(EXIT_ON_START_CODE)
    server = FakeServer(scenarios)
    if "stderr-flood" in scenarios:
        write_stderr(filler(STDERR_FLOOD_BYTES))
    if "garbage-on-start" in scenarios:
        server.out.write("".join(line + "\n" for line in GARBAGE_ON_START).encode())
    server.serve()


if __name__ == "__main__":
    main()
