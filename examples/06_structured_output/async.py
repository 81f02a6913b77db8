"""Structured output, asyncio: several typed answers at once, and a schema dict.

python examples/06_structured_output/async.py                       # with your Codex account
python examples/_offline.py examples/06_structured_output/async.py  # offline, scripted model
"""

import asyncio
import json
from typing import TYPE_CHECKING

from pydantic import BaseModel

from codex_app_server import AppServerConfig, AsyncCodex, StructuredOutputError

if TYPE_CHECKING:
    from codex_app_server.testing import RecordedRequest, ScriptedModel


class Estimate(BaseModel):
    task: str
    hours: float
    confidence: float


async def main(config: AppServerConfig | None = None) -> None:
    async with AsyncCodex(config) as codex:
        tasks = ["add a --json flag", "migrate to pydantic 2"]
        threads = [await codex.thread_start() for _ in tasks]
        results = await asyncio.gather(
            *(
                thread.run(f"Estimate: {task}", output_schema=Estimate)
                for thread, task in zip(threads, tasks, strict=True)
            )
        )
        for result in results:
            estimate: Estimate = result.parsed
            print(f"{estimate.task}: {estimate.hours} h (confidence {estimate.confidence:.0%})")

        # A plain JSON schema dict is sent as given (it must suit the API's strict mode);
        # the text is not parsed for you.
        schema = {
            "type": "object",
            "properties": {"yes": {"type": "boolean"}},
            "required": ["yes"],
            "additionalProperties": False,
        }
        thread = await codex.thread_start()
        answer = await thread.run("Is Python dynamically typed?", output_schema=schema)
        print("dict schema:", json.loads(answer.final_response or "{}"))

        try:
            await thread.run("Estimate something impossible.", output_schema=Estimate)
        except StructuredOutputError as exc:
            print("not an Estimate:", exc.text)


def script(model: "ScriptedModel") -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import Reply

    def reply(request: "RecordedRequest") -> Reply:
        prompt = request.last_user_text or ""
        if "--json" in prompt:
            return Reply.text('{"task": "add a --json flag", "hours": 3, "confidence": 0.8}')
        if "pydantic" in prompt:
            return Reply.text('{"task": "migrate to pydantic 2", "hours": 16, "confidence": 0.5}')
        if "dynamically" in prompt:
            return Reply.text('{"yes": true}')
        return Reply.text("I can't estimate that.")

    model.respond_with(reply)


if __name__ == "__main__":
    asyncio.run(main())
