"""The synchronous high-level API: `Codex`, `Thread`, `TurnHandle`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ._api_params import fork_params, parse_structured, turn_start_params, wire_params
from ._client import AppServerClient
from ._config import AppServerConfig
from ._errors import CodexError
from ._inputs import Input, input_to_wire
from ._models import validate_as
from ._notifications import Notification
from ._run_result import RunResult, TurnCollector
from ._transport import SyncTransport

if TYPE_CHECKING:
    from .generated.v2_all import (
        InitializeResponse,
        ModelListResponse,
        ThreadArchiveResponse,
        ThreadCompactStartResponse,
        ThreadListResponse,
        ThreadReadResponse,
        ThreadSetNameResponse,
        Turn,
        TurnInterruptResponse,
        TurnSteerResponse,
    )


class Codex:
    """A Codex app-server, started on construction. Use it as a context manager.

    >>> with Codex() as codex:
    ...     thread = codex.thread_start(model="gpt-5.5")
    ...     print(thread.run("Say hello in one sentence.").final_response)
    """

    def __init__(
        self,
        config: AppServerConfig | None = None,
        *,
        transport: SyncTransport | None = None,
    ) -> None:
        """`transport` replaces the spawned app-server (tests use `MockTransport`)."""
        self.client = AppServerClient(config, transport=transport)
        self.client.start()

    @property
    def metadata(self) -> InitializeResponse:
        """What the server said at `initialize` (user agent, platform, CODEX_HOME)."""
        return self.client.metadata

    def close(self) -> None:
        """Stop the app-server (idempotent)."""
        self.client.close()

    def __enter__(self) -> Codex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def thread_start(
        self,
        *,
        approval_policy: Any = None,
        base_instructions: str | None = None,
        config: dict[str, Any] | None = None,
        cwd: str | None = None,
        developer_instructions: str | None = None,
        ephemeral: bool | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        personality: Any = None,
        sandbox: Any = None,
    ) -> Thread:
        """Start a new thread."""
        params = wire_params(
            approval_policy=approval_policy,
            base_instructions=base_instructions,
            config=config,
            cwd=cwd,
            developer_instructions=developer_instructions,
            ephemeral=ephemeral,
            model=model,
            model_provider=model_provider,
            personality=personality,
            sandbox=sandbox,
        )
        return self._thread(self.client.request("thread/start", params))

    def thread_list(
        self,
        *,
        archived: bool | None = None,
        cursor: str | None = None,
        cwd: str | None = None,
        limit: int | None = None,
        model_providers: list[str] | None = None,
        sort_key: Any = None,
        source_kinds: list[Any] | None = None,
    ) -> ThreadListResponse:
        """One page of stored threads."""
        params = wire_params(
            archived=archived,
            cursor=cursor,
            cwd=cwd,
            limit=limit,
            model_providers=model_providers,
            sort_key=sort_key,
            source_kinds=source_kinds,
        )
        return validate_as("ThreadListResponse", self.client.request("thread/list", params))  # type: ignore[no-any-return]

    def thread_resume(
        self,
        thread_id: str,
        *,
        approval_policy: Any = None,
        base_instructions: str | None = None,
        config: dict[str, Any] | None = None,
        cwd: str | None = None,
        developer_instructions: str | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        personality: Any = None,
        sandbox: Any = None,
    ) -> Thread:
        """Resume a stored thread (also in a fresh process: history is read from CODEX_HOME)."""
        params = wire_params(
            thread_id=thread_id,
            approval_policy=approval_policy,
            base_instructions=base_instructions,
            config=config,
            cwd=cwd,
            developer_instructions=developer_instructions,
            model=model,
            model_provider=model_provider,
            personality=personality,
            sandbox=sandbox,
        )
        return self._thread(self.client.request("thread/resume", params))

    def thread_fork(
        self,
        thread_id: str,
        *,
        approval_policy: Any = None,
        base_instructions: str | None = None,
        config: dict[str, Any] | None = None,
        cwd: str | None = None,
        developer_instructions: str | None = None,
        ephemeral: bool | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        sandbox: Any = None,
    ) -> Thread:
        """Fork a thread into a new one with the same history."""
        params = fork_params(
            thread_id,
            approval_policy=approval_policy,
            base_instructions=base_instructions,
            config=config,
            cwd=cwd,
            developer_instructions=developer_instructions,
            ephemeral=ephemeral,
            model=model,
            model_provider=model_provider,
            sandbox=sandbox,
        )
        return self._thread(self.client.request("thread/fork", params))

    def thread_archive(self, thread_id: str) -> ThreadArchiveResponse:
        """Archive a thread."""
        result = self.client.request("thread/archive", {"threadId": thread_id})
        return validate_as("ThreadArchiveResponse", result)  # type: ignore[no-any-return]

    def thread_unarchive(self, thread_id: str) -> Thread:
        """Unarchive a thread."""
        return self._thread(self.client.request("thread/unarchive", {"threadId": thread_id}))

    def models(self, *, include_hidden: bool = False) -> ModelListResponse:
        """The models the runtime offers."""
        result = self.client.request("model/list", {"includeHidden": include_hidden})
        return validate_as("ModelListResponse", result)  # type: ignore[no-any-return]

    def _thread(self, result: Any) -> Thread:
        return Thread(self.client, result["thread"]["id"], result)


class Thread:
    """A conversation. `run()` for the common case, `turn()` for control."""

    def __init__(self, client: AppServerClient, thread_id: str, info: Any = None) -> None:
        self.client = client
        self.id = thread_id
        self._info = info

    def __repr__(self) -> str:
        return f"Thread(id={self.id!r})"

    def turn(
        self,
        input: Input,
        *,
        approval_policy: Any = None,
        approvals_reviewer: Any = None,
        cwd: str | None = None,
        effort: Any = None,
        model: str | None = None,
        output_schema: Any = None,
        personality: Any = None,
        sandbox_policy: Any = None,
        service_tier: Any = None,
        summary: Any = None,
    ) -> TurnHandle:
        """Start a turn; its notifications are routed to the returned handle from the start."""
        params = turn_start_params(
            self.id,
            input,
            approval_policy=approval_policy,
            approvals_reviewer=approvals_reviewer,
            cwd=cwd,
            effort=effort,
            model=model,
            output_schema=output_schema,
            personality=personality,
            sandbox_policy=sandbox_policy,
            service_tier=service_tier,
            summary=summary,
        )
        result = self.client.request("turn/start", params)
        return TurnHandle(self.client, self.id, result["turn"]["id"])

    def run(
        self,
        input: str | Input,
        *,
        approval_policy: Any = None,
        approvals_reviewer: Any = None,
        cwd: str | None = None,
        effort: Any = None,
        model: str | None = None,
        output_schema: Any = None,
        personality: Any = None,
        sandbox_policy: Any = None,
        service_tier: Any = None,
        summary: Any = None,
    ) -> RunResult:
        """Run one turn to completion and return its `RunResult`.

        Raises `TurnFailedError` if the turn fails. Interrupted on KeyboardInterrupt.
        """
        handle = self.turn(
            input,  # type: ignore[arg-type]
            approval_policy=approval_policy,
            approvals_reviewer=approvals_reviewer,
            cwd=cwd,
            effort=effort,
            model=model,
            output_schema=output_schema,
            personality=personality,
            sandbox_policy=sandbox_policy,
            service_tier=service_tier,
            summary=summary,
        )
        try:
            handle.run()
        except KeyboardInterrupt:
            with contextlib.suppress(CodexError):
                handle.interrupt()
            raise
        result = handle.collector.result()
        result.parsed = parse_structured(output_schema, result.final_response)
        return result

    def read(self, *, include_turns: bool = False) -> ThreadReadResponse:
        """The thread's stored state (with its turns if asked)."""
        params = {"threadId": self.id, "includeTurns": include_turns}
        return validate_as("ThreadReadResponse", self.client.request("thread/read", params))  # type: ignore[no-any-return]

    def set_name(self, name: str) -> ThreadSetNameResponse:
        """Name the thread."""
        result = self.client.request("thread/name/set", {"threadId": self.id, "name": name})
        return validate_as("ThreadSetNameResponse", result)  # type: ignore[no-any-return]

    def compact(self) -> ThreadCompactStartResponse:
        """Start compacting the thread's history."""
        result = self.client.request("thread/compact/start", {"threadId": self.id})
        return validate_as("ThreadCompactStartResponse", result)  # type: ignore[no-any-return]


class TurnHandle:
    """One running turn: stream it, steer it, interrupt it, or wait for it."""

    def __init__(self, client: AppServerClient, thread_id: str, turn_id: str) -> None:
        self.client = client
        self.thread_id = thread_id
        self.id = turn_id
        self.collector = TurnCollector(turn_id)

    def __repr__(self) -> str:
        return f"TurnHandle(id={self.id!r}, thread_id={self.thread_id!r})"

    def steer(self, input: Input) -> TurnSteerResponse:
        """Add input to the running turn (the model is re-asked with it)."""
        params = {
            "threadId": self.thread_id,
            "input": input_to_wire(input),
            "expectedTurnId": self.id,
        }
        return validate_as("TurnSteerResponse", self.client.request("turn/steer", params))  # type: ignore[no-any-return]

    def interrupt(self) -> TurnInterruptResponse:
        """Ask the server to stop the turn; `turn/completed` (interrupted) follows."""
        params = {"threadId": self.thread_id, "turnId": self.id}
        return validate_as("TurnInterruptResponse", self.client.request("turn/interrupt", params))  # type: ignore[no-any-return]

    def stream(self) -> Iterator[Notification]:
        """This turn's notifications, in order, through `turn/completed`."""
        if self.collector.completed:
            return
        for note in self.client.stream_turn(self.id, thread_id=self.thread_id):
            self.collector.feed(note)
            yield note

    def run(self) -> Turn:
        """Wait for the turn to complete; the completed `Turn` (with the collected items)."""
        for _ in self.stream():
            pass
        return self.collector.turn()
