"""How to build and use each SDK: `codex_app_server` (ours) and `openai_codex` (official).

Both expose the same shape (`Codex` / `AsyncCodex`, `thread_start()`, `thread.turn()` /
`thread.run()`, `handle.stream()` / `handle.interrupt()`), so one set of scenarios
(`sdk_sync`, `sdk_async`) drives both; a `Flavor` says what differs.
"""

from __future__ import annotations

import importlib
from typing import Any

from .common import answer_text


class Flavor:
    """How to build and use one SDK: its package and the name of its config class."""

    name = ""
    package = ""
    config_class = ""

    def __init__(self, launch: dict[str, Any]) -> None:
        self.launch = launch

    def _get(self, name: str) -> Any:
        return getattr(importlib.import_module(self.package), name)

    def load(self) -> None:
        """Import what a program imports before it runs a turn (timed by first_turn_*)."""
        for name in ("AsyncCodex", "Codex", self.config_class):
            self._get(name)

    def typed(self, result: Any) -> None:
        """Touch the typed parts of a run result, as a program reading it would."""

    def config(self) -> Any:
        launch = self.launch
        return self._get(self.config_class)(
            codex_bin=launch["codex_bin"], cwd=launch["cwd"], env=launch["env"]
        )

    def sync_codex(self) -> Any:
        return self._get("Codex")(self.config())

    async def async_codex(self) -> Any:
        codex = self._get("AsyncCodex")(self.config())
        await codex.__aenter__()
        return codex

    def thread_kwargs(self) -> dict[str, Any]:
        return {}


class Ours(Flavor):
    name = "ours"
    package = "codex_app_server"
    config_class = "AppServerConfig"

    def typed(self, result: Any) -> None:
        assert result.turn is not None and result.turn.status.value == "completed"
        assert all(item.type for item in result.items)


class Official(Flavor):
    name = "official"
    package = "openai_codex"
    config_class = "CodexConfig"

    def typed(self, result: Any) -> None:
        for name in ("items", "usage"):
            getattr(result, name, None)

    def thread_kwargs(self) -> dict[str, Any]:
        # Same effective policy as the scripted CODEX_HOME (approval_policy = "never").
        return {"approval_mode": self._get("ApprovalMode").deny_all}


FLAVORS: dict[str, type[Flavor]] = {"ours": Ours, "official": Official}


def check_final(result: Any, deltas: int) -> None:
    """The run's final response is the text the scripted model streamed."""
    if result.final_response != answer_text(deltas):
        raise AssertionError(f"unexpected final response {result.final_response!r:.80}")
