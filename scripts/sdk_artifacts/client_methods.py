"""Rendering of the typed client methods: one template per method, with async/await slots."""

from __future__ import annotations

import ast
import copy
import keyword
import re
import textwrap
from typing import Any, ClassVar, NamedTuple

from .common import GenerationError, method_to_python
from .models import Field, ModelIndex
from .schema import resolve

#: Keyword parameter names of the generated client methods that cannot be used for a
#: params field (they get a trailing underscore; the field name is mapped back).
RESERVED_KEYWORDS = frozenset({"self", "params", "timeout", "cast", "Any", "Mapping"})


TYPING_NAMES = {"Any", "Literal"}


BUILTIN_NAMES = {"str", "int", "float", "bool", "bytes", "list", "dict", "set", "tuple", "None"}


class AnnotationSimplifier(ast.NodeTransformer):
    """``Annotated[X, ...]`` -> ``X``; ``con*(...)`` -> the base type.

    A union RootModel ``U`` (``roots``: name -> its root annotation) becomes ``U | <root>``,
    so that a keyword parameter accepts the branch models (and raw values) as well.
    """

    def __init__(self, roots: dict[str, ast.expr] | None = None) -> None:
        self.roots = roots or {}

    def visit_Name(self, node: ast.Name) -> ast.AST:
        root = self.roots.get(node.id)
        if root is None:
            return node
        expanded = AnnotationSimplifier().visit(copy.deepcopy(root))
        if not isinstance(expanded, ast.expr):
            raise GenerationError(f"{node.id}: the root annotation is not an expression")
        return ast.BinOp(left=node, op=ast.BitOr(), right=expanded)

    CONSTRAINED: ClassVar[dict[str, str]] = {
        "conint": "int",
        "constr": "str",
        "confloat": "float",
        "conlist": "list",
    }

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "Annotated":
            inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
            simplified: ast.AST = self.visit(inner)
            return simplified
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        name = getattr(node.func, "id", None)
        if name in self.CONSTRAINED:
            return ast.Name(id=self.CONSTRAINED[name], ctx=ast.Load())
        raise GenerationError(f"unexpected call in an annotation: {ast.unparse(node)}")


def annotation_names(node: ast.AST) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
    # Literal[...] contents are constants, no names to import
    return names


def optional_annotation(annotation: ast.expr) -> str:
    text = ast.unparse(annotation)
    members = union_members(annotation)
    if any(isinstance(m, ast.Constant) and m.value is None for m in members):
        return text
    return f"{text} | None"


def union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return union_members(node.left) + union_members(node.right)
    return [node]


def docstring_lines(texts: list[str], width: int = 88) -> list[str]:
    paragraphs: list[str] = []
    for text in texts:
        for para in re.split(r"\n\s*\n", text.strip()):
            para = para.strip()
            if para:
                paragraphs.append(para)
    out: list[str] = []
    for para in paragraphs:
        if out:
            out.append("")
        for line in para.splitlines():
            wrapped = textwrap.wrap(
                line.strip(), width=width, break_long_words=False, break_on_hyphens=False
            )
            out.extend(wrapped or [""])
    return [escape_doc(line) for line in out]


#: upstream doc comments that mark a section of the method table, not a method
SECTION_MARKER = re.compile(r"^\s*(NEW APIs|NEW NOTIFICATIONS|DEPRECATED APIs below)\b\s*")


#: characters ruff reports as ambiguous in docstrings (RUF002), and their ASCII look-alikes
DOC_TRANSLATION = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u00a0": " ",
        "\u00d7": "x",
        "\u2212": "-",
    }
)


def escape_doc(line: str) -> str:
    """Make a line safe inside a triple-quoted docstring."""
    line = line.translate(DOC_TRANSLATION)
    line = line.replace("\\", "\\\\").replace('"""', "'''")
    if line.endswith('"'):
        line = line[:-1] + '\\"'
    if line.startswith('"'):
        line = '\\"' + line[1:]
    return line


def field_description(defs: dict[str, Any], props: dict[str, Any], field: Field) -> str:
    """First paragraph of a field's description (or of its type's), on one line."""
    schema = props.get(field.alias)
    if not isinstance(schema, dict):
        return ""
    description = schema.get("description")
    if not description:
        target = resolve(defs, schema)
        description = target.get("description") if isinstance(target, dict) else None
    if not description:
        return ""
    first = re.split(r"\n\s*\n", description.strip())[0]
    return " ".join(first.split())


class Context:
    """What rendering every method shares: the model index, schemas, imports and notes."""

    def __init__(
        self, index: ModelIndex, defs: dict[str, Any], stable_defs: dict[str, Any]
    ) -> None:
        self.index = index
        self.defs = defs
        self.stable_defs = stable_defs
        self.imports: set[str] = set()
        self.typing_imports: set[str] = set()
        self.notes: list[str] = []
        self.roots = index.root_annotations()

    def use_names(self, annotation: ast.AST, owner: str) -> None:
        """Import what an annotation names (models from ``v2_all``, typing names)."""
        for name in annotation_names(annotation):
            if name in self.index.names:
                self.imports.add(name)
            elif name in TYPING_NAMES:
                self.typing_imports.add(name)
            elif name not in BUILTIN_NAMES:
                raise GenerationError(f"{owner}: unknown name {name!r} in annotation")


class Keyword(NamedTuple):
    """One keyword parameter of a client method (a field of its params model)."""

    name: str
    annotation: str
    field: str
    required: bool
    experimental: bool
    description: str


class MethodParts(NamedTuple):
    """A client method, everything but the async/await slots."""

    py_name: str
    signature: list[str]
    returns: str
    doc: list[str]
    call: str
    cast_to: str | None


def keyword_params(
    ctx: Context, method: str, info: dict[str, Any], params_model: str
) -> list[Keyword]:
    """The params model's fields as keyword parameters, required ones first."""
    if not ctx.index.is_model(params_model):
        ctx.notes.append(f"{method}: params model {params_model} is a union, no keyword parameters")
        return []
    fields = sorted(ctx.index.fields(params_model), key=lambda f: not f.required)
    props = resolve(ctx.defs, ctx.defs.get(params_model, {})).get("properties", {})
    stable_props = ctx.stable_defs.get(params_model, {}).get("properties")
    out = []
    for field in fields:
        simple = AnnotationSimplifier(ctx.roots).visit(copy.deepcopy(field.annotation))
        ast.fix_missing_locations(simple)
        ctx.use_names(simple, f"{params_model}.{field.name}")
        kw = field.name
        if kw in RESERVED_KEYWORDS or keyword.iskeyword(kw):
            kw = f"{kw}_"
            ctx.notes.append(f"{method}: keyword {kw!r} for field {field.name!r}")
        experimental = (
            stable_props is not None
            and not info["experimental"]
            and field.alias not in stable_props
        )
        description = field_description(ctx.defs, props, field)
        annotation = optional_annotation(simple)
        out.append(Keyword(kw, annotation, field.name, field.required, experimental, description))
    return out


def method_doc(
    ctx: Context, method: str, info: dict[str, Any], keywords: list[Keyword]
) -> list[str]:
    params_model, response_model = info["params"], info["response"]
    texts = []
    method_text = SECTION_MARKER.sub("", info.get("description") or "").strip()
    if method_text:
        texts.append(method_text)
    if params_model and ctx.defs.get(params_model, {}).get("description"):
        texts.append(ctx.defs[params_model]["description"])
    if response_model and ctx.defs.get(response_model, {}).get("description"):
        texts.append("Returns: " + ctx.defs[response_model]["description"])
    if not texts:
        texts.append(f"Send ``{method}``.")
    if info["experimental"]:
        texts.append("Experimental: needs the experimental API.")
    doc = docstring_lines(texts)
    if keywords:
        doc += ["", "Keyword fields (merged into ``params``):"]
        doc += [line for kw in keywords for line in keyword_doc(kw)]
    return doc


def keyword_doc(kw: Keyword) -> list[str]:
    marks = [m for m, on in (("required", kw.required), ("experimental", kw.experimental)) if on]
    label = f"{kw.name} ({', '.join(marks)})" if marks else kw.name
    entry = f"{label}: {kw.description}".rstrip(": ")
    wrapped = textwrap.wrap(entry, width=84, break_long_words=False, break_on_hyphens=False)
    return ["    " + escape_doc(wrapped[0])] + ["        " + escape_doc(m) for m in wrapped[1:]]


def method_parts(ctx: Context, method: str, info: dict[str, Any]) -> MethodParts:
    params_model: str | None = info["params"]
    response_model: str | None = info["response"]
    for name in (params_model, response_model):
        if name is not None and name not in ctx.index.names:
            raise GenerationError(f"{method}: model {name!r} not generated")
    params_type = "Mapping[str, Any] | None"
    keywords: list[Keyword] = []
    if params_model is not None:
        ctx.imports.add(params_model)
        params_type = f"{params_model} | Mapping[str, Any] | None"
        keywords = keyword_params(ctx, method, info, params_model)
    if response_model is not None:
        ctx.imports.add(response_model)
    signature = [f"params: {params_type} = None", "/", "*", "timeout: float | None = None"]
    signature += [f"{kw.name}: {kw.annotation} = None" for kw in keywords]
    fields_literal = "{" + ", ".join(f"{kw.field!r}: {kw.name}" for kw in keywords) + "}"
    call = (
        f"self._typed_request({method!r}, params, {fields_literal}, "
        f"{params_model!r}, {response_model!r}, timeout)"
    )
    return MethodParts(
        py_name=method_to_python(method),
        signature=signature,
        returns=response_model or "Any",
        doc=method_doc(ctx, method, info, keywords),
        call=call,
        cast_to=response_model,
    )


#: one template for both clients: ``{async_}`` and ``{await_}`` are the only differences
METHOD_TEMPLATE = """    {async_}def {name}(
        self,
{signature}
    ) -> {returns}:
{doc}
        return {value}"""


def render_method(parts: MethodParts, *, is_async: bool) -> str:
    awaited = ("await " if is_async else "") + parts.call
    value = awaited if parts.cast_to is None else f"cast({parts.cast_to!r}, {awaited})"
    doc = parts.doc
    if len(doc) == 1:
        doc_text = f'        """{doc[0]}"""'
    else:
        body = [f"        {line}" if line else "" for line in doc[1:]]
        doc_text = "\n".join([f'        """{doc[0]}', *body, '        """'])
    return METHOD_TEMPLATE.format(
        async_="async " if is_async else "",
        name=parts.py_name,
        signature="\n".join(f"        {part}," for part in parts.signature),
        returns=parts.returns,
        doc=doc_text,
        value=value,
    )


def checked_methods(reg: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The client methods to render (``initialize`` excepted), with usable unique names."""
    seen: dict[str, str] = {}
    out = []
    for method, info in sorted(reg["client_requests"].items()):
        if method == "initialize":
            continue
        py_name = method_to_python(method)
        if keyword.iskeyword(py_name) or py_name.startswith("_"):
            raise GenerationError(f"method name {py_name!r} for {method!r} is not usable")
        if py_name in seen:
            raise GenerationError(f"method name collision: {method!r} and {seen[py_name]!r}")
        seen[py_name] = method
        out.append((method, info))
    return out


MODULE_DOC = (
    '"""Typed client methods, one per app-server client request (``initialize`` excepted).\n'
    "\n"
    "The mixins only shape the call; the client classes implement ``_typed_request``:\n"
    "``params`` (a model, dumped by alias, or a mapping, used as is) is merged with the\n"
    "keyword ``fields`` that are not ``None`` (validated through the params model), sent,\n"
    "and the result is validated into the response model. Model names refer to\n"
    "``codex_app_server.generated.v2_all``, which is imported only for type checking.\n"
    '"""\n'
)

STUB_SIGNATURE = (
    "self, method: str, params: Any, fields: Mapping[str, Any], "
    "params_model: str | None, response_model: str | None, timeout: float | None"
)


def render_client_methods(
    reg: dict[str, Any],
    index: ModelIndex,
    defs: dict[str, Any],
    stable_defs: dict[str, Any],
    header: str,
) -> tuple[dict[str, str], list[str]]:
    """The client method mixins, from one template, and notes: ``client_methods_sync.py``
    (``SyncClientMethods``), ``client_methods_async.py`` (``AsyncClientMethods``), and
    ``client_methods.py`` re-exporting both. One module per mixin: a blocking client's
    cold import does not load (unmarshal, build) the async one, and the other way round."""
    ctx = Context(index, defs, stable_defs)
    parts = [method_parts(ctx, method, info) for method, info in checked_methods(reg)]
    typing_line = ", ".join(sorted({"TYPE_CHECKING", "Any", "cast"} | ctx.typing_imports))
    import_lines = "".join(f"        {name},\n" for name in sorted(ctx.imports))
    files: dict[str, str] = {}
    for is_async, cls, what in ((False, "Sync", "blocking"), (True, "Async", "asyncio")):
        methods = "\n\n".join(render_method(p, is_async=is_async) for p in parts)
        files[f"client_methods_{cls.lower()}.py"] = (
            f"{header}\n{MODULE_DOC}\n"
            "from __future__ import annotations\n"
            "\n"
            "from collections.abc import Mapping\n"
            f"from typing import {typing_line}\n"
            "\n"
            "if TYPE_CHECKING:\n"
            "    from .v2_all import (\n"
            f"{import_lines}"
            "    )\n"
            "\n"
            "\n"
            f"class {cls}ClientMethods:\n"
            f'    """Typed methods for the {what} client."""\n'
            "\n"
            f"    {'async ' if is_async else ''}def _typed_request({STUB_SIGNATURE}) -> Any:\n"
            "        raise NotImplementedError\n"
            "\n" + methods + "\n"
        )
    files["client_methods.py"] = (
        f"{header}\n"
        '"""The typed client method mixins, both (each client imports its own module:\n'
        "``client_methods_sync``, ``client_methods_async``). See ``client_methods_sync``.\n"
        '"""\n'
        "\n"
        "from .client_methods_async import AsyncClientMethods\n"
        "from .client_methods_sync import SyncClientMethods\n"
        "\n"
        '__all__ = ["AsyncClientMethods", "SyncClientMethods"]\n'
    )
    return files, ctx.notes
