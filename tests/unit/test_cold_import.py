"""What importing the public clients loads in a fresh interpreter: nothing that only a
feature needs (issue 12: the import is on the critical path of every cold first turn).

Each module listed here is loaded on first use by the code that needs it; a new
module-level import of one of them fails this test."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Loaded by neither `Codex` nor `AsyncCodex` (nor by `orjson`, which brings `uuid`,
#: `datetime` and `dataclasses` whatever the SDK does).
NEVER = (
    "codex_app_server._protocol.events",  # events(), an error event
    "codex_app_server._protocol.commands",  # command_start() / run_shell_command()
    "codex_app_server._async.command_process",
    "codex_app_server._sync.command_process",
    "codex_app_server._protocol.inputs",  # typed input items (a str prompt needs none)
    "codex_app_server._protocol.replies",  # the first server request
    "codex_app_server.generated.protocol_registry",
    "codex_app_server._workers",  # the sync handler pool: a deferred reply
    "codex_app_server.generated.v2_all",  # typed models: the warm-up, a typed result
    "difflib",  # a "did you mean" suggestion
    "random",  # a jittered backoff
    "pathlib",  # (with urllib.parse, ipaddress) the runtime's path: os.path does it
    "urllib.parse",
    "ipaddress",
    "shutil",  # (with bz2, lzma) `which`: os.path does it
    "bz2",
    "lzma",
    "pydantic",
    "importlib.metadata",
    "tempfile",
    "codex_app_server.generated.client_methods",  # both mixins: each client loads its own
)

#: Loaded by `Codex` only if asyncio is (the blocking client never imports it).
SYNC_ALSO_NEVER = ("asyncio", "concurrent.futures", "base64", "struct", "ssl", "socket")
SYNC_ALSO_NEVER += ("codex_app_server.generated.client_methods_async",)
#: Nor does `AsyncCodex` load the blocking client's methods.
ASYNC_ALSO_NEVER = ("codex_app_server.generated.client_methods_sync",)


def _loaded(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout))


@pytest.mark.parametrize(
    ("statement", "never"),
    [
        ("from codex_app_server import Codex", NEVER + SYNC_ALSO_NEVER),
        ("from codex_app_server import AsyncCodex", NEVER + ASYNC_ALSO_NEVER),
        ("import codex_app_server", NEVER + SYNC_ALSO_NEVER + ("dataclasses", "logging")),
    ],
)
def test_importing_a_client_loads_no_feature_module(statement: str, never: tuple[str, ...]) -> None:
    assert sorted(set(never) & _loaded(statement)) == []


def test_the_deferred_modules_load_when_their_feature_runs() -> None:
    # The other side: each deferred module is importable lazily from where it is used.
    loaded = _loaded(
        "from codex_app_server import Codex\n"
        "from codex_app_server._protocol.retry import backoff_delay\n"
        "backoff_delay(2, 0.1, 1.0, 0.5)\n"
        "from codex_app_server._protocol.run_result import TurnCollector\n"
        "from codex_app_server._protocol.notifications import Notification\n"
        "TurnCollector('t').feed(Notification('error', {'turnId': 't', 'error': {'message': 'x'},"
        " 'willRetry': True}))"
    )
    assert {"random", "codex_app_server._protocol.events"} <= loaded
