"""The asyncio high-level API: `AsyncCodex`, `AsyncThread`, `AsyncTurnHandle`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._config import AppServerConfig
from .._protocol.errors import CodexError
from .._protocol.handlers import HandlersLike, ToolsLike, dynamic_tools_param
from .._protocol.inputs import Input, input_to_wire
from .._protocol.notifications import Notification
from .._protocol.params import fork_params, turn_start_params, wire_params
from .._protocol.run_result import RunResult, TurnCollector
from .._protocol.structured_output import attach_parsed
from .._protocol.tools import as_tools
from .._transport.base import AsyncTransport
from .._warmup import WARMUP, avalidate
from .client import AsyncAppServerClient

if TYPE_CHECKING:
    from ..generated.v2_all import (
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

if TYPE_CHECKING:  # the protocol helpers (login, paging, commands, files, config, goals)
    import os
    from collections.abc import Mapping, Sequence

    from ..generated.v2_all import (
        ApiKeyLoginAccountResponse,
        CommandExecResponse,
        CommandExecutionThreadItem,
        ConfigReadResponse,
        ConfigWriteResponse,
        FsGetMetadataResponse,
        FsReadDirectoryEntry,
        GetAccountResponse,
        LogoutAccountResponse,
        McpServerStatus,
        SkillsListResponse,
        ThreadDeleteResponse,
        ThreadGoal,
        ThreadItemEntry,
        ThreadRevertResponse,
    )
    from ..generated.v2_all import Thread as StoredThread
    from .account import AsyncLoginHandle
    from .commands import AsyncCommandProcess
    from .fs import AsyncFsWatch


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
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> None:
        """`handlers`: client-wide answers to the server's requests (see
        `ServerRequestHandlers`; plain or `async` functions). Without them every approval
        is declined. `tools`: Python functions (or `Tool`s) offered to the agent on every
        `thread_start`. `transport` replaces the spawned app-server (tests use
        `AsyncMockTransport`).
        """
        self.client = AsyncAppServerClient(
            config, transport=transport, handlers=handlers, tools=tools
        )

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
        approvals_reviewer: Any = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> AsyncThread:
        """Start a new thread (see `Codex.thread_start` for `handlers` and `tools`)."""
        thread_tools = as_tools(tools)
        params = wire_params(
            approval_policy=approval_policy,
            approvals_reviewer=approvals_reviewer,
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
        dynamic_tools = dynamic_tools_param(self.client.handlers.tools, thread_tools)
        if dynamic_tools is not None:
            params["dynamicTools"] = dynamic_tools
        thread = self._thread(await self._request("thread/start", params))
        self.client.handlers.set_thread(thread.id, handlers, thread_tools.values())
        return thread

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
        return await avalidate("ThreadListResponse", await self._request("thread/list", params))  # type: ignore[no-any-return]

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
        approvals_reviewer: Any = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> AsyncThread:
        """Resume a stored thread (see `Codex.thread_resume` for `handlers` and `tools`)."""
        params = wire_params(
            thread_id=thread_id,
            approval_policy=approval_policy,
            approvals_reviewer=approvals_reviewer,
            base_instructions=base_instructions,
            config=config,
            cwd=cwd,
            developer_instructions=developer_instructions,
            model=model,
            model_provider=model_provider,
            personality=personality,
            sandbox=sandbox,
        )
        thread = self._thread(await self._request("thread/resume", params))
        if handlers is not None or tools is not None:
            self.client.handlers.set_thread(thread.id, handlers, tools, inherit_from=thread.id)
        return thread

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
        approvals_reviewer: Any = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> AsyncThread:
        """Fork a thread into a new one with the same history (keeping the source thread's
        handlers and tools in this client unless `handlers` / `tools` are given)."""
        params = fork_params(
            thread_id,
            approval_policy=approval_policy,
            approvals_reviewer=approvals_reviewer,
            base_instructions=base_instructions,
            config=config,
            cwd=cwd,
            developer_instructions=developer_instructions,
            ephemeral=ephemeral,
            model=model,
            model_provider=model_provider,
            sandbox=sandbox,
        )
        thread = self._thread(await self._request("thread/fork", params))
        self.client.handlers.set_thread(thread.id, handlers, tools, inherit_from=thread_id)
        return thread

    async def thread_archive(self, thread_id: str) -> ThreadArchiveResponse:
        """Archive a thread."""
        result = await self._request("thread/archive", {"threadId": thread_id})
        return await avalidate("ThreadArchiveResponse", result)  # type: ignore[no-any-return]

    async def thread_unarchive(self, thread_id: str) -> AsyncThread:
        """Unarchive a thread."""
        return self._thread(await self._request("thread/unarchive", {"threadId": thread_id}))

    async def models(self, *, include_hidden: bool = False) -> ModelListResponse:
        """The models the runtime offers."""
        result = await self._request("model/list", {"includeHidden": include_hidden})
        return await avalidate("ModelListResponse", result)  # type: ignore[no-any-return]

    def _thread(self, result: Any) -> AsyncThread:
        return AsyncThread(self.client, result["thread"]["id"], result)

    # -- protocol helpers: account --------------------------------------------------------

    async def _started_client(self) -> AsyncAppServerClient:
        from .._protocol.params import ensure_started

        await ensure_started(self.client)
        return self.client

    async def login_api_key(self, api_key: str) -> ApiKeyLoginAccountResponse:
        """Log in with an OpenAI API key (`account/login/start`); stored in CODEX_HOME."""
        client = await self._started_client()
        response = await client.account_login_start({"type": "apiKey", "apiKey": api_key})
        return response  # type: ignore[return-value]

    async def login_chatgpt(self) -> AsyncLoginHandle:
        """Start a ChatGPT login in the browser (see `Codex.login_chatgpt`)."""
        from .account import async_start_login

        client = await self._started_client()
        return await async_start_login(client, {"type": "chatgpt"}, asyncio.get_running_loop())

    async def login_device_code(self) -> AsyncLoginHandle:
        """Start a ChatGPT device-code login (see `Codex.login_device_code`)."""
        from .account import async_start_login

        client = await self._started_client()
        return await async_start_login(
            client, {"type": "chatgptDeviceCode"}, asyncio.get_running_loop()
        )

    async def account(self, *, refresh_token: bool = False) -> GetAccountResponse:
        """The signed-in account (None when there is none)."""
        client = await self._started_client()
        return await client.account_read(refresh_token=refresh_token or None)

    async def logout(self) -> LogoutAccountResponse:
        """Log out: the stored credentials are removed from CODEX_HOME."""
        client = await self._started_client()
        return await client.account_logout()

    # -- protocol helpers: threads --------------------------------------------------------

    async def iter_threads(
        self, *, page_size: int | None = None, **filters: Any
    ) -> AsyncIterator[StoredThread]:
        """Every stored thread, page by page (see `Codex.iter_threads`)."""
        from .paging import aiter_pages

        client = await self._started_client()

        async def fetch(cursor: str | None) -> Any:
            return await client.thread_list(cursor=cursor, limit=page_size, **filters)

        async for stored in aiter_pages(fetch):
            yield stored

    async def thread_delete(self, thread_id: str) -> ThreadDeleteResponse:
        """Delete a stored thread and its history."""
        client = await self._started_client()
        return await client.thread_delete(thread_id=thread_id)

    # -- protocol helpers: commands -------------------------------------------------------

    async def command_exec(
        self,
        command: Sequence[str],
        *,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout_ms: int | None = None,
        sandbox_policy: Any = None,
        permission_profile: str | None = None,
        output_bytes_cap: int | None = None,
        disable_output_cap: bool | None = None,
        disable_timeout: bool | None = None,
    ) -> CommandExecResponse:
        """Run a command and wait for it (see `Codex.command_exec`)."""
        import math

        from .commands import command_params

        params = command_params(
            command,
            cwd=_fspath(cwd),
            env=dict(env) if env is not None else None,
            timeout_ms=timeout_ms,
            sandbox_policy=sandbox_policy,
            permission_profile=permission_profile,
            output_bytes_cap=output_bytes_cap,
            disable_output_cap=disable_output_cap,
            disable_timeout=disable_timeout,
        )
        client = await self._started_client()
        return await client.command_exec(params, timeout=math.inf)

    async def command_start(
        self,
        command: Sequence[str],
        *,
        stdin: bool = False,
        tty: bool = False,
        size: tuple[int, int] | None = None,
        process_id: str | None = None,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout_ms: int | None = None,
        sandbox_policy: Any = None,
        permission_profile: str | None = None,
        output_bytes_cap: int | None = None,
        disable_output_cap: bool | None = None,
        disable_timeout: bool | None = None,
    ) -> AsyncCommandProcess:
        """Start a command whose output streams back (see `Codex.command_start`); iterate
        the handle with `async for`."""
        from .commands import async_start_command, command_params, new_process_id

        params = command_params(
            command,
            process_id=process_id or new_process_id(),
            stream=True,
            stdin=stdin,
            tty=tty,
            size=size,
            cwd=_fspath(cwd),
            env=dict(env) if env is not None else None,
            timeout_ms=timeout_ms,
            sandbox_policy=sandbox_policy,
            permission_profile=permission_profile,
            output_bytes_cap=output_bytes_cap,
            disable_output_cap=disable_output_cap,
            disable_timeout=disable_timeout,
        )
        client = await self._started_client()
        return await async_start_command(client, params, asyncio.get_running_loop())

    # -- protocol helpers: files (paths are made absolute against this process's cwd) ------

    async def fs_read(self, path: str | os.PathLike[str]) -> bytes:
        """The bytes of a file, read by the app-server."""
        from .fs import abs_path, decode_data

        client = await self._started_client()
        return decode_data((await client.fs_read_file(path=abs_path(path))).data_base64)

    async def fs_read_text(self, path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
        """The text of a file."""
        return (await self.fs_read(path)).decode(encoding)

    async def fs_write(
        self, path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8"
    ) -> None:
        """Write a file (created or replaced); `str` data is encoded with `encoding`."""
        from .fs import abs_path, encode_data

        client = await self._started_client()
        await client.fs_write_file(path=abs_path(path), data_base64=encode_data(data, encoding))

    async def fs_list(self, path: str | os.PathLike[str]) -> list[FsReadDirectoryEntry]:
        """The entries of a directory."""
        from .fs import abs_path

        client = await self._started_client()
        return (await client.fs_read_directory(path=abs_path(path))).entries

    async def fs_metadata(self, path: str | os.PathLike[str]) -> FsGetMetadataResponse:
        """Whether a path is a file, directory or symlink, and its timestamps."""
        from .fs import abs_path

        client = await self._started_client()
        return await client.fs_get_metadata(path=abs_path(path))

    async def fs_mkdir(
        self, path: str | os.PathLike[str], *, recursive: bool | None = None
    ) -> None:
        """Create a directory (with its parents if `recursive`)."""
        from .fs import abs_path

        client = await self._started_client()
        await client.fs_create_directory(path=abs_path(path), recursive=recursive)

    async def fs_remove(
        self,
        path: str | os.PathLike[str],
        *,
        recursive: bool | None = None,
        force: bool | None = None,
    ) -> None:
        """Remove a file or directory (a non-empty directory needs `recursive`)."""
        from .fs import abs_path

        client = await self._started_client()
        await client.fs_remove(path=abs_path(path), recursive=recursive, force=force)

    async def fs_copy(
        self,
        source: str | os.PathLike[str],
        destination: str | os.PathLike[str],
        *,
        recursive: bool | None = None,
    ) -> None:
        """Copy a file (or a directory, with `recursive`)."""
        from .fs import abs_path

        client = await self._started_client()
        await client.fs_copy(
            source_path=abs_path(source),
            destination_path=abs_path(destination),
            recursive=recursive,
        )

    async def fs_watch(self, path: str | os.PathLike[str]) -> AsyncFsWatch:
        """Watch a file or directory (see `Codex.fs_watch`); `async for` its changes."""
        from .fs import AsyncFsWatch, abs_path, new_watch_id

        client = await self._started_client()
        watch = AsyncFsWatch(client, new_watch_id(), abs_path(path), asyncio.get_running_loop())
        await watch._start()
        return watch

    # -- protocol helpers: config, skills, MCP --------------------------------------------

    async def config_read(
        self, *, cwd: str | os.PathLike[str] | None = None, include_layers: bool = False
    ) -> ConfigReadResponse:
        """The effective configuration (see `Codex.config_read`)."""
        client = await self._started_client()
        return await client.config_read(cwd=_fspath(cwd), include_layers=include_layers or None)

    async def config_write(
        self,
        key_path: str,
        value: Any,
        *,
        merge_strategy: str = "replace",
        file_path: str | os.PathLike[str] | None = None,
        expected_version: str | None = None,
    ) -> ConfigWriteResponse:
        """Set one configuration value (see `Codex.config_write`)."""
        from .._protocol.models import to_wire

        params: dict[str, Any] = {
            "keyPath": key_path,
            "value": to_wire(value),
            "mergeStrategy": merge_strategy,
        }
        if file_path is not None:
            params["filePath"] = _fspath(file_path)
        if expected_version is not None:
            params["expectedVersion"] = expected_version
        client = await self._started_client()
        return await client.config_value_write(params)

    async def config_batch_write(
        self,
        edits: Mapping[str, Any] | Sequence[Any],
        *,
        merge_strategy: str = "replace",
        reload_user_config: bool | None = None,
        file_path: str | os.PathLike[str] | None = None,
        expected_version: str | None = None,
    ) -> ConfigWriteResponse:
        """Apply several configuration edits at once (see `Codex.config_batch_write`)."""
        from .._protocol.params import config_edits

        params: dict[str, Any] = {"edits": config_edits(edits, merge_strategy)}
        if reload_user_config is not None:
            params["reloadUserConfig"] = reload_user_config
        if file_path is not None:
            params["filePath"] = _fspath(file_path)
        if expected_version is not None:
            params["expectedVersion"] = expected_version
        client = await self._started_client()
        return await client.config_batch_write(params)

    async def skills(
        self,
        *,
        cwds: Sequence[str | os.PathLike[str]] | None = None,
        force_reload: bool = False,
    ) -> SkillsListResponse:
        """The skills available in each of `cwds` (default: the server's working directory)."""
        client = await self._started_client()
        return await client.skills_list(
            cwds=[str(_fspath(c)) for c in cwds] if cwds is not None else None,
            force_reload=force_reload or None,
        )

    async def mcp_servers(
        self,
        *,
        detail: Any = None,
        thread_id: str | None = None,
        server_name: str | None = None,
    ) -> list[McpServerStatus]:
        """The status of every configured MCP server (all pages)."""
        from .paging import aiter_pages

        client = await self._started_client()

        async def fetch(cursor: str | None) -> Any:
            return await client.mcp_server_status_list(
                cursor=cursor, detail=detail, thread_id=thread_id, server_name=server_name
            )

        return [status async for status in aiter_pages(fetch)]


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
            async for _ in handle.stream():  # collected as it goes; typed once, below
                pass
        except asyncio.CancelledError:
            if interrupt_on_cancel:
                await _interrupt_shielded(handle)
            raise
        if not WARMUP.done:  # type after the warm-up, never on the loop beside it
            await WARMUP.wait()
        return attach_parsed(handle.collector.result(), output_schema)

    async def read(self, *, include_turns: bool = False) -> ThreadReadResponse:
        """The thread's stored state (with its turns if asked)."""
        params = {"threadId": self.id, "includeTurns": include_turns}
        result = await self.client.request("thread/read", params)
        return await avalidate("ThreadReadResponse", result)  # type: ignore[no-any-return]

    async def set_name(self, name: str) -> ThreadSetNameResponse:
        """Name the thread."""
        result = await self.client.request("thread/name/set", {"threadId": self.id, "name": name})
        return await avalidate("ThreadSetNameResponse", result)  # type: ignore[no-any-return]

    async def compact(self) -> ThreadCompactStartResponse:
        """Start compacting the thread's history."""
        result = await self.client.request("thread/compact/start", {"threadId": self.id})
        return await avalidate("ThreadCompactStartResponse", result)  # type: ignore[no-any-return]

    # -- protocol helpers -----------------------------------------------------------------

    async def iter_turns(
        self,
        *,
        items_view: str | None = None,
        sort_direction: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[Turn]:
        """The thread's stored turns, newest first, page by page (see `Thread.iter_turns`)."""
        from .paging import aiter_pages

        base = wire_params(thread_id=self.id, items_view=items_view, sort_direction=sort_direction)

        async def fetch(cursor: str | None) -> Any:
            return await self.client.thread_turns_list(base, cursor=cursor, limit=page_size)

        async for turn in aiter_pages(fetch):
            yield turn

    async def iter_items(
        self,
        *,
        turn_id: str | None = None,
        sort_direction: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[ThreadItemEntry]:
        """The thread's stored items, oldest first, page by page (see `Thread.iter_items`)."""
        from .paging import aiter_pages

        base = wire_params(thread_id=self.id, turn_id=turn_id, sort_direction=sort_direction)

        async def fetch(cursor: str | None) -> Any:
            return await self.client.thread_items_list(base, cursor=cursor, limit=page_size)

        async for entry in aiter_pages(fetch):
            yield entry

    async def delete(self) -> ThreadDeleteResponse:
        """Delete this thread and its stored history."""
        return await self.client.thread_delete(thread_id=self.id)

    async def revert(self, before_turn_id: str) -> ThreadRevertResponse:
        """Drop `before_turn_id` and every later turn from the stored history."""
        return await self.client.thread_revert(thread_id=self.id, before_turn_id=before_turn_id)

    async def rollback(self, turns: int = 1) -> ThreadRevertResponse:
        """Drop the newest `turns` turns from the stored history (see `revert`)."""
        from .._protocol.params import rollback_target

        newest: list[str] = []
        async for turn in self.iter_turns(page_size=turns):
            newest.append(turn.id)
            if len(newest) == turns:
                break
        return await self.revert(rollback_target(newest, turns))

    async def review(self, target: Any = None, *, delivery: str | None = None) -> AsyncTurnHandle:
        """Start a code review as a turn (see `Thread.review`)."""
        from .._protocol.params import review_target

        params: dict[str, Any] = {"threadId": self.id, "target": review_target(target)}
        if delivery is not None:
            params["delivery"] = delivery
        response = await self.client.review_start(params)
        return AsyncTurnHandle(self.client, response.review_thread_id, response.turn.id)

    async def goal_set(
        self,
        objective: str | None = None,
        *,
        status: str | None = None,
        token_budget: int | None = None,
    ) -> ThreadGoal:
        """Set (or update) the thread's goal; the goal as stored."""
        params = wire_params(
            thread_id=self.id, objective=objective, status=status, token_budget=token_budget
        )
        return (await self.client.thread_goal_set(params)).goal

    async def goal_get(self) -> ThreadGoal | None:
        """The thread's goal, or None."""
        return (await self.client.thread_goal_get(thread_id=self.id)).goal

    async def goal_clear(self) -> bool:
        """Clear the thread's goal; True if there was one."""
        return (await self.client.thread_goal_clear(thread_id=self.id)).cleared

    async def shell_command(
        self, command: str, *, timeout_ms: int | None = None, timeout: float | None = None
    ) -> CommandExecutionThreadItem:
        """Run a shell command string on the thread; its completed `commandExecution` item
        (see `Thread.shell_command`)."""
        from .commands import async_run_shell_command

        params = wire_params(thread_id=self.id, command=command, timeout_ms=timeout_ms)
        return await async_run_shell_command(
            self.client, self.id, params, timeout, asyncio.get_running_loop()
        )


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
        return await avalidate("TurnSteerResponse", await self.client.request("turn/steer", params))  # type: ignore[no-any-return]

    async def interrupt(self) -> TurnInterruptResponse:
        """Ask the server to stop the turn; `turn/completed` (interrupted) follows."""
        params = {"threadId": self.thread_id, "turnId": self.id}
        result = await self.client.request("turn/interrupt", params)
        return await avalidate("TurnInterruptResponse", result)  # type: ignore[no-any-return]

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
        if not WARMUP.done:
            await WARMUP.wait()
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


def _fspath(path: str | os.PathLike[str] | None) -> str | None:
    """`os.fspath`, passing None through (for the protocol helpers)."""
    import os

    return None if path is None else os.fspath(path)
