"""The asyncio thread: `AsyncThread` (turns, runs, history, goals)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from .._protocol.choices import check_effort
from .._protocol.errors import JsonRpcError
from .._protocol.guards import (
    check_cwd,
    check_protocol_fields,
    login_problem,
    supported_efforts,
)
from .._protocol.hooks import Hooks, HookState, PromptContext, TurnEnd, follow_up, needs_approvals
from .._protocol.limits import LimitTracker, RunLimitExceeded, RunLimits
from .._protocol.params import turn_start_params, wire_params
from .._protocol.run_result import RunResult
from .._protocol.structured_output import attach_parsed
from .._protocol.tracing import attached
from .._warmup import WARMUP, avalidate
from .backend import call_hook, monotonic, run_turn
from .client import AsyncAppServerClient
from .turn import AsyncTurnHandle, limit_tracker

if TYPE_CHECKING:
    import os

    from .._protocol.choices import (
        ApprovalPolicyArg,
        EffortArg,
        PersonalityArg,
        ReviewerArg,
        SandboxPolicyArg,
        SummaryArg,
    )
    from .._protocol.inputs import RunInput
    from ..generated.v2_all import (
        CommandExecutionThreadItem,
        ThreadCompactStartResponse,
        ThreadDeleteResponse,
        ThreadGoal,
        ThreadItemEntry,
        ThreadReadResponse,
        ThreadRevertResponse,
        ThreadSetNameResponse,
        Turn,
    )


class AsyncThread:
    """A conversation. `run()` for the common case, `turn()` for control."""

    def __init__(self, client: AsyncAppServerClient, thread_id: str, info: Any = None) -> None:
        self.client = client
        self.id = thread_id
        # Only what is read later: a thread's whole `thread/start` answer is a tree of
        # dicts and lists the garbage collector would walk for as long as the thread lives.
        self._model = _model_of(info)
        #: Run limits for every `run()` and `turn()` of this thread (tightened per run).
        self.limits: RunLimits | None = None
        self._hooks: HookState | None = None  # set by the client that made the thread
        self._run_turns = 0  # the turn count of the running `run()`, 0 outside one

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
        reached; `handle.stopped_by` then names it. The `before_prompt` hook in effect may
        rewrite `input`; one that raises (or times out) stops the turn before it is sent, and
        its error is raised here.

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
        state = self._hooks
        hooks = state.current() if state is not None else None
        if hooks is not None and state is not None:
            if hooks.before_prompt is not None:
                context = PromptContext(self.id, input, self._run_turns or 1)
                new = await call_hook(
                    hooks.before_prompt, context, hooks.timeout, "before_prompt", strict=True
                )
                input = follow_up(new) or input
            if needs_approvals(hooks) and not needs_approvals(state.hooks):
                # a run's before_tool on a thread started without one: ask from now on
                approval_policy = approval_policy or "untrusted"
                approvals_reviewer = approvals_reviewer or "user"
            elif state.approvals is not None and needs_approvals(hooks):
                # a resumed thread whose settings the runtime kept: ask from now on
                approval_policy = approval_policy or state.approvals[0]
                approvals_reviewer = approvals_reviewer or state.approvals[1]
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
        tracker = limit_tracker(self.limits, limits)
        trace = client.traces.start(self.id, model or self._model)
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
        if state is not None:
            state.turn_id = handle.id
            if approval_policy is not None and state.approvals is not None:
                state.approvals = None  # the runtime keeps them for later turns
            if hooks is not None and hooks.after_tool is not None:
                handle._hooks = state  # its stream calls after_tool
        if tracker is not None:
            tracker.turn_started()
            handle._watch_limits(tracker)
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
        hooks: Hooks | None = None,
        **protocol_fields: Any,
    ) -> RunResult:
        """Run a turn to completion and return its `RunResult`.

        Raises `TurnFailedError` if the turn fails. If the awaiting task is cancelled, the
        turn is interrupted on the server too (unless `interrupt_on_cancel=False`).

        `limits` (tightening `thread.limits`) bound the run: when one is reached the turn is
        interrupted and `RunResult.stopped_by` names it (`raise_on_limit=True` raises
        `RunLimitExceeded` instead). `on_turn_end(TurnEnd)` (plain or `async`) may return a
        follow-up prompt to continue the run with another turn, up to `max_turns`.

        `hooks` apply to this run only, over the thread's and the client's (per hook point);
        `on_turn_end=` wins over `hooks.on_turn_end`.
        """
        state = self._hooks
        if hooks is not None:
            if state is None:
                state = self._hooks = HookState(None)
            outer, state.run = state.run, hooks
        try:
            return await self._run(
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
                limits=limits,
                on_turn_end=on_turn_end,
                raise_on_limit=raise_on_limit,
                **protocol_fields,
            )
        finally:
            self._run_turns = 0
            if hooks is not None and state is not None:
                state.run = outer

    async def _run(
        self,
        input: RunInput,
        *,
        limits: RunLimits | None,
        on_turn_end: Any,
        raise_on_limit: bool,
        **fields: Any,
    ) -> RunResult:
        """`run()` with its hooks in effect: the turns, the follow-ups, the limits."""
        bounds = (self.limits or RunLimits()).tighter(limits)
        tracker = LimitTracker(bounds, monotonic()) if not bounds.unbounded else None
        current = self._hooks.current() if self._hooks is not None else None
        if on_turn_end is None and current is not None:
            on_turn_end = current.on_turn_end
        timeout = current.timeout if current is not None else 30.0
        turns = 0
        while True:
            turns += 1
            self._run_turns = turns
            result = await self._run_one(input, tracker=tracker, **fields)
            result.turns = turns
            if result.stopped_by is None and on_turn_end is not None:
                turn_id = result.turn.id if result.turn is not None else ""
                status = result.turn.status.value if result.turn is not None else None
                end = TurnEnd(self.id, turn_id, status, result, turns)
                follow = await call_hook(on_turn_end, end, timeout, "on_turn_end")
                if follow:
                    if tracker is not None and (
                        tracker.turn_started() is not None
                        or tracker.check_time(monotonic()) is not None
                    ):  # no follow-up past max_turns, nor once max_duration is up
                        result.stopped_by = tracker.reached
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
        from .command_process import run_shell_command

        params = wire_params(thread_id=self.id, command=command, timeout_ms=timeout_ms)
        return await run_shell_command(self.client, self.id, params, timeout)


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
