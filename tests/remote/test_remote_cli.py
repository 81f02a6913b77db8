"""`codex-py --url ... --token-file ...` against a listening app-server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from codex_app_server import AppServerProcess
from codex_app_server.testing import Reply, ScriptedModel

pytestmark = pytest.mark.integration


def cli(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra_env or {})
    argv = [sys.executable, "-m", "codex_app_server", *args]
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)


def test_run_against_a_remote_server(
    scripted_model: ScriptedModel, ws_server: AppServerProcess
) -> None:
    assert ws_server.url and ws_server.token_file
    scripted_model.enqueue(Reply.text("Remote hello.", deltas=3))
    done = cli("run", "--url", ws_server.url, "--token-file", ws_server.token_file, "hi")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Remote hello.\n"
    assert ws_server.returncode is None  # the CLI disconnected; the server runs on


def test_token_from_the_environment_and_a_refusal(
    scripted_model: ScriptedModel, ws_server: AppServerProcess
) -> None:
    assert ws_server.url and ws_server.token
    scripted_model.enqueue(Reply.text("env token"))
    done = cli(
        "run", "--url", ws_server.url, "hi", extra_env={"CODEX_APP_SERVER_TOKEN": ws_server.token}
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "env token\n"
    refused = cli(
        "run", "--url", ws_server.url, "hi", extra_env={"CODEX_APP_SERVER_TOKEN": "nope-nope"}
    )
    assert refused.returncode != 0
    assert "HTTP 401" in refused.stderr and "nope-nope" not in refused.stderr
