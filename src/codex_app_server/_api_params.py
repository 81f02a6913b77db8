"""Params of the high-level API's requests, shared by the sync and async objects."""

from __future__ import annotations

from typing import Any

from ._inputs import Input, input_to_wire
from ._models import to_wire
from ._structured_output import output_schema_to_wire, parse_structured

__all__ = [
    "camel",
    "fork_params",
    "output_schema_to_wire",
    "parse_structured",
    "turn_start_params",
    "wire_params",
]


def camel(name: str) -> str:
    """snake_case -> camelCase (`model_providers` -> `modelProviders`)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_params(**fields: Any) -> dict[str, Any]:
    """camelCase params from keyword fields, without the ones left as None."""
    return {camel(k): to_wire(v) for k, v in fields.items() if v is not None}


def turn_start_params(thread_id: str, input: str | Input, **fields: Any) -> dict[str, Any]:
    """Params of `turn/start`. The output schema is sent as built (not through `to_wire`,
    which would drop keys whose value is None)."""
    output_schema = output_schema_to_wire(fields.pop("output_schema", None))
    params = {"threadId": thread_id, "input": input_to_wire(input), **wire_params(**fields)}
    if output_schema is not None:
        params["outputSchema"] = output_schema
    return params


def fork_params(thread_id: str, **fields: Any) -> dict[str, Any]:
    """Params of `thread/fork`; an ephemeral fork must exclude turns (the server insists)."""
    params = {"threadId": thread_id, **wire_params(**fields)}
    if params.get("ephemeral"):
        params.setdefault("excludeTurns", True)
    return params
