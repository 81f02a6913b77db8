"""`AppServerProcess`: start an app-server that listens for remote clients, from Python.

For tests, several local clients sharing one server, and pools::

    with start_listening_server(config) as server:          # ws://127.0.0.1:<free port>
        with Codex(server.client_config()) as codex:        # url + token filled in
            ...

The server gets a fresh capability token (in a 0600 file in a private 0700 directory) and
is ready when `/readyz` answers 200 (on a Unix socket, which answers no plain HTTP, when
the socket accepts connections). On a Unix socket the socket's mode (0600) is the
access control: the app-server does not check tokens there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from .._config import AppServerConfig
from .._protocol.errors import TransportClosedError, TransportError
from .process import StderrTail, kill_group, spawn_group

_LISTENING = re.compile(rb"listening on:\s*(ws://\S+)")
_POLL = 0.02


class AppServerProcess:
    """A `codex app-server --listen ...` process with a fresh token, ready for clients.

    Args:
        config: how to launch it (`codex_bin`, `config_overrides`, `cwd`, `env`,
            `codex_home`, `startup_timeout`, `shutdown_grace`); its `url` must be unset.
        listen: `"ws://127.0.0.1:0"` (a free loopback port; the default), `"ws://IP:PORT"`,
            `"unix://PATH"`, or `"unix://"` for a socket in the server's private directory.
        auth: require the capability token on WebSocket connections (default True).

    Attributes (once started): `url`, `token` (None without auth or on a Unix socket's
    auth-free path), `token_file`, `pid`. Use `client_config()` for a client config.
    """

    def __init__(
        self,
        config: AppServerConfig | None = None,
        *,
        listen: str = "ws://127.0.0.1:0",
        auth: bool = True,
    ) -> None:
        self.config = config or AppServerConfig()
        if self.config.url is not None:
            raise ValueError("AppServerProcess starts a server: leave config.url unset")
        if not listen.startswith(("ws://", "unix://")):
            raise ValueError("listen must be ws://IP:PORT or unix://PATH (wss: put TLS in front)")
        self._listen = listen
        self._auth = auth
        self._dir: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr = StderrTail()
        self._stderr_thread: threading.Thread | None = None
        self._announced: str | None = None
        self._announced_event = threading.Event()
        self.url: str | None = None
        self.token: str | None = None
        self.token_file: str | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        return self._proc.poll() if self._proc else None

    def start(self) -> AppServerProcess:
        """Spawn the server and wait (up to `config.startup_timeout`) until it is ready."""
        if self._proc is not None:
            return self
        self._dir = tempfile.mkdtemp(prefix="codex-listen-")  # mode 0700
        listen = self._listen
        if listen == "unix://":
            listen = f"unix://{os.path.join(self._dir, 'app-server.sock')}"
        argv = self.config.build_argv(listen)
        if self._auth and self.config.launch_args_override is None:
            self.token = secrets.token_urlsafe(32)
            self.token_file = os.path.join(self._dir, "token")
            fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self.token)
            argv += ["--ws-auth", "capability-token", "--ws-token-file", self.token_file]
        try:
            self._proc = spawn_group(
                argv, self.config, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
            )
        except TransportError:
            self.close()
            raise
        self._stderr_thread = threading.Thread(
            target=self._drain_stderr, name="codex-listen-stderr", daemon=True
        )
        self._stderr_thread.start()
        try:
            self._wait_ready(listen, time.monotonic() + self.config.startup_timeout)
        except BaseException:
            self.close()
            raise
        return self

    def _drain_stderr(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        for raw in iter(self._proc.stderr.readline, b""):
            self._stderr.feed(raw)
            if self._announced is None:
                match = _LISTENING.search(raw)
                if match:
                    self._announced = match.group(1).decode()
                    self._announced_event.set()
        self._announced_event.set()  # the process is gone: wake the waiter

    def _wait_ready(self, listen: str, deadline: float) -> None:
        if listen.startswith("unix://"):
            path = listen[len("unix://") :]
            self.url = listen
            probe: Callable[[], bool] = lambda: _unix_accepts(path)  # noqa: E731
        else:
            self._announced_event.wait(max(0.0, deadline - time.monotonic()))
            self._check_alive()
            if self._announced is None:
                raise TransportError(f"the app-server did not say where it listens ({listen})")
            self.url = self._announced
            hostport = self.url[len("ws://") :].split("/", 1)[0]
            probe = lambda: _readyz(hostport)  # noqa: E731
        while True:
            self._check_alive()
            if probe():
                return
            if time.monotonic() > deadline:
                raise TransportError(
                    f"the app-server at {self.url} was not ready within "
                    f"{self.config.startup_timeout:g}s"
                )
            time.sleep(_POLL)

    def _check_alive(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            if self._stderr_thread is not None:
                self._stderr_thread.join(1.0)
            raise TransportClosedError(
                "the listening app-server exited during start-up",
                exit_code=self._proc.returncode,
                stderr_tail=list(self._stderr.lines),
            )

    def client_config(self, **overrides: Any) -> AppServerConfig:
        """An `AppServerConfig` that connects to this server (`url`, `auth_token`), keeping
        this server's timeouts and client identity; `overrides` are further fields."""
        if self.url is None:
            raise TransportError("the server is not started")
        fields = {f.name: getattr(self.config, f.name) for f in dataclasses.fields(self.config)}
        for launch_only in ("codex_bin", "launch_args_override", "config_overrides", "env"):
            fields.pop(launch_only)
        fields.update(url=self.url, auth_token=self.token)
        fields.update(overrides)
        return AppServerConfig(**fields)

    @property
    def stderr_tail(self) -> list[str]:
        """The last lines the server wrote to stderr."""
        return list(self._stderr.lines)

    def kill(self) -> None:
        """SIGKILL the server's process group at once (for failure tests)."""
        if self._proc is not None and self._proc.poll() is None:
            kill_group(self._proc.pid, signal.SIGKILL)
            self._proc.wait(5.0)

    def close(self) -> None:
        """SIGTERM the server's process group, then SIGKILL; remove the token and socket.

        Bounded (2 x `shutdown_grace`), idempotent. Connected clients see the drop.
        """
        proc = self._proc
        if proc is not None and proc.poll() is None:
            kill_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(self.config.shutdown_grace)
            except subprocess.TimeoutExpired:
                kill_group(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(self.config.shutdown_grace)
        if proc is not None:
            if self._stderr_thread is not None:
                self._stderr_thread.join(self.config.shutdown_grace)
            if proc.stderr is not None:
                with contextlib.suppress(OSError):
                    proc.stderr.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> AppServerProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AppServerProcess(url={self.url!r}, pid={self.pid})"


def start_listening_server(
    config: AppServerConfig | None = None,
    *,
    listen: str = "ws://127.0.0.1:0",
    auth: bool = True,
) -> AppServerProcess:
    """Start an `AppServerProcess` and wait until it is ready (see the class)."""
    return AppServerProcess(config, listen=listen, auth=auth).start()


def _readyz(hostport: str) -> bool:
    """True when `GET /readyz` answers 200."""
    conn = http.client.HTTPConnection(hostport, timeout=1.0)
    try:
        conn.request("GET", "/readyz")
        return bool(conn.getresponse().status == 200)
    except OSError:
        return False
    finally:
        conn.close()


def _unix_accepts(path: str) -> bool:
    """True when the socket accepts a connection (it answers no plain HTTP, so no /readyz)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(1.0)
    try:
        sock.connect(path)
        return True
    except OSError:
        return False
    finally:
        sock.close()
