"""Schema preparation: merge the runtime's bundles and reshape them for datamodel-code-generator."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from .common import GenerationError, pascal, ref_name, sanitize_title

#: Definitions whose ``oneOf`` variants are JSON-RPC envelopes ({method, params, ...}).
#: Their variants are named ``<PascalMethod><Definition>`` (e.g. ``TurnStartClientRequest``),
#: because their schema titles collide with the params definitions
#: (``ErrorNotification`` is both a variant title and the params of ``error``).
ENVELOPE_UNIONS = ("ClientNotification", "ClientRequest", "ServerNotification", "ServerRequest")


#: Definitions whose ``oneOf`` variants spell their fields snake_case in the schema while the
#: runtime sends them camelCase: upstream puts serde's ``rename_all_fields = "camelCase"`` on
#: these enums, which schemars does not apply (openai/codex
#: ``codex-rs/app-server-protocol/src/protocol/v2.rs``; measured: ``thread/timeline/list``
#: sends ``turnId`` and ``startedAt``). Their snake_case variant fields are renamed to
#: camelCase before the models are generated. The generator fails if an entry is stale.
CAMEL_CASE_VARIANT_FIELDS = ("ThreadRealtimeItem", "ThreadTimelineEntry")


def merged_definitions(v2_bundle: dict[str, Any], top_bundle: dict[str, Any]) -> dict[str, Any]:
    """All definitions: the v2 bundle plus the top-level bundle's own ones.

    The top-level bundle nests the v2 definitions under ``definitions.v2`` and refers to
    them as ``#/definitions/v2/X``; those refs are flattened. Names present in both
    bundles must describe the same schema (checked).
    """
    defs: dict[str, Any] = {}
    for name, schema in v2_bundle["definitions"].items():
        defs[name] = copy.deepcopy(schema)
    for name, schema in top_bundle["definitions"].items():
        if name == "v2":
            continue
        flat = json.loads(json.dumps(schema).replace('"#/definitions/v2/', '"#/definitions/'))
        if name in defs:
            a = {k: v for k, v in flat.items() if k not in ("$schema", "title")}
            b = {k: v for k, v in defs[name].items() if k not in ("$schema", "title")}
            if a != b:
                raise GenerationError(f"definition {name!r} differs between the two bundles")
            continue
        defs[name] = flat
    for schema in defs.values():
        schema.pop("$schema", None)
    return dict(sorted(defs.items()))


def fix_variant_field_case(defs: dict[str, Any], *, required: bool = True) -> dict[str, Any]:
    """Rename the snake_case variant fields of ``CAMEL_CASE_VARIANT_FIELDS`` to camelCase."""
    from pydantic.alias_generators import to_camel

    for name in CAMEL_CASE_VARIANT_FIELDS:
        schema = defs.get(name)
        if schema is None:
            if required:
                raise GenerationError(f"CAMEL_CASE_VARIANT_FIELDS names unknown {name!r}")
            continue
        renamed = 0
        for variant in schema.get("oneOf", []):
            props = variant.get("properties", {})
            names = {key: to_camel(key) for key in props if "_" in key.strip("_")}
            for key, camel in names.items():
                if camel in props:
                    raise GenerationError(f"{name}: both {key!r} and {camel!r} are fields")
                props[camel] = props.pop(key)
                renamed += 1
            if "required" in variant:
                variant["required"] = [names.get(key, key) for key in variant["required"]]
        if not renamed:
            raise GenerationError(f"CAMEL_CASE_VARIANT_FIELDS: {name} has no snake_case field")
    return defs


def resolve(defs: dict[str, Any], schema: Any) -> Any:
    seen = set()
    while isinstance(schema, dict) and "$ref" in schema:
        name = ref_name(schema["$ref"])
        if name in seen:
            break
        seen.add(name)
        schema = defs[name]
    return schema


def single_string_value(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "string" and len(schema.get("enum", [])) == 1:
        value = schema["enum"][0]
        return value if isinstance(value, str) else None
    if isinstance(schema.get("const"), str):
        return str(schema["const"])
    return None


def tag_values(defs: dict[str, Any], branch: Any) -> dict[str, str] | None:
    """Required single-string-value properties of an object branch: candidate tags."""
    obj = resolve(defs, branch)
    if not isinstance(obj, dict) or obj.get("type") != "object":
        return None
    required = set(obj.get("required", []))
    out = {}
    for prop, sub in obj.get("properties", {}).items():
        value = single_string_value(sub)
        if prop in required and value is not None:
            out[prop] = value
    return out


def union_tag(defs: dict[str, Any], branches: list[Any]) -> str | None:
    """The property that tells the branches of a oneOf apart, if there is one."""
    if len(branches) < 2:
        return None
    values = [tag_values(defs, b) for b in branches]
    if not all(values):
        return None
    common = set.intersection(*(set(v) for v in values if v is not None))
    candidates = sorted(
        p for p in common if len({v[p] for v in values if v is not None}) == len(branches)
    )
    if not candidates:
        return None
    for preferred in ("type", "method"):
        if preferred in candidates:
            return preferred
    return candidates[0]


def is_string_enum(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "string"
        and bool(schema.get("enum"))
        and set(schema) <= {"type", "enum", "description", "title"}
    )


def merge_string_enums(branches: list[dict[str, Any]]) -> dict[str, Any]:
    values: list[str] = []
    notes: list[str] = []
    for branch in branches:
        for value in branch["enum"]:
            if value not in values:
                values.append(value)
        if branch.get("description"):
            listed = ", ".join(f"`{v}`" for v in branch["enum"])
            notes.append(f"- {listed}: {branch['description']}")
    merged: dict[str, Any] = {"type": "string", "enum": values}
    if notes:
        merged["description"] = "\n".join(notes)
    return merged


SCHEMA_MAP_KEYWORDS = ("properties", "patternProperties", "definitions")


SCHEMA_LIST_KEYWORDS = ("oneOf", "anyOf", "allOf")


SCHEMA_KEYWORDS = ("items", "additionalProperties", "not")


def subschemas(schema: Any) -> Iterator[dict[str, Any]]:
    if not isinstance(schema, dict):
        return
    for key in SCHEMA_MAP_KEYWORDS:
        if isinstance(schema.get(key), dict):
            yield from (v for v in schema[key].values() if isinstance(v, dict))
    for key in SCHEMA_LIST_KEYWORDS:
        if isinstance(schema.get(key), list):
            yield from (v for v in schema[key] if isinstance(v, dict))
    for key in SCHEMA_KEYWORDS:
        if isinstance(schema.get(key), dict):
            yield schema[key]


def walk(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        yield schema
        for sub in subschemas(schema):
            yield from walk(sub)


def prepare_schema(defs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Reshape the merged definitions for datamodel-code-generator.

    * a ``oneOf``/``anyOf`` of string enums becomes one string enum (an ``Enum`` class),
      keeping the per-value descriptions in the description;
    * in a ``oneOf`` that mixes string enums and objects, the string enums are merged into
      one branch, a definition named ``<Definition>Value``;
    * tagged unions (every branch an object with a distinct required single-value string
      property, e.g. ``ThreadItem`` keyed by ``type``) get their inline branches moved to
      definitions of their own (named after the branch title) and a ``discriminator`` with a
      ``mapping``, which makes the generator write a pydantic discriminated union;
    * titles of single-value enums (the tags) are dropped, so that tags are ``Literal``\\ s and
      not one-value classes.

    Returns the new definitions and the discriminated unions (definition -> tag property).
    """
    defs = copy.deepcopy(defs)
    namer = Namer(set(defs))
    tagged: dict[str, str] = {}
    merge_enum_unions(defs)
    for name in sorted(defs):
        schema = defs[name]
        split_mixed_enum_branches(name, schema, namer)
        tag = tag_union(name, schema, {**defs, **namer.new_defs}, namer)
        if tag is not None:
            tagged[name] = tag
    defs.update(namer.new_defs)
    drop_tag_titles(defs)
    return dict(sorted(defs.items())), dict(sorted(tagged.items()))


class Namer:
    """Names for the definitions that ``prepare_schema`` adds, never taking a used one."""

    def __init__(self, original_names: set[str]) -> None:
        self.original_names = original_names
        self.new_defs: dict[str, Any] = {}

    def taken(self, name: str) -> bool:
        return name in self.original_names or name in self.new_defs

    def claim(self, name: str, owner: str) -> str:
        if self.taken(name):
            raise GenerationError(f"cannot name a branch of {owner!r} {name!r}: name taken")
        return name

    def branch_name(self, value: str, owner: str) -> str:
        """``<PascalTag><Definition>``; a number after the tag if two tags look alike."""
        candidate = pascal(value) + owner
        counter = 2
        while self.taken(candidate):
            candidate = f"{pascal(value)}{counter}{owner}"
            counter += 1
        return candidate


def merge_enum_unions(defs: dict[str, Any]) -> None:
    """1. A ``oneOf``/``anyOf`` of string enums anywhere becomes one string enum."""
    for schema in [s for d in defs.values() for s in walk(d)]:
        for key in ("oneOf", "anyOf"):
            branches = schema.get(key)
            if not isinstance(branches, list) or len(branches) < 2:
                continue
            if not all(is_string_enum(b) for b in branches):
                continue
            merged = merge_string_enums(branches)
            del schema[key]
            if schema.get("description") and merged.get("description"):
                merged["description"] = schema["description"] + "\n\n" + merged["description"]
            elif schema.get("description"):
                merged["description"] = schema["description"]
            schema.pop("type", None)
            schema.update(merged)


def split_mixed_enum_branches(name: str, schema: dict[str, Any], namer: Namer) -> None:
    """2. String enums beside other branches merge into one ``<Definition>Value`` branch."""
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if not isinstance(branches, list):
            continue
        enum_branches = [b for b in branches if is_string_enum(b)]
        if enum_branches and len(enum_branches) < len(branches):
            value_name = namer.claim(f"{name}Value", name)
            namer.new_defs[value_name] = merge_string_enums(enum_branches)
            first = branches.index(enum_branches[0])
            rest = [b for b in branches if not is_string_enum(b)]
            rest.insert(first, {"$ref": f"#/definitions/{value_name}"})
            schema[key] = rest


def tag_union(name: str, schema: dict[str, Any], known: dict[str, Any], namer: Namer) -> str | None:
    """3. A tagged union gets its inline branches as definitions and a ``discriminator``."""
    branches = schema.get("oneOf")
    if not isinstance(branches, list):
        return None
    tag = union_tag(known, branches)
    if tag is None:
        return None
    shared_props = schema.pop("properties", None) or {}
    shared_required = [r for r in schema.pop("required", []) if r in shared_props]
    schema.pop("type", None)
    mapping: dict[str, str] = {}
    new_branches = []
    for branch in branches:
        value = (tag_values(known, branch) or {})[tag]
        if "$ref" in branch:
            if shared_props:
                raise GenerationError(f"{name}: shared properties beside a $ref branch")
            target = ref_name(branch["$ref"])
        else:
            target = branch_definition(name, branch, value, namer)
            body = namer.new_defs[target]
            for prop, sub in shared_props.items():
                body.setdefault("properties", {}).setdefault(prop, copy.deepcopy(sub))
            for req in shared_required:
                if req not in body.setdefault("required", []):
                    body["required"].append(req)
        mapping[value] = f"#/definitions/{target}"
        new_branches.append({"$ref": f"#/definitions/{target}"})
    schema["oneOf"] = new_branches
    schema["discriminator"] = {"propertyName": tag, "mapping": mapping}
    return tag


def branch_definition(name: str, branch: dict[str, Any], value: str, namer: Namer) -> str:
    """Move an inline branch to a definition of its own (named after its title); its name."""
    title = branch.get("title")
    if name in ENVELOPE_UNIONS or not title or namer.taken(sanitize_title(title)):
        target = namer.branch_name(value, name)
    else:
        target = namer.claim(sanitize_title(title), name)
    body = copy.deepcopy(branch)
    body.pop("title", None)
    namer.new_defs[target] = body
    return target


def drop_tag_titles(defs: dict[str, Any]) -> None:
    """4. Tags are ``Literal``\\ s, not one-value classes: their titles go."""
    for top in defs.values():
        for sub in subschemas(top):
            for schema in walk(sub):
                if single_string_value(schema) is not None:
                    schema.pop("title", None)
