"""Structured output through the real app-server: what the model API receives, and the
final message parsed into the requested model."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from codex_app_server import AppServerConfig, AsyncCodex, Codex, StructuredOutputError
from codex_app_server.testing import Reply, ScriptedModel
from tests.support.schemas import schema_nodes

pytestmark = pytest.mark.integration


class Step(BaseModel):
    title: str
    done: bool = False


class Plan(BaseModel):
    """A short plan."""

    goal: str = Field(description="what the plan achieves")
    steps: list[Step]
    risk: Literal["low", "medium", "high"] = "low"
    owner: str | None = None


PLAN_JSON = {
    "goal": "ship",
    "steps": [{"title": "test", "done": True}, {"title": "release", "done": False}],
    "risk": "medium",
    "owner": None,
}


def assert_strict_compatible(schema: dict[str, Any]) -> None:
    """What the OpenAI API's strict mode requires of a schema."""
    assert schema["type"] == "object"
    for node in (n for n in schema_nodes(schema) if n.get("type") == "object"):
        assert node.get("additionalProperties") is False, node
        assert sorted(node.get("required", [])) == sorted(node.get("properties", {})), node
    text = json.dumps(schema)
    assert '"oneOf"' not in text and '"default"' not in text


def test_run_parses_the_final_message_into_the_model(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text(json.dumps(PLAN_JSON), deltas=5))
    with Codex(codex_config) as codex:
        result = codex.thread_start().run("Plan the release.", output_schema=Plan)
    assert isinstance(result.parsed, Plan)
    assert result.parsed.steps[0] == Step(title="test", done=True)
    assert result.parsed.risk == "medium" and result.parsed.owner is None
    # What the app-server forwarded to the model API: a strict json_schema format.
    text_format = scripted_model.requests[0].body["text"]["format"]
    assert text_format["type"] == "json_schema" and text_format["strict"] is True
    assert_strict_compatible(text_format["schema"])
    assert text_format["schema"]["properties"]["goal"]["description"] == "what the plan achieves"


def test_dict_schema_is_forwarded_unchanged(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}},
        "required": ["answer"],
        "additionalProperties": False,
    }
    scripted_model.enqueue(Reply.text('{"answer": 42}'))
    with Codex(codex_config) as codex:
        result = codex.thread_start().run("6 x 7?", output_schema=schema)
    assert result.final_response == '{"answer": 42}'
    assert result.parsed is None  # a dict schema is not parsed
    assert scripted_model.requests[0].body["text"]["format"]["schema"] == schema


def test_output_that_does_not_validate_raises_with_the_result(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text("I cannot make a plan for that."))
    with Codex(codex_config) as codex, pytest.raises(StructuredOutputError) as caught:
        codex.thread_start().run("Plan it.", output_schema=Plan)
    assert caught.value.text == "I cannot make a plan for that."
    assert caught.value.result.final_response == "I cannot make a plan for that."
    assert caught.value.result.parsed is None


async def test_async_run_parses_too(
    scripted_model: ScriptedModel, codex_config: AppServerConfig
) -> None:
    scripted_model.enqueue(Reply.text(json.dumps(PLAN_JSON)))
    async with AsyncCodex(codex_config) as codex:
        thread = await codex.thread_start()
        result = await thread.run("Plan the release.", output_schema=Plan)
    assert isinstance(result.parsed, Plan) and len(result.parsed.steps) == 2
    assert_strict_compatible(scripted_model.requests[0].body["text"]["format"]["schema"])
