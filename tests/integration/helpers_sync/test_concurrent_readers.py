"""Protocol helpers from several threads at once (sync only; hand-written, not mirrored)."""

from __future__ import annotations

import threading

import pytest

from .env import Env

pytestmark = pytest.mark.integration


def test_concurrent_commands_get_their_own_output(env: Env) -> None:
    processes = [
        env.codex.command_start(["bash", "-c", f"for i in 1 2 3; do echo p{n}-$i; done"])
        for n in range(4)
    ]
    outputs: dict[int, bytes] = {}

    def read(n: int) -> None:
        outputs[n] = b"".join(chunk.data for chunk in processes[n])

    readers = [threading.Thread(target=read, args=(n,)) for n in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(timeout=30)
    for n in range(4):
        assert outputs[n] == f"p{n}-1\np{n}-2\np{n}-3\n".encode()
