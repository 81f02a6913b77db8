"""Batch runs: many prompts, one result each, on two app-servers, resumable.

`run_batch` yields a `TaskResult` per task as it finishes. With `results_path`, each one
is also a line of a JSONL file, flushed at once: stop the run (Ctrl-C) and run it again
with `resume=True`, and only the tasks without a row run. A failing task is a result
(status "failed" and an `error`), never an exception.

    python examples/09_batch/sync.py                       # with your account
    python examples/_offline.py examples/09_batch/sync.py  # offline
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from codex_app_server import AppServerConfig
from codex_app_server.batch import Task, read_results, run_batch

if TYPE_CHECKING:
    from codex_app_server.testing import RecordedRequest, Reply, ScriptedModel

WORDS = ["stressed", "drawer", "level", "gateman", "reward", "stop"]


def main(config: AppServerConfig | None = None) -> None:
    tasks = [
        Task(id=word, prompt=f"Spell '{word}' backwards. Answer with the word only.")
        for word in WORDS
    ]
    with tempfile.TemporaryDirectory() as tmp:
        results_path = Path(tmp) / "results.jsonl"

        # A first run, stopped after three results (as Ctrl-C would).
        batch = run_batch(tasks, config=config, workers=2, concurrency=2, results_path=results_path)
        for result in itertools.islice(batch, 3):
            print(f"first run: {result.id} -> {result.final_response}")
        batch.close()

        # The re-run skips what is done and runs the rest.
        for result in run_batch(
            tasks, config=config, workers=2, results_path=results_path, resume=True
        ):
            print(f"resumed: {result.id} -> {result.final_response} ({result.status})")

        rows = read_results(results_path)
        done = sum(row["status"] == "completed" for row in rows.values())
        print(f"{done} of {len(tasks)} tasks completed; one row each in {results_path.name}")


def answer(request: RecordedRequest) -> Reply:
    """Offline: the scripted model spells the word of the prompt backwards."""
    from codex_app_server.testing import Reply

    word = (request.last_user_text or "").split("'")[1]
    return Reply.text(word[::-1])


def script(model: ScriptedModel) -> None:
    """The model replies this example needs offline."""
    model.respond_with(answer)


if __name__ == "__main__":
    main()
