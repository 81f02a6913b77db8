"""Batch runs, asyncio: `arun_batch` is the async twin of `run_batch`.

Here the tasks ask for structured output (a JSON schema: the answer is decoded into
`result.parsed`), a progress callback reports the counts, and one task fails on purpose:
its failure is a result like any other.

    python examples/09_batch/async.py                       # with your account
    python examples/_offline.py examples/09_batch/async.py  # offline
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig
from codex_app_server.batch import BatchProgress, Task, arun_batch

if TYPE_CHECKING:
    from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

SCHEMA = {
    "type": "object",
    "properties": {"language": {"type": "string"}, "year": {"type": "integer"}},
    "required": ["language", "year"],
    "additionalProperties": False,
}
LANGUAGES = ["Python", "Rust", "Go", "Haskell"]


async def main(config: AppServerConfig | None = None) -> None:
    tasks = [
        Task(
            id=name.lower(),
            prompt=f"In which year did {name} first appear? Answer in JSON.",
            output_schema=SCHEMA,
            metadata={"language": name},
        )
        for name in LANGUAGES
    ]
    tasks.append(Task(id="cobol", prompt="In which year did COBOL (unknown) first appear?"))
    last: list[BatchProgress] = []

    async for result in arun_batch(
        tasks, config=config, workers=2, concurrency=2, progress=last.append, timeout=120
    ):
        if result.ok:
            print(f"{result.id}: {result.parsed}")
        else:
            print(f"{result.id}: {result.status}: {result.error}")
    final = last[-1]
    print(f"completed {final.completed}, failed {final.failed}, in {final.elapsed:.1f} s")


YEARS = {"Python": 1991, "Rust": 2010, "Go": 2009, "Haskell": 1990}


def answer(request: RecordedRequest) -> Reply:
    """Offline: a JSON answer for the languages it knows; an API error for the rest."""
    from codex_app_server.testing import Reply

    prompt = request.last_user_text or ""
    for name, year in YEARS.items():
        if f"did {name} " in prompt:
            return Reply.text(f'{{"language": "{name}", "year": {year}}}')
    return Reply.error(500, message="no idea")


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    model.respond_with(answer)


if __name__ == "__main__":
    asyncio.run(main())
