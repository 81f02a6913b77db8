"""File-change and permission approvals through the real app-server."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest

from codex_app_server import AppServerConfig, Codex, ServerRequestHandlers
from codex_app_server.generated import v2_all
from codex_app_server.testing import Reply, ScriptedModel

from .helpers import ASKS, item_statuses, tool_output

pytestmark = pytest.mark.integration

# -- other approvals -------------------------------------------------------------------

PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"


@pytest.mark.parametrize("decision", [None, "accept"])
def test_file_change_approval(
    scripted_model: ScriptedModel,
    config: AppServerConfig,
    workspace: Path,
    decision: Literal["accept"] | None,
) -> None:
    seen: list[Any] = []

    def review(params: v2_all.FileChangeRequestApprovalParams) -> Literal["accept"] | None:
        seen.append(params)
        return decision

    scripted_model.enqueue(Reply.custom_tool_call("apply_patch", PATCH, call_id="c1"))
    scripted_model.enqueue(Reply.text("patched"))
    with Codex(config, handlers=ServerRequestHandlers(file_change_approval=review)) as codex:
        result = codex.thread_start(**ASKS).run("add hello.txt")
    assert isinstance(seen[0], v2_all.FileChangeRequestApprovalParams)
    if decision is None:  # the handler had no opinion: the safe default declined
        assert not (workspace / "hello.txt").exists()
        assert ("fileChange", "declined") in item_statuses(result)
        assert "rejected" in tool_output(scripted_model)
    else:
        assert (workspace / "hello.txt").read_text() == "hello\n"
        assert ("fileChange", "completed") in item_statuses(result)


@pytest.mark.parametrize("decision", [None, "accept"])
def test_permissions_approval(
    scripted_model: ScriptedModel, tmp_path: Path, decision: Literal["accept"] | None
) -> None:
    config = scripted_model.config(tmp_path, settings={"features.request_permissions_tool": True})
    seen: list[v2_all.PermissionsRequestApprovalParams] = []

    def review(params: v2_all.PermissionsRequestApprovalParams) -> Literal["accept"] | None:
        seen.append(params)
        return decision

    request = {"reason": "fetch docs", "permissions": {"network": {"enabled": True}}}
    scripted_model.enqueue(Reply.function_call("request_permissions", request, call_id="c1"))
    scripted_model.enqueue(Reply.text("ok"))
    with Codex(config, handlers=ServerRequestHandlers(permissions_approval=review)) as codex:
        codex.thread_start(**ASKS).run("get network")
    assert seen[0].permissions.network is not None and seen[0].permissions.network.enabled
    granted = tool_output(scripted_model)
    if decision is None:
        assert '"network":null' in granted
    else:
        assert '"network":{"enabled":true}' in granted
