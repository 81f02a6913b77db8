"""Lazy access to the generated protocol models (importing them costs ~100s of ms)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, is_dataclass
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel


@cache
def model_class(name: str) -> type[BaseModel]:
    """The generated model class called `name` in `codex_app_server.generated.v2_all`."""
    from ..generated import v2_all

    cls = getattr(v2_all, name, None)
    if cls is None:
        raise LookupError(f"no generated model named {name!r}")
    return cls  # type: ignore[no-any-return]


def to_wire(value: Any) -> Any:
    """A pydantic model, dataclass input or mapping as the camelCase JSON the server reads."""
    dump = getattr(value, "model_dump", None)
    if dump is not None:
        return dump(by_alias=True, exclude_unset=True, mode="json")
    if isinstance(value, Mapping):
        return {k: to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        wire = getattr(value, "to_wire", None)
        return wire() if wire is not None else to_wire(asdict(value))
    return value


def validate_as(model_name: str | None, data: Any) -> Any:
    """Validate `data` into the named model; return it unchanged when there is none.

    Unions of models are RootModels (`.root` is the branch); the name may also be one of
    the few remaining type aliases (e.g. `RequestId`), validated through a `TypeAdapter`.
    """
    if model_name is None:
        return data
    cls = model_class(model_name)
    validate = getattr(cls, "model_validate", None)
    if validate is not None:
        return validate(data)
    return _type_adapter(model_name).validate_python(data)


@cache
def _type_adapter(name: str) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(model_class(name))


def validate_thread_item(data: Any) -> Any:
    """Validate one raw thread item into the generated `ThreadItem` (a RootModel: `.root`)."""
    return model_class("ThreadItem").model_validate(data)


def typed_thread_item(data: Any) -> Any:
    """One raw thread item as the generated class of its type (`AgentMessageThreadItem`,
    `CommandExecutionThreadItem`, ...): the `ThreadItem` union's branch, not its wrapper."""
    item = validate_thread_item(data)
    root = getattr(item, "root", None)
    return root if root is not None and hasattr(root, "type") else item
