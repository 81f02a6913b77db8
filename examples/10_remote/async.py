"""Remote app-servers with asyncio: two clients on one listening server, at once.

Both clients stream turns concurrently on their own connections; the server sends each
thread's notifications to the connection that loaded it.

    python examples/10_remote/async.py                       # with your account
    python examples/_offline.py examples/10_remote/async.py  # offline
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig, AsyncCodex, start_listening_server

if TYPE_CHECKING:
    from codex_app_server.testing import ScriptedModel


async def ask(client_config: AppServerConfig, prompt: str) -> str | None:
    async with AsyncCodex(client_config) as codex:
        thread = await codex.thread_start()
        return (await thread.run(prompt)).final_response


async def main(config: AppServerConfig | None = None) -> None:
    # Starting the server blocks briefly (spawn, /readyz): keep it off the event loop.
    server = await asyncio.to_thread(start_listening_server, config, listen="unix://")
    try:
        print("listening on a Unix socket (mode 0600):", server.url is not None)
        answers = await asyncio.gather(
            ask(server.client_config(), "Name a colour."),
            ask(server.client_config(), "Name a fruit."),
        )
        for answer in sorted(a or "" for a in answers):
            print("answer:", answer)
    finally:
        await asyncio.to_thread(server.close)


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import RecordedRequest, Reply

    def answer(request: RecordedRequest) -> Reply:
        word = "Blue." if "colour" in (request.last_user_text or "") else "A pear."
        return Reply.text(word, deltas=2)

    model.respond_with(answer)


if __name__ == "__main__":
    asyncio.run(main())
