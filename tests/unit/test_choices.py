"""Enumerated keywords: checked client-side, listing the allowed values; the Literal types
match the generated enums of the pinned runtime."""

from __future__ import annotations

import typing

import pytest

from codex_app_server import Sandbox
from codex_app_server._protocol import choices


@pytest.mark.parametrize(
    ("literal", "keyword"),
    [
        (choices.ApprovalPolicy, "approval_policy"),
        (choices.ApprovalsReviewer, "approvals_reviewer"),
        (choices.Personality, "personality"),
        (choices.ReasoningSummary, "summary"),
        (choices.SandboxMode, "sandbox"),
    ],
)
def test_literal_types_match_the_generated_enums(literal: object, keyword: str) -> None:
    assert set(typing.get_args(literal)) == set(choices.allowed_values(keyword))


def test_a_bad_value_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"personality='grumpy' is not one of 'none', 'friendly'"):
        choices.check_choices({"personality": "grumpy"})
    with pytest.raises(ValueError, match=r"did you mean 'on-request'"):
        choices.check_choices({"approval_policy": "on_request"})


def test_good_values_and_objects_pass_unchanged() -> None:
    fields = {"approval_policy": {"granular": {}}, "summary": "concise", "sandbox": "read-only"}
    assert choices.check_choices(fields) == fields


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("read-only", {"type": "readOnly"}),
        ("workspace-write", {"type": "workspaceWrite"}),
        ("full-access", {"type": "dangerFullAccess"}),
        ("dangerFullAccess", {"type": "dangerFullAccess"}),
        (Sandbox.read_only, {"type": "readOnly"}),
    ],
)
def test_sandbox_policy_takes_the_simple_forms(given: object, sent: dict[str, str]) -> None:
    assert choices.check_choices({"sandbox_policy": given})["sandbox_policy"] == sent


def test_sandbox_policy_rejects_an_unknown_name_with_the_forms() -> None:
    with pytest.raises(ValueError, match=r"'read-only', 'workspace-write', 'full-access'"):
        choices.check_choices({"sandbox_policy": "readonly"})


def test_effort_is_checked_against_what_the_models_support() -> None:
    choices.check_effort("high", ["low", "medium", "high"], "gpt-5.5")
    choices.check_effort(None, [], None)
    with pytest.raises(ValueError, match=r"effort='maximum' is not one of 'low', 'high'.*gpt-5.5"):
        choices.check_effort("maximum", ["low", "high"], "gpt-5.5")


def test_presets_pass_the_check_as_what_they_stand_for() -> None:
    from codex_app_server import ApprovalMode

    checked = choices.check_choices(
        {"sandbox": Sandbox.full_access, "approval_policy": ApprovalMode.auto_review}
    )
    assert checked["sandbox"] == "danger-full-access"
    assert checked["approval_policy"] == "on-request"
    assert checked["approvals_reviewer"] == "auto_review"
