"""Drive OpenAI Codex agents from Python through the Codex app-server.

>>> from codex_app_server import Codex
>>> with Codex() as codex:
...     thread = codex.thread_start(model="gpt-5.5")
...     print(thread.run("Say hello in one sentence.").final_response)

Names are loaded on first use, so `import codex_app_server` stays cheap; the generated
protocol models (`codex_app_server.generated.v2_all`) load only when something is typed,
and any of them can also be imported from the root (`from codex_app_server import ThreadItem`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _lazy
from ._version import __version__

if TYPE_CHECKING:
    from ._async.account import AsyncLoginHandle
    from ._async.client import AsyncAppServerClient
    from ._async.codex import AsyncCodex
    from ._async.command_process import AsyncCommandProcess
    from ._async.fs import AsyncFsWatch
    from ._async.retry import async_retry_on_overload
    from ._async.thread import AsyncThread
    from ._async.turn import AsyncTurnHandle
    from ._config import AppServerConfig
    from ._protocol.commands import CommandOutput
    from ._protocol.errors import (
        AppServerRpcError,
        AuthenticationError,
        ClientClosedError,
        ClientNotStartedError,
        CodexError,
        CodexNotFoundError,
        ConnectionLostError,
        InternalRpcError,
        InvalidMetadataError,
        InvalidParamsError,
        InvalidRequestError,
        JsonRpcError,
        LoginError,
        LoginTimeoutError,
        MessageTooLargeError,
        MethodNotFoundError,
        NotLoggedInError,
        ParseError,
        PoolError,
        RequestTimeoutError,
        RetryLimitExceededError,
        RunLimitExceeded,
        ServerBusyError,
        ServerLostError,
        StructuredOutputError,
        TransportClosedError,
        TransportError,
        TurnFailedError,
        TurnTimeoutError,
        is_retryable_error,
    )
    from ._protocol.errors import CodexError as AppServerError
    from ._protocol.events import (
        CommandOutputDelta,
        ErrorReported,
        Event,
        ItemCompleted,
        ItemStarted,
        RawEvent,
        ReasoningDelta,
        Reconnected,
        TextDelta,
        TokenUsage,
        TurnCompleted,
        TurnStarted,
    )
    from ._protocol.handlers import Decision, ServerRequestHandlers, approve_all
    from ._protocol.hooks import (
        HookDecision,
        Hooks,
        PromptContext,
        ToolResult,
        ToolUse,
        TurnEnd,
        allow,
        ask,
        deny,
    )
    from ._protocol.inputs import (
        ExternalMessage,
        ImageInput,
        Input,
        InputItem,
        LocalImageInput,
        MentionInput,
        RunInput,
        SkillInput,
        TextInput,
    )
    from ._protocol.limits import RunLimits
    from ._protocol.metadata_models import InitializeResponse, ServerInfo
    from ._protocol.notifications import (
        ConnectionGap,
        ConnectionResumed,
        Notification,
        ServerRequest,
        UnknownNotification,
    )
    from ._protocol.presets import ApprovalMode, Sandbox
    from ._protocol.run_result import RunResult
    from ._protocol.tools import Tool, tool
    from ._scale.pool import AsyncCodexPool, AsyncPoolThread
    from ._scale.server import PoolServer
    from ._scale.sync_pool import CodexPool, PoolThread
    from ._sync.account import LoginHandle
    from ._sync.client import AppServerClient
    from ._sync.codex import Codex
    from ._sync.command_process import CommandProcess
    from ._sync.fs import FsWatch
    from ._sync.retry import retry_on_overload
    from ._sync.thread import Thread
    from ._sync.turn import TurnHandle
    from ._transport.listen import AppServerProcess, start_listening_server
    from .generated.v2_all import TurnStatus

_EXPORTS: dict[str, str] = {
    "CommandOutputDelta": "._protocol.events",
    "ErrorReported": "._protocol.events",
    "Event": "._protocol.events",
    "ItemCompleted": "._protocol.events",
    "ItemStarted": "._protocol.events",
    "RawEvent": "._protocol.events",
    "ReasoningDelta": "._protocol.events",
    "Reconnected": "._protocol.events",
    "TextDelta": "._protocol.events",
    "TokenUsage": "._protocol.events",
    "TurnCompleted": "._protocol.events",
    "TurnStarted": "._protocol.events",
    "Hooks": "._protocol.hooks",
    "HookDecision": "._protocol.hooks",
    "ToolUse": "._protocol.hooks",
    "ToolResult": "._protocol.hooks",
    "PromptContext": "._protocol.hooks",
    "TurnEnd": "._protocol.hooks",
    "allow": "._protocol.hooks",
    "deny": "._protocol.hooks",
    "ask": "._protocol.hooks",
    "RunLimits": "._protocol.limits",
    "RunLimitExceeded": "._protocol.errors",
    "AppServerClient": "._sync.client",
    "AsyncAppServerClient": "._async.client",
    "Codex": "._sync.codex",
    "Thread": "._sync.thread",
    "TurnHandle": "._sync.turn",
    "AsyncCodex": "._async.codex",
    "AsyncThread": "._async.thread",
    "AsyncTurnHandle": "._async.turn",
    "AppServerConfig": "._config",
    "RunResult": "._protocol.run_result",
    "Notification": "._protocol.notifications",
    "ConnectionGap": "._protocol.notifications",
    "ConnectionResumed": "._protocol.notifications",
    "ServerRequest": "._protocol.notifications",
    "UnknownNotification": "._protocol.notifications",
    "Input": "._protocol.inputs",
    "InputItem": "._protocol.inputs",
    "TextInput": "._protocol.inputs",
    "ImageInput": "._protocol.inputs",
    "LocalImageInput": "._protocol.inputs",
    "SkillInput": "._protocol.inputs",
    "MentionInput": "._protocol.inputs",
    "retry_on_overload": "._sync.retry",
    "async_retry_on_overload": "._async.retry",
    "CodexError": "._protocol.errors",
    "CodexNotFoundError": "._protocol.errors",
    "ClientClosedError": "._protocol.errors",
    "ClientNotStartedError": "._protocol.errors",
    "TransportError": "._protocol.errors",
    "AuthenticationError": "._protocol.errors",
    "ConnectionLostError": "._protocol.errors",
    "AppServerProcess": "._transport.listen",
    "start_listening_server": "._transport.listen",
    "TransportClosedError": "._protocol.errors",
    "MessageTooLargeError": "._protocol.errors",
    "RequestTimeoutError": "._protocol.errors",
    "TurnTimeoutError": "._protocol.errors",
    "TurnFailedError": "._protocol.errors",
    "JsonRpcError": "._protocol.errors",
    "ParseError": "._protocol.errors",
    "InvalidRequestError": "._protocol.errors",
    "MethodNotFoundError": "._protocol.errors",
    "InvalidParamsError": "._protocol.errors",
    "InternalRpcError": "._protocol.errors",
    "ServerBusyError": "._protocol.errors",
    "is_retryable_error": "._protocol.errors",
    "InitializeResponse": "._protocol.metadata_models",
    "ServerInfo": "._protocol.metadata_models",
    "InvalidMetadataError": "._protocol.errors",
    "NotLoggedInError": "._protocol.errors",
    "RetryLimitExceededError": "._protocol.errors",
    "AppServerRpcError": "._protocol.errors",
    "ServerRequestHandlers": "._protocol.handlers",
    "Decision": "._protocol.handlers",
    "approve_all": "._protocol.handlers",
    "Tool": "._protocol.tools",
    "tool": "._protocol.tools",
    "StructuredOutputError": "._protocol.errors",
    "LoginHandle": "._sync.account",
    "AsyncLoginHandle": "._async.account",
    "LoginError": "._protocol.errors",
    "LoginTimeoutError": "._protocol.errors",
    "CommandProcess": "._sync.command_process",
    "AsyncCommandProcess": "._async.command_process",
    "CommandOutput": "._protocol.commands",
    "FsWatch": "._sync.fs",
    "AsyncFsWatch": "._async.fs",
    "TurnStatus": ".generated.v2_all",
    "ExternalMessage": "._protocol.inputs",
    "RunInput": "._protocol.inputs",
    "ApprovalMode": "._protocol.presets",
    "Sandbox": "._protocol.presets",
    "CodexPool": "._scale.sync_pool",
    "PoolThread": "._scale.sync_pool",
    "AsyncCodexPool": "._scale.pool",
    "AsyncPoolThread": "._scale.pool",
    "ServerLostError": "._protocol.errors",
    "PoolError": "._protocol.errors",
    "PoolServer": "._scale.server",
}
_ALIASES = {"AppServerError": ("._protocol.errors", "CodexError")}

__all__ = [
    "AppServerClient",
    "AppServerConfig",
    "AppServerError",
    "AppServerProcess",
    "AppServerRpcError",
    "ApprovalMode",
    "AsyncAppServerClient",
    "AsyncCodex",
    "AsyncCodexPool",
    "AsyncCommandProcess",
    "AsyncFsWatch",
    "AsyncLoginHandle",
    "AsyncPoolThread",
    "AsyncThread",
    "AsyncTurnHandle",
    "AuthenticationError",
    "ClientClosedError",
    "ClientNotStartedError",
    "Codex",
    "CodexError",
    "CodexNotFoundError",
    "CodexPool",
    "CommandOutput",
    "CommandOutputDelta",
    "CommandProcess",
    "ConnectionGap",
    "ConnectionLostError",
    "ConnectionResumed",
    "Decision",
    "ErrorReported",
    "Event",
    "ExternalMessage",
    "FsWatch",
    "HookDecision",
    "Hooks",
    "ImageInput",
    "InitializeResponse",
    "Input",
    "InputItem",
    "InternalRpcError",
    "InvalidMetadataError",
    "InvalidParamsError",
    "InvalidRequestError",
    "ItemCompleted",
    "ItemStarted",
    "JsonRpcError",
    "LocalImageInput",
    "LoginError",
    "LoginHandle",
    "LoginTimeoutError",
    "MentionInput",
    "MessageTooLargeError",
    "MethodNotFoundError",
    "NotLoggedInError",
    "Notification",
    "ParseError",
    "PoolError",
    "PoolServer",
    "PoolThread",
    "PromptContext",
    "RawEvent",
    "ReasoningDelta",
    "Reconnected",
    "RequestTimeoutError",
    "RetryLimitExceededError",
    "RunInput",
    "RunLimitExceeded",
    "RunLimits",
    "RunResult",
    "Sandbox",
    "ServerBusyError",
    "ServerInfo",
    "ServerLostError",
    "ServerRequest",
    "ServerRequestHandlers",
    "SkillInput",
    "StructuredOutputError",
    "TextDelta",
    "TextInput",
    "Thread",
    "TokenUsage",
    "Tool",
    "ToolResult",
    "ToolUse",
    "TransportClosedError",
    "TransportError",
    "TurnCompleted",
    "TurnEnd",
    "TurnFailedError",
    "TurnHandle",
    "TurnStarted",
    "TurnStatus",
    "TurnTimeoutError",
    "UnknownNotification",
    "allow",
    "approve_all",
    "ask",
    "async_retry_on_overload",
    "deny",
    "is_retryable_error",
    "retry_on_overload",
    "start_listening_server",
    "tool",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module: str | None
    if name in _EXPORTS:
        module, attr = _EXPORTS[name], name
    elif name in _ALIASES:
        module, attr = _ALIASES[name]
    elif name[:1].isupper():
        # The generated protocol models, as the seed package re-exported them at its root
        # (`from codex_app_server import ThreadItem`); not in `__all__`, loaded on demand.
        module, attr = ".generated.v2_all", name
    else:
        module, attr = None, name
    return _lazy.load(__name__, globals(), name, module, attr)


def __dir__() -> list[str]:
    return __all__
