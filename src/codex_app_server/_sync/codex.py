"""The synchronous high-level API: `Codex`, `Thread`, `TurnHandle`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .._config import AppServerConfig
from .._protocol.errors import CodexError
from .._protocol.handlers import HandlersLike, ToolsLike, dynamic_tools_param
from .._protocol.inputs import Input, input_to_wire
from .._protocol.models import validate_as
from .._protocol.notifications import Notification
from .._protocol.params import fork_params, turn_start_params, wire_params
from .._protocol.run_result import RunResult, TurnCollector
from .._protocol.structured_output import attach_parsed
from .._protocol.tools import as_tools
from .._transport.base import SyncTransport
from .client import AppServerClient

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

    from .._async.account import LoginHandle
    from .._async.commands import CommandProcess
    from .._async.fs import FsWatch
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
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> None:
        """Start the app-server.

        `handlers`: client-wide answers to the server's requests (approvals, questions,
        elicitations, tool calls; see `ServerRequestHandlers`). Without them every approval
        is declined. `tools`: Python functions (or `Tool`s) offered to the agent on every
        `thread_start`. `transport` replaces the spawned app-server (tests use
        `MockTransport`).
        """
        self.client = AppServerClient(config, transport=transport, handlers=handlers, tools=tools)
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
        approvals_reviewer: Any = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> Thread:
        """Start a new thread.

        `handlers` answer this thread's server requests (before the client-wide ones).
        `tools` are Python functions (or `Tool`s) the agent can call in this thread, sent
        as `dynamicTools` with the client-wide ones. `approvals_reviewer="user"` with an
        `approval_policy` that asks (`"untrusted"`, `"on-request"`) routes approvals to
        the handlers.
        """
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
        thread = self._thread(self.client.request("thread/start", params))
        self.client.handlers.set_thread(thread.id, handlers, thread_tools.values())
        return thread

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
        approvals_reviewer: Any = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> Thread:
        """Resume a stored thread (also in a fresh process: history is read from CODEX_HOME).

        The server remembers the thread's dynamic tools; `tools` provides their Python
        implementations in this process. `handlers` / `tools` replace what this client had
        for the thread (what is not given is kept).
        """
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
        thread = self._thread(self.client.request("thread/resume", params))
        if handlers is not None or tools is not None:
            self.client.handlers.set_thread(thread.id, handlers, tools, inherit_from=thread.id)
        return thread

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
        approvals_reviewer: Any = None,
        handlers: HandlersLike = None,
        tools: ToolsLike = None,
    ) -> Thread:
        """Fork a thread into a new one with the same history.

        The fork keeps the source thread's dynamic tools (on the server) and, in this
        client, its handlers and tool implementations, unless `handlers` / `tools` are given.
        """
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
        thread = self._thread(self.client.request("thread/fork", params))
        self.client.handlers.set_thread(thread.id, handlers, tools, inherit_from=thread_id)
        return thread

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

    # -- protocol helpers: account --------------------------------------------------------

    def login_api_key(self, api_key: str) -> ApiKeyLoginAccountResponse:
        """Log in with an OpenAI API key (`account/login/start`); stored in CODEX_HOME."""
        response = self.client.account_login_start({"type": "apiKey", "apiKey": api_key})
        return response  # type: ignore[return-value]

    def login_chatgpt(self) -> LoginHandle:
        """Start a ChatGPT login in the browser: open `handle.auth_url`, then `handle.wait()`.

        The runtime takes the browser's redirect on localhost:1455. `handle.cancel()` ends
        the login (then `wait()` raises `LoginError`).
        """
        from .._async.account import start_login

        return start_login(self.client, {"type": "chatgpt"})

    def login_device_code(self) -> LoginHandle:
        """Start a ChatGPT device-code login: show `handle.verification_url` and
        `handle.user_code`, then `handle.wait()`.

        The runtime asks auth.openai.com for the code before answering: without network
        access this raises `InternalRpcError`.
        """
        from .._async.account import start_login

        return start_login(self.client, {"type": "chatgptDeviceCode"})

    def account(self, *, refresh_token: bool = False) -> GetAccountResponse:
        """The signed-in account (`account` is None when there is none) and whether the
        configured provider needs OpenAI auth."""
        return self.client.account_read(refresh_token=refresh_token or None)

    def logout(self) -> LogoutAccountResponse:
        """Log out: the stored credentials are removed from CODEX_HOME."""
        return self.client.account_logout()

    # -- protocol helpers: threads --------------------------------------------------------

    def iter_threads(
        self, *, page_size: int | None = None, **filters: Any
    ) -> Iterator[StoredThread]:
        """Every stored thread (generated `Thread` models), newest first, page by page.

        `filters` are the keyword fields of `thread/list` (`archived=`, `cwd=`,
        `search_term=`, `model_providers=`, `sort_key=`, ...); `page_size` is its `limit`.
        Resume one with `thread_resume(stored.id)`.
        """
        from .._async.paging import iter_pages

        return iter_pages(
            lambda cursor: self.client.thread_list(cursor=cursor, limit=page_size, **filters)
        )

    def thread_delete(self, thread_id: str) -> ThreadDeleteResponse:
        """Delete a stored thread and its history."""
        return self.client.thread_delete(thread_id=thread_id)

    # -- protocol helpers: commands -------------------------------------------------------

    def command_exec(
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

        from .._async.commands import command_params

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
        return self.client.command_exec(params, timeout=math.inf)

    def command_start(
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
    ) -> CommandProcess:
        """Start a command whose output streams back: iterate the `CommandProcess` for
        `CommandOutput` chunks, `wait()` for the exit code.

        `stdin=True` lets you `write()` to it; `tty=True` runs it in a PTY of `size`
        (rows, cols). Other arguments as for `command_exec`.
        """
        from .._async.commands import command_params, new_process_id, start_command

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
        return start_command(self.client, params)

    # -- protocol helpers: files (paths are made absolute against this process's cwd) ------

    def fs_read(self, path: str | os.PathLike[str]) -> bytes:
        """The bytes of a file, read by the app-server."""
        from .._async.fs import abs_path, decode_data

        return decode_data(self.client.fs_read_file(path=abs_path(path)).data_base64)

    def fs_read_text(self, path: str | os.PathLike[str], encoding: str = "utf-8") -> str:
        """The text of a file."""
        return self.fs_read(path).decode(encoding)

    def fs_write(
        self, path: str | os.PathLike[str], data: bytes | str, *, encoding: str = "utf-8"
    ) -> None:
        """Write a file (created or replaced); `str` data is encoded with `encoding`."""
        from .._async.fs import abs_path, encode_data

        self.client.fs_write_file(path=abs_path(path), data_base64=encode_data(data, encoding))

    def fs_list(self, path: str | os.PathLike[str]) -> list[FsReadDirectoryEntry]:
        """The entries of a directory (`file_name`, `is_directory`, `is_file`)."""
        from .._async.fs import abs_path

        return self.client.fs_read_directory(path=abs_path(path)).entries

    def fs_metadata(self, path: str | os.PathLike[str]) -> FsGetMetadataResponse:
        """Whether a path is a file, directory or symlink, and its timestamps."""
        from .._async.fs import abs_path

        return self.client.fs_get_metadata(path=abs_path(path))

    def fs_mkdir(self, path: str | os.PathLike[str], *, recursive: bool | None = None) -> None:
        """Create a directory (with its parents if `recursive`)."""
        from .._async.fs import abs_path

        self.client.fs_create_directory(path=abs_path(path), recursive=recursive)

    def fs_remove(
        self,
        path: str | os.PathLike[str],
        *,
        recursive: bool | None = None,
        force: bool | None = None,
    ) -> None:
        """Remove a file or directory (a non-empty directory needs `recursive`)."""
        from .._async.fs import abs_path

        self.client.fs_remove(path=abs_path(path), recursive=recursive, force=force)

    def fs_copy(
        self,
        source: str | os.PathLike[str],
        destination: str | os.PathLike[str],
        *,
        recursive: bool | None = None,
    ) -> None:
        """Copy a file (or a directory, with `recursive`)."""
        from .._async.fs import abs_path

        self.client.fs_copy(
            source_path=abs_path(source),
            destination_path=abs_path(destination),
            recursive=recursive,
        )

    def fs_watch(self, path: str | os.PathLike[str]) -> FsWatch:
        """Watch a file or directory: iterate the `FsWatch` (or `next(timeout)`) for its
        `FsChangedNotification`s; `close()` it to stop."""
        from .._async.fs import FsWatch, abs_path, new_watch_id

        watch = FsWatch(self.client, new_watch_id(), abs_path(path))
        watch._start()
        return watch

    # -- protocol helpers: config, skills, MCP --------------------------------------------

    def config_read(
        self, *, cwd: str | os.PathLike[str] | None = None, include_layers: bool = False
    ) -> ConfigReadResponse:
        """The effective configuration (as seen from `cwd`, with its layers if asked)."""
        return self.client.config_read(cwd=_fspath(cwd), include_layers=include_layers or None)

    def config_write(
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
        return self.client.config_value_write(params)

    def config_batch_write(
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
        return self.client.config_batch_write(params)

    def skills(
        self,
        *,
        cwds: Sequence[str | os.PathLike[str]] | None = None,
        force_reload: bool = False,
    ) -> SkillsListResponse:
        """The skills available in each of `cwds` (default: the server's working directory)."""
        return self.client.skills_list(
            cwds=[str(_fspath(c)) for c in cwds] if cwds is not None else None,
            force_reload=force_reload or None,
        )

    def mcp_servers(
        self,
        *,
        detail: Any = None,
        thread_id: str | None = None,
        server_name: str | None = None,
    ) -> list[McpServerStatus]:
        """The status of every configured MCP server (all pages of `mcpServerStatus/list`)."""
        from .._async.paging import iter_pages

        return list(
            iter_pages(
                lambda cursor: self.client.mcp_server_status_list(
                    cursor=cursor, detail=detail, thread_id=thread_id, server_name=server_name
                )
            )
        )


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
        try:
            for _ in handle.stream():  # collected as it goes; typed once, below
                pass
        except KeyboardInterrupt:
            with contextlib.suppress(CodexError):
                handle.interrupt()
            raise
        return attach_parsed(handle.collector.result(), output_schema)

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

    # -- protocol helpers -----------------------------------------------------------------

    def iter_turns(
        self,
        *,
        items_view: str | None = None,
        sort_direction: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[Turn]:
        """The thread's stored turns, newest first (`sort_direction="asc"`: oldest first),
        page by page. `items_view`: `"notLoaded"`, `"summary"` (default) or `"full"`.

        A thread with no user message yet has no stored history: the runtime refuses to
        list it (`InvalidRequestError`).
        """
        from .._async.paging import iter_pages
        from .._protocol.params import wire_params

        base = wire_params(thread_id=self.id, items_view=items_view, sort_direction=sort_direction)
        return iter_pages(
            lambda cursor: self.client.thread_turns_list(base, cursor=cursor, limit=page_size)
        )

    def iter_items(
        self,
        *,
        turn_id: str | None = None,
        sort_direction: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[ThreadItemEntry]:
        """The thread's stored items (each with its `turn_id`), oldest first, page by page;
        only those of `turn_id` if given."""
        from .._async.paging import iter_pages
        from .._protocol.params import wire_params

        base = wire_params(thread_id=self.id, turn_id=turn_id, sort_direction=sort_direction)
        return iter_pages(
            lambda cursor: self.client.thread_items_list(base, cursor=cursor, limit=page_size)
        )

    def delete(self) -> ThreadDeleteResponse:
        """Delete this thread and its stored history."""
        return self.client.thread_delete(thread_id=self.id)

    def revert(self, before_turn_id: str) -> ThreadRevertResponse:
        """Drop `before_turn_id` and every later turn from the stored history.

        Only the conversation is reverted, not changes made to files.
        """
        return self.client.thread_revert(thread_id=self.id, before_turn_id=before_turn_id)

    def rollback(self, turns: int = 1) -> ThreadRevertResponse:
        """Drop the newest `turns` turns from the stored history (see `revert`)."""
        import itertools

        from .._protocol.params import rollback_target

        newest = [turn.id for turn in itertools.islice(self.iter_turns(page_size=turns), turns)]
        return self.revert(rollback_target(newest, turns))

    def review(self, target: Any = None, *, delivery: str | None = None) -> TurnHandle:
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
        response = self.client.review_start(params)
        return TurnHandle(self.client, response.review_thread_id, response.turn.id)

    def goal_set(
        self,
        objective: str | None = None,
        *,
        status: str | None = None,
        token_budget: int | None = None,
    ) -> ThreadGoal:
        """Set (or update) the thread's goal; the goal as stored."""
        from .._protocol.params import wire_params

        params = wire_params(
            thread_id=self.id, objective=objective, status=status, token_budget=token_budget
        )
        return self.client.thread_goal_set(params).goal

    def goal_get(self) -> ThreadGoal | None:
        """The thread's goal, or None."""
        return self.client.thread_goal_get(thread_id=self.id).goal

    def goal_clear(self) -> bool:
        """Clear the thread's goal; True if there was one."""
        return self.client.thread_goal_clear(thread_id=self.id).cleared

    def shell_command(
        self, command: str, *, timeout_ms: int | None = None, timeout: float | None = None
    ) -> CommandExecutionThreadItem:
        """Run a shell command string on the thread, as the user would with `!cmd`, and
        return its completed `commandExecution` item (`aggregated_output`, `exit_code`).

        It runs unsandboxed in the thread's shell: as a turn of its own when the thread is
        idle, inside the running turn otherwise (whose stream shows it too). `timeout_ms`
        bounds the command (default one hour), `timeout` the wait here (default: none).
        One shell command at a time per thread.
        """
        from .._async.commands import run_shell_command
        from .._protocol.params import wire_params

        params = wire_params(thread_id=self.id, command=command, timeout_ms=timeout_ms)
        return run_shell_command(self.client, self.id, params, timeout)


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


def _fspath(path: str | os.PathLike[str] | None) -> str | None:
    """`os.fspath`, passing None through (for the protocol helpers)."""
    import os

    return None if path is None else os.fspath(path)
