"""Verification of the generated models against the schema they come from."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from .common import GenerationError
from .models import ModelIndex


def verify_models(
    module_path: Path,
    index: ModelIndex,
    original: dict[str, Any],
    prepared: dict[str, Any],
    tagged: dict[str, str],
) -> None:
    """Import the generated models and check them against the schema and the source index.

    Every schema definition has a class or alias of its name; every model is built
    (``defer_build`` would otherwise postpone errors to first use); the class of every object
    definition (including the moved union branches) has exactly the schema's properties as
    aliases; the aliases read from the source (used for the client methods) match pydantic's.
    """
    spec = importlib.util.spec_from_file_location("_codex_v2_all_check", module_path)
    if spec is None or spec.loader is None:
        raise GenerationError("cannot load the generated models")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        import pydantic

        problems = []
        models: dict[str, type[pydantic.BaseModel]] = {}
        for name, obj in sorted(vars(module).items()):
            if (
                isinstance(obj, type)
                and issubclass(obj, pydantic.BaseModel)
                and obj.__module__ == module.__name__
            ):
                obj.model_rebuild(force=True)
                if not obj.__pydantic_complete__:
                    problems.append(f"{name}: the model does not build")
                models[name] = obj
        for name in tagged:
            pydantic.TypeAdapter(getattr(module, name))
        problems.extend(f"{name}: not generated" for name in original if not hasattr(module, name))
        checked = 0
        for name, schema in prepared.items():
            props = schema.get("properties")
            if name in models and props is not None and not {"oneOf", "anyOf"} & set(schema):
                aliases = {f.alias or n for n, f in models[name].model_fields.items()}
                if aliases != set(props):
                    problems.append(f"{name}: fields {sorted(aliases)} != {sorted(props)}")
                checked += 1
        if checked < len(prepared) // 2:
            problems.append(f"only {checked} of {len(prepared)} definitions checked")
        for name, model in models.items():
            if name in ("BaseModel", "UnionRootModel") or name not in index.classes:
                continue
            runtime = {n: f.alias or n for n, f in model.model_fields.items()}
            from_source = {f.name: f.alias for f in index.fields(name)}
            if runtime != from_source:
                problems.append(f"{name}: aliases {from_source} != pydantic's {runtime}")
        if problems:
            raise GenerationError(
                "generated models do not match the schema:\n" + "\n".join(problems)
            )
    finally:
        sys.modules.pop(spec.name, None)


def verify_split(out_dir: Path, names: dict[str, str]) -> None:
    """Load the written package: every name of the lazy ``v2_all`` resolves and builds.

    The directory is imported as a package of its own (a unique name), so the check does not
    touch the installed ``codex_app_server.generated``.
    """
    import pydantic

    package = f"_codex_generated_check_{abs(hash(str(out_dir)))}"
    spec = importlib.util.spec_from_file_location(
        package, out_dir / "__init__.py", submodule_search_locations=[str(out_dir)]
    )
    if spec is None or spec.loader is None:
        raise GenerationError("cannot load the generated package")
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    try:
        spec.loader.exec_module(module)
        lazy = importlib.import_module(f"{package}.v2_all")
        problems = [n for n in names if n not in lazy.__all__]
        for name, mod in sorted(names.items()):
            value = getattr(lazy, name)
            if getattr(value, "__module__", f"{package}.models.{mod}") != f"{package}.models.{mod}":
                problems.append(f"{name}: from {value.__module__}, not models.{mod}")
            if isinstance(value, type) and issubclass(value, pydantic.BaseModel):
                value.model_rebuild(force=True)
                if not value.__pydantic_complete__:
                    problems.append(f"{name}: the model does not build")
        if problems:
            raise GenerationError("the split models are broken:\n" + "\n".join(problems))
    finally:
        for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[key]
