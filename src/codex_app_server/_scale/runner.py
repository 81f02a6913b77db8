"""Run one `Task` on one `AsyncCodex`: the unit shared by the local and the Ray backends.

Every outcome of the task itself is a `TaskResult`. Only the loss of the app-server (its
transport died, or the client was closed under us) raises `WorkerLost`, so that the
caller can run the task again elsewhere without writing a result for this attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING, Any

import orjson

from codex_app_server import (
    ClientClosedError,
    ServerBusyError,
    StructuredOutputError,
    TransportError,
    TurnFailedError,
    TurnTimeoutError,
)

from .task import Task, TaskResult, TaskStatus

if TYPE_CHECKING:
    from codex_app_server import AsyncCodex, AsyncThread, RunResult


class WorkerLost(Exception):
    """The app-server running a task went away; the attempt produced no result."""


class WorkerGone(WorkerLost):
    """The worker is down for good; the task was not started (it loses nothing)."""


class WorkerBusy(Exception):
    """The app-server answered -32001 (overloaded) before the task started."""


#: The errors that mean the app-server (or the connection to it) is gone.
LOST_CONNECTION = (TransportError, ClientClosedError)


async def run_task(
    codex: AsyncCodex,
    task: Task,
    *,
    timeout: float | None = None,
    keep_thread: bool = False,
    worker: int | None = None,
    attempt: int = 1,
) -> TaskResult:
    """Start a thread for `task`, run its one turn, archive the thread (unless
    `keep_thread`), and say what happened. Raises only `WorkerLost` and `WorkerBusy`."""
    started_at = time.time()
    t0 = time.monotonic()
    base: dict[str, Any] = {"worker": worker, "attempts": attempt, "started_at": started_at}

    def finish(status: TaskStatus, **fields: Any) -> TaskResult:
        return TaskResult(
            id=task.id,
            status=status,
            metadata=task.metadata,
            finished_at=time.time(),
            duration=time.monotonic() - t0,
            **base,
            **fields,
        )

    try:
        thread = await codex.thread_start(**task.thread_kwargs())
    except LOST_CONNECTION as exc:
        raise WorkerLost(str(exc)) from exc
    except ServerBusyError as exc:
        raise WorkerBusy(str(exc)) from exc
    except Exception as exc:
        return finish("failed", error=f"thread_start: {_describe(exc)}")
    base["thread_id"] = thread.id
    lost = False
    try:
        limit = task.timeout if task.timeout is not None else timeout
        result = await asyncio.wait_for(
            thread.run(task.turn_input, output_schema=task.output_schema), limit
        )
        if isinstance(task.output_schema, dict) and result.final_response is not None:
            try:  # the SDK validates model classes; a JSON schema's answer is decoded here
                result.parsed = orjson.loads(result.final_response)
            except orjson.JSONDecodeError as exc:
                fields = _result_fields(result)
                fields.pop("_status")
                fields.pop("parsed")
                return finish("failed", error=f"structured output: not JSON: {exc}", **fields)
        return _from_run(result, finish)
    except LOST_CONNECTION as exc:
        lost = True
        raise WorkerLost(str(exc)) from exc
    except ServerBusyError as exc:
        raise WorkerBusy(str(exc)) from exc
    except (asyncio.TimeoutError, TurnTimeoutError):
        return finish("timed_out", error=f"the turn took longer than {limit} s")
    except TurnFailedError as exc:
        turn = exc.turn if isinstance(exc.turn, dict) else {}
        return finish("failed", error=str(exc), turn_id=exc.turn_id or turn.get("id"))
    except StructuredOutputError as exc:
        fields = _result_fields(exc.result) if exc.result is not None else {}
        fields.pop("parsed", None)
        return finish("failed", error=f"structured output: {exc}", **fields)
    except Exception as exc:
        return finish("failed", error=_describe(exc))
    finally:
        if not keep_thread and not lost:
            await _archive_quietly(codex, thread)


def _from_run(result: RunResult, finish: Any) -> TaskResult:
    fields = _result_fields(result)
    status = fields.pop("_status")
    if status == "interrupted":
        return finish("interrupted", error="the turn was interrupted", **fields)  # type: ignore[no-any-return]
    return finish("completed", **fields)  # type: ignore[no-any-return]


def _result_fields(result: RunResult) -> dict[str, Any]:
    turn = result.turn
    status = getattr(getattr(turn, "status", None), "value", getattr(turn, "status", None))
    return {
        "_status": status,
        "final_response": result.final_response,
        "parsed": result.parsed,
        "usage": _dump(result.usage),
        "turn_id": getattr(turn, "id", None),
        "items": [_dump(item) for item in result.items],
    }


def _dump(model: Any) -> Any:
    if model is None:
        return None
    root = getattr(model, "root", None)  # RootModel unions (ThreadItem)
    target = root if root is not None and hasattr(root, "model_dump") else model
    return target.model_dump(mode="json", by_alias=True, exclude_none=True)


async def _archive_quietly(codex: AsyncCodex, thread: AsyncThread) -> None:
    """Unload the finished thread so that the server's memory stays flat."""
    with contextlib.suppress(Exception):  # housekeeping: never fail a task over it
        await codex.thread_archive(thread.id)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
