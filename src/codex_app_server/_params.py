"""Turning what callers pass (dicts, generated models, keyword fields) into wire params."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._models import to_wire, validate_as


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
