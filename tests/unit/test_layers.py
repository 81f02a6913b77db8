"""The layers of the package, as folders: what each may import (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "codex_app_server"

#: Modules whose presence means I/O or a concurrency model: never in the sans-IO core.
IO_MODULES = {"threading", "asyncio", "subprocess", "socket", "selectors", "concurrent"}

#: Which sibling layers each layer may import at run time (type-only imports are free).
ALLOWED_LAYERS = {
    "_protocol": set(),
    "_transport": {"_protocol"},
    "_async": {"_protocol", "_transport"},
    "_sync": {"_protocol", "_transport"},
    # Pools, batch runs, Ray: built on the public API (`from codex_app_server import ...`).
    "_scale": set(),
}
LAYERS = {"_protocol", "_transport", "_async", "_sync", "_cli", "_scale"}


def _runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute-ish module) of every import not under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                module = child.module or ""
                if child.level:
                    parts = path.relative_to(PACKAGE).parts[:-1]
                    base = parts[: len(parts) - (child.level - 1)]
                    module = ".".join([*base, module] if module else base)
                found.append((child.lineno, module))
            visit(child)

    visit(tree)
    return found


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).glob("*.py"))


@pytest.mark.parametrize("path", _modules("_protocol"), ids=lambda p: p.name)
def test_the_protocol_core_does_no_io(path: Path) -> None:
    bad = [(line, m) for line, m in _runtime_imports(path) if m.split(".")[0] in IO_MODULES]
    assert not bad, f"{path.name} imports I/O modules: {bad}"


@pytest.mark.parametrize(
    "path",
    [p for layer in ALLOWED_LAYERS for p in _modules(layer)],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_layers_import_only_the_layers_below(path: Path) -> None:
    layer = path.parent.name
    allowed = ALLOWED_LAYERS[layer] | {layer}
    bad = [
        (line, module)
        for line, module in _runtime_imports(path)
        if module.split(".")[0] in LAYERS and module.split(".")[0] not in allowed
    ]
    assert not bad, f"{layer}/{path.name} imports from layers above it: {bad}"


def test_every_layer_folder_is_checked() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name.startswith("_")}
    assert folders - {"__pycache__"} <= LAYERS
