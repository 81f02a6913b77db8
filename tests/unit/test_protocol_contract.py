"""Contract: every client method of the pinned runtime's schema has a typed wrapper.

The schema is read from the runtime itself (`codex app-server generate-json-schema`, stable
and experimental), not from the generated files, so this fails when the wrappers and the
runtime disagree: a method missing, named off the rule, mis-marked experimental, with
keyword fields that are not the params' properties, or a response model whose fields are
not the schema's.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import subprocess
import typing
from pathlib import Path
from typing import Any

import pydantic
import pytest

from codex_app_server import AppServerClient, AsyncAppServerClient
from codex_app_server._protocol.models import validate_as
from codex_app_server.generated import client_methods, v2_all
from codex_app_server.generated.protocol_registry import (
    CLIENT_REQUESTS,
    EXPERIMENTAL_CLIENT_METHODS,
)

SchemaDefs = dict[str, Any]


def runtime_schema(out: Path, *, experimental: bool) -> tuple[dict[str, Any], SchemaDefs]:
    """The ClientRequest union and all definitions, as the runtime writes them."""
    import codex_cli_bin

    argv = [str(codex_cli_bin.bundled_codex_path()), "app-server", "generate-json-schema"]
    argv += ["--out", str(out)] + (["--experimental"] if experimental else [])
    subprocess.run(argv, check=True, capture_output=True, timeout=60)
    requests = json.loads((out / "ClientRequest.json").read_text(encoding="utf-8"))
    v2 = json.loads((out / "codex_app_server_protocol.v2.schemas.json").read_text("utf-8"))
    top = json.loads((out / "codex_app_server_protocol.schemas.json").read_text("utf-8"))
    defs = {k: v for k, v in top["definitions"].items() if k != "v2"}
    defs.update(v2["definitions"])
    return requests, defs


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("schema")
    requests, defs = runtime_schema(base / "experimental", experimental=True)
    stable_requests, _ = runtime_schema(base / "stable", experimental=False)
    methods: dict[str, dict[str, Any]] = {}
    for variant in requests["oneOf"]:
        (method,) = variant["properties"]["method"]["enum"]
        methods[method] = variant
    stable = {v["properties"]["method"]["enum"][0] for v in stable_requests["oneOf"]}
    return {"methods": methods, "stable": stable, "defs": defs}


def python_name(method: str) -> str:
    """The naming rule: `/` becomes `_`, camelCase becomes snake_case."""
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", method.replace("/", "_"))
    return re.sub(r"_+", "_", snake).lower()


def ref_name(schema: Any) -> str | None:
    if isinstance(schema, dict) and "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return None


def params_ref(variant: dict[str, Any]) -> str | None:
    params = variant["properties"].get("params")
    if params is None or params.get("type") == "null":
        return None
    name = ref_name(params)
    if name is None:
        for option in params.get("anyOf", []) + params.get("oneOf", []):
            name = name or ref_name(option)
    return name


def model_aliases(model: type[pydantic.BaseModel]) -> dict[str, bool]:
    """Wire name -> required, for every field of a generated model."""
    model.model_rebuild()
    return {(info.alias or name): info.is_required() for name, info in model.model_fields.items()}


def schema_properties(defs: SchemaDefs, name: str) -> dict[str, bool] | None:
    """Wire name -> required, for an object definition (None for unions and aliases)."""
    definition = defs[name]
    if "properties" not in definition and definition.get("type") != "object":
        return None
    required = set(definition.get("required", []))
    return {prop: prop in required for prop in definition.get("properties", {})}


def test_the_schema_has_the_documented_size(schema: dict[str, Any]) -> None:
    assert len(schema["methods"]) == 172
    assert len(schema["stable"]) == 105


def test_every_schema_method_has_a_sync_and_an_async_wrapper(schema: dict[str, Any]) -> None:
    expected = {python_name(m) for m in schema["methods"] if m != "initialize"}
    assert len(expected) == 171
    for cls in (AppServerClient, AsyncAppServerClient):
        for method in schema["methods"]:
            name = python_name(method)
            if method == "initialize":
                assert not hasattr(cls, name), "initialize stays internal"
                continue
            function = getattr(cls, name, None)
            assert function is not None, f"{cls.__name__} has no {name} for {method}"
            is_async = inspect.iscoroutinefunction(function)
            assert is_async is (cls is AsyncAppServerClient), name
    generated = {
        n
        for n, f in vars(client_methods.SyncClientMethods).items()
        if callable(f) and not n.startswith("_")
    }
    assert generated == expected, "a wrapper exists for a method the runtime does not have"


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("thread/turns/list", "thread_turns_list"),
        ("fuzzyFileSearch", "fuzzy_file_search"),
        ("mcpServer/oauth/login", "mcp_server_oauth_login"),
        ("account/gatewayOAuth/read", "account_gateway_oauth_read"),
        ("thread/inject_items", "thread_inject_items"),
        ("configRequirements/read", "config_requirements_read"),
    ],
)
def test_the_naming_rule(method: str, name: str) -> None:
    assert python_name(method) == name
    assert callable(getattr(AppServerClient, name))


def test_experimental_methods_are_marked(schema: dict[str, Any]) -> None:
    experimental = set(schema["methods"]) - schema["stable"]
    assert len(experimental) == 67
    assert experimental == EXPERIMENTAL_CLIENT_METHODS
    for method in schema["methods"]:
        if method == "initialize":
            continue
        for cls in (client_methods.SyncClientMethods, client_methods.AsyncClientMethods):
            doc = getattr(cls, python_name(method)).__doc__ or ""
            marked = "Experimental: needs the experimental API." in doc
            assert marked is (method in experimental), method


def test_params_models_are_the_schema_params(schema: dict[str, Any]) -> None:
    for method, variant in schema["methods"].items():
        params, _ = CLIENT_REQUESTS[method]
        assert params == params_ref(variant), method


@pytest.mark.parametrize(
    "method", sorted(m for m in CLIENT_REQUESTS if m != "initialize" and CLIENT_REQUESTS[m][0])
)
def test_keyword_fields_are_the_params_properties(schema: dict[str, Any], method: str) -> None:
    params_name, _ = CLIENT_REQUESTS[method]
    assert params_name is not None
    props = schema_properties(schema["defs"], params_name)
    function = getattr(client_methods.SyncClientMethods, python_name(method))
    signature = inspect.signature(function)
    names = list(signature.parameters)
    assert names[:2] == ["self", "params"], method
    assert signature.parameters["params"].kind is inspect.Parameter.POSITIONAL_ONLY
    assert signature.parameters["timeout"].kind is inspect.Parameter.KEYWORD_ONLY
    keywords = [n for n in names[2:] if n != "timeout"]
    if props is None:  # a union of params shapes: the model (or a dict) is passed as is
        assert keywords == [], method
        assert schema["defs"][params_name].get("oneOf"), method
        return
    model = getattr(v2_all, params_name)
    wire = model_aliases(model)
    assert wire == props, f"{params_name} fields differ from the schema"
    by_name = {name: info.alias or name for name, info in model.model_fields.items()}
    assert sorted(by_name[k.rstrip("_")] for k in keywords) == sorted(props), method
    doc = function.__doc__ or ""
    for keyword in keywords:
        assert signature.parameters[keyword].default is None, (method, keyword)
        required = props[by_name[keyword.rstrip("_")]]
        assert (f"{keyword} (required" in doc) is required, (method, keyword)


@pytest.mark.parametrize("method", sorted(m for m in CLIENT_REQUESTS if m != "initialize"))
def test_responses_are_the_schema_responses(schema: dict[str, Any], method: str) -> None:
    _, response = CLIENT_REQUESTS[method]
    assert response is not None, f"{method}: no response model"
    assert response in schema["defs"], f"{method}: {response} is not in the schema"
    function = getattr(client_methods.SyncClientMethods, python_name(method))
    assert inspect.signature(function).return_annotation == response, method
    async_function = getattr(client_methods.AsyncClientMethods, python_name(method))
    assert inspect.signature(async_function).return_annotation == response, method
    obj = getattr(v2_all, response)
    props = schema_properties(schema["defs"], response)
    if props is None:
        variants = schema["defs"][response]["oneOf"]
        obj.model_rebuild()
        members = typing.get_args(obj.model_fields["root"].annotation)
        assert len(members) == len(variants), response
        return
    assert model_aliases(obj) == props, f"{response} fields differ from the schema"


def test_responses_the_schema_leaves_unnamed_are_resolved() -> None:
    """The schema does not name these responses; the generator's table does."""
    assert CLIENT_REQUESTS["account/gatewayOAuth/read"][1] == "GatewayOAuthReadResponse"
    assert CLIENT_REQUESTS["account/gatewayOAuth/login"][1] == "GatewayOAuthLoginResponse"
    assert CLIENT_REQUESTS["account/gatewayOAuth/cancel"][1] == "GatewayOAuthCancelResponse"
    read = validate_as(
        "GatewayOAuthReadResponse",
        {"providerId": "openai", "providerName": "OpenAI", "required": False, "status": None},
    )
    assert read.provider_id == "openai"


def test_union_responses_validate_into_their_variant() -> None:
    api_key = validate_as("LoginAccountResponse", {"type": "apiKey"})
    assert type(api_key.root).__name__ == "ApiKeyLoginAccountResponse"
    chatgpt = validate_as(
        "LoginAccountResponse", {"type": "chatgpt", "loginId": "L", "authUrl": "https://x"}
    )
    assert (chatgpt.login_id, chatgpt.auth_url) == ("L", "https://x")
    with pytest.raises(pydantic.ValidationError):
        validate_as("LoginAccountResponse", {"type": "nope"})


def test_timeline_entries_read_the_wire_names() -> None:
    """The schema spells these fields snake_case; the runtime sends camelCase."""
    page = validate_as(
        "ThreadTimelineListResponse",
        {
            "data": [
                {"type": "turnStarted", "position": 1, "turnId": "t", "startedAt": 5},
                {
                    "type": "turnCompleted",
                    "position": 2,
                    "turnId": "t",
                    "status": "completed",
                    "startedAt": 5,
                    "completedAt": 6,
                    "durationMs": 1000,
                },
            ]
        },
    )
    started, completed = page.data
    assert (started.turn_id, started.started_at) == ("t", 5)
    assert completed.duration_ms == 1000


class Recorder(client_methods.SyncClientMethods):
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def _typed_request(self, method: str, params: Any, fields: Any, *rest: Any) -> Any:
        from codex_app_server._protocol.params import build_params

        self.sent.append((method, build_params(params, fields, rest[0])))
        return {}


class AsyncRecorder(client_methods.AsyncClientMethods):
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    async def _typed_request(self, method: str, params: Any, fields: Any, *rest: Any) -> Any:
        from codex_app_server._protocol.params import build_params

        self.sent.append((method, build_params(params, fields, rest[0])))
        return {}


def test_keyword_fields_are_sent_as_camel_case_and_validated() -> None:
    sync, async_ = Recorder(), AsyncRecorder()
    sync.thread_turns_list(thread_id="thr", limit=5, sort_direction="asc")  # type: ignore[arg-type]
    asyncio.run(async_.fuzzy_file_search(query="x", roots=["/tmp"]))
    assert sync.sent == [
        ("thread/turns/list", {"threadId": "thr", "limit": 5, "sortDirection": "asc"})
    ]
    assert async_.sent == [("fuzzyFileSearch", {"query": "x", "roots": ["/tmp"]})]
    with pytest.raises(pydantic.ValidationError):
        sync.thread_turns_list(thread_id="thr", limit="many")  # type: ignore[arg-type]
    # A union params model takes the params object (or a dict) as is.
    sync.account_login_start({"type": "apiKey", "apiKey": "k"})
    variant = v2_all.ApiKeyLoginAccountParams(api_key="k", type="apiKey")
    sync.account_login_start(variant)  # type: ignore[arg-type]  # accepted; the hint lacks it
    assert sync.sent[-2:] == [
        ("account/login/start", {"type": "apiKey", "apiKey": "k"}),
        ("account/login/start", {"apiKey": "k", "type": "apiKey"}),
    ]
