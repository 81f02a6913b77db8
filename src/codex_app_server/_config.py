"""`AppServerConfig`: how to launch and talk to the app-server."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._constants import (
    DEFAULT_BUFFER_BUDGET_BYTES,
    DEFAULT_CLIENT_NAME,
    DEFAULT_CLIENT_TITLE,
    DEFAULT_GLOBAL_QUEUE_SIZE,
    DEFAULT_MAX_LINE_BYTES,
    DEFAULT_RECONNECT_INITIAL_DELAY,
    DEFAULT_RECONNECT_MAX_DELAY,
    DEFAULT_RECONNECT_TIMEOUT,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_SERVER_REQUEST_TIMEOUT,
    DEFAULT_SHUTDOWN_GRACE,
    DEFAULT_STARTUP_TIMEOUT,
    DEFAULT_TURN_INACTIVITY_TIMEOUT,
)
from ._protocol.toml import toml_value
from ._transport.runtime import resolve_codex_bin
from ._version import __version__

if TYPE_CHECKING:
    from ._protocol.events import ErrorReported


@dataclass
class AppServerConfig:
    """How to launch the Codex app-server and how the client behaves.

    Attributes:
        codex_bin: path of the `codex` binary. Default: the one bundled in the
            `openai-codex-cli-bin` wheel, else `codex` on PATH.
        launch_args_override: the whole command line to run instead of
            `[codex_bin, "app-server", "--listen", "stdio://", --config ...]`.
        config_overrides: `--config key=value` overrides: a mapping whose values are
            TOML-encoded (`{"model": "gpt-5.5", "features.plugins": False}`), or, as in the
            seed, a sequence of ready `"key=value"` strings (`["model=\"gpt-5.5\""]`),
            passed through as they are.
        cwd: working directory of the app-server process.
        env: variables merged over `os.environ` for the app-server process.
        codex_home: sets `CODEX_HOME` for the process (config, sessions, auth live there).
        client_name / client_title / client_version: identity sent in `initialize`.
        experimental_api: ask for the experimental API (`capabilities.experimentalApi`).
        request_timeout: seconds a request waits for its response (None: forever).
        startup_timeout: seconds spawning plus `initialize` may take.
        turn_inactivity_timeout: a turn that makes no progress for this many seconds (no
            notification, no server request waiting on the client, no command or tool
            running) is interrupted and `TurnTimeoutError` is raised to its reader. Default
            600 (longer than the runtime's own 300 s stream idle timeout); None: never.
        server_request_timeout: seconds a server-request handler may take before the
            request is declined.
        shutdown_grace: seconds `close()` waits at each step (EOF, SIGTERM, SIGKILL).
        max_line_bytes: longest message line accepted from the server.
        global_queue_size: notifications without a turn kept for `next_notification()`;
            past it the oldest are dropped and counted.
        on_runtime_error: called (on the reader of the turn, never the wire reader) with
            each `ErrorReported` event a turn receives ("Reconnecting... 2/5", a failure);
            the SDK also logs each at WARNING and collects them on `RunResult.errors`.
        url: connect to an app-server that is already listening instead of spawning one:
            `"ws://127.0.0.1:PORT"`, `"wss://host/path"` or `"unix:///path/to.sock"` (needs
            the `ws` extra: `pip install 'codex-app-server[ws]'`). The launch options above
            (`codex_bin`, `config_overrides`, `cwd`, `env`, `codex_home`) are then unused,
            and `close()` disconnects, leaving the server running. See docs/remote.md.
        auth_token: bearer token sent on the WebSocket upgrade (`Authorization: Bearer`);
            never printed (not in `repr()`, errors or logs).
        auth_token_file: a file holding the token (read at each connect; whitespace
            stripped). Use one of `auth_token` and `auth_token_file`.
        ssl_context: an `ssl.SSLContext` for `wss://` (custom CA, client certificate);
            default: the system's trusted CAs with hostname checking.
        reconnect: re-establish a dropped remote connection and resume its threads
            (None: on for `url`, meaningless for stdio). See docs/remote.md#reconnect.
        reconnect_timeout: seconds to keep trying before giving up (the give-up time).
        reconnect_max_attempts: most connection attempts per drop (None: until the timeout).
        reconnect_initial_delay / reconnect_max_delay: exponential backoff between
            attempts, each delay jittered by +-50%.
        buffer_budget_bytes: estimated memory, in bytes, that the client may hold for
            readers that lag (every turn's queue and the global queue together); past
            it the largest holders are shed: streaming deltas of turns (their results
            stay exact), the oldest global notifications. 0: no budget.
    """

    codex_bin: str | os.PathLike[str] | None = None
    launch_args_override: Sequence[str] | None = None
    config_overrides: Mapping[str, Any] | Sequence[str] = field(default_factory=dict)
    cwd: str | os.PathLike[str] | None = None
    env: Mapping[str, str] | None = None
    codex_home: str | os.PathLike[str] | None = None
    client_name: str = DEFAULT_CLIENT_NAME
    client_title: str = DEFAULT_CLIENT_TITLE
    client_version: str = __version__
    experimental_api: bool = True
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT
    turn_inactivity_timeout: float | None = DEFAULT_TURN_INACTIVITY_TIMEOUT
    server_request_timeout: float = DEFAULT_SERVER_REQUEST_TIMEOUT
    shutdown_grace: float = DEFAULT_SHUTDOWN_GRACE
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    global_queue_size: int = DEFAULT_GLOBAL_QUEUE_SIZE
    url: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    auth_token_file: str | os.PathLike[str] | None = None
    ssl_context: Any = field(default=None, repr=False)
    reconnect: bool | None = None
    reconnect_timeout: float = DEFAULT_RECONNECT_TIMEOUT
    reconnect_max_attempts: int | None = None
    reconnect_initial_delay: float = DEFAULT_RECONNECT_INITIAL_DELAY
    reconnect_max_delay: float = DEFAULT_RECONNECT_MAX_DELAY
    on_runtime_error: Callable[[ErrorReported], Any] | None = field(default=None, repr=False)
    buffer_budget_bytes: int = DEFAULT_BUFFER_BUDGET_BYTES

    def __post_init__(self) -> None:
        if self.url is not None:
            from ._transport.remote import parse_url

            parse_url(self.url)  # ValueError now rather than at connect time
            if self.auth_token is not None and self.auth_token_file is not None:
                raise ValueError("give auth_token or auth_token_file, not both")
            if self.ssl_context is not None and not self.url.startswith("wss://"):
                raise ValueError("ssl_context is only for wss:// URLs")

    @property
    def is_remote(self) -> bool:
        """True when the client connects to `url` instead of spawning an app-server."""
        return self.url is not None

    @property
    def reconnects(self) -> bool:
        """Whether a dropped connection is re-established (remote URLs, unless turned off)."""
        return self.url is not None and self.reconnect is not False

    def read_auth_token(self) -> str | None:
        """The bearer token: `auth_token`, or the stripped contents of `auth_token_file`."""
        if self.auth_token_file is not None:
            try:
                with open(self.auth_token_file, encoding="utf-8") as f:
                    token = f.read().strip()
            except OSError as exc:
                from ._protocol.errors import AuthenticationError

                raise AuthenticationError(
                    f"could not read auth_token_file {os.fspath(self.auth_token_file)!r}: "
                    f"{exc.strerror or exc}"
                ) from None
            return token or None
        return self.auth_token or None

    def build_argv(self, listen: str = "stdio://") -> list[str]:
        """The command line that starts the app-server listening on `listen` (stdio)."""
        if self.launch_args_override is not None:
            argv = [os.fspath(a) for a in self.launch_args_override]
            if not argv:
                raise ValueError("launch_args_override must not be empty")
            return argv
        argv = [str(resolve_codex_bin(self.codex_bin)), "app-server", "--listen", listen]
        for override in self.config_override_args():
            argv += ["--config", override]
        return argv

    def config_override_args(self) -> list[str]:
        """`config_overrides` as `key=value` strings (a mapping's values TOML-encoded)."""
        overrides = self.config_overrides
        if isinstance(overrides, Mapping):
            return [f"{key}={toml_value(value)}" for key, value in overrides.items()]
        if isinstance(overrides, (str, bytes)):
            raise TypeError(
                "config_overrides must be a mapping or a sequence of 'key=value' strings, "
                f"not a single {type(overrides).__name__}"
            )
        args: list[str] = []
        for override in overrides:
            if not isinstance(override, str) or "=" not in override:
                raise ValueError(f"config_overrides entry {override!r} is not a 'key=value' string")
            args.append(override)
        return args

    def build_env(self) -> dict[str, str]:
        """`os.environ` with `env` and `codex_home` applied."""
        merged = dict(os.environ)
        if self.env:
            merged.update({str(k): str(v) for k, v in self.env.items()})
        if self.codex_home is not None:
            merged["CODEX_HOME"] = os.fspath(self.codex_home)
        return merged

    def resolve_timeout(self, timeout: float | None) -> float | None:
        """A per-call timeout, or `request_timeout` when it is None; None (or inf): wait forever."""
        value = self.request_timeout if timeout is None else timeout
        if value is None or math.isinf(value):
            return None
        return value

    def initialize_params(self) -> dict[str, Any]:
        """The params of the `initialize` request."""
        return {
            "clientInfo": {
                "name": self.client_name,
                "title": self.client_title,
                "version": self.client_version,
            },
            "capabilities": {"experimentalApi": self.experimental_api},
        }
