"""Module attributes that load on first use (PEP 562), for the packages' `__getattr__`."""

from __future__ import annotations

import importlib
from typing import Any


def load(package: str, namespace: dict[str, Any], name: str, module: str | None, attr: str) -> Any:
    """`attr` of `module` (relative to `package`), kept in the package's `namespace` as
    `name` so that the next look-up is direct. AttributeError if `module` is None (no such
    name) or has no `attr`."""
    if module is not None:
        try:
            value = getattr(importlib.import_module(module, package), attr)
        except AttributeError:
            pass
        else:
            namespace[name] = value
            return value
    raise AttributeError(f"module {package!r} has no attribute {name!r}")
