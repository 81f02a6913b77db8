"""Registries: method tables read from the schema's envelope unions, and their rendering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import GenerationError, load_json, method_to_python, pascal, py_dict, py_list, ref_name
from .schema import resolve, single_string_value

#: Client methods whose response type the schema does not name (their params are not
#: ``<X>Params`` with a matching ``<X>Response``, and ``<PascalMethod>Response`` does not
#: exist). Each entry was checked against the ``client_request_definitions!`` table in
#: openai/codex ``codex-rs/app-server-protocol/src/protocol/common.rs``. The generator fails
#: if an entry names a method or model that no longer exists. Methods that are in neither
#: the rules nor this table get ``None`` and are printed as unresolved.
RESPONSE_OVERRIDES: dict[str, str] = {
    "account/logout": "LogoutAccountResponse",
    "account/workspaceMessages/read": "GetWorkspaceMessagesResponse",
    "config/batchWrite": "ConfigWriteResponse",
    "config/mcpServer/reload": "McpServerRefreshResponse",
    "config/value/write": "ConfigWriteResponse",
    "externalAgentConfig/import/readHistories": "ExternalAgentConfigImportHistoriesReadResponse",
    "account/gatewayOAuth/cancel": "GatewayOAuthCancelResponse",
    "account/gatewayOAuth/login": "GatewayOAuthLoginResponse",
    "account/gatewayOAuth/read": "GatewayOAuthReadResponse",
}


def union_variants(bundle_union: dict[str, Any]) -> list[dict[str, Any]]:
    return list(bundle_union.get("oneOf", []))


def variant_method(variant: dict[str, Any]) -> str:
    value = single_string_value(variant["properties"]["method"])
    if value is None:
        raise GenerationError(f"variant without a method: {variant.get('title')}")
    return value


def variant_params(variant: dict[str, Any]) -> tuple[str | None, bool]:
    """(params definition name or None, params required)."""
    params = variant.get("properties", {}).get("params")
    required = "params" in variant.get("required", [])
    if params is None:
        return None, False
    if "$ref" in params:
        return ref_name(params["$ref"]), required
    refs = [
        ref_name(b["$ref"])
        for b in params.get("anyOf", []) + params.get("oneOf", [])
        if "$ref" in b
    ]
    if len(refs) == 1:
        return refs[0], required
    if params.get("type") == "null":
        return None, False
    raise GenerationError(f"cannot read the params of {variant.get('title')}: {params}")


def id_path(defs: dict[str, Any], params_def: str, key: str) -> tuple[str, ...] | None:
    """Where the ``key`` (``turn`` or ``thread``) id lives in a notification's params.

    ``<key>Id`` as a top-level string property -> (``<key>Id``,); a top-level ``<key>``
    property referring to an object with a string ``id`` -> (``<key>``, ``id``).
    """
    schema = resolve(defs, defs[params_def])
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    flat = props.get(f"{key}Id")
    nested = props.get(key)
    found: list[tuple[str, ...]] = []
    if isinstance(flat, dict) and is_string_schema(defs, flat):
        found.append((f"{key}Id",))
    if isinstance(nested, dict):
        target = resolve(defs, nested)
        for branch in [nested, *nested.get("anyOf", []), *nested.get("allOf", [])]:
            target = resolve(defs, branch)
            if isinstance(target, dict) and target.get("type") == "object":
                sub_id = target.get("properties", {}).get("id")
                if isinstance(sub_id, dict) and is_string_schema(defs, sub_id):
                    found.append((key, "id"))
                    break
    if len(found) > 1:
        raise GenerationError(f"{params_def}: both {found} carry a {key} id")
    return found[0] if found else None


def is_string_schema(defs: dict[str, Any], schema: dict[str, Any]) -> bool:
    schema = resolve(defs, schema)
    kind = schema.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        return True
    return any(is_string_schema(defs, b) for b in schema.get("anyOf", []) + schema.get("allOf", []))


def notification_tables(
    notifications: dict[str, Any], defs: dict[str, Any]
) -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """notification method -> params model; -> turn id path; -> thread id path."""
    models: dict[str, str] = {}
    turn_paths: dict[str, tuple[str, ...]] = {}
    thread_paths: dict[str, tuple[str, ...]] = {}
    for variant in union_variants(notifications):
        method = variant_method(variant)
        params, _ = variant_params(variant)
        if params is None:
            raise GenerationError(f"notification {method} has no params model")
        if method in models:
            raise GenerationError(f"duplicate notification {method}")
        models[method] = params
        add_id_paths(defs, method, params, turn_paths, thread_paths)
    return models, turn_paths, thread_paths


def add_id_paths(
    defs: dict[str, Any],
    method: str,
    params: str,
    turn_paths: dict[str, tuple[str, ...]],
    thread_paths: dict[str, tuple[str, ...]],
) -> None:
    turn = id_path(defs, params, "turn")
    thread = id_path(defs, params, "thread")
    if turn:
        turn_paths[method] = turn
    if thread:
        thread_paths[method] = thread


def response_model(
    method: str, params: str | None, defs: dict[str, Any], unresolved: list[str]
) -> str | None:
    """The response model of a client method: by naming rule, else ``RESPONSE_OVERRIDES``."""
    if params and params.endswith("Params") and params[: -len("Params")] + "Response" in defs:
        return params[: -len("Params")] + "Response"
    if params is None and pascal(method) + "Response" in defs:
        return pascal(method) + "Response"
    if method in RESPONSE_OVERRIDES:
        response = RESPONSE_OVERRIDES[method]
        if response not in defs:
            raise GenerationError(f"RESPONSE_OVERRIDES[{method!r}] = {response!r}: no such model")
        return response
    unresolved.append(method)
    return None


def client_request_table(
    client_requests: dict[str, Any], stable_requests: dict[str, Any], defs: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    stable_methods = {variant_method(v) for v in union_variants(stable_requests)}
    requests: dict[str, dict[str, Any]] = {}
    unresolved: list[str] = []
    for variant in union_variants(client_requests):
        method = variant_method(variant)
        params, params_required = variant_params(variant)
        if method in requests:
            raise GenerationError(f"duplicate client method {method}")
        requests[method] = {
            "params": params,
            "params_required": params_required,
            "response": response_model(method, params, defs, unresolved),
            "experimental": method not in stable_methods,
            "description": variant.get("description"),
        }
    stale = sorted(set(RESPONSE_OVERRIDES) - set(requests))
    if stale:
        raise GenerationError(f"RESPONSE_OVERRIDES names unknown methods: {stale}")
    missing_stable = sorted(stable_methods - set(requests))
    if missing_stable:
        raise GenerationError(
            f"stable methods missing from the experimental schema: {missing_stable}"
        )
    return requests, unresolved


def server_request_table(
    server_requests: dict[str, Any], defs: dict[str, Any]
) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    server: dict[str, tuple[str, str]] = {}
    turn_paths: dict[str, tuple[str, ...]] = {}
    thread_paths: dict[str, tuple[str, ...]] = {}
    for variant in union_variants(server_requests):
        method = variant_method(variant)
        params, _ = variant_params(variant)
        if params is None or not params.endswith("Params"):
            raise GenerationError(f"server request {method}: unexpected params {params}")
        response = params[: -len("Params")] + "Response"
        if response not in defs:
            raise GenerationError(f"server request {method}: no {response}")
        server[method] = (params, response)
        add_id_paths(defs, method, params, turn_paths, thread_paths)
    return server, turn_paths, thread_paths


def build_registries(
    schema_dir: Path, stable_dir: Path, defs: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The method tables of the schema; and the client methods without a response model."""
    notification_models, turn_paths, thread_paths = notification_tables(
        load_json(schema_dir / "ServerNotification.json"), defs
    )
    requests, unresolved = client_request_table(
        load_json(schema_dir / "ClientRequest.json"),
        load_json(stable_dir / "ClientRequest.json"),
        defs,
    )
    server, server_turn_paths, server_thread_paths = server_request_table(
        load_json(schema_dir / "ServerRequest.json"), defs
    )
    client_notifications = load_json(schema_dir / "ClientNotification.json")
    problems = [
        f"model {name} is not defined"
        for name in [*notification_models.values(), *(p for p, _ in server.values())]
        if name not in defs
    ]
    if problems:
        raise GenerationError("\n".join(problems))
    registries: dict[str, Any] = {
        "notification_models": notification_models,
        "turn_paths": turn_paths,
        "thread_paths": thread_paths,
        "client_requests": requests,
        "server_requests": server,
        "server_turn_paths": server_turn_paths,
        "server_thread_paths": server_thread_paths,
        "client_notifications": sorted(
            variant_method(v) for v in union_variants(client_notifications)
        ),
    }
    registries["turn_starting"] = turn_starting_methods(registries, defs)
    return registries, unresolved


def render_notification_registry(reg: dict[str, Any], header: str) -> str:
    models = reg["notification_models"]
    lines = [
        header,
        '"""Server notifications: params model names and where the turn/thread ids live.',
        "",
        "Plain literals only (no pydantic, no import of ``v2_all``): this module is on the hot",
        "path. Paths are key paths into the raw camelCase ``params`` dict of a notification;",
        "the value found there may be ``None`` where the schema makes it optional.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "#: notification method -> name of its params model in ``v2_all``",
        "NOTIFICATION_MODELS: dict[str, str] = " + py_dict(models),
        "",
        "#: notification method -> key path of the turn id in the raw params (absent: no turn id)",
        "NOTIFICATION_TURN_ID_PATHS: dict[str, tuple[str, ...]] = " + py_dict(reg["turn_paths"]),
        "",
        "#: notification method -> key path of the thread id in the raw params (absent: none)",
        "NOTIFICATION_THREAD_ID_PATHS: dict[str, tuple[str, ...]] = "
        + py_dict(reg["thread_paths"]),
        "",
    ]
    return "\n".join(lines)


def render_protocol_registry(reg: dict[str, Any], header: str) -> str:
    requests = reg["client_requests"]
    client = {m: (r["params"], r["response"]) for m, r in requests.items()}
    experimental = sorted(m for m, r in requests.items() if r["experimental"])
    no_params = sorted(m for m, r in requests.items() if r["params"] is None)
    optional_params = sorted(
        m for m, r in requests.items() if r["params"] is not None and not r["params_required"]
    )
    lines = [
        header,
        '"""Client requests, server requests and client notifications of the app-server protocol.',
        "",
        "Plain literals only (no pydantic, no import of ``v2_all``). Model names refer to",
        "``codex_app_server.generated.v2_all``; some are type aliases of unions rather than",
        "classes (e.g. ``LoginAccountParams``), so validate with ``pydantic.TypeAdapter``.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "#: client method -> (params model name, response model name); ``None`` params: the",
        "#: method takes no params; ``None`` response: the schema does not say",
        f"CLIENT_REQUESTS: dict[str, tuple[str | None, str | None]] = {py_dict(client)}",
        "",
        "#: client methods that exist only with the experimental API",
        f"EXPERIMENTAL_CLIENT_METHODS: frozenset[str] = frozenset({py_list(experimental)})",
        "",
        "#: client methods whose request carries no params at all",
        f"CLIENT_METHODS_WITHOUT_PARAMS: frozenset[str] = frozenset({py_list(no_params)})",
        "",
        "#: client methods whose params may be omitted (``params`` is optional or nullable)",
        "CLIENT_METHODS_WITH_OPTIONAL_PARAMS: frozenset[str] = frozenset("
        + py_list(optional_params)
        + ")",
        "",
        "#: server->client request method -> (params model name, response model name)",
        f"SERVER_REQUESTS: dict[str, tuple[str, str]] = {py_dict(reg['server_requests'])}",
        "",
        "#: server request method -> key path of the turn id in the raw params",
        "SERVER_REQUEST_TURN_ID_PATHS: dict[str, tuple[str, ...]] = "
        + py_dict(reg["server_turn_paths"]),
        "",
        "#: server request method -> key path of the thread id in the raw params",
        "SERVER_REQUEST_THREAD_ID_PATHS: dict[str, tuple[str, ...]] = "
        + py_dict(reg["server_thread_paths"]),
        "",
        "#: client->server notification methods",
        f"CLIENT_NOTIFICATIONS: frozenset[str] = frozenset({py_list(reg['client_notifications'])})",
        "",
    ]
    return "\n".join(lines)


def turn_starting_methods(reg: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    """Client methods that start a turn: their response carries the new ``turn`` (a ``Turn``)."""
    out = []
    for method, info in reg["client_requests"].items():
        response = defs.get(info["response"] or "", {})
        turn = response.get("properties", {}).get("turn", {})
        if ref_name(turn.get("$ref", "")) == "Turn" and "turn" in response.get("required", []):
            out.append(method)
    return sorted(out)


def constant_name(method: str) -> str:
    return method_to_python(method).upper()


def constants_block(title: str, methods: list[str], taken: dict[str, str]) -> list[str]:
    lines = [f"# -- {title}", ""]
    for method in sorted(methods):
        name = constant_name(method)
        if taken.get(name, method) != method:
            raise GenerationError(f"method constant {name}: {method!r} and {taken[name]!r}")
        if name not in taken:
            taken[name] = method
            lines.append(f"{name} = {method!r}")
    return [*lines, ""]


def render_methods(reg: dict[str, Any], header: str) -> str:
    """``methods.py``: every method name as a constant, and the sets derived from the schema."""
    taken: dict[str, str] = {}
    client = sorted(reg["client_requests"])
    notifications = sorted(reg["notification_models"])
    server = sorted(reg["server_requests"])
    lines = [
        header,
        '"""Every method name of the app-server protocol, as constants (one source for them).',
        "",
        "``TURN_COMPLETED`` is ``turn/completed``: a name is the method in upper snake",
        "case. Plain literals only: importing this module costs nothing.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        *constants_block("client requests", client, taken),
        *constants_block("server notifications", notifications, taken),
        *constants_block("server requests (server -> client)", server, taken),
        *constants_block("client notifications", reg["client_notifications"], taken),
        "#: every client request method",
        f"CLIENT_REQUEST_METHODS: frozenset[str] = frozenset({py_list(client)})",
        "",
        "#: every server notification method",
        f"NOTIFICATION_METHODS: frozenset[str] = frozenset({py_list(notifications)})",
        "",
        "#: every server request method",
        f"SERVER_REQUEST_METHODS: frozenset[str] = frozenset({py_list(server)})",
        "",
        "#: client requests that start a turn (their response carries the new ``turn``)",
        "TURN_STARTING_METHODS: frozenset[str] = frozenset(" + py_list(reg["turn_starting"]) + ")",
        "",
    ]
    return "\n".join(lines)
