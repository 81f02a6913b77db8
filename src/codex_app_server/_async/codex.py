"""The asyncio high-level API: `AsyncCodex`, `AsyncThread`, `AsyncTurnHandle`."""

# The one source of the high-level API: scripts/unasync.py generates  # unasync: async-only
# its blocking twin, _sync/codex.py (CONTRIBUTING.md, "The sync twins").  # unasync: async-only

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._config import AppServerConfig
from .._protocol.errors import CodexError
from .._protocol.guards import (
    check_config,
    check_cwd,
    check_protocol_fields,
)
from .._protocol.handlers import HandlersLike, ToolsLike, dynamic_tools_param
from .._protocol.hooks import (
    Hooks,
    HookState,
    hook_handlers,
    hook_states,
    logger,
    merge,
    needs_approvals,
    pending_approvals,
    shared_hook_handlers,
    tool_gate,
)
from .._protocol.input_wire import input_to_wire
from .._protocol.limits import RunLimits
from .._protocol.params import fork_params, wire_params
from .._protocol.tools import GatedTool, Tool, as_tools, ungated
from .._protocol.tracing import attached
from .._transport.base import AsyncTransport
from .._warmup import avalidate
from .backend import start_on_construction
from .client import AsyncAppServerClient
from .commands import CommandMethods
from .config import ConfigMethods
from .fs import FsMethods
from .thread import AsyncThread

if TYPE_CHECKING:
    import os

    from .._protocol.choices import (
        ApprovalPolicyArg,
        PersonalityArg,
        ReviewerArg,
        SandboxArg,
    )
    from ..generated.v2_all import (
        ApiKeyLoginAccountResponse,
        GetAccountResponse,
        InitializeResponse,
        LogoutAccountResponse,
        ModelListResponse,
        ThreadArchiveResponse,
        ThreadDeleteResponse,
        ThreadListResponse,
    )
    from ..generated.v2_all import Thread as StoredThread
    from .account import AsyncLoginHandle


#: `_reopen`: the arguments of `thread_resume` / `thread_fork` that are not protocol fields.
_NOT_FIELDS = frozenset({"self", "thread_id", "handlers", "tools", "hooks", "protocol_fields"})
_PARAMS_OF = {"thread/resume": "ThreadResumeParams", "thread/fork": "ThreadForkParams"}


class AsyncCodex(CommandMethods, FsMethods, ConfigMethods):
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
        hooks: Hooks | None = None,
    ) -> None:
        """Make the client; the app-server starts lazily.

        `handlers`: client-wide answers to the server's requests (approvals, questions,
        elicitations, tool calls; see `ServerRequestHandlers`; plain or `async` functions).
        Without them every approval is declined. `tools`: Python functions (or `Tool`s)
        offered to the agent on every `thread_start`. `transport` replaces the spawned
        app-server (tests use `AsyncMockTransport`). `hooks`: `Hooks` for every thread this
        client starts, resumes or forks (a thread's or a run's own override them per hook
        point).
        """
        check_config(config)
        self._hooks = hooks
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

        `hooks` (over the client's, per hook point): `before_tool` sees every command, file
        change and dynamic tool call before it runs (see `Hooks`); the thread then asks for
        approvals (`approval_policy="untrusted"`, `approvals_reviewer="user"` unless given).
        `limits` bound every run of the thread.
        """
        thread_tools = as_tools(tools)
        check_protocol_fields("thread_start", "ThreadStartParams", protocol_fields)
        hooks = merge(self._hooks, hooks)
        if needs_approvals(hooks):
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
        self._install(thread, hooks, handlers, thread_tools, None)
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
        hooks: Hooks | None = None,
        **protocol_fields: Any,
    ) -> AsyncThread:
        """Resume a stored thread (also in a fresh process: history is read from CODEX_HOME).

        The server remembers the thread's dynamic tools; `tools` provides their Python
        implementations in this process. `handlers` / `tools` replace what this client had
        for the thread (what is not given is kept); so do `hooks` (over the client's).
        """
        return await self._reopen("thread/resume", locals())

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
        hooks: Hooks | None = None,
        **protocol_fields: Any,
    ) -> AsyncThread:
        """Fork a thread into a new one with the same history.

        The fork keeps the source thread's dynamic tools (on the server) and, in this
        client, its handlers, tool implementations and hooks, unless `handlers` / `tools` /
        `hooks` are given.
        """
        return await self._reopen("thread/fork", locals())

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

    async def _reopen(self, method: str, args: dict[str, Any]) -> AsyncThread:
        """`thread/resume` or `thread/fork` of `args["thread_id"]`, from the public method's
        arguments (`locals()`): each named protocol field, then `protocol_fields`. The
        thread's handlers, tools and hooks are inherited from that thread, replaced by what
        is given."""
        fields = {k: v for k, v in args.items() if k not in _NOT_FIELDS}
        extra = args["protocol_fields"]
        check_protocol_fields(method.replace("/", "_"), _PARAMS_OF[method], extra)
        source, handlers, hooks = args["thread_id"], args["handlers"], args["hooks"]
        known = hook_states(self.client).get(source)
        # kept when not given, as the handlers are
        hooks = known.hooks if known is not None and hooks is None else merge(self._hooks, hooks)
        if needs_approvals(hooks):
            fields["approval_policy"] = fields["approval_policy"] or "untrusted"
            fields["approvals_reviewer"] = fields["approvals_reviewer"] or "user"
        fields["cwd"] = self._cwd(fields["cwd"])
        params = fork_params(source, **fields, **extra)
        answer = await self._request(method, params)
        thread = self._thread(answer)
        tools = {**ungated(self.client.handlers.thread_tools(source)), **as_tools(args["tools"])}
        if known is not None and handlers is None:
            self._install(thread, hooks, None, tools, source)  # the source's (wrapped) handlers
        else:
            self._install(thread, hooks, handlers, tools, None)
        if needs_approvals(hooks) and thread._hooks is not None:
            # The runtime keeps a loaded thread's settings on `thread/resume`: the approvals
            # the hook needs then go with the next `turn/start` (as a run's hook's do).
            thread._hooks.approvals = pending_approvals(params, answer)
        return thread

    def _install(
        self,
        thread: AsyncThread,
        hooks: Hooks | None,
        handlers: HandlersLike,
        tools: dict[str, Tool],
        inherit_from: str | None,
    ) -> None:
        """Register `thread`'s hooks, and its handlers and tools behind them: approvals are
        put to the `before_tool` in effect first (`hook_handlers`), and each dynamic tool,
        the client's too, passes it before it runs (`GatedTool`). With `inherit_from`, that
        thread's handlers (already behind the hooks) are kept."""
        states = hook_states(self.client)
        state = states[thread.id] = HookState(hooks, self._tell)
        thread._hooks = state
        every = {**self.client.handlers.tools, **tools}
        gated: list[GatedTool] = []
        if every:
            gate = tool_gate(states, thread.id)
            gated = [GatedTool(t, gate) for t in every.values()]
        if inherit_from is not None:
            wrapped = None
        elif handlers is None:
            wrapped = shared_hook_handlers(self.client)
        else:
            wrapped = hook_handlers(states, handlers)
        self.client.handlers.set_thread(thread.id, wrapped, gated, inherit_from=inherit_from)

    async def _tell(self, thread_id: str, turn_id: str, message: str) -> None:
        """Steer a `before_tool` deny message into the turn (`HookState.tell`)."""
        params = {"threadId": thread_id, "input": input_to_wire(message), "expectedTurnId": turn_id}
        try:
            with attached(self.client.traces.of(turn_id)):  # a request of that turn
                await self.client.request("turn/steer", params)
        except CodexError as exc:
            logger.warning("could not tell turn %s why its hook denied: %s", turn_id, exc)

    def _thread(self, result: Any) -> AsyncThread:
        thread = AsyncThread(self.client, result["thread"]["id"], result)
        thread._hooks = hook_states(self.client).get(thread.id)
        return thread

    def _cwd(self, cwd: str | os.PathLike[str] | None) -> str | None:
        return check_cwd(cwd, remote=self.client.config.is_remote)

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
