"""Split the generated models into submodules by dependency closure, behind a lazy ``v2_all``.

datamodel-code-generator writes one module of ~1,300 classes; importing it costs hundreds of
milliseconds. Here its top-level definitions are grouped so that importing one group imports
only the groups it refers to:

* the definitions form a graph (a name refers to the names in its bases, annotations and
  values); its strongly connected components (mutually recursive models) stay together;
* a component that exactly one other component refers to joins that component's group (a
  union's branches join the union), so the groups are trees hanging from shared definitions
  and the graph of groups has no cycle;
* each group is a module ``models/_<snake name of its root>.py`` importing its dependencies
  from their modules; ``v2_all.py`` maps every name to its module and imports on first
  access (module ``__getattr__``); ``v2_all.pyi`` re-exports every name for type checkers.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from .common import GenerationError

#: names every model module may need, from where (only those used are imported)
RUNTIME_IMPORTS: dict[str, str] = {
    "Enum": "enum",
    "Annotated": "typing",
    "Any": "typing",
    "Literal": "typing",
    "ConfigDict": "pydantic",
    "Field": "pydantic",
    "RootModel": "pydantic",
    "conint": "pydantic",
    "confloat": "pydantic",
    "constr": "pydantic",
    "conlist": "pydantic",
    "TypeAliasType": "typing_extensions",
}

#: the most definitions a group gathers from below (a larger one starts its own module)
MAX_GROUP = 60

#: unions of every message of a kind: their branches (every params and response model)
#: keep modules of their own, loaded without the whole union
UNMERGED_OWNERS = frozenset(
    {"ClientNotification", "ClientRequest", "JSONRPCMessage", "ServerNotification", "ServerRequest"}
)

#: names the shared base module defines
BASE_NAMES = ("BaseModel", "UnionRootModel")


@dataclass
class Unit:
    """One top-level definition: its statements (with trailing docstrings) and references."""

    name: str
    nodes: list[ast.stmt] = field(default_factory=list)
    refs: set[str] = field(default_factory=set)
    text: str = ""


def split_units(source: str) -> tuple[list[Unit], set[str]]:
    """The definitions of a generated module in order, and the names it imports."""
    tree = ast.parse(source)
    units: list[Unit] = []
    imported: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported.update((a.asname or a.name) for a in node.names)
            continue
        name = defined_name(node)
        if name is not None:
            units.append(Unit(name, [node]))
        elif isinstance(node, ast.Expr) and units:
            units[-1].nodes.append(node)  # an attribute docstring
        else:
            raise GenerationError(f"unexpected statement in the models: {ast.unparse(node)[:80]}")
    names = {u.name for u in units}
    lines = source.splitlines()
    for unit in units:
        first, last = unit.nodes[0], unit.nodes[-1]
        unit.text = "\n".join(lines[first.lineno - 1 : last.end_lineno])
        for node in unit.nodes:
            unit.refs |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        unit.refs &= names
        unit.refs.discard(unit.name)
    return units, imported


def defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return target.id if isinstance(target, ast.Name) else None
    return None


def components(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components (iterative Tarjan), dependencies before dependents."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                out.append(sorted(members))
    return out


def group_of_components(graph: dict[str, set[str]]) -> dict[str, str]:
    """name -> the root name of its group (see the module docstring)."""
    comps = components(graph)
    comp_of = {name: i for i, comp in enumerate(comps) for name in comp}
    dependents: dict[int, set[int]] = {i: set() for i in range(len(comps))}
    for name, refs in graph.items():
        for ref in refs:
            if comp_of[ref] != comp_of[name]:
                dependents[comp_of[ref]].add(comp_of[name])
    root: dict[int, int] = {}
    size: dict[int, int] = {}
    # dependents come after their dependencies in ``comps``: walk from the end
    for i in range(len(comps) - 1, -1, -1):
        parents = dependents[i]
        owner = root[next(iter(parents))] if len(parents) == 1 else i
        if owner != i and (
            size[owner] + len(comps[i]) > MAX_GROUP or comps[owner][0] in UNMERGED_OWNERS
        ):
            owner = i
        root[i] = owner
        size[owner] = size.get(owner, 0) + len(comps[i])
    return {name: comps[root[comp_of[name]]][0] for name in graph}


def module_name(root: str, taken: set[str]) -> str:
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", root)
    snake = "_" + re.sub(r"_+", "_", snake).lower()
    candidate, counter = snake, 2
    while candidate in taken:
        candidate, counter = f"{snake}{counter}", counter + 1
    taken.add(candidate)
    return candidate


@dataclass
class SplitModels:
    """The rendered modules: ``models/<file>`` -> source, the lazy module and its stub."""

    modules: dict[str, str]
    lazy: str
    stub: str
    name_to_module: dict[str, str]


def split_models(source: str, header: str) -> SplitModels:
    units, _ = split_units(source)
    base_units = [u for u in units if u.name in BASE_NAMES]
    units = [u for u in units if u.name not in BASE_NAMES]
    if len(base_units) != len(BASE_NAMES):
        raise GenerationError("the models have no shared base classes")
    graph = {u.name: set(u.refs) - set(BASE_NAMES) for u in units}
    root_of = group_of_components(graph)
    taken: set[str] = {"_base"}
    file_of_root: dict[str, str] = {}
    for unit in units:  # source order: stable, readable names
        root = root_of[unit.name]
        if root not in file_of_root:
            file_of_root[root] = module_name(root, taken)
    module_of = {u.name: file_of_root[root_of[u.name]] for u in units}
    grouped: dict[str, list[Unit]] = {}
    for unit in units:
        grouped.setdefault(module_of[unit.name], []).append(unit)
    modules = {"_base.py": render_module(header, base_units, module_of, "_base")}
    for mod, members in grouped.items():
        modules[f"{mod}.py"] = render_module(header, members, module_of, mod)
    modules["__init__.py"] = (
        header + '\n"""The generated models, one group per module (see ``v2_all``)."""\n'
    )
    names = {n: "_base" for n in BASE_NAMES} | module_of
    return SplitModels(modules, render_lazy(header, names), render_stub(header, names), names)


def render_module(header: str, units: list[Unit], module_of: dict[str, str], mod: str) -> str:
    body = [unit.text for unit in units]
    used: set[str] = set()
    for unit in units:
        for node in unit.nodes:
            used |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    lines = [header, "", "from __future__ import annotations", ""]
    lines += import_lines(used, {u.name for u in units}, module_of, mod)
    lines += ["", ""]
    return "\n".join(lines) + "\n\n".join(body) + "\n"


def import_lines(used: set[str], own: set[str], module_of: dict[str, str], mod: str) -> list[str]:
    by_source: dict[str, set[str]] = {}
    for name in sorted(used - own):
        if name in RUNTIME_IMPORTS:
            by_source.setdefault(RUNTIME_IMPORTS[name], set()).add(name)
        elif name in BASE_NAMES and mod != "_base":
            by_source.setdefault("._base", set()).add(name)
        elif name in module_of and module_of[name] != mod:
            by_source.setdefault("." + module_of[name], set()).add(name)
    if mod == "_base":
        by_source.setdefault("pydantic", set()).update({"BaseModel as _BaseModel"})
        by_source.setdefault("pydantic.alias_generators", set()).add("to_camel")
    return [
        f"from {source} import {', '.join(sorted(names))}"
        for source, names in sorted(by_source.items())
    ]


def render_lazy(header: str, names: dict[str, str]) -> str:
    table = "".join(f"    {n!r}: {m!r},\n" for n, m in sorted(names.items()))
    exported = "".join(f"    {n!r},\n" for n in sorted(names))
    return f'''{header}
"""Every generated model, loaded on first access of its name.

``from codex_app_server.generated.v2_all import Turn`` imports only the module that defines
``Turn`` and the modules it refers to (``codex_app_server.generated.models``), not the whole
protocol. Type checkers read ``v2_all.pyi``, which re-exports every name with its real type.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: model name -> module of ``codex_app_server.generated.models`` that defines it
_MODULES: dict[str, str] = {{
{table}}}

__all__ = [
{exported}]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {{__name__!r}} has no attribute {{name!r}}")
    value = getattr(import_module(f".models.{{module}}", __package__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULES))
'''


def render_stub(header: str, names: dict[str, str]) -> str:
    by_module: dict[str, list[str]] = {}
    for name, mod in sorted(names.items()):
        by_module.setdefault(mod, []).append(name)
    lines = [header, '"""Type stub of the lazy ``v2_all``: every model with its real type."""', ""]
    for mod, members in sorted(by_module.items()):
        imports = ", ".join(f"{n} as {n}" for n in members)
        lines.append(f"from .models.{mod} import {imports}")
    exported = "".join(f"    {n!r},\n" for n in sorted(names))
    lines += ["", f"__all__ = [\n{exported}]", ""]
    return "\n".join(lines)
