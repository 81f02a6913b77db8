"""The lazy ``v2_all``: every name is there, and one name loads only what it refers to."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

from codex_app_server.generated import v2_all

GENERATED_DIR = Path(v2_all.__file__).parent
MODEL_FILES = sorted(p.stem for p in (GENERATED_DIR / "models").glob("_*.py"))


def fresh(code: str) -> dict[str, object]:
    """Run ``code`` in a fresh interpreter; it prints one JSON object."""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_every_name_of_all_resolves() -> None:
    assert len(v2_all.__all__) > 1000
    assert len(set(v2_all.__all__)) == len(v2_all.__all__)
    for name in v2_all.__all__:
        value = getattr(v2_all, name)
        assert value is not None, name
        module = getattr(value, "__module__", "")
        if isinstance(value, type) and module.startswith("codex_app_server"):
            assert module.startswith("codex_app_server.generated.models."), (name, module)
    assert set(v2_all.__all__) <= set(dir(v2_all))


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchModel"):
        _ = v2_all.NoSuchModel  # type: ignore[attr-defined]
    with pytest.raises(ImportError):
        exec("from codex_app_server.generated.v2_all import NoSuchModel", {})


def test_the_stub_exports_the_same_names() -> None:
    """Type checkers read ``v2_all.pyi``: it must name every model the module exports."""
    stub = ast.parse((GENERATED_DIR / "v2_all.pyi").read_text(encoding="utf-8"))
    imported = {
        alias.asname or alias.name
        for node in stub.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert imported == set(v2_all.__all__)


@pytest.mark.parametrize("name", ["Turn", "TurnCompletedNotification", "InitializeResponse"])
def test_one_model_does_not_import_every_module(name: str) -> None:
    code = (
        "import json, sys\n"
        f"from codex_app_server.generated.v2_all import {name}\n"
        "prefix = 'codex_app_server.generated.models.'\n"
        "loaded = [m for m in sys.modules if m.startswith(prefix)]\n"
        "print(json.dumps({'loaded': len(loaded)}))\n"
    )
    loaded = fresh(code)["loaded"]
    assert isinstance(loaded, int)
    assert 1 <= loaded < len(MODEL_FILES) // 10, (name, loaded, len(MODEL_FILES))


def test_models_across_modules_validate_in_a_fresh_process() -> None:
    """Forward references resolve when a model's dependencies live in other modules."""
    code = (
        "import json\n"
        "from codex_app_server.generated.v2_all import TurnCompletedNotification\n"
        "raw = {'threadId': 't', 'turn': {'id': 'u', 'status': 'completed', 'items': [\n"
        "    {'type': 'agentMessage', 'id': 'i', 'text': 'hi'},\n"
        "    {'type': 'userMessage', 'id': 'j', 'content': [{'type': 'text', 'text': 'q'}]}]}}\n"
        "note = TurnCompletedNotification.model_validate(raw)\n"
        "items = note.turn.items\n"
        "types = [type(i.root).__name__ for i in items]\n"
        "kind = type(items[1].root.content[0].root).__name__\n"
        "dump = note.model_dump(by_alias=True, exclude_unset=True, mode='json')\n"
        "print(json.dumps({'types': types, 'text': items[0].root.text, 'input': kind,\n"
        "                  'dump': dump == raw}))\n"
    )
    assert fresh(code) == {
        "types": ["AgentMessageThreadItem", "UserMessageThreadItem"],
        "text": "hi",
        "input": "TextUserInput",
        "dump": True,
    }


def test_every_model_builds() -> None:
    """The split keeps every model complete (what ``defer_build`` postpones to first use)."""
    for name in v2_all.__all__:
        value = getattr(v2_all, name)
        if isinstance(value, type) and issubclass(value, pydantic.BaseModel):
            value.model_rebuild()
            assert value.__pydantic_complete__ or value.__name__ in ("BaseModel", "UnionRootModel")
