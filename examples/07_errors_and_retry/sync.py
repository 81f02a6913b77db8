# Generated from async.py by scripts/unasync.py: do not edit.
"""Errors and retry: what fails, how it is reported, and what to retry.

Every SDK error is a `CodexError`. The ones met most often:

- `TurnFailedError`: `run()` on a turn that ended "failed" (the model API failed, ...).
  The thread stays usable: run the turn again.
- `JsonRpcError` and its subclasses (`InvalidRequestError`, `MethodNotFoundError`, ...):
  the app-server rejected a request; `.code` and `.message` say why.
- `ServerBusyError` (JSON-RPC -32001): the app-server is overloaded. Transient:
  `retry_on_overload` retries it with exponential backoff and jitter.
- `CodexNotFoundError`, `TransportClosedError`: no runtime, or the app-server died.

    python examples/07_errors_and_retry/sync.py                       # with your account
    python examples/_offline.py examples/07_errors_and_retry/sync.py  # offline
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from codex_app_server import (
    AppServerConfig,
    Codex,
    CodexError,
    CodexNotFoundError,
    JsonRpcError,
    ServerBusyError,
    TurnFailedError,
    is_retryable_error,
    retry_on_overload,
)

if TYPE_CHECKING:
    from codex_app_server.testing import ScriptedModel


def main(config: AppServerConfig | None = None) -> None:
    with Codex(config) as codex:
        thread = codex.thread_start()

        # 1. A failed turn raises TurnFailedError; the thread is still fine, so try again.
        for attempt in (1, 2):
            try:
                result = thread.run("Write a haiku about retries.")
            except TurnFailedError as exc:
                print(f"attempt {attempt}: turn failed: {exc}")
                continue
            print(f"attempt {attempt}: {result.final_response}")
            break

        # 2. A request the app-server rejects raises a JsonRpcError subclass.
        try:
            codex.thread_resume("00000000-0000-0000-0000-000000000000")
        except JsonRpcError as exc:
            print(f"rejected: {type(exc).__name__} (code {exc.code}): {exc.message}")

        # 3. Overload is transient: retry_on_overload calls again, with backoff, while
        #    the error is retryable (ServerBusyError), up to max_attempts calls in all.
        result = retry_on_overload(
            lambda: thread.run("One more haiku, please."), max_attempts=4, initial_delay_s=0.5
        )
        print(f"with retry_on_overload: {result.final_response}")
        busy = ServerBusyError(-32001, "Server overloaded; retry later.")
        print(
            f"retryable? ServerBusyError: {is_retryable_error(busy)}, "
            f"TurnFailedError: {is_retryable_error(TurnFailedError('t', 'x'))}"
        )

    # 4. No runtime at the given path: CodexNotFoundError, when the client starts.
    missing = dataclasses.replace(config or AppServerConfig(), codex_bin="/nonexistent/codex")
    try:
        with Codex(missing):
            pass
    except CodexNotFoundError as exc:
        print(f"no runtime: {type(exc).__name__}")
    except CodexError as exc:  # every SDK error is a CodexError
        print(f"other SDK error: {exc}")


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline: a failure, then two answers."""
    from codex_app_server.testing import Reply

    model.enqueue(
        Reply.error(503, "Service unavailable"),
        Reply.text(
            "Failed once, then fine: / the second try went through / patience, and backoff."
        ),
        Reply.text("Busy server, calm code: / wait a little, ask again / the answer arrives."),
    )


if __name__ == "__main__":
    main()
