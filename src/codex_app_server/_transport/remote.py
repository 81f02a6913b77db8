"""Remote app-servers: URL parsing, the WebSocket handshake options, connect-error mapping.

Shared by the sync and async WebSocket transports. Nothing here imports `websockets` or
`ssl` at module level: a stdio user never pays for them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._logging import REDACTED, redact_text
from .._protocol.errors import AuthenticationError, TransportError
from .._version import __version__

if TYPE_CHECKING:
    from .._config import AppServerConfig

_SCHEMES = ("ws://", "wss://", "unix://")
_LOOPBACK_HOSTS = ("127.", "localhost", "[::1]", "::1")
_INSTALL_HINT = "pip install 'codex-app-server[ws]'"
#: Frames queued by the WebSocket library before it stops reading the socket.
_MAX_QUEUE = 1024


@dataclass(frozen=True)
class Endpoint:
    """Where a remote app-server listens: a ws(s) URL, or a Unix socket path."""

    url: str
    unix_path: str | None = None

    @property
    def is_loopback(self) -> bool:
        if self.unix_path is not None:
            return True
        rest = self.url.split("://", 1)[1]
        return rest.startswith(_LOOPBACK_HOSTS)


def parse_url(url: str) -> Endpoint:
    """Check a remote URL (`ws://`, `wss://`, `unix://PATH`); ValueError if it is not one."""
    if not isinstance(url, str) or not url.startswith(_SCHEMES):
        raise ValueError(f"url must start with ws://, wss:// or unix:// (got {url!r})")
    if url.startswith("unix://"):
        path = url[len("unix://") :]
        if not path:
            raise ValueError("a unix:// URL needs a socket path: unix:///path/to/app-server.sock")
        return Endpoint(url, unix_path=os.path.expanduser(path))
    if len(url.split("://", 1)[1].split("/", 1)[0]) == 0:
        raise ValueError(f"url {url!r} has no host")
    return Endpoint(url)


def import_websockets(module: str) -> Any:
    """`websockets.sync.client` or `websockets.asyncio.client`, or a clear error."""
    import importlib

    try:
        return importlib.import_module(f"websockets.{module}")
    except ImportError as exc:
        raise TransportError(
            f"connecting to a URL needs the `websockets` package (>= 15): {_INSTALL_HINT}"
        ) from exc


def connect_kwargs(
    config: AppServerConfig,
    endpoint: Endpoint,
    token: str | None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `websockets` `connect()` / `unix_connect()`; `timeout` caps
    the handshake time (a reconnect attempt gets what is left of the give-up time)."""
    open_timeout = config.startup_timeout
    if timeout is not None:
        open_timeout = min(open_timeout, max(timeout, 0.1))
    headers = {}
    if token is not None:
        if any(c in token for c in "\r\n"):
            raise AuthenticationError("the auth token contains a line break")
        headers["Authorization"] = f"Bearer {token}"
    kwargs: dict[str, Any] = {
        "additional_headers": headers,
        "user_agent_header": f"codex-app-server-python/{__version__}",
        "compression": None,  # the app-server does not negotiate it; no per-message cost
        "open_timeout": open_timeout,
        "close_timeout": config.shutdown_grace,
        "max_size": config.max_line_bytes,
        "max_queue": _MAX_QUEUE,
        "logger": _handshake_logger(),
    }
    if endpoint.is_loopback:
        kwargs["proxy"] = None  # never send loopback traffic to a proxy from the environment
    if endpoint.url.startswith("wss://") and config.ssl_context is not None:
        kwargs["ssl"] = config.ssl_context
    return kwargs


def connect_error(exc: BaseException, endpoint: Endpoint, *, token: str | None) -> TransportError:
    """A clear `TransportError` for a failed connect (never mentioning the token)."""
    token_sent = token is not None
    import ssl

    url = endpoint.url
    if isinstance(exc, TransportError):
        return exc
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        body = bytes(getattr(response, "body", b"") or b"")[:300].decode("utf-8", "replace")
        body = body.strip()
        if token:
            body = body.replace(token, REDACTED)
        said = f" ({body})" if body else ""
        if status == 401:
            want = _wanted_auth(response)
            if token_sent:
                hint = "the bearer token was rejected: check auth_token / auth_token_file"
            else:
                hint = f"it wants {want}: pass auth_token= or auth_token_file="
            return AuthenticationError(
                f"the app-server at {url} refused the connection: HTTP 401{said}; {hint}",
                status=401,
            )
        if status == 403:
            return AuthenticationError(
                f"the app-server at {url} refused the connection: HTTP 403{said}; it refuses "
                "browser connections (any Origin header) and tokens it does not accept",
                status=403,
            )
        return TransportError(
            f"{url} answered the WebSocket upgrade with HTTP {status}{said}: "
            "is it a Codex app-server (codex app-server --listen ws://...)?"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError(
            f"TLS certificate verification failed for {url}: {exc.verify_message or exc}; "
            "pass ssl_context= with the CA that signed the server's certificate"
        )
    if isinstance(exc, ssl.SSLError):
        return TransportError(
            f"TLS handshake with {url} failed ({exc.reason or exc}): does the server speak "
            "TLS there (wss://), or plain ws://?"
        )
    if isinstance(exc, ConnectionRefusedError):
        return TransportError(f"nothing is listening at {url} (connection refused)")
    if isinstance(exc, FileNotFoundError) and endpoint.unix_path is not None:
        return TransportError(f"nothing is listening at {url} (no such socket)")
    if isinstance(exc, PermissionError) and endpoint.unix_path is not None:
        return TransportError(f"not allowed to connect to {url}: the socket's mode forbids it")
    if isinstance(exc, TimeoutError):
        return TransportError(f"no WebSocket handshake from {url} within the startup timeout")
    if isinstance(exc, OSError):
        return TransportError(f"could not connect to {url}: {exc.strerror or exc}")
    return TransportError(f"could not connect to {url}: {type(exc).__name__}: {exc}")


def close_detail(exc: BaseException | None) -> str:
    """Words for why a WebSocket ended (from a `ConnectionClosed`), or ''."""
    if exc is None:
        return ""
    rcvd = getattr(exc, "rcvd", None)
    sent = getattr(exc, "sent", None)
    frame = rcvd or sent
    if frame is None:
        return " (no close frame: the connection dropped)"
    reason = f": {frame.reason}" if getattr(frame, "reason", "") else ""
    return f" (close code {frame.code}{reason})"


def is_too_large(exc: BaseException) -> bool:
    """True when the WebSocket was closed because a message exceeded `max_size` (1009)."""
    sent = getattr(exc, "sent", None)
    return getattr(sent, "code", None) == 1009


def _wanted_auth(response: Any) -> str:
    headers = getattr(response, "headers", None)
    challenge = headers.get("WWW-Authenticate") if headers is not None else None
    if challenge:
        return f"{redact_text(str(challenge))} authentication"
    return "a bearer token (Authorization: Bearer <token>)"


_LOGGER: Any = None


def _handshake_logger() -> Any:
    """The `websockets` logger, with any Authorization header value redacted at DEBUG."""
    global _LOGGER
    if _LOGGER is None:
        import logging

        logger = logging.getLogger("codex_app_server.websocket")

        class _Redact(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                if record.args:
                    record.msg = redact_text(record.getMessage())
                    record.args = ()
                return True

        logger.addFilter(_Redact())
        _LOGGER = logger
    return _LOGGER
