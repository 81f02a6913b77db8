"""Params of the high-level API's requests, shared by the sync and async objects."""

from __future__ import annotations

from typing import Any

from ._inputs import Input, input_to_wire
from ._models import to_wire


def camel(name: str) -> str:
    """snake_case -> camelCase (`model_providers` -> `modelProviders`)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_params(**fields: Any) -> dict[str, Any]:
    """camelCase params from keyword fields, without the ones left as None."""
    return {camel(k): to_wire(v) for k, v in fields.items() if v is not None}


def output_schema_to_wire(output_schema: Any) -> Any:
    """A JSON schema dict, or a pydantic model class turned into its JSON schema."""
    if output_schema is None or isinstance(output_schema, dict):
        return output_schema
    schema_of = getattr(output_schema, "model_json_schema", None)
    if schema_of is None:
        raise TypeError("output_schema must be a JSON schema dict or a pydantic model class")
    return schema_of()


def turn_start_params(thread_id: str, input: str | Input, **fields: Any) -> dict[str, Any]:
    """Params of `turn/start`."""
    fields["output_schema"] = output_schema_to_wire(fields.get("output_schema"))
    return {"threadId": thread_id, "input": input_to_wire(input), **wire_params(**fields)}


def fork_params(thread_id: str, **fields: Any) -> dict[str, Any]:
    """Params of `thread/fork`; an ephemeral fork must exclude turns (the server insists)."""
    params = {"threadId": thread_id, **wire_params(**fields)}
    if params.get("ephemeral"):
        params.setdefault("excludeTurns", True)
    return params


def parse_structured(output_schema: Any, text: str | None) -> Any:
    """With a pydantic model class as `output_schema`, the final text validated into it."""
    if text is None or output_schema is None or isinstance(output_schema, dict):
        return None
    validate_json = getattr(output_schema, "model_validate_json", None)
    return validate_json(text) if validate_json is not None else None
