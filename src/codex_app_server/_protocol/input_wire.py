"""`turn/start` input from what `run()`, `turn()` and `steer()` take, without loading the
input item classes (`inputs`: six dataclasses, ~1.5 ms of a cold start) for the common
case, a string prompt."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from .inputs import ExternalMessage, Input

_INPUTS = __name__.rpartition(".")[0] + ".inputs"


def input_to_wire(value: str | Input) -> list[dict[str, Any]]:
    """`turn/start` input items from a string, one item, or a list of items (see
    `inputs.input_to_wire`, which this is for anything but a string)."""
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    from .inputs import input_to_wire as items_to_wire

    return items_to_wire(value)


def is_external_message(value: Any) -> TypeGuard[ExternalMessage]:
    """`isinstance(value, ExternalMessage)`; False without loading `inputs` when it is not
    loaded (then no `ExternalMessage` exists)."""
    inputs = sys.modules.get(_INPUTS)
    return inputs is not None and isinstance(value, inputs.ExternalMessage)
