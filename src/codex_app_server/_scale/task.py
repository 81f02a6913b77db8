"""`Task` and `TaskResult`: one unit of batch work and what became of it (JSON-friendly)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

TaskStatus = Literal["completed", "failed", "interrupted", "timed_out"]
STATUSES: tuple[str, ...] = get_args(TaskStatus)

#: `Task` fields that go to `thread_start` as they are (the rest of its keyword arguments
#: can be given in `Task.thread_options`).
_THREAD_FIELDS = ("cwd", "model")


@dataclass
class Task:
    """One prompt to run on a new thread.

    Attributes:
        id: unique within a batch; results and resumption are keyed by it.
        prompt: the user message (or give `input`: any SDK `Input`, e.g. a `TextInput`
            plus a `LocalImageInput`).
        input: alternative to `prompt`.
        cwd: the thread's working directory (default: the app-server's).
        model: the model id (default: the Codex config's).
        thread_options: more `thread_start` keyword arguments (`approval_policy`,
            `sandbox`, `developer_instructions`, `config`, ...).
        output_schema: a JSON schema dict or a pydantic model class; the result's `parsed`
            holds the validated answer.
        metadata: anything JSON-serialisable, copied to the result.
        timeout: seconds the turn may take (default: the batch's `timeout`).
    """

    id: str
    prompt: str | None = None
    input: Any = None
    cwd: str | None = None
    model: str | None = None
    thread_options: dict[str, Any] = field(default_factory=dict)
    output_schema: Any = None
    metadata: dict[str, Any] | None = None
    timeout: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"Task.id must be a non-empty string, not {self.id!r}")
        if (self.prompt is None) == (self.input is None):
            raise ValueError(f"task {self.id!r}: give exactly one of prompt= or input=")

    @property
    def turn_input(self) -> Any:
        """What `thread.run()` is given."""
        return self.prompt if self.prompt is not None else self.input

    def thread_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `thread_start`."""
        kwargs = dict(self.thread_options)
        for name in _THREAD_FIELDS:
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        return kwargs

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Task:
        """A task from one line of a tasks file: `{"id", "prompt", "cwd"?, "model"?,
        "output_schema"? (a JSON schema), "metadata"?, "timeout"?, "thread_options"?}`."""
        if not isinstance(data, dict):
            raise ValueError(f"a task must be a JSON object, not {type(data).__name__}")
        known = {"id", "prompt", "cwd", "model", "thread_options", "output_schema"}
        known |= {"metadata", "timeout"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"task {data.get('id')!r}: unknown fields {unknown}")
        task_id = data.get("id")
        if isinstance(task_id, int) and not isinstance(task_id, bool):
            task_id = str(task_id)
        return cls(
            id=task_id,  # type: ignore[arg-type]
            prompt=data.get("prompt"),
            cwd=data.get("cwd"),
            model=data.get("model"),
            thread_options=dict(data.get("thread_options") or {}),
            output_schema=data.get("output_schema"),
            metadata=data.get("metadata"),
            timeout=data.get("timeout"),
        )


@dataclass
class TaskResult:
    """What became of one `Task`: one line of a results file.

    Attributes:
        id: the task's id.
        status: "completed", "failed", "interrupted" or "timed_out".
        final_response: the turn's final answer text (None if none).
        parsed: with an `output_schema`, the answer: decoded JSON for a JSON-schema dict
            (the model API enforces the schema), a validated instance for a pydantic model
            class (JSON data again once written to and read back from a results file).
        usage: the turn's token usage as JSON (None if the server reported none).
        error: why the task did not complete (None when it did).
        thread_id / turn_id: where it ran (the thread is archived unless kept).
        worker: index of the worker (app-server / Ray actor) that produced the result.
        attempts: how many times the task was started (retries and worker deaths count).
        started_at / finished_at: wall-clock times (seconds since the epoch).
        duration: seconds from the last attempt's start to its end.
        items: the turn's completed items as JSON.
        metadata: the task's metadata.
    """

    id: str
    status: TaskStatus
    final_response: str | None = None
    parsed: Any = None
    usage: dict[str, Any] | None = None
    error: str | None = None
    thread_id: str | None = None
    turn_id: str | None = None
    worker: int | None = None
    attempts: int = 1
    started_at: float = field(default_factory=time.time)
    finished_at: float = field(default_factory=time.time)
    duration: float = 0.0
    items: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when the task completed."""
        return self.status == "completed"

    def to_json(self) -> dict[str, Any]:
        """This result as JSON data (one line of a results file)."""
        parsed = self.parsed
        dump = getattr(parsed, "model_dump", None)
        if callable(dump):
            parsed = dump(mode="json")
        return {
            "id": self.id,
            "status": self.status,
            "final_response": self.final_response,
            "parsed": parsed,
            "usage": self.usage,
            "error": self.error,
            "thread_id": self.thread_id,
            "turn_id": self.turn_id,
            "worker": self.worker,
            "attempts": self.attempts,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration": self.duration,
            "items": self.items,
            "metadata": self.metadata,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskResult:
        """A result read back from a results file."""
        status = data.get("status")
        if status not in STATUSES:
            raise ValueError(f"unknown task status {status!r}")
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**fields)


def failed_result(
    task: Task, error: str, *, status: TaskStatus = "failed", **extra: Any
) -> TaskResult:
    """A result for a task that could not run."""
    return TaskResult(id=task.id, status=status, error=error, metadata=task.metadata, **extra)
