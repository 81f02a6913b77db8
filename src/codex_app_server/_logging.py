"""Logging: the wire trace and secret redaction.

Loggers used by the SDK (all children of ``codex_app_server``):

- ``codex_app_server``: warnings and errors of the clients.
- ``codex_app_server.wire``: at DEBUG, one line per JSON-RPC message in each direction
  (``send {...}`` / ``recv {...}``), with secrets redacted. Nothing is formatted unless
  the logger is enabled for DEBUG.
- ``codex_app_server.stderr``: at DEBUG, each line the app-server writes to its stderr
  (with bearer tokens and API keys redacted).

Turn it all on with ``logging.basicConfig(level=logging.DEBUG)``, or only the trace with
``logging.getLogger("codex_app_server.wire").setLevel(logging.DEBUG)`` plus a handler.
"""

from __future__ import annotations

import functools
import json
import re
import sys
import time
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import logging

#: `logging.DEBUG`, without importing `logging`.
DEBUG = 10


class _LazyLogger:
    """`logging.getLogger(name)`, resolved when it is first needed: `logging` (with
    `traceback`, `textwrap`, `string`: ~4 ms of a cold start) is not imported by the SDK
    until something logs, or the application has loaded it.

    Each method of the real logger, once resolved, is kept in this object's `__dict__`
    (the logger's bound method), so that a call costs exactly what a call on the logger
    costs. Until `logging` is loaded, `isEnabledFor`, `debug` and `info` answer without
    loading it: nothing can have set a level or a handler yet, and the default
    configuration (root at WARNING) drops DEBUG and INFO. Data attributes (`level`,
    `handlers`) are read from the logger each time.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def _bound(self, method: str) -> Any:
        import logging

        value = getattr(logging.getLogger(self.name), method)
        self.__dict__[method] = value
        return value

    def __getattr__(self, attr: str) -> Any:
        import logging

        value = getattr(logging.getLogger(self.name), attr)
        if callable(value):
            self.__dict__[attr] = value
        return value

    def isEnabledFor(self, level: int) -> bool:
        if "logging" not in sys.modules:
            return False
        return bool(self._bound("isEnabledFor")(level))

    def debug(self, msg: object, *args: Any, **kwargs: Any) -> None:
        if "logging" in sys.modules:
            self._bound("debug")(msg, *args, **kwargs)

    def info(self, msg: object, *args: Any, **kwargs: Any) -> None:
        if "logging" in sys.modules:
            self._bound("info")(msg, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<lazy logger {self.name!r}>"


def sdk_logger(name: str) -> logging.Logger:
    """The logger `name` (`logging.getLogger(name)`), loading `logging` only when it is
    needed (see `_LazyLogger`); typed as the `logging.Logger` it stands for."""
    return cast("logging.Logger", _LazyLogger(name))


wire_logger = sdk_logger("codex_app_server.wire")

#: What a redacted value is replaced with.
REDACTED = "[REDACTED]"

#: Longest trace line, in characters; the rest is cut (a 1 MB file read is not a log line).
MAX_TRACE_CHARS = 16_000

# Keys (case-insensitive, without "_" and "-") whose values are secrets, whatever their type.
_SECRET_KEYS = frozenset(
    {
        "authorization",
        "proxyauthorization",
        "cookie",
        "setcookie",
        "password",
        "passwd",
        "passphrase",
        "token",
        "apikey",
        "xapikey",
        "secret",
        "credentials",
        "credential",
        "privatekey",
        "sessionkey",
        "sessiontoken",
    }
)
# ...and keys ending with one of these (`accessToken`, `OPENAI_API_KEY`, `clientSecret`).
# Plural "tokens" (`inputTokens`, `tokenUsage`) are counts, not secrets.
_SECRET_SUFFIXES = ("token", "apikey", "secret", "password", "privatekey", "credentials")

# Secrets inside free text: "Bearer <token>", OpenAI keys, GitHub tokens, JWTs,
# and NAME=value pairs whose NAME says it holds a secret. Compiled on first use.
_TEXT_PATTERN_SOURCES: tuple[tuple[str, str], ...] = (
    (r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,}", r"\1 " + REDACTED),
    (r"\bsk-[A-Za-z0-9_-]{8,}", "sk-" + REDACTED),
    (r"\bgh[pousr]_[A-Za-z0-9]{16,}", REDACTED),
    (r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*", REDACTED),
    (
        r"(?i)\b([A-Z0-9_]*(?:API_KEY|TOKEN|SECRET|PASSWORD))(\s*[=:]\s*)"
        r"(?![\[\s])([^\s\"',;&]+)",
        r"\1\2" + REDACTED,
    ),
)


@functools.lru_cache(maxsize=1)
def _text_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p), r) for p, r in _TEXT_PATTERN_SOURCES)


def is_secret_key(key: str) -> bool:
    """True when a mapping key names a secret (`apiKey`, `accessToken`, `Authorization`...)."""
    normalized = key.lower().replace("_", "").replace("-", "")
    return normalized in _SECRET_KEYS or normalized.endswith(_SECRET_SUFFIXES)


def redact_text(text: str) -> str:
    """`text` with bearer tokens, `sk-...` keys, JWTs and `NAME_TOKEN=value` pairs redacted."""
    for pattern, replacement in _text_patterns():
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    """A copy of a JSON-like value with secrets replaced by ``"[REDACTED]"``.

    Values of secret-named keys are replaced at any depth (empty ones are kept, so a
    trace still shows that a field was empty); strings anywhere are scanned for tokens.
    """
    if isinstance(value, dict):
        return {
            key: (
                REDACTED
                if isinstance(key, str) and value_ not in (None, "") and is_secret_key(key)
                else redact(value_)
            )
            for key, value_ in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def format_message(message: Any, limit: int = MAX_TRACE_CHARS) -> str:
    """One message as compact, redacted JSON, cut to `limit` characters."""
    text = json.dumps(redact(message), ensure_ascii=False, separators=(",", ":"), default=str)
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text) - limit} more chars)"
    return text


def trace_wire(direction: str, message: Any) -> None:
    """Log one message on the wire trace. Callers check `wire_logger.isEnabledFor(DEBUG)`
    first, so that nothing is redacted or formatted when the trace is off."""
    wire_logger.debug("%s %s", direction, format_message(message))


def trace_enabled() -> bool:
    """True when the wire trace is on (the `codex_app_server.wire` logger logs DEBUG)."""
    return wire_logger.isEnabledFor(DEBUG)


def log_queue_overflow(name: str, maxsize: int, overflowed: int) -> None:
    if overflowed == 1 or overflowed % 1000 == 0:
        sdk_logger("codex_app_server").warning(
            "%s notification queue is full (%d); dropped %d oldest so far",
            name,
            maxsize,
            overflowed,
        )


#: Wire faults of one kind logged in full per window; the rest are counted.
FAULT_BURST = 10
#: Seconds of one rate-limiting window for wire faults.
FAULT_WINDOW = 10.0


class FaultLog:
    """Rate-limited WARNINGs for repeated wire faults (garbage lines, dropped messages).

    Per kind: the first `FAULT_BURST` of each `FAULT_WINDOW` seconds are logged in full;
    the others only counted, and the count is logged ("... 199,990 more suppressed") when
    the next fault of that kind arrives after the window, or at `flush()` (the client's
    close). Not thread-safe beyond the GIL: a lost count under a race is harmless.
    """

    def __init__(
        self,
        logger: logging.Logger | None = None,
        *,
        burst: int = FAULT_BURST,
        window: float = FAULT_WINDOW,
        clock: Any = None,
    ) -> None:
        self._logger = logger or sdk_logger("codex_app_server")
        self._burst = burst
        self._window = window
        self._clock = clock or time.monotonic
        # kind -> [window start, logged in this window, suppressed in this window]
        self._kinds: dict[str, list[Any]] = {}

    def warning(self, kind: str, message: str, *args: Any) -> None:
        """Log `message % args` as a WARNING unless this `kind` is over its rate."""
        now = self._clock()
        state = self._kinds.get(kind)
        if state is None:
            state = self._kinds[kind] = [now, 0, 0]
        elif now - state[0] >= self._window:
            self._report(kind, state)
            state[0], state[1], state[2] = now, 0, 0
        if state[1] < self._burst:
            state[1] += 1
            self._logger.warning(message, *args)
        else:
            state[2] += 1

    def _report(self, kind: str, state: list[Any]) -> None:
        if state[2]:
            self._logger.warning(
                "%s: %d more like this were suppressed in %.0fs",
                kind,
                state[2],
                max(self._clock() - state[0], 0.0),
            )

    def flush(self) -> None:
        """Log the counts still suppressed, and start afresh."""
        for kind, state in self._kinds.items():
            self._report(kind, state)
        self._kinds.clear()
