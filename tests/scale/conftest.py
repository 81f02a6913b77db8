"""Shared pieces of the scale tests: a model that answers from the prompt, killing servers."""

from __future__ import annotations

import os
import signal

import pytest

from codex_app_server._scale.procs import app_server_pids

from ..support.echo_model import Echo, answer_for, echo

__all__ = ["Echo", "answer_for", "echo", "kill_one_app_server"]

pytestmark = pytest.mark.integration


def kill_one_app_server() -> int:
    """SIGKILL one app-server this process started; its pid."""
    pids = app_server_pids()
    assert pids, "no app-server is running"
    os.kill(pids[0], signal.SIGKILL)
    return pids[0]
