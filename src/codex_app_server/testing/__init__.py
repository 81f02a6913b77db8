"""Test Codex-driven code offline: a scripted stand-in for the model API.

`ScriptedModel` is a local HTTP server that speaks the OpenAI Responses API from a script
of `Reply` objects. `ScriptedModel.config()` writes an offline `CODEX_HOME` pointing the
real Codex app-server at it, so whole turns (streaming, tool calls, errors, interrupts) run
with no network and no account::

    from codex_app_server import Codex
    from codex_app_server.testing import Reply, ScriptedModel

    def test_reply(tmp_path):
        with ScriptedModel() as model:
            model.enqueue(
                Reply.shell("echo hi", call_id="c1"),   # the model runs a command...
                Reply.text("It printed hi.", deltas=3),  # ...then answers
            )
            with Codex(config=model.config(tmp_path)) as codex:
                thread = codex.thread_start()
                result = thread.run("What does echo hi print?")
            assert result.final_response == "It printed hi."
            second = model.requests[1]
            assert second.function_call_outputs[0]["call_id"] == "c1"
            assert "hi" in second.function_call_outputs[0]["output"]

With pytest, the `scripted_model` and `codex_config` fixtures (from
`codex_app_server.testing.pytest_plugin`, loaded automatically) do the set-up.

Replies: `Reply.text` (streamed deltas, optional delay, reasoning and usage),
`Reply.function_call` / `Reply.shell` / `Reply.custom_tool_call`, `Reply.error` (an HTTP
status), `Reply.hang` (until `ScriptedModel.release()`), and `Reply.raw` (exact SSE frames).
When no reply is scripted, the request is answered with an error that the turn's error
message carries ("scripted model: no reply queued for request #3 ...") and counted in
`ScriptedModel.unexpected_requests`, so a test fails instead of hanging.

For fast unit tests with no process at all, `MockTransport` / `AsyncMockTransport` let a
Python function play the app-server: `Codex(transport=MockTransport(handler))`.

Stdlib only; importing this module does not load the rest of the SDK.
"""

from typing import TYPE_CHECKING, Any

from .._lazy import load
from ._offline_home import (
    DEFAULT_MODEL,
    MOCK_API_KEY_ENV,
    offline_env,
    offline_settings,
    write_offline_codex_home,
)
from ._replies import Reply, Usage
from ._requests import RecordedRequest, Responder
from ._scripted_model import ScriptedModel
from ._sse import sse_frame

if TYPE_CHECKING:  # typed for checkers; loaded lazily at run time (see __getattr__)
    from .._transport.mock import (
        MOCK_INITIALIZE_RESULT,
        AsyncMockTransport,
        MockPeer,
        MockTransport,
        answer_initialize,
    )

__all__ = [
    "MOCK_INITIALIZE_RESULT",
    "AsyncMockTransport",
    "MockPeer",
    "MockTransport",
    "answer_initialize",
    "DEFAULT_MODEL",
    "MOCK_API_KEY_ENV",
    "RecordedRequest",
    "Reply",
    "Responder",
    "ScriptedModel",
    "Usage",
    "offline_env",
    "offline_settings",
    "sse_frame",
    "write_offline_codex_home",
]


_MOCK_NAMES = frozenset(
    {
        "AsyncMockTransport",
        "MockTransport",
        "MockPeer",
        "answer_initialize",
        "MOCK_INITIALIZE_RESULT",
    }
)


def __getattr__(name: str) -> Any:
    # The mock transports load lazily: they pull in the SDK's error and wire modules.
    module = "codex_app_server._transport.mock" if name in _MOCK_NAMES else None
    return load(__name__, globals(), name, module, name)
