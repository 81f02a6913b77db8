"""Drive OpenAI Codex agents from Python through the Codex app-server.

>>> from codex_app_server import Codex
>>> with Codex() as codex:
...     thread = codex.thread_start(model="gpt-5.5")
...     print(thread.run("Say hello in one sentence.").final_response)

Names are loaded on first use, so `import codex_app_server` stays cheap; the generated
protocol models (`codex_app_server.generated.v2_all`) load only when something is typed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._account import AsyncLoginHandle, LoginError, LoginHandle, LoginTimeoutError
    from ._async_client import AsyncAppServerClient
    from ._async_codex import AsyncCodex, AsyncThread, AsyncTurnHandle
    from ._client import AppServerClient
    from ._codex import Codex, Thread, TurnHandle
    from ._commands import AsyncCommandProcess, CommandOutput, CommandProcess
    from ._config import AppServerConfig
    from ._errors import (
        ClientClosedError,
        CodexError,
        CodexNotFoundError,
        InternalRpcError,
        InvalidParamsError,
        InvalidRequestError,
        JsonRpcError,
        MessageTooLargeError,
        MethodNotFoundError,
        ParseError,
        RequestTimeoutError,
        ServerBusyError,
        TransportClosedError,
        TransportError,
        TurnFailedError,
        TurnTimeoutError,
        is_retryable_error,
    )
    from ._errors import CodexError as AppServerError
    from ._fs import AsyncFsWatch, FsWatch
    from ._handlers import Decision, ServerRequestHandlers, approve_all
    from ._inputs import (
        ImageInput,
        Input,
        InputItem,
        LocalImageInput,
        MentionInput,
        SkillInput,
        TextInput,
    )
    from ._notifications import Notification, ServerRequest, UnknownNotification
    from ._retry import async_retry_on_overload, retry_on_overload
    from ._run_result import RunResult
    from ._structured_output import StructuredOutputError
    from ._tools import Tool, tool
    from .generated.v2_all import InitializeResponse, TurnStatus

_EXPORTS: dict[str, str] = {
    "AppServerClient": "._client",
    "AsyncAppServerClient": "._async_client",
    "Codex": "._codex",
    "Thread": "._codex",
    "TurnHandle": "._codex",
    "AsyncCodex": "._async_codex",
    "AsyncThread": "._async_codex",
    "AsyncTurnHandle": "._async_codex",
    "AppServerConfig": "._config",
    "RunResult": "._run_result",
    "Notification": "._notifications",
    "ServerRequest": "._notifications",
    "UnknownNotification": "._notifications",
    "Input": "._inputs",
    "InputItem": "._inputs",
    "TextInput": "._inputs",
    "ImageInput": "._inputs",
    "LocalImageInput": "._inputs",
    "SkillInput": "._inputs",
    "MentionInput": "._inputs",
    "retry_on_overload": "._retry",
    "async_retry_on_overload": "._retry",
    "CodexError": "._errors",
    "CodexNotFoundError": "._errors",
    "ClientClosedError": "._errors",
    "TransportError": "._errors",
    "TransportClosedError": "._errors",
    "MessageTooLargeError": "._errors",
    "RequestTimeoutError": "._errors",
    "TurnTimeoutError": "._errors",
    "TurnFailedError": "._errors",
    "JsonRpcError": "._errors",
    "ParseError": "._errors",
    "InvalidRequestError": "._errors",
    "MethodNotFoundError": "._errors",
    "InvalidParamsError": "._errors",
    "InternalRpcError": "._errors",
    "ServerBusyError": "._errors",
    "is_retryable_error": "._errors",
    "InitializeResponse": ".generated.v2_all",
    "ServerRequestHandlers": "._handlers",
    "Decision": "._handlers",
    "approve_all": "._handlers",
    "Tool": "._tools",
    "tool": "._tools",
    "StructuredOutputError": "._structured_output",
    "LoginHandle": "._account",
    "AsyncLoginHandle": "._account",
    "LoginError": "._account",
    "LoginTimeoutError": "._account",
    "CommandProcess": "._commands",
    "AsyncCommandProcess": "._commands",
    "CommandOutput": "._commands",
    "FsWatch": "._fs",
    "AsyncFsWatch": "._fs",
    "TurnStatus": ".generated.v2_all",
}
_ALIASES = {"AppServerError": ("._errors", "CodexError")}

__all__ = [
    "AppServerClient",
    "AppServerConfig",
    "AppServerError",
    "AsyncAppServerClient",
    "AsyncCodex",
    "AsyncCommandProcess",
    "AsyncFsWatch",
    "AsyncLoginHandle",
    "AsyncThread",
    "AsyncTurnHandle",
    "ClientClosedError",
    "Codex",
    "CodexError",
    "CodexNotFoundError",
    "CommandOutput",
    "CommandProcess",
    "Decision",
    "FsWatch",
    "ImageInput",
    "InitializeResponse",
    "Input",
    "InputItem",
    "InternalRpcError",
    "InvalidParamsError",
    "InvalidRequestError",
    "JsonRpcError",
    "LocalImageInput",
    "LoginError",
    "LoginHandle",
    "LoginTimeoutError",
    "MentionInput",
    "MessageTooLargeError",
    "MethodNotFoundError",
    "Notification",
    "ParseError",
    "RequestTimeoutError",
    "RunResult",
    "ServerBusyError",
    "ServerRequest",
    "ServerRequestHandlers",
    "SkillInput",
    "StructuredOutputError",
    "TextInput",
    "Thread",
    "Tool",
    "TransportClosedError",
    "TransportError",
    "TurnFailedError",
    "TurnHandle",
    "TurnStatus",
    "TurnTimeoutError",
    "UnknownNotification",
    "__version__",
    "approve_all",
    "async_retry_on_overload",
    "is_retryable_error",
    "retry_on_overload",
    "tool",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attr = _EXPORTS[name], name
    elif name in _ALIASES:
        module, attr = _ALIASES[name]
    else:
        raise AttributeError(f"module 'codex_app_server' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
