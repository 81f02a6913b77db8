#!/usr/bin/env python3
"""Generate the blocking twins from their asyncio sources (the way httpcore does it).

The high-level API and its feature handles are written once, async, under
`src/codex_app_server/_async/`; this script writes each blocking twin under `_sync/` by
substitution (`AsyncCodex` -> `Codex`, `async def` -> `def`, `await x` -> `x`, ...), then
sorts the imports, drops the ones left unused and formats the result with ruff.

What truly differs between the two sides is not substituted: it sits behind the small seams
of `_async/backend.py` and `_sync/backend.py` (hand-written), or in marked lines the sync
side drops:

    some_async_only_call()  # unasync: async-only
    # unasync: begin async-only
    ... (dropped from the sync twin)
    # unasync: end

The examples that mirror each other are written the same way: `examples/NN_topic/async.py`
is the source of `sync.py` for each topic in `EXAMPLES` (with the `EXAMPLE_PHRASES` too).
An example whose two sides teach different things (threads vs `asyncio.gather`) is not
listed: both of its files are written by hand.

The twin tests listed in `TEST_FILES` are generated the same way (async test source ->
sync test), with pytest-asyncio's markers and fixtures turned into plain pytest ones.

Usage: `scripts/unasync.py` writes the twins; `scripts/unasync.py --check` exits 1 (and
says which) if a twin on disk differs from what its source generates (`scripts/test` runs it).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "codex_app_server"

#: (async source, sync twin), relative to the repository root.
FILES = [
    (f"src/codex_app_server/_async/{name}.py", f"src/codex_app_server/_sync/{name}.py")
    for name in (
        "codex",
        "thread",
        "turn",
        "config",
        "methods",
        "commands",
        "command_process",
        "fs",
        "account",
        "paging",
        "retry",
        "reconnect",
        "streaming",
    )
]

#: Twin tests: (async source, sync twin). Where the tests truly mirror, the async file is the
#: source; tests that only one side has are marked async-only there, or live in a
#: hand-written file of their own.
TEST_FILES = [
    ("tests/integration/test_codex_async.py", "tests/integration/test_codex_sync.py"),
    ("tests/remote/test_remote_async.py", "tests/remote/test_remote_sync.py"),
    *(
        (f"tests/integration/helpers_async/{name}.py", f"tests/integration/helpers_sync/{name}.py")
        for name in ("env", "conftest", "test_threads", "test_commands", "test_files_and_config")
    ),
]

#: Exact phrases first (docstrings written for asyncio readers, reworded for blocking ones).
PHRASES = [
    (
        "A Codex app-server for asyncio code. Starts lazily; `async with` pairs start and close.",
        "A Codex app-server, started on construction. Use it as a context manager.",
    ),
    ("Make the client; the app-server starts lazily.", "Start the app-server."),
    ("; plain or `async` functions)", ")"),
    ("; available\n        once started", ""),
    ("(idempotent, cancellation-safe)", "(idempotent)"),
    (
        "If the awaiting task is cancelled, the\n"
        "        turn is interrupted on the server too (unless `interrupt_on_cancel=False`).",
        "Interrupted on KeyboardInterrupt.",
    ),
    (" (`async for`)", ""),
    ("an async context manager", "a context manager"),
    ("As an async\n    context manager", "As a context\n    manager"),
    ("Await `op()`", "Call `op()`"),
    ("Wait until the login completes", "Block until the login completes"),
    ("The asyncio high-level API", "The synchronous high-level API"),
    ("`await fetch(cursor)` returns", "`fetch(cursor)` returns"),
]

#: Then names, as whole words: the async name and its blocking twin.
RENAMES = {
    "AsyncCodex": "Codex",
    "AsyncThread": "Thread",
    "AsyncTurnHandle": "TurnHandle",
    "AsyncAppServerClient": "AppServerClient",
    "AsyncTransport": "Transport",
    "AsyncMockTransport": "MockTransport",
    "AsyncCommandProcess": "CommandProcess",
    "AsyncFsWatch": "FsWatch",
    "AsyncLoginHandle": "LoginHandle",
    "AsyncQueue": "Queue",
    "AsyncSlot": "Slot",
    "AsyncIterator": "Iterator",
    "AsyncIterable": "Iterable",
    "AsyncGenerator": "Generator",
    "async_retry_on_overload": "retry_on_overload",
    "StopAsyncIteration": "StopIteration",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "aclose": "close",
}

#: And syntax (regular expressions), after the names.
SUBSTITUTIONS = [
    # typing waits for the background warm-up on the loop only; sync code validates directly
    (r"from \.\._warmup import (WARMUP, )?avalidate", "from .._protocol.models import validate_as"),
    (r"\bavalidate\(", "validate_as("),
    (r"\bAwaitable\[(\w+)\]", r"\1"),
    (r"\bCoroutine\[Any, Any, (\w+)\]", r"\1"),
    # `(await f(x)).attr` -> `f(x).attr`, not `(f(x)).attr`
    (r"(?<![\w)\]])\(await ([\w.]+\((?:[^()]|\([^()]*\))*\))\)", r"\1"),
    (r"\basync def\b", "def"),
    (r"\basync for\b", "for"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
]

#: Examples generated from their async.py (one topic a line; the other topics' two files
#: are hand-written because they show different things).
EXAMPLES = [
    "01_quickstart",
    "02_streaming",
    "04_approvals",
    "07_errors_and_retry",
    "08_resume_and_fork",
    "11_agent_control",
]

#: Rewording for the examples, before RENAMES and SUBSTITUTIONS (which the examples share).
EXAMPLE_PHRASES = [
    (", asyncio: ", ": "),  # the title line: "Quickstart, asyncio: ..." -> "Quickstart: ..."
    ("/async.py", "/sync.py"),  # the command lines of the docstring
    ("asyncio.run(main())", "main()"),
    (
        "\n\nHandlers may be `async def` (awaited on the loop) or plain functions (run in a"
        " worker\nthread, so a slow one never blocks the event loop).",
        "",
    ),
]

#: For the twin tests, before the rules above: pytest-asyncio's markers and fixtures.
TEST_SUBSTITUTIONS = [
    (r"@pytest_asyncio\.fixture\(loop_scope=\"\w+\"\)", "@pytest.fixture"),
    (r"@pytest_asyncio\.fixture\(loop_scope=\"\w+\", ", "@pytest.fixture("),
    (r"@pytest_asyncio\.fixture\b", "@pytest.fixture"),
    (r", pytest\.mark\.asyncio(?:\(loop_scope=\"\w+\"\))?\]", "]"),
    (r"(?m)^@pytest\.mark\.asyncio(?:\(loop_scope=\"\w+\"\))?\n", ""),
    # a blocking call kept off the loop is a plain call in the blocking twin
    (r"\bawait asyncio\.to_thread\(([\w.]+)\)", r"\1()"),
    (r"\bawait asyncio\.to_thread\(([\w.]+), ", r"\1("),
]

DROP_LINE = "# unasync: async-only"
BEGIN, END = "# unasync: begin async-only", "# unasync: end"


def header(source: str) -> str:
    if source.startswith("examples/"):  # one line: the examples are read by users
        return "# Generated from async.py by scripts/unasync.py: do not edit.\n"
    first = f"# Generated by scripts/unasync.py from {source}: do not edit.\n"
    if len(first) > 101:  # a long (test) path: keep within the line length
        first = f"# Generated by scripts/unasync.py from\n# {source}: do not edit.\n"
    return first + "# Edit the async source, then run scripts/unasync.py (see CONTRIBUTING.md).\n"


Twin = tuple[str, str, list[tuple[str, str]], list[tuple[str, str]] | None]


def pairs() -> list[Twin]:
    """Every (async source, sync twin, phrases, extra substitutions): the package's, the
    examples', then the tests'."""
    examples = [(f"examples/{topic}/async.py", f"examples/{topic}/sync.py") for topic in EXAMPLES]
    return [
        *((s, t, PHRASES, None) for s, t in FILES),
        *((s, t, EXAMPLE_PHRASES, None) for s, t in examples),
        *((s, t, PHRASES, TEST_SUBSTITUTIONS) for s, t in TEST_FILES),
    ]


def unasync(
    text: str,
    phrases: list[tuple[str, str]] = PHRASES,
    extra: list[tuple[str, str]] | None = None,
) -> str:
    """The sync twin of an async module's text (before import fixing and formatting);
    `extra` substitutions run before the common ones."""
    kept: list[str] = []
    dropping = False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped == BEGIN:
            dropping = True
            continue
        if dropping:
            dropping = stripped != END
            continue
        if line.rstrip().endswith(DROP_LINE):
            continue
        kept.append(line)
    out = "".join(kept)
    for old, new in phrases:
        out = out.replace(old, new)
    renames = [(rf"\b{name}\b", twin) for name, twin in RENAMES.items()]
    for pattern, replacement in [*(extra or []), *renames, *SUBSTITUTIONS]:
        out = re.sub(pattern, replacement, out)
    return out


def _ruff() -> str:
    local = Path(sys.executable).with_name("ruff")
    found = str(local) if local.exists() else shutil.which("ruff")
    if found is None:
        raise SystemExit("unasync: ruff not found (run scripts/bootstrap.sh dev)")
    return found


def polish(text: str, target: str) -> str:
    """Sort imports, drop unused ones (the async-only ones) and format, as ruff would."""
    ruff = _ruff()
    fixed = subprocess.run(
        [
            ruff,
            "check",
            "--fix",
            "--quiet",
            "--select",
            "I,F401,UP028",
            "--unsafe-fixes",
            "--stdin-filename",
            target,
            "-",
        ],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if fixed.returncode not in (0, 1) or not fixed.stdout:
        raise SystemExit(f"unasync: ruff check failed on {target}:\n{fixed.stderr}")
    formatted = subprocess.run(
        [ruff, "format", "--quiet", "--stdin-filename", target, "-"],
        input=fixed.stdout,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return formatted.stdout


def generate(
    source: str,
    target: str,
    phrases: list[tuple[str, str]] | None = None,
    extra: list[tuple[str, str]] | None = None,
) -> str:
    """The twin of `source` as it must stand at `target` (the examples' phrases by default
    for an example, the package's for the rest)."""
    if phrases is None:
        phrases = EXAMPLE_PHRASES if source.startswith("examples/") else PHRASES
    text = (ROOT / source).read_text()
    return polish(header(source) + unasync(text, phrases, extra), target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a twin is out of date")
    args = parser.parse_args(argv)
    stale = []
    for source, target, phrases, extra in pairs():
        wanted = generate(source, target, phrases, extra)
        path = ROOT / target
        current = path.read_text() if path.exists() else None
        if current == wanted:
            continue
        if args.check:
            stale.append(target)
        else:
            path.write_text(wanted)
            print(f"unasync: wrote {target}")
    if stale:
        print(
            "unasync: out of date (edit the async source, then run scripts/unasync.py): "
            + ", ".join(stale),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
