"""Run the examples offline, against the scripted stand-in for the model API.

    python examples/_offline.py examples/01_quickstart/sync.py   # one example
    python examples/_offline.py                                   # every example

Every example defines `main(config)` and `script(model)`. Run directly, `main()` uses your
Codex account. Here, `script(model)` first enqueues the replies the example needs on a
`codex_app_server.testing.ScriptedModel`; then `main` runs with `model.config(tmp)`: an
offline CODEX_HOME that points the real Codex app-server at the scripted model. No
account, no network. (A hand-written sync.py that needs the very replies of its async.py
leaves `script` out: async.py's is used.)
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from codex_app_server.testing import ScriptedModel

EXAMPLES = Path(__file__).resolve().parent


def discover() -> list[Path]:
    """Every example file: `NN_topic/sync.py` and `NN_topic/async.py`, in order."""
    return sorted(
        [*EXAMPLES.glob("[0-9]*/sync.py"), *EXAMPLES.glob("[0-9]*/async.py")],
        key=lambda p: (p.parent.name, p.name != "sync.py"),
    )


def load(path: Path) -> ModuleType:
    """Import an example file as a module (its `__main__` block does not run)."""
    name = f"example_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def script_of(path: Path, module: ModuleType) -> Callable[[ScriptedModel], None]:
    """The example's `script(model)`, or its async.py's if it has none."""
    script: Callable[[ScriptedModel], None] | None = getattr(module, "script", None)
    if script is None and path.name == "sync.py":
        script = load(path.with_name("async.py")).script
    if script is None:
        raise AttributeError(f"{path} defines no script(model)")
    return script


def run_offline(path: Path) -> None:
    """Run one example against a fresh scripted model and a temporary CODEX_HOME."""
    module = load(path)
    with ScriptedModel() as model, tempfile.TemporaryDirectory() as tmp:
        script_of(path, module)(model)
        result = module.main(model.config(tmp))
        if inspect.isawaitable(result):
            asyncio.run(result)  # type: ignore[arg-type]


def main(argv: list[str]) -> int:
    paths = [Path(arg).resolve() for arg in argv] or discover()
    for path in paths:
        shown = path.relative_to(EXAMPLES) if path.is_relative_to(EXAMPLES) else path
        print(f"=== {shown} (offline)", flush=True)
        run_offline(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
