"""Quickstart, asyncio: start Codex, run one turn, print the answer.

python examples/01_quickstart/async.py                       # with your Codex account
python examples/_offline.py examples/01_quickstart/async.py  # offline, scripted model
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig, AsyncCodex

if TYPE_CHECKING:
    from codex_app_server.testing import ScriptedModel


async def main(config: AppServerConfig | None = None) -> None:
    # Entering the block starts `codex app-server` (the binary bundled with the SDK);
    # leaving it stops the app-server.
    async with AsyncCodex(config) as codex:
        print("server:", codex.metadata.user_agent)
        # thread_start(model="gpt-5.5", config={"model_reasoning_effort": "high"}) picks a
        # model and settings; without arguments your Codex config decides.
        thread = await codex.thread_start()
        result = await thread.run("Say hello in one sentence.")
        print("answer:", result.final_response)
        if result.usage is not None:
            print("tokens used:", result.usage.total.total_tokens)
        print("items:", [item.type for item in result.items])


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import Reply

    model.enqueue(Reply.text("Hello! I'm Codex, ready to help with your code.", usage=True))


if __name__ == "__main__":
    asyncio.run(main())
