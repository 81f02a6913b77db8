"""The asyncio high-level API: `AsyncCodex`, `AsyncThread`, `AsyncTurnHandle`."""

# The one source of the high-level API: scripts/unasync.py generates  # unasync: async-only
# its blocking twin, _sync/codex.py (CONTRIBUTING.md, "The sync twins").  # unasync: async-only

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._config import AppServerConfig
from .._protocol.choices import check_effort
from .._protocol.errors import JsonRpcError
from .._protocol.events import Event, EventBuilder
from .._protocol.guards import (
    check_config,
    check_cwd,
    check_protocol_fields,
    login_problem,
    supported_efforts,
)
from .._protocol.handlers import HandlersLike, ToolsLike, dynamic_tools_param
from .._protocol.hooks import Hooks, TurnEnd, hook_handlers
from .._protocol.inputs import Input, RunInput, input_to_wire
from .._protocol.limits import LimitTracker, RunLimitExceeded, RunLimits
from .._protocol.notifications import Notification
from .._protocol.params import fork_params, turn_start_params, wire_params
from .._protocol.run_result import RunResult, TurnCollector
from .._protocol.structured_output import attach_parsed
from .._protocol.tools import as_tools
from .._protocol.tracing import attached
from .._transport.base import AsyncTransport
from .._warmup import WARMUP, avalidate
from .backend import call_hook, ensure_started, monotonic, run_turn, start_on_construction
from .client import AsyncAppServerClient

if TYPE_CHECKING:
    from .._protocol.tracing import TurnTrace
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

    from .._protocol.choices import (
        ApprovalPolicyArg,
        EffortArg,
        PersonalityArg,
        ReviewerArg,
        SandboxArg,
        SandboxPolicyArg,
        SummaryArg,
    )
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
    ...     result = await thread.run("Say hello in one sentence.")
    ...     print(result.final_response)
    """

    def __init__(
        self,
        config: AppServerConfig | None = None,
        *,
        transport: AsyncTransport | None = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> None:
        """Make the client; the app-server starts lazily.

        `handlers`: client-wide answers to the server's requests (approvals, questions,
        elicitations, tool calls; see `ServerRequestHandlers`; plain or `async` functions).
        Without them every approval is declined. `tools`: Python functions (or `Tool`s)
        offered to the agent on every `thread_start`. `transport` replaces the spawned
        app-server (tests use `AsyncMockTransport`).
        """
        check_config(config)
        self.client = AsyncAppServerClient(
            config, transport=transport, handlers=handlers, tools=tools
        )
        start_on_construction(self.client)

    # unasync: begin async-only
    async def start(self) -> AsyncCodex:
        """Start the app-server now (otherwise the first call does)."""
        await self.client.start()
        return self

    # unasync: end

    @property
    def metadata(self) -> InitializeResponse:
        """What the server said at `initialize` (user agent, platform, CODEX_HOME); available
        once started."""
        return self.client.metadata

    async def close(self) -> None:
        """Stop the app-server (idempotent, cancellation-safe)."""
        await self.client.close()

    async def __aenter__(self) -> AsyncCodex:
        await self._started_client()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _request(self, method: str, params: Any) -> Any:
        client = await self._started_client()
        return await client.request(method, params)

    async def thread_start(
        self,
        *,
        approval_policy: ApprovalPolicyArg | None = None,
        base_instructions: str | None = None,
        config: dict[str, Any] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        developer_instructions: str | None = None,
        ephemeral: bool | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        personality: PersonalityArg | None = None,
        sandbox: SandboxArg | None = None,
        approvals_reviewer: ReviewerArg | None = None,
        service_name: str | None = None,
        service_tier: str | None = None,
        session_start_source: Any = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
        hooks: Hooks | None = None,
        limits: RunLimits | None = None,
        **protocol_fields: Any,
    ) -> AsyncThread:
        """Start a new thread.

        Every field of `ThreadStartParams` is accepted as a keyword (snake_case); the
        common ones are named here. A `cwd` on this machine must exist.

        `handlers` answer this thread's server requests (before the client-wide ones).
        `tools` are Python functions (or `Tool`s) the agent can call in this thread, sent
        as `dynamicTools` with the client-wide ones. `approvals_reviewer="user"` with an
        `approval_policy` that asks (`"untrusted"`, `"on-request"`) routes approvals to
        the handlers.

        `hooks.before_tool` sees every command and file change before it runs (see
        `Hooks`): the thread then asks for approvals (`approval_policy="untrusted"`,
        `approvals_reviewer="user"` unless given). `limits` bound every run of the thread.
        """
        thread_tools = as_tools(tools)
        check_protocol_fields("thread_start", "ThreadStartParams", protocol_fields)
        if hooks is not None and hooks.before_tool is not None:
            handlers = hook_handlers(hooks, handlers)
            approval_policy = approval_policy or "untrusted"
            approvals_reviewer = approvals_reviewer or "user"
        params = wire_params(
            approval_policy=approval_policy,
            approvals_reviewer=approvals_reviewer,
            base_instructions=base_instructions,
            config=config,
            cwd=self._cwd(cwd),
            developer_instructions=developer_instructions,
            ephemeral=ephemeral,
            model=model,
            model_provider=model_provider,
            personality=personality,
            sandbox=sandbox,
            service_name=service_name,
            service_tier=service_tier,
            session_start_source=session_start_source,
            **protocol_fields,
        )
        dynamic_tools = dynamic_tools_param(self.client.handlers.tools, thread_tools)
        if dynamic_tools is not None:
            params["dynamicTools"] = dynamic_tools
        thread = self._thread(await self._request("thread/start", params))
        self.client.handlers.set_thread(thread.id, handlers, thread_tools.values())
        thread.limits = limits
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
        search_term: str | None = None,
        sort_direction: Any = None,
        use_state_db_only: bool | None = None,
        **protocol_fields: Any,
    ) -> ThreadListResponse:
        """One page of stored threads (every field of `ThreadListParams` is a keyword)."""
        check_protocol_fields("thread_list", "ThreadListParams", protocol_fields)
        params = wire_params(
            archived=archived,
            cursor=cursor,
            cwd=cwd,
            limit=limit,
            model_providers=model_providers,
            sort_key=sort_key,
            source_kinds=source_kinds,
            search_term=search_term,
            sort_direction=sort_direction,
            use_state_db_only=use_state_db_only,
            **protocol_fields,
        )
        return await avalidate("ThreadListResponse", await self._request("thread/list", params))  # type: ignore[no-any-return]

    async def thread_resume(
        self,
        thread_id: str,
        *,
        approval_policy: ApprovalPolicyArg | None = None,
        base_instructions: str | None = None,
        config: dict[str, Any] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        developer_instructions: str | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        personality: PersonalityArg | None = None,
        sandbox: SandboxArg | None = None,
        approvals_reviewer: ReviewerArg | None = None,
        service_tier: str | None = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
        **protocol_fields: Any,
    ) -> AsyncThread:
        """Resume a stored thread (also in a fresh process: history is read from CODEX_HOME).

        The server remembers the thread's dynamic tools; `tools` provides their Python
        implementations in this process. `handlers` / `tools` replace what this client had
        for the thread (what is not given is kept).
        """
        check_protocol_fields("thread_resume", "ThreadResumeParams", protocol_fields)
        params = wire_params(
            thread_id=thread_id,
            approval_policy=approval_policy,
            approvals_reviewer=approvals_reviewer,
            base_instructions=base_instructions,
            config=config,
            cwd=self._cwd(cwd),
            developer_instructions=developer_instructions,
            model=model,
            model_provider=model_provider,
            personality=personality,
            sandbox=sandbox,
            service_tier=service_tier,
            **protocol_fields,
        )
        thread = self._thread(await self._request("thread/resume", params))
        if handlers is not None or tools is not None:
            self.client.handlers.set_thread(thread.id, handlers, tools, inherit_from=thread.id)
        return thread

    async def thread_fork(
        self,
        thread_id: str,
        *,
        approval_policy: ApprovalPolicyArg | None = None,
        base_instructions: str | None = None,
        config: dict[str, Any] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        developer_instructions: str | None = None,
        ephemeral: bool | None = None,
        model: str | None = None,
        model_provider: str | None = None,
        sandbox: SandboxArg | None = None,
        approvals_reviewer: ReviewerArg | None = None,
        service_tier: str | None = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
        **protocol_fields: Any,
    ) -> AsyncThread:
        """Fork a thread into a new one with the same history.

        The fork keeps the source thread's dynamic tools (on the server) and, in this
        client, its handlers and tool implementations, unless `handlers` / `tools` are given.
        """
        check_protocol_fields("thread_fork", "ThreadForkParams", protocol_fields)
        params = fork_params(
            thread_id,
            approval_policy=approval_policy,
            approvals_reviewer=approvals_reviewer,
            base_instructions=base_instructions,
            config=config,
            cwd=self._cwd(cwd),
            developer_instructions=developer_instructions,
            ephemeral=ephemeral,
            model=model,
            model_provider=model_provider,
            sandbox=sandbox,
            service_tier=service_tier,
            **protocol_fields,
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

    def _cwd(self, cwd: str | os.PathLike[str] | None) -> str | None:
        return check_cwd(cwd, remote=self.client.config.is_remote)

    # -- protocol helpers: account --------------------------------------------------------

    async def _started_client(self) -> AsyncAppServerClient:
        await ensure_started(self.client)
        return self.client

    async def login_api_key(self, api_key: str) -> ApiKeyLoginAccountResponse:
        """Log in with an OpenAI API key (`account/login/start`); stored in CODEX_HOME."""
        client = await self._started_client()
        response = await client.account_login_start({"type": "apiKey", "apiKey": api_key})
        return response  # type: ignore[return-value]

    async def login_chatgpt(self) -> AsyncLoginHandle:
        """Start a ChatGPT login in the browser: open `handle.auth_url`, then `await handle.wait()`.

        The runtime takes the browser's redirect on localhost:1455. `handle.cancel()` ends
        the login (then `wait()` raises `LoginError`).
        """
        from .account import start_login

        client = await self._started_client()
        return await start_login(client, {"type": "chatgpt"})

    async def login_device_code(self) -> AsyncLoginHandle:
        """Start a ChatGPT device-code login: show `handle.verification_url` and
        `handle.user_code`, then `await handle.wait()`.

        The runtime asks auth.openai.com for the code before answering: without network
        access this raises `InternalRpcError`.
        """
        from .account import start_login

        client = await self._started_client()
        return await start_login(client, {"type": "chatgptDeviceCode"})

    async def account(self, *, refresh_token: bool = False) -> GetAccountResponse:
        """The signed-in account (`account` is None when there is none) and whether the
        configured provider needs OpenAI auth."""
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
        """Every stored thread (generated `Thread` models), newest first, page by page.

        `filters` are the keyword fields of `thread/list` (`archived=`, `cwd=`,
        `search_term=`, `model_providers=`, `sort_key=`, ...); `page_size` is its `limit`.
        Resume one with `thread_resume(stored.id)`.
        """
        from .paging import iter_pages

        client = await self._started_client()

        async def fetch(cursor: str | None) -> Any:
            return await client.thread_list(cursor=cursor, limit=page_size, **filters)

        async for stored in iter_pages(fetch):
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
        """Run a command (an argv list) in the server's sandbox, without a thread; wait for
        it and return its exit code and captured output.

        `env` entries are merged over the server's environment (None unsets one);
        `timeout_ms` bounds the command (default: the server's).
        """
        import math

        from .._protocol.commands import command_params

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
        """Start a command whose output streams back: iterate the handle (`async for`) for
        `CommandOutput` chunks, `wait()` for the exit code.

        `stdin=True` lets you `write()` to it; `tty=True` runs it in a PTY of `size`
        (rows, cols). Other arguments as for `command_exec`.
        """
        from .._protocol.commands import command_params, new_process_id
        from .commands import start_command

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
        return await start_command(client, params)

    # -- protocol helpers: files (paths are made absolute against this process's cwd) ------

    async def fs_read(self, path: str | os.PathLike[str]) -> bytes:
        """The bytes of a file, read by the app-server."""
        from .._protocol.fs import abs_path, decode_data

        client = await self._started_client()
        return decode_data((await client.fs_read_file(path=abs_path(path))).data_base64)

    async def fs_read_text(self, path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
        """The text of a file."""
        return (await self.fs_read(path)).decode(encoding)

    async def fs_write(
        self, path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8"
    ) -> None:
        """Write a file (created or replaced); `str` data is encoded with `encoding`."""
        from .._protocol.fs import abs_path, encode_data

        client = await self._started_client()
        await client.fs_write_file(path=abs_path(path), data_base64=encode_data(data, encoding))

    async def fs_list(self, path: str | os.PathLike[str]) -> list[FsReadDirectoryEntry]:
        """The entries of a directory (`file_name`, `is_directory`, `is_file`)."""
        from .._protocol.fs import abs_path

        client = await self._started_client()
        return (await client.fs_read_directory(path=abs_path(path))).entries

    async def fs_metadata(self, path: str | os.PathLike[str]) -> FsGetMetadataResponse:
        """Whether a path is a file, directory or symlink, and its timestamps."""
        from .._protocol.fs import abs_path

        client = await self._started_client()
        return await client.fs_get_metadata(path=abs_path(path))

    async def fs_mkdir(
        self, path: str | os.PathLike[str], *, recursive: bool | None = None
    ) -> None:
        """Create a directory (with its parents if `recursive`)."""
        from .._protocol.fs import abs_path

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
        from .._protocol.fs import abs_path

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
        from .._protocol.fs import abs_path

        client = await self._started_client()
        await client.fs_copy(
            source_path=abs_path(source),
            destination_path=abs_path(destination),
            recursive=recursive,
        )

    async def fs_watch(self, path: str | os.PathLike[str]) -> AsyncFsWatch:
        """Watch a file or directory: iterate the handle (`async for`) or call
        `next(timeout)` for its `FsChangedNotification`s; `close()` it to stop."""
        from .._protocol.fs import abs_path, new_watch_id
        from .fs import AsyncFsWatch

        client = await self._started_client()
        watch = AsyncFsWatch(client, new_watch_id(), abs_path(path))
        await watch._start()
        return watch

    # -- protocol helpers: config, skills, MCP --------------------------------------------

    async def config_read(
        self, *, cwd: str | os.PathLike[str] | None = None, include_layers: bool = False
    ) -> ConfigReadResponse:
        """The effective configuration (as seen from `cwd`, with its layers if asked)."""
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
        """Set one configuration value (dotted `key_path`, e.g. `"features.apps"`) in the
        user's `config.toml` (or `file_path`). `merge_strategy`: `"replace"` or `"upsert"`."""
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
        """Apply several edits at once: `{key_path: value}` (with `merge_strategy`), or a
        list of `ConfigEdit`s. `reload_user_config` hot-reloads them into loaded threads."""
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
        """The status of every configured MCP server (all pages of `mcpServerStatus/list`)."""
        from .paging import iter_pages

        client = await self._started_client()

        async def fetch(cursor: str | None) -> Any:
            return await client.mcp_server_status_list(
                cursor=cursor, detail=detail, thread_id=thread_id, server_name=server_name
            )

        return [status async for status in iter_pages(fetch)]


class AsyncThread:
    """A conversation. `run()` for the common case, `turn()` for control."""

    def __init__(self, client: AsyncAppServerClient, thread_id: str, info: Any = None) -> None:
        self.client = client
        self.id = thread_id
        self._info = info
        #: Run limits for every `run()` and `turn()` of this thread (tightened per run).
        self.limits: RunLimits | None = None

    def __repr__(self) -> str:
        return f"AsyncThread(id={self.id!r})"

    async def turn(
        self,
        input: RunInput,
        *,
        approval_policy: ApprovalPolicyArg | None = None,
        approvals_reviewer: ReviewerArg | None = None,
        cwd: str | os.PathLike[str] | None = None,
        effort: EffortArg | None = None,
        model: str | None = None,
        output_schema: Any = None,
        personality: PersonalityArg | None = None,
        sandbox_policy: SandboxPolicyArg | None = None,
        service_tier: str | None = None,
        summary: SummaryArg | None = None,
        limits: RunLimits | LimitTracker | None = None,
        **protocol_fields: Any,
    ) -> AsyncTurnHandle:
        """Start a turn; its notifications are routed to the returned handle from the start.

        With `limits` (or `thread.limits`), streaming the turn interrupts it when one is
        reached; `handle.stopped_by` then names it.

        Fails before anything is sent when a value is not one the runtime takes (the error
        lists the allowed ones), when a local `cwd` does not exist, or when the app-server
        has no login its model provider needs (`NotLoggedInError`).
        """
        client = self.client
        check_protocol_fields("turn", "TurnStartParams", protocol_fields)
        local_cwd = check_cwd(cwd, remote=client.config.is_remote)
        await _check_login(client)
        if effort is not None:
            await _check_effort(client, effort, model)
        params = turn_start_params(
            self.id,
            input,
            approval_policy=approval_policy,
            approvals_reviewer=approvals_reviewer,
            cwd=local_cwd,
            effort=effort,
            model=model,
            output_schema=output_schema,
            personality=personality,
            sandbox_policy=sandbox_policy,
            service_tier=service_tier,
            summary=summary,
            **protocol_fields,
        )
        tracker = _tracker(self.limits, limits)
        trace = client.traces.start(self.id, model or _model_of(self._info))
        with attached(trace):
            try:
                result = await client.request("turn/start", params)
            except BaseException as exc:
                if trace is not None:
                    trace.fail(exc)
                raise
        handle = AsyncTurnHandle(client, self.id, result["turn"]["id"])
        if trace is not None:
            client.traces.opened(trace, handle.id)
            handle._trace = trace
        if tracker is not None:
            tracker.turn_started()
            handle._limits = tracker
        return handle

    async def run(
        self,
        input: RunInput,
        *,
        approval_policy: ApprovalPolicyArg | None = None,
        approvals_reviewer: ReviewerArg | None = None,
        cwd: str | os.PathLike[str] | None = None,
        effort: EffortArg | None = None,
        model: str | None = None,
        output_schema: Any = None,
        personality: PersonalityArg | None = None,
        sandbox_policy: SandboxPolicyArg | None = None,
        service_tier: str | None = None,
        summary: SummaryArg | None = None,
        interrupt_on_cancel: bool = True,  # unasync: async-only
        limits: RunLimits | None = None,
        on_turn_end: Any = None,
        raise_on_limit: bool = False,
        **protocol_fields: Any,
    ) -> RunResult:
        """Run a turn to completion and return its `RunResult`.

        Raises `TurnFailedError` if the turn fails. If the awaiting task is cancelled, the
        turn is interrupted on the server too (unless `interrupt_on_cancel=False`).

        `limits` (tightening `thread.limits`) bound the run: when one is reached the turn is
        interrupted and `RunResult.stopped_by` names it (`raise_on_limit=True` raises
        `RunLimitExceeded` instead). `on_turn_end(TurnEnd)` (plain or `async`) may return a
        follow-up prompt to continue the run with another turn, up to `max_turns`.
        """
        bounds = (self.limits or RunLimits()).tighter(limits)
        tracker = LimitTracker(bounds, monotonic()) if not bounds.unbounded else None
        turns = 0
        while True:
            turns += 1
            result = await self._run_one(
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
                interrupt_on_cancel=interrupt_on_cancel,  # unasync: async-only
                tracker=tracker,
                **protocol_fields,
            )
            result.turns = turns
            if result.stopped_by is None and on_turn_end is not None:
                turn_id = result.turn.id if result.turn is not None else ""
                status = result.turn.status.value if result.turn is not None else None
                end = TurnEnd(self.id, turn_id, status, result, turns)
                follow = await call_hook(on_turn_end, end, 30.0, "on_turn_end")
                if follow:
                    if tracker is not None and tracker.turn_started() is not None:
                        result.stopped_by = "max_turns"
                    else:
                        if tracker is not None:
                            tracker.turns -= 1  # counted again when the turn starts
                        input = follow
                        continue
            if raise_on_limit and result.stopped_by is not None:
                raise RunLimitExceeded(result.stopped_by, result)
            return result

    async def _run_one(
        self,
        input: RunInput,
        *,
        output_schema: Any,
        interrupt_on_cancel: bool,  # unasync: async-only
        tracker: LimitTracker | None,
        **fields: Any,
    ) -> RunResult:
        handle = await run_turn(
            self.turn(input, output_schema=output_schema, limits=tracker, **fields),
            interrupt_on_cancel,  # unasync: async-only
        )
        # unasync: begin async-only
        if not WARMUP.done:  # type after the warm-up, never on the loop beside it
            await WARMUP.wait()
        # unasync: end
        result = attach_parsed(handle.collector.result(), output_schema)
        result.stopped_by = handle.stopped_by
        return result

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
        """The thread's stored turns, newest first (`sort_direction="asc"`: oldest first),
        page by page. `items_view`: `"notLoaded"`, `"summary"` (default) or `"full"`.

        A thread with no user message yet has no stored history: the runtime refuses to
        list it (`InvalidRequestError`).
        """
        from .paging import iter_pages

        base = wire_params(thread_id=self.id, items_view=items_view, sort_direction=sort_direction)

        async def fetch(cursor: str | None) -> Any:
            return await self.client.thread_turns_list(base, cursor=cursor, limit=page_size)

        async for turn in iter_pages(fetch):
            yield turn

    async def iter_items(
        self,
        *,
        turn_id: str | None = None,
        sort_direction: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[ThreadItemEntry]:
        """The thread's stored items (each with its `turn_id`), oldest first, page by page;
        only those of `turn_id` if given."""
        from .paging import iter_pages

        base = wire_params(thread_id=self.id, turn_id=turn_id, sort_direction=sort_direction)

        async def fetch(cursor: str | None) -> Any:
            return await self.client.thread_items_list(base, cursor=cursor, limit=page_size)

        async for entry in iter_pages(fetch):
            yield entry

    async def delete(self) -> ThreadDeleteResponse:
        """Delete this thread and its stored history."""
        return await self.client.thread_delete(thread_id=self.id)

    async def revert(self, before_turn_id: str) -> ThreadRevertResponse:
        """Drop `before_turn_id` and every later turn from the stored history.

        Only the conversation is reverted, not changes made to files.
        """
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
        """Start a code review as a turn (`review/start`); stream or `run()` the handle.

        `target`: None reviews the uncommitted changes; a string is free-form review
        instructions; or a `ReviewTarget` (`{"type": "baseBranch", "branch": "main"}`,
        `{"type": "commit", "sha": ...}`). `delivery="detached"` (deprecated) would run it on
        a new thread; the runtime refuses it for paginated threads.
        """
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
        """Run a shell command string on the thread, as the user would with `!cmd`, and
        return its completed `commandExecution` item (`aggregated_output`, `exit_code`).

        It runs unsandboxed in the thread's shell: as a turn of its own when the thread is
        idle, inside the running turn otherwise (whose stream shows it too). `timeout_ms`
        bounds the command (default one hour), `timeout` the wait here (default: none).
        One shell command at a time per thread.
        """
        from .commands import run_shell_command

        params = wire_params(thread_id=self.id, command=command, timeout_ms=timeout_ms)
        return await run_shell_command(self.client, self.id, params, timeout)


class AsyncTurnHandle:
    """One running turn: stream it, steer it, interrupt it, or wait for it."""

    def __init__(self, client: AsyncAppServerClient, thread_id: str, turn_id: str) -> None:
        self.client = client
        self.thread_id = thread_id
        self.id = turn_id
        self.collector = TurnCollector(turn_id, client.config.on_runtime_error)
        self._trace: TurnTrace | None = None
        self._limits: LimitTracker | None = None
        #: The run limit that interrupted this turn, if one did.
        self.stopped_by: str | None = None

    def __repr__(self) -> str:
        return f"AsyncTurnHandle(id={self.id!r}, thread_id={self.thread_id!r})"

    async def steer(self, input: Input) -> TurnSteerResponse:
        """Add input to the running turn (the model is re-asked with it)."""
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
        if self._trace is None and self._limits is None:  # the hot path: nothing to watch
            async for note in self.client.stream_turn(self.id, thread_id=self.thread_id):
                self.collector.feed(note)
                yield note
            return
        async for note in self._watched():
            yield note

    async def _watched(self) -> AsyncIterator[Notification]:
        """`stream()` with a trace to feed and limits to enforce."""
        trace, limits = self._trace, self._limits
        try:
            async for note in self.client.stream_turn(self.id, thread_id=self.thread_id):
                self.collector.feed(note)
                if trace is not None:
                    trace.feed(note)
                if limits is not None and self.stopped_by is None:
                    reached = limits.feed(note) or limits.check_time(monotonic())
                    if reached is not None and note.method != "turn/completed":
                        self.stopped_by = reached
                        if trace is not None:
                            trace.span.set_attribute("codex.stopped_by", reached)
                        await self.interrupt()
                yield note
        except BaseException as exc:
            if trace is not None:
                trace.fail(exc)
            raise
        finally:
            if trace is not None:
                self.client.traces.closed(self.id)

    async def events(self) -> AsyncIterator[Event]:
        """This turn's typed events (`TurnStarted`, `ItemStarted`, `TextDelta`, ...,
        `TurnCompleted`; `RawEvent` for any other notification), for `match` statements."""
        build = EventBuilder()
        async for note in self.stream():
            yield build(note)

    async def run(self) -> Turn:
        """Wait for the turn to complete; the completed `Turn` (with the collected items)."""
        async for _ in self.stream():
            pass
        # unasync: begin async-only
        if not WARMUP.done:
            await WARMUP.wait()
        # unasync: end
        return self.collector.turn()


def _tracker(
    thread_limits: RunLimits | None, limits: RunLimits | LimitTracker | None
) -> LimitTracker | None:
    """The accounting a turn enforces: the run's (shared by its turns), or a new one."""
    if isinstance(limits, LimitTracker):
        return limits
    bounds = (thread_limits or RunLimits()).tighter(limits)
    return None if bounds.unbounded else LimitTracker(bounds, monotonic())


def _model_of(info: Any) -> str | None:
    model = info.get("model") if isinstance(info, dict) else None
    return model if isinstance(model, str) else None


async def _check_login(client: AsyncAppServerClient) -> None:
    """`NotLoggedInError` before a turn that could only retry and wait (checked once per
    client while it is logged in; again after a failed check, so a login is noticed)."""
    if getattr(client, "_login_ok", False):
        return
    try:
        account = await client.request("account/read", {"refreshToken": False})
    except JsonRpcError:  # a server (or test double) without accounts: nothing to check
        client._login_ok = True  # type: ignore[attr-defined]
        return
    config = client.config
    env = {} if config.is_remote else config.build_env()
    home = None if config.is_remote else env.get("CODEX_HOME")
    login_problem(account if isinstance(account, dict) else {}, env, home)
    client._login_ok = True  # type: ignore[attr-defined]


async def _check_effort(client: AsyncAppServerClient, effort: Any, model: str | None) -> None:
    """`ValueError` unless the runtime's model catalog lists `effort` (for `model`)."""
    catalog = getattr(client, "_model_catalog", None)
    if catalog is None:
        try:
            listed = await client.request("model/list", {"includeHidden": True})
        except JsonRpcError:  # no catalog to check against
            listed = {}
        catalog = listed.get("data", []) if isinstance(listed, dict) else []
        if not catalog:
            return
        client._model_catalog = catalog  # type: ignore[attr-defined]
    check_effort(effort, supported_efforts(catalog, model), model)


def _fspath(path: str | os.PathLike[str] | None) -> str | None:
    """`os.fspath`, passing None through (for the protocol helpers)."""
    import os

    return None if path is None else os.fspath(path)
