"""TOML literals for `--config key=value` overrides: each parsed back with `tomllib`
(or `tomli` on Python 3.10) to check it means what was given."""

from __future__ import annotations

import math
import sys
from pathlib import PurePosixPath
from typing import Any

import pytest

from codex_app_server._protocol.toml import toml_value

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from the dev extra
    import tomli as tomllib


def parsed(value: Any) -> Any:
    return tomllib.loads(f"v = {toml_value(value)}")["v"]


@pytest.mark.parametrize(
    "value",
    [
        True,
        False,
        0,
        -7,
        2**40,
        1.5,
        -0.25,
        1e-9,
        "",
        "plain",
        'quotes " and \\ backslash',
        "line\nbreak\ttab",
        "unicode: é ✓",
        [],
        [1, "two", False],
        [[1, 2], ["a"]],
        {},
        {"model": "gpt-5.5", "nested": {"a": 1}},
        {"key with space": 1, "dotted.key": 2, "dash-and_underscore": 3},
    ],
)
def test_round_trips_through_a_toml_parser(value: Any) -> None:
    assert parsed(value) == value


def test_booleans_are_not_numbers() -> None:
    assert toml_value(True) == "true"
    assert toml_value(1) == "1"


def test_tuples_are_arrays_and_paths_are_strings() -> None:
    assert parsed((1, 2)) == [1, 2]
    assert parsed(PurePosixPath("/tmp/x y")) == "/tmp/x y"


def test_bare_keys_stay_bare_and_others_are_quoted() -> None:
    assert toml_value({"a_b-1": 1}) == "{a_b-1 = 1}"
    assert toml_value({"a.b": 1}) == '{"a.b" = 1}'
    assert toml_value({"": 1}) == '{"" = 1}'


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="TOML cannot encode"):
        toml_value(value)


@pytest.mark.parametrize("value", [None, b"bytes", object(), {1, 2}])
def test_unencodable_values_are_refused(value: Any) -> None:
    with pytest.raises(TypeError, match="cannot encode"):
        toml_value(value)
