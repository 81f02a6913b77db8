"""The asyncio high-level API: `AsyncCodex`, `AsyncThread`, `AsyncTurnHandle`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from ._api_params import fork_params, parse_structured, turn_start_params, wire_params
from ._async_client import AsyncAppServerClient
from ._config import AppServerConfig
from ._errors import CodexError
from ._inputs import Input, input_to_wire
from ._models import validate_as
from ._notifications import Notification
from ._run_result import RunResult, TurnCollector
from ._transport import AsyncTransport

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


class AsyncCodex:
    """A Codex app-server for asyncio code. Starts lazily; `async with` pairs start and close.

    >>> async with AsyncCodex() as codex:
    ...     thread = await codex.thread_start(model="gpt-5.5")
    ...     print((await thread.run("Say hello.")).final_response)
    """

    def __init__(
        self,
        config: AppServerConfig | None = None,
        *,
        transport: AsyncTransport | None = None,
    ) -> None:
        """`transport` replaces the spawned app-server (tests use `MockTransport`)."""
        self.client = AsyncAppServerClient(config, transport=transport)

    async def start(self) -> AsyncCodex:
        """Start the app-server now (otherwise the first call does)."""
        await self.client.start()
        return self

    @property
    def metadata(self) -> InitializeResponse:
        """What the server said at `initialize`; available once started."""
        return self.client.metadata

    async def close(self) -> None:
        """Stop the app-server (idempotent, cancellation-safe)."""
        await self.client.close()

    async def __aenter__(self) -> AsyncCodex:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _request(self, method: str, params: Any) -> Any:
        if self.client.initialize_result is None:
            await self.client.start()
        return await self.client.request(method, params)

    async def thread_start(
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
    ) -> AsyncThread:
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
        return self._thread(await self._request("thread/start", params))

    async def thread_list(
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
        return validate_as("ThreadListResponse", await self._request("thread/list", params))  # type: ignore[no-any-return]

    async def thread_resume(
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
    ) -> AsyncThread:
        """Resume a stored thread."""
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
        return self._thread(await self._request("thread/resume", params))

    async def thread_fork(
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
    ) -> AsyncThread:
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
        return self._thread(await self._request("thread/fork", params))

    async def thread_archive(self, thread_id: str) -> ThreadArchiveResponse:
        """Archive a thread."""
        result = await self._request("thread/archive", {"threadId": thread_id})
        return validate_as("ThreadArchiveResponse", result)  # type: ignore[no-any-return]

    async def thread_unarchive(self, thread_id: str) -> AsyncThread:
        """Unarchive a thread."""
        return self._thread(await self._request("thread/unarchive", {"threadId": thread_id}))

    async def models(self, *, include_hidden: bool = False) -> ModelListResponse:
        """The models the runtime offers."""
        result = await self._request("model/list", {"includeHidden": include_hidden})
        return validate_as("ModelListResponse", result)  # type: ignore[no-any-return]

    def _thread(self, result: Any) -> AsyncThread:
        return AsyncThread(self.client, result["thread"]["id"], result)


class AsyncThread:
    """A conversation, for asyncio code."""

    def __init__(self, client: AsyncAppServerClient, thread_id: str, info: Any = None) -> None:
        self.client = client
        self.id = thread_id
        self._info = info

    def __repr__(self) -> str:
        return f"AsyncThread(id={self.id!r})"

    async def turn(
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
    ) -> AsyncTurnHandle:
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
        result = await self.client.request("turn/start", params)
        return AsyncTurnHandle(self.client, self.id, result["turn"]["id"])

    async def run(
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
        interrupt_on_cancel: bool = True,
    ) -> RunResult:
        """Run one turn to completion and return its `RunResult`.

        Raises `TurnFailedError` if the turn fails. If the awaiting task is cancelled, the
        turn is interrupted on the server too (unless `interrupt_on_cancel=False`).
        """
        # The start runs as its own task so that a cancellation landing while `turn/start` is
        # in flight can still learn the turn id and interrupt it.
        start = asyncio.ensure_future(
            self.turn(
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
        )
        try:
            handle = await asyncio.shield(start)
        except asyncio.CancelledError:
            if interrupt_on_cancel:
                await _interrupt_when_started(start)
            else:
                start.cancel()
            raise
        try:
            await handle.run()
        except asyncio.CancelledError:
            if interrupt_on_cancel:
                await _interrupt_shielded(handle)
            raise
        result = handle.collector.result()
        result.parsed = parse_structured(output_schema, result.final_response)
        return result

    async def read(self, *, include_turns: bool = False) -> ThreadReadResponse:
        """The thread's stored state (with its turns if asked)."""
        params = {"threadId": self.id, "includeTurns": include_turns}
        return validate_as("ThreadReadResponse", await self.client.request("thread/read", params))  # type: ignore[no-any-return]

    async def set_name(self, name: str) -> ThreadSetNameResponse:
        """Name the thread."""
        result = await self.client.request("thread/name/set", {"threadId": self.id, "name": name})
        return validate_as("ThreadSetNameResponse", result)  # type: ignore[no-any-return]

    async def compact(self) -> ThreadCompactStartResponse:
        """Start compacting the thread's history."""
        result = await self.client.request("thread/compact/start", {"threadId": self.id})
        return validate_as("ThreadCompactStartResponse", result)  # type: ignore[no-any-return]


class AsyncTurnHandle:
    """One running turn, for asyncio code."""

    def __init__(self, client: AsyncAppServerClient, thread_id: str, turn_id: str) -> None:
        self.client = client
        self.thread_id = thread_id
        self.id = turn_id
        self.collector = TurnCollector(turn_id)

    def __repr__(self) -> str:
        return f"AsyncTurnHandle(id={self.id!r}, thread_id={self.thread_id!r})"

    async def steer(self, input: Input) -> TurnSteerResponse:
        """Add input to the running turn."""
        params = {
            "threadId": self.thread_id,
            "input": input_to_wire(input),
            "expectedTurnId": self.id,
        }
        return validate_as("TurnSteerResponse", await self.client.request("turn/steer", params))  # type: ignore[no-any-return]

    async def interrupt(self) -> TurnInterruptResponse:
        """Ask the server to stop the turn; `turn/completed` (interrupted) follows."""
        params = {"threadId": self.thread_id, "turnId": self.id}
        result = await self.client.request("turn/interrupt", params)
        return validate_as("TurnInterruptResponse", result)  # type: ignore[no-any-return]

    async def stream(self) -> AsyncIterator[Notification]:
        """This turn's notifications, in order, through `turn/completed`."""
        if self.collector.completed:
            return
        async for note in self.client.stream_turn(self.id, thread_id=self.thread_id):
            self.collector.feed(note)
            yield note

    async def run(self) -> Turn:
        """Wait for the turn to complete; the completed `Turn`."""
        async for _ in self.stream():
            pass
        return self.collector.turn()


async def _interrupt_when_started(start: asyncio.Future[AsyncTurnHandle]) -> None:
    """Wait (bounded) for a turn start that was cancelled mid-flight, then interrupt it."""
    with contextlib.suppress(BaseException):
        await asyncio.wait_for(asyncio.shield(start), 5.0)
    if start.done() and not start.cancelled() and start.exception() is None:
        await _interrupt_shielded(start.result())
    else:
        start.cancel()


async def _interrupt_shielded(handle: AsyncTurnHandle) -> None:
    task = asyncio.ensure_future(handle.interrupt())
    with contextlib.suppress(CodexError, asyncio.CancelledError, asyncio.TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), 5.0)
