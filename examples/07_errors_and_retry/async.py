"""Errors and retry, asyncio: what fails, how it is reported, and what to retry.

See sync.py for the list of errors. `async_retry_on_overload` is the asyncio form of
`retry_on_overload`: it takes a function returning an awaitable.

    python examples/07_errors_and_retry/async.py                       # with your account
    python examples/_offline.py examples/07_errors_and_retry/async.py  # offline
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    CodexError,
    CodexNotFoundError,
    JsonRpcError,
    TurnFailedError,
    async_retry_on_overload,
)

if TYPE_CHECKING:
    from codex_app_server.testing import ScriptedModel


async def main(config: AppServerConfig | None = None) -> None:
    async with AsyncCodex(config) as codex:
        thread = await codex.thread_start()

        # 1. A failed turn raises TurnFailedError; the thread is still fine, so try again.
        for attempt in (1, 2):
            try:
                result = await thread.run("Write a haiku about retries.")
            except TurnFailedError as exc:
                print(f"attempt {attempt}: turn failed: {exc}")
                continue
            print(f"attempt {attempt}: {result.final_response}")
            break

        # 2. A request the app-server rejects raises a JsonRpcError subclass.
        try:
            await codex.thread_resume("00000000-0000-0000-0000-000000000000")
        except JsonRpcError as exc:
            print(f"rejected: {type(exc).__name__} (code {exc.code}): {exc.message}")

        # 3. Overload is transient: retry with backoff while the error is retryable.
        result = await async_retry_on_overload(
            lambda: thread.run("One more haiku, please."), max_attempts=4, initial_delay_s=0.5
        )
        print(f"with async_retry_on_overload: {result.final_response}")

    # 4. No runtime at the given path: CodexNotFoundError.
    missing = dataclasses.replace(config or AppServerConfig(), codex_bin="/nonexistent/codex")
    try:
        async with AsyncCodex(missing):
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
    asyncio.run(main())
