"""The models: datamodel-code-generator's output, reshaped, and an index of what it defines."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

from .common import MERGED_SCHEMA_NAME, GenerationError, run

DATAMODEL_CODEGEN_ARGS = [
    "--input-file-type",
    "jsonschema",
    "--output-model-type",
    "pydantic_v2.BaseModel",
    "--target-python-version",
    "3.10",
    "--allow-population-by-field-name",
    "--alias-generator",
    "to_camel",
    "--snake-case-field",
    "--extra-fields",
    "allow",
    "--use-subclass-enum",
    "--enum-field-as-literal",
    "one",
    "--use-title-as-name",
    "--use-type-alias",
    "--use-schema-description",
    "--use-field-description",
    "--use-generic-base-class",
    "--use-default-kwarg",
    "--deserialize-default-values",
    "enum",
    "--skip-root-model",
    "--disable-timestamp",
    "--formatters",
    "builtin",
]


def generate_models(merged: dict[str, Any], workdir: Path, header: str) -> str:
    schema_path = workdir / MERGED_SCHEMA_NAME
    out_path = workdir / "v2_all.py"
    document = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "CodexAppServerProtocol",
        "type": "object",
        "definitions": merged,
    }
    schema_path.write_text(json.dumps(document, indent=1, sort_keys=True), encoding="utf-8")
    run(
        [
            sys.executable,
            "-m",
            "datamodel_code_generator",
            "--input",
            str(schema_path),
            "--output",
            str(out_path),
            "--custom-file-header",
            header,
            *DATAMODEL_CODEGEN_ARGS,
        ],
        cwd=workdir,
    )
    source = out_path.read_text(encoding="utf-8")
    # Build validators on first use, not at import: importing ~1200 models eagerly costs
    # ~0.7 s; deferred, ~0.4 s, plus a few ms the first time a model is used.
    base_config = "        alias_generator=to_camel,\n    )\n"
    if source.count(base_config) != 1:
        raise GenerationError("cannot find the shared model config to add defer_build to")
    return source.replace(
        base_config, "        alias_generator=to_camel,\n        defer_build=True,\n    )\n"
    )


class ModelIndex:
    """What the generated ``v2_all.py`` defines, read from its source."""

    def __init__(self, source: str) -> None:
        self.tree = ast.parse(source)
        self.classes: dict[str, ast.ClassDef] = {}
        self.aliases: set[str] = set()
        for node in self.tree.body:
            if isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    self.aliases.add(target.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                self.aliases.add(node.target.id)
        self.names = set(self.classes) | self.aliases

    def is_model(self, name: str) -> bool:
        node = self.classes.get(name)
        if node is None:
            return False
        for base in node.bases:
            if isinstance(base, ast.Name) and (base.id == "BaseModel" or self.is_model(base.id)):
                return True
        return False

    def root_annotations(self) -> dict[str, ast.expr]:
        """Union RootModel name -> the annotation of its ``root``."""
        out: dict[str, ast.expr] = {}
        for name, node in self.classes.items():
            if not any(isinstance(b, ast.Name) and b.id == "UnionRootModel" for b in node.bases):
                continue
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and getattr(stmt.target, "id", "") == "root":
                    out[name] = stmt.annotation
        return out

    def fields(self, name: str) -> list[Field]:
        """The fields of a model class (inherited ones first), in order."""
        node = self.classes[name]
        out: dict[str, Field] = {}
        for base in node.bases:
            if isinstance(base, ast.Name) and base.id in self.classes:
                out.update((f.name, f) for f in self.fields(base.id))
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                field_name = stmt.target.id
                if field_name == "model_config":
                    continue
                alias = camel_alias(field_name)
                if isinstance(stmt.value, ast.Call):
                    for kw in stmt.value.keywords:
                        if kw.arg == "alias" and isinstance(kw.value, ast.Constant):
                            alias = str(kw.value.value)
                out[field_name] = Field(field_name, alias, stmt.annotation, is_required(stmt.value))
        return list(out.values())


def camel_alias(name: str) -> str:
    """The alias the models' ``alias_generator`` gives a field without an explicit one."""
    from pydantic.alias_generators import to_camel

    return to_camel(name)


class Field(NamedTuple):
    name: str
    alias: str
    annotation: ast.expr
    required: bool


def is_required(value: ast.expr | None) -> bool:
    if value is None:
        return True
    if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "Field":
        if value.args:
            first = value.args[0]
            return isinstance(first, ast.Constant) and first.value is Ellipsis
        return not any(k.arg in ("default", "default_factory") for k in value.keywords)
    return False


# --------------------------------------------------------------------------------------
# unions as RootModels

#: the base of the union models, added after the shared ``BaseModel``
UNION_ROOT_BASE = '''

class UnionRootModel(RootModel[Any]):
    """A union of models (``ThreadItem``, ``UserInput``, ...): the branch is ``.root``.

    ``ThreadItem.model_validate(raw).root`` is the branch model; attributes that the union
    model itself lacks are read from the branch (``item.type`` is ``item.root.type``), so
    code written for either shape works.
    """

    model_config = ConfigDict(defer_build=True)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name == "root":
            return super().__getattr__(name)  # type: ignore[misc]
        try:
            root = self.__dict__["root"]
        except KeyError:
            raise AttributeError(name) from None
        return getattr(root, name)
'''


def union_members_of(value: ast.expr) -> list[ast.expr] | None:
    """The members of ``A | B`` or ``Annotated[A | B, ...]``; None if not a union."""
    if (
        isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and value.value.id == "Annotated"
        and isinstance(value.slice, ast.Tuple)
    ):
        value = value.slice.elts[0]
    if not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitOr)):
        return None
    out: list[ast.expr] = []
    stack: list[ast.expr] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            stack += [node.right, node.left]
        else:
            out.append(node)
    return out


def alias_values(tree: ast.Module) -> dict[str, ast.Assign]:
    """``X = TypeAliasType("X", value)`` statements by name."""
    out: dict[str, ast.Assign] = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", None) == "TypeAliasType"
        ):
            out[node.targets[0].id] = node
    return out


def union_root_models(source: str) -> list[str]:
    """The aliases to generate as RootModels: unions with a model among their members.

    A union that is itself a member of another union stays an alias (pydantic's
    discriminated unions take models, not RootModels, as branches).
    """
    tree = ast.parse(source)
    classes = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    aliases = alias_values(tree)
    candidates: dict[str, list[ast.expr]] = {}
    for name, node in aliases.items():
        members = union_members_of(node.value.args[1])  # type: ignore[attr-defined]
        if members is not None:
            candidates[name] = members
    nested = {m.id for members in candidates.values() for m in members if isinstance(m, ast.Name)}
    return sorted(
        name
        for name, members in candidates.items()
        if name not in nested and any(isinstance(m, ast.Name) and m.id in classes for m in members)
    )


def to_root_models(source: str, names: list[str]) -> str:
    """Rewrite the ``names`` aliases as ``UnionRootModel`` classes (the docstring moves in)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    aliases = alias_values(tree)
    body = tree.body
    replacements: list[tuple[int, int, str]] = []
    for index, node in enumerate(body):
        name = next((n for n in names if aliases.get(n) is node), None)
        if name is None or not isinstance(node.value, ast.Call):  # type: ignore[attr-defined]
            continue
        value = ast.get_source_segment(source, node.value.args[1])  # type: ignore[attr-defined]
        end = node.end_lineno or node.lineno
        doc = ""
        following = body[index + 1] if index + 1 < len(body) else None
        if (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            doc = "\n".join(lines[following.lineno - 1 : following.end_lineno])
            doc = "\n".join("    " + line if line else line for line in doc.splitlines())
            end = following.end_lineno or end
        text = f"class {name}(UnionRootModel):\n"
        if doc:
            text += doc + "\n\n"
        if value and "\n" in value:
            value = "(\n" + value + "\n)"
        text += f"    root: {value}\n"
        replacements.append((node.lineno, end, text.rstrip("\n")))
    for start, end, text in reversed(replacements):
        lines[start - 1 : end] = text.splitlines()
    return "\n".join(lines) + "\n"


def add_union_root_base(source: str) -> str:
    """Add ``UnionRootModel`` after the shared ``BaseModel`` and import ``RootModel``."""
    marker = "        defer_build=True,\n    )\n"
    if source.count(marker) != 1:
        raise GenerationError("cannot find the shared model config")
    source = source.replace(marker, marker + UNION_ROOT_BASE, 1)
    return source.replace(
        "from pydantic import ConfigDict,", "from pydantic import ConfigDict, RootModel,", 1
    )


def reshape_models(source: str) -> tuple[str, list[str]]:
    """Unions with model members become RootModels; returns the source and their names."""
    names = union_root_models(source)
    return add_union_root_base(to_root_models(source, names)), names
