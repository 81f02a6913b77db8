"""Our SDK and the official package in a worker: the scenarios are in `sdk_sync` and
`sdk_async`, the differences between the two packages in `sdk_flavors`."""

from __future__ import annotations

from typing import Any

from . import sdk_async, sdk_sync
from .common import run_scenario
from .sdk_flavors import FLAVORS


def run(client: str, scenario: str, launch: dict[str, Any], params: dict[str, Any]) -> Any:
    flavor = FLAVORS[client](launch)
    if not scenario.startswith("first_turn"):
        flavor.load()  # the import is measured on its own (and in first_turn_*)
    return run_scenario((sdk_sync, sdk_async), scenario, flavor, params)
