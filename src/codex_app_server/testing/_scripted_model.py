"""`ScriptedModel`: a scripted, offline stand-in for the OpenAI Responses API.

The app-server `POST`s to `{base_url}/responses` and reads a Server-Sent-Events stream; each
request takes the next scripted `Reply`. This module holds the model's state (the script,
the recorded requests, the counters) and its life cycle; the reply language is in
`_replies`, the recorded requests in `_requests`, the SSE rendering in `_sse` and the HTTP
server (the standard library's `ThreadingHTTPServer`) in `_http`, imported on `start()`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._offline_home import DEFAULT_MODEL, offline_env, write_offline_codex_home
from ._replies import Reply
from ._requests import RecordedRequest, Responder

if TYPE_CHECKING:
    from .._config import AppServerConfig
    from ._http import _Server

__all__ = ["ScriptedModel"]

#: Seconds `close()` waits for the server's threads in total.
_CLOSE_JOIN_SECONDS = 1.0


class ScriptedModel:
    """A local HTTP server that answers the Responses API from a script.

    ::

        with ScriptedModel() as model:
            model.enqueue(Reply.text("Hello!"))
            config = model.config(tmp_path)  # an AppServerConfig for an offline app-server
            ...  # run a turn; model.requests holds what the app-server sent

    Each `POST {base_url}/responses` takes the next reply from the FIFO queue
    (`enqueue`), else asks the responder (`respond_with`), else is answered HTTP 400 with
    a message the turn's error carries ("scripted model: no reply queued for request #3
    ...") and counted in `unexpected_requests`, so that a test fails loudly instead of
    hanging.
    Every method is thread-safe; `close()` returns promptly even with hanging replies or
    clients that stopped reading.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        """Prepare the server; it listens from `start()` (or `with`) on."""
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._queue: deque[Reply] = deque()
        self._responder: Responder | None = None
        self._requests: list[RecordedRequest] = []
        self._other: list[RecordedRequest] = []
        self._unexpected = 0
        self._errors: list[BaseException] = []
        self._active = 0
        self._accepted = 0
        self._release_generation = 0
        self._wakers: set[socket.socket] = set()
        self._connections: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._listener: _Server | None = None
        self._bound_port: int | None = None
        self._wake_accept: tuple[socket.socket, socket.socket] | None = None
        self._accept_thread: threading.Thread | None = None
        self._closed = threading.Event()
        self._tag = os.urandom(4).hex()
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        where = self.base_url if self._listener is not None else "not started"
        state = "closed" if self.closed else where
        return f"<ScriptedModel {state}, {len(self._requests)} requests>"

    # ---- life cycle

    def start(self) -> ScriptedModel:
        """Listen on the port (a free one by default) and serve; idempotent; return self."""
        with self._lock:
            if self._closed.is_set():
                raise RuntimeError("this ScriptedModel is closed")
            if self._listener is not None:
                return self
            from ._http import _Server

            listener = _Server(self, self._host, self._port)
            self._listener = listener
            self._bound_port = int(listener.server_address[1])
            self._wake_accept = socket.socketpair()
            thread = threading.Thread(
                target=self._accept_loop, name="ScriptedModel-accept", daemon=True
            )
            self._accept_thread = thread
        thread.start()
        return self

    def close(self) -> None:
        """Stop serving: end hanging replies, drop every connection, free the port.

        Idempotent. Returns within about a second whatever the clients do.
        """
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            wakers = list(self._wakers)
            connections = list(self._connections)
            self._changed.notify_all()
        for waker in [*wakers, *(self._wake_accept[1:] if self._wake_accept else ())]:
            with contextlib.suppress(OSError):
                waker.send(b"x")
        pacer = self._listener.pacer.close() if self._listener is not None else None
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + _CLOSE_JOIN_SECONDS
        if self._accept_thread is not None:
            self._accept_thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            threads = [t for t in self._threads if t is not threading.current_thread()]
        if pacer is not None and pacer is not threading.current_thread():
            threads.append(pacer)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._listener is not None:
            self._listener.server_close()
        if self._wake_accept is not None:
            for sock in self._wake_accept:
                sock.close()

    def __enter__(self) -> ScriptedModel:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once `close()` was called."""
        return self._closed.is_set()

    @property
    def port(self) -> int:
        """The TCP port (after `start()`)."""
        if self._bound_port is None:
            raise RuntimeError("ScriptedModel is not started: call start() or use `with`")
        return self._bound_port

    @property
    def base_url(self) -> str:
        """The Responses API base URL to configure: `http://127.0.0.1:PORT/v1`."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.port}/v1"

    # ---- script

    def enqueue(self, *replies: Reply) -> None:
        """Append replies to the FIFO queue; each `POST /responses` takes the next one."""
        for reply in replies:
            if not isinstance(reply, Reply):
                raise TypeError(f"expected a Reply, got {type(reply).__name__}")
        with self._lock:
            self._queue.extend(replies)

    def respond_with(self, responder: Responder | None) -> None:
        """Answer with `responder(request)` whenever the queue is empty (None: stop).

        Use it when the order of requests is not deterministic (concurrent turns): reply
        based on the request, e.g. on `request.last_user_text`. The responder runs on the
        server's connection threads, possibly several at once, so it must be thread-safe.
        Returning None makes the request unexpected; an exception is kept in `errors`.
        Both are answered HTTP 400 with a message that names the request and reaches the
        turn's error.
        """
        with self._lock:
            self._responder = responder

    def release(self) -> None:
        """Let every reply hanging now (`Reply.hang`) go on; later hangs hang again."""
        with self._lock:
            self._release_generation += 1
            wakers = list(self._wakers)
        for waker in wakers:
            with contextlib.suppress(OSError):
                waker.send(b"x")

    def reset(self) -> None:
        """Forget queued replies, the responder, recorded requests and counters."""
        with self._lock:
            self._queue.clear()
            self._responder = None
            self._requests.clear()
            self._other.clear()
            self._unexpected = 0
            self._errors.clear()

    # ---- observation

    @property
    def requests(self) -> list[RecordedRequest]:
        """The `/responses` requests received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def other_requests(self) -> list[RecordedRequest]:
        """Requests to any other path (`GET /models`, unknown paths), in arrival order."""
        with self._lock:
            return list(self._other)

    @property
    def unexpected_requests(self) -> int:
        """Requests answered with an error because nothing was scripted for them: a
        `/responses` request with no reply (HTTP 400) or an unknown path (HTTP 404)."""
        with self._lock:
            return self._unexpected

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions raised while answering: by the responder (answered HTTP 400), or
        while streaming a reply (the stream was cut short). Empty in a healthy test."""
        with self._lock:
            return list(self._errors)

    @property
    def pending_replies(self) -> int:
        """Replies still queued."""
        with self._lock:
            return len(self._queue)

    @property
    def active_requests(self) -> int:
        """`/responses` requests being answered right now (hanging replies included)."""
        with self._lock:
            return self._active

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (the app-server reuses them: keep-alive)."""
        with self._lock:
            return self._accepted

    def wait_for_requests(self, n: int, timeout: float = 10.0) -> list[RecordedRequest]:
        """Block until at least `n` `/responses` requests arrived; return them all.

        Raises:
            TimeoutError: fewer than `n` arrived within `timeout` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= n, timeout):
                raise TimeoutError(
                    f"ScriptedModel: {len(self._requests)} of {n} requests arrived "
                    f"within {timeout}s"
                )
            return list(self._requests)

    def wait_until_idle(self, timeout: float = 10.0) -> None:
        """Block until no `/responses` request is being answered (`active_requests == 0`),
        e.g. until the client dropped a hanging reply.

        Raises:
            TimeoutError: a request was still being answered after `timeout` seconds.
        """
        with self._changed:
            if not self._changed.wait_for(lambda: self._active == 0, timeout):
                raise TimeoutError(
                    f"ScriptedModel: {self._active} requests still active after {timeout}s"
                )

    # ---- configuration

    def config(
        self,
        tmp_path: str | os.PathLike[str],
        *,
        model: str = DEFAULT_MODEL,
        approval_policy: str = "never",
        sandbox_mode: str = "read-only",
        extra_toml: str = "",
        settings: Mapping[str, Any] | None = None,
        **overrides: Any,
    ) -> AppServerConfig:
        """An `AppServerConfig` for an offline app-server that talks to this model.

        Writes a `CODEX_HOME` at `tmp_path/codex-home` (or at `codex_home=` if given) with
        `write_offline_codex_home`, makes `tmp_path/workspace` the working directory
        (unless `cwd=` is given), and sets `MOCK_API_KEY`, `NO_PROXY` and `PATH` in `env`
        (see `offline_env`). `model`, `approval_policy`, `sandbox_mode`, `extra_toml` and
        `settings` go to the config file; other keyword arguments are `AppServerConfig`
        fields (an `env` mapping is merged over ours). Starts the model if needed.
        """
        from .._config import AppServerConfig

        self.start()
        base = Path(tmp_path)
        home = Path(overrides.pop("codex_home", None) or base / "codex-home")
        write_offline_codex_home(
            home,
            self.base_url,
            model=model,
            approval_policy=approval_policy,
            sandbox_mode=sandbox_mode,
            extra_toml=extra_toml,
            settings=settings,
        )
        if overrides.get("cwd") is None:
            workspace = base / "workspace"
            workspace.mkdir(parents=True, exist_ok=True)
            overrides["cwd"] = workspace
        env = offline_env()
        env.update(overrides.pop("env", None) or {})
        return AppServerConfig(codex_home=home, env=env, **overrides)

    # ---- serving (server threads)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_{self._tag}{next(self._ids):06d}"

    def _accept_loop(self) -> None:
        listener, wake = self._listener, self._wake_accept
        assert listener is not None and wake is not None
        with selectors.DefaultSelector() as selector:
            selector.register(listener.fileno(), selectors.EVENT_READ, "listener")
            selector.register(wake[0], selectors.EVENT_READ)
            while not self._closed.is_set():
                for key, _ in selector.select():
                    if key.data != "listener":
                        return
                    try:
                        listener.handle_request()  # accept, and serve on a new thread
                    except OSError:  # e.g. out of file descriptors: do not spin
                        if self._closed.wait(0.05):
                            return

    def _track(self, conn: socket.socket) -> bool:
        """Register a connection's socket and thread; False once the model is closed."""
        with self._lock:
            self._accepted += 1
            if self._closed.is_set():
                return False
            self._connections.add(conn)
            self._threads.add(threading.current_thread())
            return True

    def _untrack(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)
            self._threads.discard(threading.current_thread())

    def _take(self, request: RecordedRequest) -> tuple[Reply | Responder | None, int]:
        """Record a `/responses` request and take its reply (or the responder) atomically.

        Also returns the release generation: a `release()` made once the request is visible
        in `requests` releases this request's hang, however late the hang starts waiting.
        """
        with self._lock:
            request.index = len(self._requests)
            self._requests.append(request)
            self._active += 1
            self._changed.notify_all()
            source = self._queue.popleft() if self._queue else self._responder
            return source, self._release_generation

    def _record_other(self, request: RecordedRequest, *, unexpected: bool) -> None:
        with self._lock:
            self._other.append(request)
            self._unexpected += unexpected

    def _count_unexpected(self) -> None:
        with self._lock:
            self._unexpected += 1

    def _failed(self, error: BaseException) -> None:
        with self._lock:
            self._errors.append(error)

    def _answered(self) -> None:
        with self._lock:
            self._active -= 1
            self._changed.notify_all()

    def _wait_for_release(self, conn: socket.socket, generation: int) -> bool:
        """Block a hanging reply until released (True) or closed / disconnected (False)."""
        waker_r, waker_w = socket.socketpair()
        with self._lock:
            self._wakers.add(waker_w)
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(conn, selectors.EVENT_READ)
                selector.register(waker_r, selectors.EVENT_READ)
                while True:
                    with self._lock:
                        if self._closed.is_set():
                            return False
                        if self._release_generation != generation:
                            return True
                    for key, _ in selector.select():
                        if key.fileobj is conn:
                            return False  # the client hung up (or broke protocol)
                        with contextlib.suppress(OSError):
                            waker_r.recv(4096)
        finally:
            with self._lock:
                self._wakers.discard(waker_w)
            waker_r.close()
            waker_w.close()
