"""The app-server and scripted model the protocol-helper tests share."""

from __future__ import annotations

from pathlib import Path

from codex_app_server import AppServerConfig, AsyncCodex, AsyncThread
from codex_app_server.testing import Reply, ScriptedModel


class Env:
    def __init__(
        self, codex: AsyncCodex, model: ScriptedModel, base: Path, config: AppServerConfig
    ) -> None:
        self.codex = codex
        self.model = model
        self.base = base
        self.config = config

    async def thread_with_turns(self, *texts: str) -> AsyncThread:
        thread = await self.codex.thread_start()
        for text in texts:
            self.model.enqueue(Reply.text(f"answer to {text}"))
            await thread.run(text)
        return thread
