"""What a fresh process loads: a blocking client's turn never imports asyncio (a cold
start's ~25 ms of CPU that a sync script does not need)."""

from __future__ import annotations

import subprocess
import sys

SYNC_TURN = """
import sys, tempfile
from codex_app_server import Codex
from codex_app_server.testing import Reply, ScriptedModel

with ScriptedModel() as model, tempfile.TemporaryDirectory() as tmp:
    model.enqueue(Reply.text("cold hello"))
    with Codex(model.config(tmp)) as codex:
        result = codex.thread_start().run("hi")
print(result.final_response)
print("asyncio" in sys.modules)
"""


def test_a_blocking_turn_never_imports_asyncio() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SYNC_TURN], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cold", "hello", "False"]


def test_importing_the_blocking_api_does_not_import_asyncio() -> None:
    code = "import sys; from codex_app_server import Codex, Thread; print('asyncio' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
