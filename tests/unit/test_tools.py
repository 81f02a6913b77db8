"""`@tool` / `Tool.from_function`: names, descriptions, input schemas, argument validation,
return values, failures; and the strict structured-output schema."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, TypeAdapter

from codex_app_server import StructuredOutputError, Tool, tool
from codex_app_server._protocol.structured_output import (
    output_schema_to_wire,
    parse_structured,
    strict_json_schema,
)
from codex_app_server.generated import v2_all
from tests.support.schemas import schema_nodes


def invoke(tool: Tool, arguments: Any) -> dict[str, Any]:
    """A sync function's reply (`invoke` returns an awaitable for an async one only)."""
    reply = tool.invoke(arguments)
    assert isinstance(reply, dict), reply
    return reply


def text_of(reply: Any) -> str:
    TypeAdapter(v2_all.DynamicToolCallResponse).validate_python(reply)  # always schema-valid
    return str(reply["contentItems"][0]["text"])


def test_name_description_and_schema_come_from_the_function() -> None:
    @tool
    def get_weather(city: str, unit: Literal["C", "F"] = "C", days: int = 1) -> str:
        """The current weather in a city.

        Uses the cached forecast.

        Args:
            city: the city name, e.g. "Paris".
                Case does not matter.
            unit (str): temperature unit.

        Returns:
            A sentence.
        """
        return f"{days}d {city} 22{unit}"

    assert isinstance(get_weather, Tool)
    assert get_weather.name == "get_weather"
    assert get_weather.description == "The current weather in a city. Uses the cached forecast."
    assert get_weather.input_schema == {
        "type": "object",
        "properties": {
            "city": {
                "type": "string",
                "description": 'the city name, e.g. "Paris". Case does not matter.',
            },
            "unit": {
                "type": "string",
                "enum": ["C", "F"],
                "default": "C",
                "description": "temperature unit.",
            },
            "days": {"type": "integer", "default": 1},
        },
        "required": ["city"],
        "additionalProperties": False,
    }
    assert get_weather.spec() == {
        "type": "function",
        "name": "get_weather",
        "description": get_weather.description,
        "inputSchema": get_weather.input_schema,
    }
    # Still a function.
    assert get_weather("Oslo", "F") == "1d Oslo 22F"


def test_overrides_field_descriptions_and_sphinx_docstrings() -> None:
    def search(
        query: Annotated[str, Field(description="what to look for", min_length=1)],
        limit: int = Field(5, ge=1, le=50, description="how many"),
        json: bool = False,
    ) -> list[str]:
        """:param query: ignored, the Field wins
        :param json: return JSON
        """
        return [query] * limit

    t = Tool.from_function(search, name="find", description="Search the docs.")
    assert (t.name, t.description) == ("find", "Search the docs.")
    props = t.input_schema["properties"]
    assert props["query"] == {"type": "string", "minLength": 1, "description": "what to look for"}
    assert props["limit"] == {
        "type": "integer",
        "default": 5,
        "minimum": 1,
        "maximum": 50,
        "description": "how many",
    }
    assert props["json"] == {"type": "boolean", "default": False, "description": "return JSON"}
    assert t.invoke({"query": "x", "limit": 2}) == {
        "contentItems": [{"type": "inputText", "text": '["x","x"]'}],
        "success": True,
    }


def test_arguments_are_validated_and_coerced() -> None:
    seen: list[Any] = []

    @tool
    def add(a: int, b: float = 0.5, *, tags: list[str] | None = None) -> float:
        """Add."""
        seen.append((a, b, tags))
        return a + b

    assert text_of(add.invoke({"a": "2", "b": 1})) == "3.0"
    assert seen == [(2, 1.0, None)]
    reply = invoke(add, {"a": "two", "c": 1})
    assert reply["success"] is False
    assert text_of(reply) == (
        "invalid arguments for tool 'add': a: Input should be a valid integer, unable to parse "
        "string as an integer; c: Extra inputs are not permitted"
    )
    assert invoke(add, {})["success"] is False
    assert invoke(add, "not json")["success"] is False
    assert text_of(add.invoke('{"a": 1}')) == "1.5"  # a JSON string is decoded
    assert len(seen) == 2


def test_a_lone_pydantic_model_parameter_is_the_input() -> None:
    class Ticket(BaseModel):
        """A ticket to file."""

        title: str
        priority: Literal["low", "high"] = "low"

    @tool
    def file_ticket(ticket: Ticket) -> Ticket:
        return ticket

    assert file_ticket.description == "file_ticket"
    assert file_ticket.input_schema["required"] == ["title"]
    assert set(file_ticket.input_schema["properties"]) == {"title", "priority"}
    assert json.loads(text_of(file_ticket.invoke({"title": "Bug"}))) == {
        "title": "Bug",
        "priority": "low",
    }
    assert invoke(file_ticket, {"priority": "urgent"})["success"] is False


def test_exceptions_become_failed_replies() -> None:
    @tool
    def explode(reason: str) -> str:
        """Fail."""
        raise ValueError(reason)

    reply = invoke(explode, {"reason": "disk full"})
    assert reply["success"] is False
    assert text_of(reply) == "tool 'explode' failed: ValueError: disk full"


def test_async_tools_return_awaitables() -> None:
    @tool(name="slow_echo")
    async def echo(text: str) -> str:
        """Echo."""
        await asyncio.sleep(0)
        if text == "boom":
            raise RuntimeError("boom")
        return text

    assert echo.is_async
    pending = echo.invoke({"text": "hi"})
    assert text_of(asyncio.run(pending)) == "hi"  # type: ignore[arg-type]
    failed: Any = asyncio.run(echo.invoke({"text": "boom"}))  # type: ignore[arg-type]
    assert failed["success"] is False and "RuntimeError: boom" in text_of(failed)
    # Invalid arguments fail at once, without a coroutine.
    assert echo.invoke({})["success"] is False  # type: ignore[index]


@dataclasses.dataclass
class Point:
    x: int
    y: int


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        (42, "42"),
        (None, "null"),
        ({"a": [1, 2]}, '{"a":[1,2]}'),
        (Point(1, 2), '{"x":1,"y":2}'),
        (object, "<class 'object'>"),
    ],
)
def test_return_values_become_text(value: Any, text: str) -> None:
    assert text_of(Tool.from_function(lambda: value, name="f").invoke({})) == text


def test_a_full_reply_is_passed_through() -> None:
    reply = {"contentItems": [{"type": "inputImage", "imageUrl": "data:,"}], "success": True}
    assert Tool.from_function(lambda: reply, name="img").invoke({}) == reply
    model = v2_all.DynamicToolCallResponse(
        content_items=[{"type": "inputText", "text": "x"}],  # type: ignore[list-item]
        success=False,
    )
    assert Tool.from_function(lambda: model, name="m").invoke({}) == {
        "contentItems": [{"type": "inputText", "text": "x"}],
        "success": False,
    }


def test_bad_tools_are_refused() -> None:
    def variadic(*args: int) -> None: ...

    with pytest.raises(TypeError, match="args"):
        tool(variadic)
    with pytest.raises(ValueError, match="name"):
        Tool.from_function(lambda: None, name="has space")
    from codex_app_server._protocol.tools import as_tools

    def dup() -> None: ...

    with pytest.raises(ValueError, match="two tools"):
        as_tools([dup, tool(name="dup")(lambda: None)])


# -- structured output -----------------------------------------------------------------


class Address(BaseModel):
    city: str
    zip: str | None = None


class Person(BaseModel):
    """Someone."""

    name: str = Field(description="full name")
    age: int | None = None
    tags: list[str] = []
    home: Address = Field(description="where they live")
    kind: Literal["human"] = "human"
    pet: Cat | Dog | None = Field(default=None, discriminator="species")


class Cat(BaseModel):
    species: Literal["cat"]


class Dog(BaseModel):
    species: Literal["dog"]
    good: bool = True


Person.model_rebuild()


def test_model_schema_is_made_strict() -> None:
    schema = output_schema_to_wire(Person)
    for node in schema_nodes(schema):
        if node.get("type") == "object" and "properties" in node:
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])
        assert "oneOf" not in node and "default" not in node and "discriminator" not in node
        assert "const" not in node
        if "$ref" in node:
            assert len(node) == 1, "a $ref has no siblings in strict mode"
    assert schema["properties"]["home"]["description"] == "where they live"
    assert schema["properties"]["home"]["properties"]["city"] == {
        "title": "City",
        "type": "string",
    }
    assert schema["properties"]["kind"]["enum"] == ["human"]
    # The strict schema still validates what the model means.
    parsed = parse_structured(
        Person,
        '{"name": "Ada", "age": null, "tags": [], "home": {"city": "London", "zip": null},'
        ' "kind": "human", "pet": {"species": "dog", "good": true}}',
    )
    assert isinstance(parsed, Person) and isinstance(parsed.pet, Dog)


def test_dict_schema_is_sent_as_given() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer", "default": None}}}
    assert output_schema_to_wire(schema) is schema
    assert parse_structured(schema, '{"a": 1}') is None


def test_strict_schema_leaves_the_input_alone_and_handles_maps() -> None:
    schema = {
        "type": "object",
        "properties": {
            "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
            "items": {"allOf": [{"$ref": "#/$defs/Item"}], "description": "d"},
        },
        "$defs": {"Item": {"type": "object", "properties": {"n": {"type": "integer"}}}},
    }
    before = json.dumps(schema, sort_keys=True)
    strict = strict_json_schema(schema)
    assert json.dumps(schema, sort_keys=True) == before
    assert strict["properties"]["counts"]["additionalProperties"] == {"type": "integer"}
    assert strict["properties"]["items"] == {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
        "additionalProperties": False,
        "description": "d",
    }
    assert strict["$defs"]["Item"]["additionalProperties"] is False


def test_dataclass_output_and_bad_outputs() -> None:
    assert output_schema_to_wire(Point)["required"] == ["x", "y"]
    assert parse_structured(Point, '{"x": 1, "y": 2}') == Point(1, 2)
    with pytest.raises(TypeError):
        output_schema_to_wire(list[int])
    with pytest.raises(TypeError):
        output_schema_to_wire(int)
    with pytest.raises(StructuredOutputError) as caught:
        parse_structured(Person, "Sorry, I can't help with that.")
    assert caught.value.text == "Sorry, I can't help with that."
    assert parse_structured(Person, None) is None
