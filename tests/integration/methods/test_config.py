"""Configuration, skills, MCP, plugins, apps and the other server-side catalogs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from codex_app_server import Codex, InternalRpcError, InvalidParamsError, InvalidRequestError
from codex_app_server.generated import v2_all

from .harness import Env, covers, fails_offline, record_calls

pytestmark = pytest.mark.integration


@covers(
    "config/read",
    "config/value/write",
    "config/batchWrite",
    "configRequirements/read",
    "config/mcpServer/reload",
)
def test_config(env: Env) -> None:
    client = env.client
    before = client.config_read(include_layers=True)
    assert before.config.model == "gpt-5.5" and before.layers
    written = client.config_value_write(
        key_path="model_reasoning_summary",
        value="concise",
        merge_strategy="replace",  # type: ignore[arg-type]
    )
    assert written.status.value == "ok" and written.file_path.endswith("config.toml")
    edits = [{"keyPath": "model_verbosity", "value": "low", "mergeStrategy": "replace"}]
    assert client.config_batch_write(edits=edits).status.value == "ok"  # type: ignore[arg-type]
    after = client.config_read().config
    assert after.model_reasoning_summary is not None
    assert after.model_reasoning_summary.value == "concise"
    assert isinstance(client.config_requirements_read(), v2_all.ConfigRequirementsReadResponse)
    assert isinstance(client.config_mcp_server_reload(), v2_all.McpServerRefreshResponse)


@covers("skills/list", "skills/config/write", "skills/extraRoots/set")
def test_skills(env: Env) -> None:
    client = env.client
    root = env.base / "extra-skills" / "greet"
    root.mkdir(parents=True)
    (root / "SKILL.md").write_text("---\nname: greet\ndescription: Say hello.\n---\nHello.\n")
    client.skills_extra_roots_set(extra_roots=[str(root.parent)])
    listed = client.skills_list(force_reload=True)
    names = {s.name for entry in listed.data for s in entry.skills}
    assert "greet" in names
    written = client.skills_config_write(enabled=False, name="greet")
    assert written.effective_enabled is False
    client.skills_config_write(enabled=True, name="greet")
    client.skills_extra_roots_set(extra_roots=[])


@covers("mcpServerStatus/list", "mcpServer/tool/call", "mcpServer/resource/read")
@fails_offline(
    "mcpServer/oauth/login",
    InvalidRequestError,
    "OAuth needs a streamable-HTTP MCP server that offers it (a remote service)",
)
@fails_offline(
    "mcpServer/event/stream/start", InvalidRequestError, "only hosted (ChatGPT) apps stream events"
)
@covers("mcpServer/event/stream/stop")
def test_mcp_servers(env: Env) -> None:
    client = env.client
    status = client.mcp_server_status_list(thread_id=env.thread_id)
    (echo,) = [s for s in status.data if s.name == "echo"]
    assert "echo" in echo.tools and echo.resources[0].uri == "memo://hello"
    called = client.mcp_server_tool_call(
        server="echo", thread_id=env.thread_id, tool="echo", arguments={"text": "hi"}
    )
    assert called.content == [{"type": "text", "text": "echo: hi"}]
    resource = client.mcp_server_resource_read(server="echo", uri="memo://hello")
    assert resource.contents[0].text == "hello resource"
    with pytest.raises(InvalidRequestError, match="streamable HTTP"):
        client.mcp_server_oauth_login(name="echo")
    with pytest.raises(InvalidRequestError, match="hosted apps"):
        client.mcp_server_event_stream_start(
            thread_id=env.thread_id, server="echo", name="x", subscription_id="s", arguments={}
        )
    client.mcp_server_event_stream_stop(subscription_id="s")


@covers(
    "marketplace/add",
    "marketplace/upgrade",
    "marketplace/remove",
    "plugin/list",
    "plugin/installed",
    "plugin/search",
    "plugin/reconcile",
    "plugin/install",
    "plugin/uninstall",
)
def test_marketplace_and_plugins(env: Env) -> None:
    client = env.client
    manifest = write_marketplace(env.base / "market")
    added = client.marketplace_add(source=str(manifest.parents[2]))
    assert (added.marketplace_name, added.already_added) == ("localmk", False)
    assert isinstance(client.marketplace_upgrade(), v2_all.MarketplaceUpgradeResponse)
    installed = client.plugin_install(plugin_name="hello", marketplace_path=str(manifest))
    assert installed.auth_policy.value == "ON_INSTALL"
    assert isinstance(client.plugin_list(), v2_all.PluginListResponse)
    assert isinstance(client.plugin_installed(), v2_all.PluginInstalledResponse)
    assert client.plugin_search(search_term="hello").next_cursor is None
    assert client.plugin_reconcile().failed_remote_plugin_ids == []
    client.plugin_uninstall(plugin_id="hello@localmk")
    assert client.marketplace_remove(marketplace_name="localmk").marketplace_name == "localmk"


@covers("plugin/read")
def test_plugin_read_needs_the_plugins_feature(env: Env) -> None:
    """The offline config turns plugins off (their start-up sync reaches github.com); with
    the feature on, reading a local marketplace's plugin works offline too."""
    manifest = write_marketplace(env.base / "market-read")
    with pytest.raises(InvalidRequestError, match="plugins feature is disabled"):
        env.client.plugin_read(plugin_name="hello", marketplace_path=str(manifest))
    config = env.model.config(env.base / "plugins-on", settings={"features.plugins": True})
    with Codex(config) as codex:
        record_calls(codex.client, env.calls)
        detail = codex.client.plugin_read(plugin_name="hello", marketplace_path=str(manifest))
    assert (detail.plugin.summary.id, detail.plugin.description) == ("hello@localmk", "Hello.")


def write_marketplace(market: Path) -> Path:
    """A local marketplace with one plugin, `hello`; the path of its manifest."""
    plugin = market / "plugins" / "hello"
    (market / ".agents" / "plugins").mkdir(parents=True)
    (plugin / ".codex-plugin").mkdir(parents=True)
    (plugin / ".codex-plugin" / "plugin.json").write_text(
        json.dumps({"name": "hello", "version": "0.1.0", "description": "Hello."})
    )
    manifest = market / ".agents" / "plugins" / "marketplace.json"
    manifest.write_text(
        json.dumps(
            {
                "name": "localmk",
                "plugins": [
                    {
                        "name": "hello",
                        "source": {"source": "local", "path": "./plugins/hello"},
                        "policy": {"installation": "AVAILABLE", "authentication": "ON_INSTALL"},
                        "category": "Productivity",
                    }
                ],
            }
        )
    )
    return manifest


@fails_offline(
    "plugin/share/list", InvalidRequestError, "plugin sharing is a ChatGPT-backed service"
)
@fails_offline(
    "plugin/share/save", InvalidRequestError, "plugin sharing is a ChatGPT-backed service"
)
@fails_offline(
    "plugin/share/checkout", InvalidRequestError, "plugin sharing is a ChatGPT-backed service"
)
@fails_offline(
    "plugin/share/delete", InvalidRequestError, "plugin sharing is a ChatGPT-backed service"
)
@fails_offline(
    "plugin/share/updateTargets",
    InvalidRequestError,
    "plugin sharing is a ChatGPT-backed service",
)
@fails_offline(
    "plugin/skill/read", InvalidRequestError, "reads skills of remote (ChatGPT) marketplaces"
)
def test_remote_plugin_services(env: Env) -> None:
    client = env.client
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_list()
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_save(plugin_path=str(env.workspace))
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_checkout(remote_plugin_id="x")
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_delete(remote_plugin_id="x")
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_share_update_targets(
            remote_plugin_id="x",
            discoverability="UNLISTED",  # type: ignore[arg-type]
            share_targets=[],
        )
    with pytest.raises(InvalidRequestError, match="not enabled"):
        client.plugin_skill_read(remote_marketplace_name="m", remote_plugin_id="x", skill_name="s")


@covers("app/list", "app/installed", "app/read")
def test_apps(env: Env) -> None:
    client = env.client
    assert client.app_list().data == []
    assert client.app_installed().apps == []
    assert client.app_read(app_ids=["nope"]).missing_app_ids == ["nope"]


@covers(
    "model/list",
    "modelProvider/capabilities/read",
    "collaborationMode/list",
    "permissionProfile/list",
    "experimentalFeature/list",
    "experimentalFeature/enablement/set",
    "hooks/list",
)
def test_catalogs(env: Env) -> None:
    client = env.client
    assert any(m.model == "gpt-5.5" for m in client.model_list(include_hidden=True).data)
    assert isinstance(
        client.model_provider_capabilities_read(), v2_all.ModelProviderCapabilitiesReadResponse
    )
    assert {m.name for m in client.collaboration_mode_list().data} >= {"Plan", "Default"}
    profiles = {p.id for p in client.permission_profile_list().data}
    assert ":read-only" in profiles
    features = {f.name: f for f in client.experimental_feature_list().data}
    assert features["step_model_switching"].enabled is True
    assert client.experimental_feature_enablement_set(enablement={}).enablement == {}
    (hooks,) = client.hooks_list(cwds=[str(env.workspace)]).data
    assert hooks.cwd == str(env.workspace)


@covers(
    "externalAgentConfig/detect",
    "externalAgentConfig/import",
    "externalAgentConfig/import/readHistories",
    "externalAgentConfig/import/recordHistory",
)
def test_external_agent_config(env: Env) -> None:
    client = env.client
    assert client.external_agent_config_detect(cwds=[str(env.workspace)]).items == []
    assert client.external_agent_config_import(migration_items=[]).import_id
    recorded = client.external_agent_config_import_record_history(
        provider_id="other", item_type_results=[]
    )
    assert recorded.import_id
    assert isinstance(
        client.external_agent_config_import_read_histories(),
        v2_all.ExternalAgentConfigImportHistoriesReadResponse,
    )


@covers(
    "project/create",
    "project/read",
    "project/update",
    "project/move",
    "project/list",
    "project/delete",
    "project/import",
)
def test_projects(env: Env) -> None:
    client = env.client
    roots = [{"path": str(env.workspace)}]
    project = client.project_create(idempotency_key="k1", name="proj", roots=roots).project  # type: ignore[arg-type]
    assert client.project_read(project_id=project.id).project.name == "proj"
    assert client.project_update(project_id=project.id, name="renamed").project.name == "renamed"
    client.project_move(project_id=project.id)
    imported = client.project_import(idempotency_key="k2", name="imported", roots=roots).project  # type: ignore[arg-type]
    ids = {p.id for p in client.project_list().data}
    assert {project.id, imported.id} <= ids
    client.project_delete(project_id=project.id)
    client.project_delete(project_id=imported.id)
    with pytest.raises(InvalidParamsError, match="project not found"):
        client.project_read(project_id=project.id)


@covers("memory/status", "memory/reset")
def test_memory(env: Env) -> None:
    assert env.client.memory_status().v2_consolidated_threads == 0
    assert isinstance(env.client.memory_reset(), v2_all.MemoryResetResponse)


@covers(
    "server/diagnostics",
    "mock/experimentalMethod",
    "rollout/compress",
    "windowsSandbox/readiness",
    "windowsSandbox/setupStart",
)
def test_server_utilities(env: Env) -> None:
    client = env.client
    assert client.server_diagnostics().process.id > 0
    assert client.mock_experimental_method(value="ping").echoed == "ping"
    assert isinstance(client.rollout_compress(), v2_all.RolloutCompressResponse)
    assert client.windows_sandbox_readiness().status.value == "notConfigured"
    assert isinstance(
        client.windows_sandbox_setup_start(mode="unelevated"),  # type: ignore[arg-type]
        v2_all.WindowsSandboxSetupStartResponse,
    )


@covers("environment/add", "environment/status")
@fails_offline(
    "environment/info", InternalRpcError, "needs a reachable exec-server for the environment"
)
def test_environments(env: Env) -> None:
    client = env.client
    client.environment_add(environment_id="remote-1", exec_server_url="ws://127.0.0.1:9")
    # The connection attempt runs in the background: "pending" until it is refused. The
    # server sends no notification for it, so the status is read until it settles.
    deadline = time.monotonic() + 30
    status = client.environment_status(environment_id="remote-1")
    while status.status.value == "pending" and time.monotonic() < deadline:
        status = client.environment_status(environment_id="remote-1")
    assert status.status.value == "disconnected" and status.error
    with pytest.raises(InternalRpcError, match="exec-server"):
        client.environment_info(environment_id="remote-1")


@covers("remoteControl/status/read")
@fails_offline("remoteControl/enable", InvalidRequestError, "needs ChatGPT sign-in")
@fails_offline("remoteControl/disable", InvalidRequestError, "needs ChatGPT sign-in")
@fails_offline("remoteControl/client/list", InvalidRequestError, "needs ChatGPT sign-in")
@fails_offline("remoteControl/client/revoke", InvalidRequestError, "needs ChatGPT sign-in")
@fails_offline("remoteControl/pairing/start", InvalidRequestError, "needs remote control enabled")
@fails_offline(
    "remoteControl/pairing/status",
    InvalidRequestError,
    "needs a pairing code from a pairing (remote control enabled)",
)
def test_remote_control(env: Env) -> None:
    client = env.client
    assert client.remote_control_status_read().status.value == "disabled"
    for call in (
        client.remote_control_enable,
        client.remote_control_disable,
        lambda: client.remote_control_client_list(environment_id="e"),
        lambda: client.remote_control_client_revoke(environment_id="e", client_id="c"),
    ):
        with pytest.raises(InvalidRequestError, match="ChatGPT authentication"):
            call()
    with pytest.raises(InvalidRequestError, match="requires remote control to be enabled"):
        client.remote_control_pairing_start()
    with pytest.raises(InvalidRequestError, match="requires pairingCode"):
        client.remote_control_pairing_status()


@covers("userVerification/status", "userVerification/cancel")
@fails_offline(
    "userVerification/enroll", InternalRpcError, "needs a platform authenticator (passkey)"
)
@fails_offline(
    "userVerification/delete", InternalRpcError, "needs a platform authenticator (passkey)"
)
@fails_offline(
    "userVerification/verify", InvalidParamsError, "needs a challenge from an enrollment"
)
def test_user_verification(env: Env) -> None:
    client = env.client
    status = client.user_verification_status()
    assert status.credential_id is None and status.unavailable_reason is not None
    client.user_verification_cancel(request_id=1)
    with pytest.raises(InternalRpcError, match="not available"):
        client.user_verification_enroll()
    with pytest.raises(InternalRpcError, match="not available"):
        client.user_verification_delete()
    with pytest.raises(InvalidParamsError, match="challenge"):
        client.user_verification_verify(challenge="c", title="t", description="d")
