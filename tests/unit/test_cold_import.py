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

#: Loaded by `Codex` only if asyncio is (the blocking client never imports it); nor
#: logging (the SDK's loggers are lazy; asyncio imports it) or the async methods.
SYNC_ALSO_NEVER = (
    *("asyncio", "concurrent.futures", "base64", "struct", "ssl", "socket"),
    *("logging", "traceback", "textwrap"),
    "codex_app_server.generated.client_methods_async",
)
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


LAZY_LOGGER = """
import sys
from codex_app_server import Codex
from codex_app_server._logging import DEBUG, sdk_logger, wire_logger

# Before logging is loaded: DEBUG/INFO and the level check answer without loading it.
assert not wire_logger.isEnabledFor(DEBUG)
wire_logger.debug("dropped %s", 1)
sdk_logger("codex_app_server").info("dropped")
assert "logging" not in sys.modules

# The application configures logging after importing the SDK: the SDK's loggers follow.
import io, logging
stream = io.StringIO()
logging.basicConfig(level=logging.DEBUG, stream=stream, format="%(name)s %(message)s")
assert wire_logger.isEnabledFor(DEBUG)
wire_logger.debug("recv %s", "x")
real = logging.getLogger("codex_app_server.wire")
# Resolved once: the bound methods of the real logger, so a call costs what it costs there.
assert wire_logger.__dict__["isEnabledFor"] == real.isEnabledFor
assert wire_logger.__dict__["debug"] == real.debug
real.setLevel(logging.INFO)  # levels are read live
assert not wire_logger.isEnabledFor(DEBUG)
assert wire_logger.level == logging.INFO
print(stream.getvalue().strip())
"""

WARNING_WITHOUT_LOGGING = """
from codex_app_server._logging import sdk_logger
sdk_logger("codex_app_server").warning("a %s the user must see", "warning")
"""


def test_the_sdk_loggers_load_logging_only_when_needed() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LAZY_LOGGER], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "codex_app_server.wire recv x"


def test_a_warning_is_logged_though_nothing_loaded_logging() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WARNING_WITHOUT_LOGGING], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "a warning the user must see"  # logging's last resort
