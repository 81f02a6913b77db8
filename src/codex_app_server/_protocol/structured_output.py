"""Structured output: the JSON schema a turn sends, and the final text parsed back.

The app-server forwards `outputSchema` to the model API as
`text.format = {"type": "json_schema", "strict": true, "schema": ...}`, unchanged. The
OpenAI API's strict mode accepts only a subset of JSON Schema: every object needs
`additionalProperties: false` and must list all of its properties in `required` (optional
fields are expressed as nullable), `$ref` may not have sibling keywords, and `oneOf` is not
supported. Pydantic's `model_json_schema()` satisfies none of that, so a model class is
converted with `strict_json_schema`; a dict schema is sent exactly as given.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol, TypeVar

from .errors import StructuredOutputError

__all__ = [
    "StructuredOutputError",
    "attach_parsed",
    "output_schema_to_wire",
    "parse_structured",
    "strict_json_schema",
]


class _Parsable(Protocol):
    final_response: str | None
    parsed: Any


_R = TypeVar("_R", bound=_Parsable)


def strict_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` made valid for the OpenAI API's strict structured-output mode.

    Objects get `additionalProperties: false` and all their properties required; `oneOf`
    becomes `anyOf` (dropping pydantic's `discriminator`); `const` becomes a one-value
    `enum`; a single-entry `allOf` and a `$ref` with sibling keywords are inlined; defaults
    are dropped (every property is required, so they mean nothing). Maps (`dict[str, X]`)
    have no strict form and are left as they are.
    """
    root = copy.deepcopy(schema)
    strict: dict[str, Any] = _strict(root, root, ())
    return strict


def _strict(node: Any, root: dict[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_strict(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1 and ref not in seen:
        # A $ref may not have siblings in strict mode: inline the target under them.
        target = _resolve(root, ref)
        merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return _strict(merged, root, (*seen, ref))
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        rest = {k: v for k, v in node.items() if k != "allOf"}
        return _strict({**all_of[0], **rest}, root, seen)
    out = _strict_members(node, root, seen)
    if out.get("type") == "object" or "properties" in out:
        _close_object(out)
    return out


def _strict_members(node: dict[str, Any], root: dict[str, Any], seen: tuple[str, ...]) -> Any:
    """`node`'s keywords made strict, one by one (subschemas recursively)."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "default":
            continue
        if key == "discriminator" and "oneOf" in node:
            continue
        if key in ("$defs", "definitions", "properties") and isinstance(value, dict):
            out[key] = {name: _strict(sub, root, seen) for name, sub in value.items()}
        elif key == "oneOf":
            out["anyOf"] = _strict(value, root, seen)
        elif key == "const":
            out["enum"] = [value]
        elif key in ("items", "anyOf", "allOf", "prefixItems", "not") or (
            key == "additionalProperties" and isinstance(value, dict)
        ):
            out[key] = _strict(value, root, seen)
        else:
            out[key] = value
    return out


def _close_object(out: dict[str, Any]) -> None:
    """An object schema lists every property as required and allows no others."""
    properties = out.get("properties")
    if isinstance(properties, dict):
        out["required"] = list(properties)
        if out.get("additionalProperties") in (None, True):
            out["additionalProperties"] = False
    elif "additionalProperties" not in out:
        out["additionalProperties"] = False


def _resolve(root: dict[str, Any], ref: str) -> dict[str, Any]:
    if not ref.startswith("#/"):
        raise ValueError(f"cannot inline the external reference {ref!r}")
    node: Any = root
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"{ref!r} does not point at a schema")
    return node


def _is_model_class(value: Any) -> bool:
    return isinstance(value, type) and hasattr(value, "model_json_schema")


def output_schema_to_wire(output_schema: Any) -> Any:
    """What `outputSchema` carries: a dict as given; a pydantic model class (or another
    type pydantic can describe, such as a dataclass) as its strict JSON schema."""
    if output_schema is None or isinstance(output_schema, dict):
        return output_schema
    if _is_model_class(output_schema):
        schema = output_schema.model_json_schema()
    elif isinstance(output_schema, type):
        from pydantic import TypeAdapter

        schema = TypeAdapter(output_schema).json_schema()
    else:
        raise TypeError(
            "output_schema must be a JSON schema dict or a pydantic model class, "
            f"not {output_schema!r}"
        )
    if schema.get("type") != "object":
        raise TypeError("the output schema's root must be an object (a model with fields)")
    return strict_json_schema(schema)


def parse_structured(output_schema: Any, text: str | None) -> Any:
    """The final text validated into `output_schema` when it is a class; None for a dict
    schema or no text. Raises `StructuredOutputError` when the text does not validate."""
    if text is None or output_schema is None or isinstance(output_schema, dict):
        return None
    try:
        if _is_model_class(output_schema):
            return output_schema.model_validate_json(text)
        from pydantic import TypeAdapter

        return TypeAdapter(output_schema).validate_json(text)
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        name = getattr(output_schema, "__name__", repr(output_schema))
        raise StructuredOutputError(
            f"the final response does not validate as {name}: {exc}", text
        ) from exc


def attach_parsed(result: _R, output_schema: Any) -> _R:
    """Set `result.parsed` from its final response; on failure raise
    `StructuredOutputError` carrying `result`."""
    try:
        result.parsed = parse_structured(output_schema, result.final_response)
    except StructuredOutputError as exc:
        exc.result = result
        raise
    return result
