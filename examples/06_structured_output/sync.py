"""Structured output: get the answer as a validated pydantic model.

python examples/06_structured_output/sync.py                       # with your Codex account
python examples/_offline.py examples/06_structured_output/sync.py  # offline, scripted model

`run(..., output_schema=SomeModel)` sends the model's JSON schema, made valid for the
OpenAI API's strict mode (every object closed with `additionalProperties: false`, every
field required; optional fields become nullable), and returns `result.parsed`, the final
message validated into `SomeModel`. A message that does not validate raises
`StructuredOutputError` (with `.text` and `.result`). A dict schema is sent as given.
"""

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from codex_app_server import AppServerConfig, Codex

if TYPE_CHECKING:
    from codex_app_server.testing import ScriptedModel


class Finding(BaseModel):
    file: str
    line: int
    severity: Literal["low", "medium", "high"]
    message: str


class Review(BaseModel):
    """A code review."""

    summary: str = Field(description="one or two sentences")
    findings: list[Finding]
    approve: bool
    follow_up: str | None = None


def main(config: AppServerConfig | None = None) -> None:
    with Codex(config) as codex:
        thread = codex.thread_start()
        result = thread.run("Review the error handling in this repository.", output_schema=Review)
        review: Review = result.parsed
        print("summary:", review.summary)
        for finding in review.findings:
            print(f"- [{finding.severity}] {finding.file}:{finding.line} {finding.message}")
        print("approve:", review.approve, "| follow-up:", review.follow_up)


def script(model: "ScriptedModel") -> None:
    """The model replies this example needs offline."""
    from codex_app_server.testing import Reply

    review = Review(
        summary="Errors are mostly handled; one bare except hides failures.",
        findings=[
            Finding(file="app/io.py", line=42, severity="high", message="bare except"),
            Finding(file="app/cli.py", line=7, severity="low", message="exit code 0 on error"),
        ],
        approve=False,
        follow_up=None,
    )
    model.enqueue(Reply.text(review.model_dump_json(), deltas=8))


if __name__ == "__main__":
    main()
