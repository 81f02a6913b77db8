"""The generated registries, client methods and models agree with each other."""

from __future__ import annotations

import asyncio
import inspect
import re
import subprocess
import sys
import typing
from collections.abc import Mapping
from typing import Any

import pydantic
import pytest

from codex_app_server.generated import client_methods, v2_all
from codex_app_server.generated.notification_registry import (
    NOTIFICATION_MODELS,
    NOTIFICATION_THREAD_ID_PATHS,
    NOTIFICATION_TURN_ID_PATHS,
)
from codex_app_server.generated.protocol_registry import (
    CLIENT_METHODS_WITH_OPTIONAL_PARAMS,
    CLIENT_METHODS_WITHOUT_PARAMS,
    CLIENT_NOTIFICATIONS,
    CLIENT_REQUESTS,
    EXPERIMENTAL_CLIENT_METHODS,
    SERVER_REQUEST_THREAD_ID_PATHS,
    SERVER_REQUEST_TURN_ID_PATHS,
    SERVER_REQUESTS,
)


def union_type(obj: Any) -> Any:
    """The union type of a generated RootModel union or type alias."""
    if isinstance(obj, type) and issubclass(obj, pydantic.RootModel):
        obj.model_rebuild()
        return obj.model_fields["root"].annotation
    return obj.__value__


def union_variants(alias: Any) -> list[type[pydantic.BaseModel]]:
    """The classes of a generated union: a RootModel (its ``root``) or a type alias."""
    value = union_type(alias)
    if typing.get_origin(value) is typing.Annotated:
        value = typing.get_args(value)[0]
    variants = list(typing.get_args(value))
    for variant in variants:
        variant.model_rebuild()
    return variants


def literal_value(model: type[pydantic.BaseModel], field: str) -> str:
    (value,) = typing.get_args(model.model_fields[field].annotation)
    return str(value)


def field_by_alias(model: type[pydantic.BaseModel], alias: str) -> pydantic.fields.FieldInfo:
    model.model_rebuild()
    for name, info in model.model_fields.items():
        if (info.alias or name) == alias:
            return info
    raise AssertionError(f"{model.__name__} has no field {alias!r}")


def resolve_path(payload: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = payload
    for key in path:
        value = value[key]
    return value


def model(name: str) -> Any:
    obj = getattr(v2_all, name, None)
    assert obj is not None, f"v2_all has no {name}"
    return obj


# --- notifications -------------------------------------------------------------------


def test_every_server_notification_has_a_params_model() -> None:
    variants = union_variants(v2_all.ServerNotification)
    from_models: dict[str, Any] = {}
    for variant in variants:
        from_models[literal_value(variant, "method")] = variant.model_fields["params"].annotation
    assert set(from_models) == set(NOTIFICATION_MODELS)
    assert len(NOTIFICATION_MODELS) >= 80
    for method, name in NOTIFICATION_MODELS.items():
        params_model = model(name)
        assert from_models[method] is params_model, method
        assert issubclass(params_model, pydantic.BaseModel), method


@pytest.mark.parametrize(
    ("registry", "key"),
    [(NOTIFICATION_TURN_ID_PATHS, "turn"), (NOTIFICATION_THREAD_ID_PATHS, "thread")],
)
def test_id_paths_point_at_string_ids(registry: dict[str, tuple[str, ...]], key: str) -> None:
    assert set(registry) <= set(NOTIFICATION_MODELS)
    for method, path in registry.items():
        params_model = model(NOTIFICATION_MODELS[method])
        if path == (f"{key}Id",):
            info = field_by_alias(params_model, path[0])
            assert info.annotation in (str, str | None), (method, info.annotation)
        else:
            assert path == (key, "id"), (method, path)
            inner = field_by_alias(params_model, key).annotation
            assert isinstance(inner, type) and issubclass(inner, pydantic.BaseModel), method
            assert field_by_alias(inner, "id").annotation is str, method


SAMPLES: dict[str, dict[str, Any]] = {
    "item/agentMessage/delta": {
        "threadId": "thr_1",
        "turnId": "turn_1",
        "itemId": "item_1",
        "delta": "Hel",
    },
    "turn/started": {
        "threadId": "thr_1",
        "turn": {"id": "turn_1", "status": "inProgress", "items": []},
    },
    "turn/completed": {
        "threadId": "thr_1",
        "turn": {
            "id": "turn_1",
            "status": "completed",
            "items": [{"type": "agentMessage", "id": "item_1", "text": "Hello"}],
            "durationMs": 1200,
            "aFieldFromANewerServer": True,
        },
    },
}


@pytest.mark.parametrize("method", sorted(SAMPLES))
def test_turn_and_thread_ids_resolve_on_samples(method: str) -> None:
    payload = SAMPLES[method]
    model(NOTIFICATION_MODELS[method]).model_validate(payload)  # the sample is realistic
    assert resolve_path(payload, NOTIFICATION_TURN_ID_PATHS[method]) == "turn_1"
    assert resolve_path(payload, NOTIFICATION_THREAD_ID_PATHS[method]) == "thr_1"


def test_known_paths() -> None:
    assert NOTIFICATION_TURN_ID_PATHS["item/agentMessage/delta"] == ("turnId",)
    assert NOTIFICATION_TURN_ID_PATHS["turn/completed"] == ("turn", "id")
    assert NOTIFICATION_TURN_ID_PATHS["turn/started"] == ("turn", "id")
    assert NOTIFICATION_THREAD_ID_PATHS["thread/started"] == ("thread", "id")
    assert NOTIFICATION_THREAD_ID_PATHS["turn/completed"] == ("threadId",)
    for method in ("serverRequest/resolved", "thread/status/changed", "thread/started"):
        assert method not in NOTIFICATION_TURN_ID_PATHS
    assert "account/updated" not in NOTIFICATION_THREAD_ID_PATHS


# --- requests ------------------------------------------------------------------------


def test_client_requests_name_existing_models() -> None:
    assert "initialize" in CLIENT_REQUESTS
    assert CLIENT_REQUESTS["thread/start"] == ("ThreadStartParams", "ThreadStartResponse")
    assert CLIENT_REQUESTS["initialize"] == ("InitializeParams", "InitializeResponse")
    for method, (params, response) in CLIENT_REQUESTS.items():
        for name in (params, response):
            if name is not None:
                model(name)
        assert (params is None) == (method in CLIENT_METHODS_WITHOUT_PARAMS), method
    assert set(CLIENT_REQUESTS) >= CLIENT_METHODS_WITH_OPTIONAL_PARAMS
    assert set(CLIENT_REQUESTS) > EXPERIMENTAL_CLIENT_METHODS
    assert "thread/start" not in EXPERIMENTAL_CLIENT_METHODS
    assert "mock/experimentalMethod" in EXPERIMENTAL_CLIENT_METHODS
    assert {"initialized"} == CLIENT_NOTIFICATIONS


def test_client_request_union_matches_registry() -> None:
    variants = union_variants(v2_all.ClientRequest)
    assert {literal_value(v, "method") for v in variants} == set(CLIENT_REQUESTS)


def test_server_requests_name_existing_models() -> None:
    assert len(SERVER_REQUESTS) == 11
    assert SERVER_REQUESTS["item/commandExecution/requestApproval"] == (
        "CommandExecutionRequestApprovalParams",
        "CommandExecutionRequestApprovalResponse",
    )
    assert SERVER_REQUESTS["item/tool/call"] == ("DynamicToolCallParams", "DynamicToolCallResponse")
    for params, response in SERVER_REQUESTS.values():
        model(params)
        model(response)
    variants = union_variants(v2_all.ServerRequest)
    assert {literal_value(v, "method") for v in variants} == set(SERVER_REQUESTS)
    assert set(SERVER_REQUEST_TURN_ID_PATHS) <= set(SERVER_REQUESTS)
    assert set(SERVER_REQUEST_THREAD_ID_PATHS) <= set(SERVER_REQUESTS)
    assert SERVER_REQUEST_TURN_ID_PATHS["item/commandExecution/requestApproval"] == ("turnId",)


# --- client methods ------------------------------------------------------------------


def python_name(method: str) -> str:
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", method)
    return re.sub(r"[^0-9a-zA-Z]+", "_", snake).strip("_").lower()


def public_methods(cls: type) -> dict[str, Any]:
    return {n: f for n, f in vars(cls).items() if callable(f) and not n.startswith("_")}


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("thread/turns/list", "thread_turns_list"),
        ("fuzzyFileSearch", "fuzzy_file_search"),
        ("mcpServer/oauth/login", "mcp_server_oauth_login"),
        ("thread/increment_elicitation", "thread_increment_elicitation"),
        ("account/gatewayOAuth/read", "account_gateway_oauth_read"),
    ],
)
def test_naming_rule(method: str, expected: str) -> None:
    assert python_name(method) == expected
    assert hasattr(client_methods.SyncClientMethods, expected)


def test_one_method_per_client_request() -> None:
    expected = {python_name(m) for m in CLIENT_REQUESTS if m != "initialize"}
    sync_methods = public_methods(client_methods.SyncClientMethods)
    async_methods = public_methods(client_methods.AsyncClientMethods)
    assert set(sync_methods) == expected
    assert set(async_methods) == expected
    assert "initialize" not in sync_methods
    for name in expected:
        assert not inspect.iscoroutinefunction(sync_methods[name]), name
        assert inspect.iscoroutinefunction(async_methods[name]), name


class RecordingSync(client_methods.SyncClientMethods):
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def _typed_request(self, *args: Any) -> Any:
        self.calls.append(args)
        return "result"


class RecordingAsync(client_methods.AsyncClientMethods):
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def _typed_request(self, *args: Any) -> Any:
        self.calls.append(args)
        return "result"


def test_methods_forward_the_registry_entries() -> None:
    sync_client = RecordingSync()
    async_client = RecordingAsync()
    by_name = {python_name(m): m for m in CLIENT_REQUESTS if m != "initialize"}

    async def call_all() -> None:
        for name in by_name:
            assert await getattr(async_client, name)() == "result"

    for name in by_name:
        assert getattr(sync_client, name)() == "result"
    asyncio.run(call_all())
    for calls in (sync_client.calls, async_client.calls):
        assert len(calls) == len(by_name)
        for (method, params, fields, params_model, response_model, timeout), name in zip(
            calls, by_name, strict=True
        ):
            assert method == by_name[name]
            assert (params_model, response_model) == CLIENT_REQUESTS[method]
            assert params is None and timeout is None
            assert all(value is None for value in fields.values())


def test_keyword_fields_map_to_params_model_fields() -> None:
    client = RecordingSync()
    client.thread_turns_list(thread_id="thr_1", timeout=5.0)
    method, _params, fields, params_model, _response_model, timeout = client.calls[-1]
    assert method == "thread/turns/list"
    assert fields["thread_id"] == "thr_1"
    assert timeout == 5.0
    for name in fields:
        assert name in model(params_model).model_fields
    params_obj = model("TurnStartParams")(thread_id="thr_1", input=[])
    client.turn_start(params_obj)
    assert client.calls[-1][1] is params_obj
    doc = client_methods.SyncClientMethods.mock_experimental_method.__doc__ or ""
    assert "Experimental" in doc


# --- models --------------------------------------------------------------------------


def test_named_models_exist() -> None:
    from codex_app_server.generated.v2_all import (  # noqa: F401
        AgentMessageDeltaNotification,
        AskForApproval,
        CommandExecutionRequestApprovalParams,
        CommandExecutionRequestApprovalResponse,
        DynamicToolCallParams,
        DynamicToolCallResponse,
        InitializeParams,
        InitializeResponse,
        ThreadItem,
        ThreadReadResponse,
        ThreadTokenUsage,
        Turn,
        TurnCompletedNotification,
        TurnStartParams,
        TurnStatus,
    )

    assert TurnStatus.completed.value == "completed"
    assert TurnStatus("inProgress") is TurnStatus.in_progress
    assert isinstance(TurnStatus.completed, str)


def test_models_round_trip_camel_case() -> None:
    payload = SAMPLES["turn/completed"]
    notification = v2_all.TurnCompletedNotification.model_validate(payload)
    assert notification.thread_id == "thr_1"
    assert notification.turn.status is v2_all.TurnStatus.completed
    assert notification.turn.status == "completed"
    item = notification.turn.items[0].root
    assert isinstance(item, v2_all.AgentMessageThreadItem)
    dumped = notification.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["threadId"] == "thr_1"
    assert dumped["turn"]["durationMs"] == 1200
    assert dumped["turn"]["aFieldFromANewerServer"] is True  # extra fields are kept
    by_name = v2_all.AgentMessageDeltaNotification(
        thread_id="t", turn_id="u", item_id="i", delta="d"
    )
    assert by_name.model_dump(by_alias=True) == {
        "threadId": "t",
        "turnId": "u",
        "itemId": "i",
        "delta": "d",
    }


def test_thread_item_is_a_discriminated_union() -> None:
    item = v2_all.ThreadItem.model_validate({"type": "userMessage", "id": "i", "content": []})
    assert isinstance(item, pydantic.RootModel)
    assert isinstance(item.root, v2_all.UserMessageThreadItem)
    assert item.type == item.root.type == "userMessage"  # attributes read through to the branch
    assert item.model_dump(by_alias=True, exclude_none=True) == {
        "type": "userMessage",
        "id": "i",
        "content": [],
    }
    with pytest.raises(pydantic.ValidationError) as info:
        v2_all.ThreadItem.model_validate({"type": "noSuchItem", "id": "i"})
    assert "union_tag_invalid" in str(info.value)


def test_unions_of_models_are_root_models() -> None:
    """The seed's shape: ``ThreadItem``, ``UserInput``, ... are RootModels (``.root``)."""
    for name in ("ThreadItem", "UserInput", "ThreadStatus", "SandboxPolicy", "AskForApproval"):
        assert issubclass(getattr(v2_all, name), pydantic.RootModel), name
    user = v2_all.UserInput.model_validate({"type": "text", "text": "hi"})
    assert isinstance(user.root, v2_all.TextUserInput)
    with pytest.raises(AttributeError):
        _ = user.no_such_field


def test_registries_do_not_import_pydantic() -> None:
    code = (
        "import sys\n"
        "import codex_app_server.generated.notification_registry\n"
        "import codex_app_server.generated.protocol_registry\n"
        "import codex_app_server.generated.client_methods\n"
        "loaded = [m for m in ('pydantic', 'codex_app_server.generated.v2_all') "
        "if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == ""
