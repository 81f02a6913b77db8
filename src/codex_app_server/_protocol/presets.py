"""`ApprovalMode` and `Sandbox`: readable presets accepted wherever the raw values are.

The official `openai-codex` 0.163 package introduced them; code written for it passes
`approval_policy=ApprovalMode.deny_all` or `sandbox=Sandbox.workspace_write`. Each preset
stands for wire values measured on the runtime (tests/integration/test_presets.py):

| preset | `approvalPolicy` / `sandbox` | extra |
|---|---|---|
| `ApprovalMode.deny_all` | `never`: nothing is asked; what the sandbox forbids fails | |
| `ApprovalMode.auto_review` | `on-request` | `approvalsReviewer: auto_review` (a model reviews) |
| `Sandbox.read_only` | `read-only` / `{"type": "readOnly"}` | |
| `Sandbox.workspace_write` | `workspace-write` / `{"type": "workspaceWrite"}` | |
| `Sandbox.full_access` | `danger-full-access` / `{"type": "dangerFullAccess"}` | |
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any


class ApprovalMode(str, Enum):
    """How escalated commands and edits are approved (a preset of `approval_policy`)."""

    deny_all = "deny_all"
    """Never ask: what the sandbox does not allow is refused."""
    auto_review = "auto_review"
    """Ask on request, and let the server's reviewer model decide (no client handler)."""


class Sandbox(str, Enum):
    """Preset filesystem access for threads (`sandbox=`) and turns (`sandbox_policy=`)."""

    read_only = "read-only"
    """Read files, write none."""
    workspace_write = "workspace-write"
    """Write inside the workspace (the cwd) and configured writable roots."""
    full_access = "full-access"
    """No filesystem restriction."""


_SANDBOX_MODE = {
    Sandbox.read_only: "read-only",
    Sandbox.workspace_write: "workspace-write",
    Sandbox.full_access: "danger-full-access",
}
_SANDBOX_POLICY = {
    Sandbox.read_only: {"type": "readOnly"},
    Sandbox.workspace_write: {"type": "workspaceWrite"},
    Sandbox.full_access: {"type": "dangerFullAccess"},
}


def apply_presets(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword fields with presets replaced by their raw values (a new dict).

    `approval_policy=ApprovalMode.auto_review` also sets `approvals_reviewer` unless given.
    """
    out = dict(fields)
    policy = out.get("approval_policy")
    if isinstance(policy, ApprovalMode):
        if policy is ApprovalMode.deny_all:
            out["approval_policy"] = "never"
        else:
            out["approval_policy"] = "on-request"
            if out.get("approvals_reviewer") is None:
                out["approvals_reviewer"] = "auto_review"
    sandbox = out.get("sandbox")
    if isinstance(sandbox, Sandbox):
        out["sandbox"] = _SANDBOX_MODE[sandbox]
    sandbox_policy = out.get("sandbox_policy")
    if isinstance(sandbox_policy, Sandbox):
        out["sandbox_policy"] = dict(_SANDBOX_POLICY[sandbox_policy])
    return out
