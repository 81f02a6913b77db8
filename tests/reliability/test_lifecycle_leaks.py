"""Second pass (issue 17): starts, closes and handlers that could leave a process behind.

Each test is named for the guarantee it backs (docs/reliability.md lists them).
"""

from __future__ import annotations

import _thread
import asyncio
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from codex_app_server import (
    AppServerClient,
    AsyncAppServerClient,
    AsyncCodex,
    TransportClosedError,
    _warmup,
)

from .conftest import (
    FAKE_APP_SERVER,
    TIMEOUT,
    assert_no_new_sdk_threads,
    fake_config,
    process_is_alive,
    requires_proc,
    sdk_threads,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]


def fake_children() -> set[int]:
    """Live fake app-servers that this process spawned (read from /proc)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                argv = cmdline.read()
        except OSError:
            continue
        mine = int(fields[1]) == os.getpid() and FAKE_APP_SERVER.name.encode() in argv
        if mine and process_is_alive(int(entry)):
            found.add(int(entry))
    return found


@requires_proc
@pytest.mark.parametrize("deadline", [0.001, 0.02])
def test_a_cancelled_start_kills_what_it_spawned(deadline: float) -> None:
    before = fake_children()

    async def main() -> float:
        codex = AsyncCodex(fake_config())
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(codex.__aenter__(), deadline)
        # wait_for returns once the cancelled start has cleaned up after itself.
        return time.monotonic()

    t0 = time.monotonic()
    returned = asyncio.run(main())
    assert fake_children() - before == set()
    assert returned - t0 < deadline + 2.0


def test_an_unclosed_async_client_ends_with_its_loop() -> None:
    async def main() -> int:
        # A server that ignores EOF and SIGTERM: only an explicit kill ends it.
        client = AsyncAppServerClient(fake_config("stubborn"))
        await client.start()
        transport: Any = client._transport
        pid: int = transport.pid
        assert pid is not None
        return pid  # never closed

    pid = asyncio.run(main())
    wait_for(lambda: not process_is_alive(pid), timeout=1.0, what="the app-server to end")


_UNCLOSED_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from reliability.conftest import fake_config
from codex_app_server import AppServerClient
client = AppServerClient(fake_config("stubborn"))
client.start()
print(client._transport.pid, flush=True)
# never closed: the interpreter exits with the client open
"""


def test_an_unclosed_client_ends_with_its_process() -> None:
    script = _UNCLOSED_SCRIPT.format(tests=str(ROOT / "tests"))
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[0])
    wait_for(lambda: not process_is_alive(pid), timeout=1.0, what="the app-server to end")


def test_ctrl_c_inside_close_then_close_again_finishes_the_job() -> None:
    client = AppServerClient(fake_config("stubborn", shutdown_grace=1.0))
    client.start()
    pid = client._transport.pid  # type: ignore[attr-defined]
    timer = threading.Timer(0.3, _thread.interrupt_main)  # lands in close()'s first grace wait
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        client.close()
    timer.join()
    assert process_is_alive(pid)  # the interrupted close did not get that far
    t0 = time.monotonic()
    client.close()  # finishes the job: SIGTERM is ignored, SIGKILL ends it
    assert not process_is_alive(pid)
    assert time.monotonic() - t0 < 3 * 1.0 + 1.0
    client.close()  # and stays idempotent


_HUNG_HANDLER_SCRIPT = """
import asyncio, sys, threading
sys.path.insert(0, {tests!r})
from reliability.conftest import fake_config
from codex_app_server import AppServerClient, AsyncAppServerClient, RequestTimeoutError

def never_returns(request):
    threading.Event().wait()

ask = {{"method": "item/commandExecution/requestApproval", "params": {{}}}}
if {use_async!r}:
    async def main():
        client = AsyncAppServerClient(fake_config(), server_request_handler=never_returns)
        await client.start()
        try:
            await client.request("fake/serverRequest", ask, timeout=0.5)
        except RequestTimeoutError:
            pass
        await client.close()
    asyncio.run(main())
else:
    client = AppServerClient(fake_config(), server_request_handler=never_returns)
    client.start()
    try:
        client.request("fake/serverRequest", ask, timeout=0.5)
    except RequestTimeoutError:
        pass
    client.close()
print("closed", flush=True)
"""


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_a_hung_handler_thread_never_keeps_the_process_alive(use_async: bool) -> None:
    script = _HUNG_HANDLER_SCRIPT.format(tests=str(ROOT / "tests"), use_async=use_async)
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "closed"
    assert time.monotonic() - t0 < 8.0


async def test_a_death_at_start_is_always_reported_with_exit_code_and_stderr() -> None:
    # The fake exits with code 2 before reading: the failed write of `initialize` and the
    # reader's EOF race; whichever wins, the cause must be in the error.
    for _ in range(12):
        client = AsyncAppServerClient(fake_config("exit-on-start"))
        with pytest.raises(TransportClosedError) as caught:
            await client.start()
        assert caught.value.exit_code == 2, caught.value
        assert any("failed to start" in line for line in caught.value.stderr_tail)


def test_the_warmup_thread_is_waited_for_not_reported_as_a_leak(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Regression: a module whose first test started the process's first client failed its
    # leak check while the one-off warm-up thread was still building validators.
    release = threading.Event()
    monkeypatch.setattr(_warmup, "warm_turn_models", release.wait)
    before = set(sdk_threads())
    warmup = _warmup.Warmup()
    warmup.start()
    (thread,) = [t for t in sdk_threads() if t.name == "codex-app-server-warmup"]
    joined: list[float | None] = []
    join = thread.join

    def release_then_join(timeout: float | None = None) -> None:
        joined.append(timeout)  # the check waits for the warm-up: only then may it end
        release.set()
        join(timeout)

    monkeypatch.setattr(thread, "join", release_then_join)
    assert thread.is_alive()  # still building when the check starts
    assert_no_new_sdk_threads(before)
    assert joined and warmup.done
