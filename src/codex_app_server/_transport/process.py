"""The app-server as a child process: its own process group, its stderr tail, no orphans.

What the stdio transports (`stdio.py`, `async_stdio.py`) and `AppServerProcess`
(`listen.py`) share: the spawn in a new session (so that ending the group ends every
process the app-server started: shells, MCP servers), the last stderr lines (for the
errors) forwarded to the `codex_app_server.stderr` logger, and the registry of live
transports whose groups are SIGKILLed at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from .._constants import STDERR_LINE_LIMIT, STDERR_TAIL_LINES
from .._logging import DEBUG, redact_text, sdk_logger
from .._protocol.errors import TransportClosedError, TransportError
from .lines import LineSplitter

if TYPE_CHECKING:
    from .._config import AppServerConfig

stderr_logger = sdk_logger("codex_app_server.stderr")


class StderrTail:
    """Keeps the last lines of stderr and forwards each to the `codex_app_server.stderr` logger."""

    def __init__(self) -> None:
        self.lines: deque[str] = deque(maxlen=STDERR_TAIL_LINES)

    def feed(self, raw: bytes) -> None:
        line = raw[:STDERR_LINE_LIMIT].decode("utf-8", "replace").rstrip("\r\n")
        if line:
            self.lines.append(line)
            if stderr_logger.isEnabledFor(DEBUG):
                stderr_logger.debug("%s", redact_text(line))


def kill_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def spawn_group(
    argv: list[str], config: AppServerConfig, *, stdin: Any, stdout: Any
) -> subprocess.Popen[bytes]:
    """Start `argv` in a session (and process group) of its own, its stderr piped."""
    try:
        return subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            cwd=config.cwd,
            env=config.build_env(),
            start_new_session=True,
        )
    except OSError as exc:
        raise TransportError(f"could not start the app-server {argv[0]!r}: {exc}") from exc


class _Process(Protocol):
    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...


class ChildTransport:
    """What both stdio transports know of their child: pid, exit status, stderr tail."""

    _proc: _Process | None

    def _init_child(self, config: AppServerConfig) -> None:
        self._config = config
        self._proc = None
        self._stderr = StderrTail()
        self._lines = LineSplitter(config.max_line_bytes)
        self._eof = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """The exit status once the app-server has exited (negative: killed by a signal)."""
        return self._proc.returncode if self._proc else None

    def _split(self, chunk: bytes) -> list[bytes] | None:
        """The lines `chunk` completes (None: none yet); at end of stream (b""), the rest."""
        if not chunk:
            self._eof = True
            return self._lines.finish()
        return self._lines.feed(chunk)

    def _closed_error(self, reason: str) -> TransportClosedError:
        return TransportClosedError(
            reason, exit_code=self.returncode, stderr_tail=list(self._stderr.lines)
        )

    def abandon(self) -> None:
        raise NotImplementedError


# Transports whose app-server may still run: at interpreter exit each is abandoned (its
# process group SIGKILLed), so that a client nobody closed leaves no orphan behind.
_LIVE: weakref.WeakSet[ChildTransport] = weakref.WeakSet()
_atexit_registered = False


def track(transport: ChildTransport) -> None:
    global _atexit_registered
    _LIVE.add(transport)
    if not _atexit_registered:
        _atexit_registered = True
        atexit.register(_abandon_all)


def _abandon_all() -> None:
    for transport in list(_LIVE):
        with contextlib.suppress(Exception):
            transport.abandon()
