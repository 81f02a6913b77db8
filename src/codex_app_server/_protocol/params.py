"""Wire params: what callers pass (dicts, generated models, keyword fields) turned into
JSON-RPC params, for the low-level clients and the high-level API alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from .choices import check_choices
from .input_wire import input_to_wire, is_external_message
from .models import to_wire, validate_as
from .structured_output import output_schema_to_wire, parse_structured

if TYPE_CHECKING:
    from .inputs import Input, RunInput


def build_params(
    params: Any,
    fields: Mapping[str, Any] | None = None,
    params_model: str | None = None,
) -> Any:
    """Wire params from `params` (dict or model) plus keyword `fields` (snake or camelCase).

    A plain dict with no fields is sent as is (the hot path). Keyword fields are validated
    through the named params model, so a typo or a wrong type fails here, not on the server.
    """
    given = {k: v for k, v in fields.items() if v is not None} if fields else None
    if not given:
        if params is None:
            return {} if params_model is not None else None
        if type(params) is dict:
            return params
        return to_wire(params)
    base = to_wire(params) if params is not None else {}
    if not isinstance(base, dict):
        raise TypeError(f"params must be a mapping or a model, not {type(params).__name__}")
    merged = {**base, **{k: to_wire(v) for k, v in given.items()}}
    if params_model is None:
        return merged
    return to_wire(validate_as(params_model, merged))


def review_target(target: Any) -> Any:
    """A `review/start` target: None -> uncommitted changes; a string -> custom instructions.

    Anything else (a generated `ReviewTarget` variant or its dict) is sent as is.
    """
    if target is None:
        return {"type": "uncommittedChanges"}
    if isinstance(target, str):
        return {"type": "custom", "instructions": target}
    return to_wire(target)


def config_edits(edits: Mapping[str, Any] | Sequence[Any], merge_strategy: str) -> list[Any]:
    """`config/batchWrite` edits from `{key_path: value}` or from `ConfigEdit`s / dicts."""
    if isinstance(edits, Mapping):
        return [
            {"keyPath": key, "value": to_wire(value), "mergeStrategy": merge_strategy}
            for key, value in edits.items()
        ]
    return [to_wire(edit) for edit in edits]


def rollback_target(turn_ids_newest_first: Sequence[str], turns: int) -> str:
    """The turn to revert to (exclusive) so that the newest `turns` turns are dropped."""
    if turns < 1:
        raise ValueError("turns must be at least 1")
    if len(turn_ids_newest_first) < turns:
        raise ValueError(
            f"cannot roll back {turns} turn(s): the thread has {len(turn_ids_newest_first)}"
        )
    return turn_ids_newest_first[turns - 1]


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
    """camelCase params from keyword fields, without the ones left as None; presets
    (`ApprovalMode`, `Sandbox`) become their raw values; enumerated values are checked."""
    return {camel(k): to_wire(v) for k, v in check_choices(fields).items() if v is not None}


def turn_start_params(thread_id: str, input: RunInput, **fields: Any) -> dict[str, Any]:
    """Params of `turn/start`. The output schema is sent as built (not through `to_wire`,
    which would drop keys whose value is None)."""
    output_schema = output_schema_to_wire(fields.pop("output_schema", None))
    if is_external_message(input):
        params: dict[str, Any] = {
            "threadId": thread_id,
            "input": [],
            "toolOutput": input.to_tool_output(),
        }
        params.update(wire_params(**fields))
    else:
        params = {
            "threadId": thread_id,
            "input": input_to_wire(cast("str | Input", input)),
            **wire_params(**fields),
        }
    if output_schema is not None:
        params["outputSchema"] = output_schema
    return params


def fork_params(thread_id: str, **fields: Any) -> dict[str, Any]:
    """Params of `thread/fork`; an ephemeral fork must exclude turns (the server insists)."""
    params = {"threadId": thread_id, **wire_params(**fields)}
    if params.get("ephemeral"):
        params.setdefault("excludeTurns", True)
    return params
