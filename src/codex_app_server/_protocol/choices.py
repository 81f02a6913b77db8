"""Enumerated parameters: their `Literal` types, checked client-side before anything is sent.

A wrong value (`effort="maximum"`, `sandbox_policy="read-only "`) used to reach the
runtime, which answered with an opaque deserializer message, or the model, which ignored
it. Here each enumerated keyword is checked against the generated enum of the pinned
runtime's schema (the one source; `tests/unit/test_choices.py` checks that the `Literal`
types below match it) and a bad value raises `ValueError` listing the allowed ones.

Reasoning effort is an open string in the schema (each model lists its own); it is checked
against the runtime's model catalog by the high-level API (`check_effort`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import Enum
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from .presets import apply_presets

ApprovalPolicy = Literal["untrusted", "on-request", "never"]
ApprovalsReviewer = Literal["user", "auto_review", "guardian_subagent"]
Personality = Literal["none", "friendly", "pragmatic"]
ReasoningSummary = Literal["auto", "concise", "detailed", "none"]
SandboxMode = Literal["read-only", "workspace-write", "danger-full-access"]
#: The simple forms `sandbox_policy=` takes besides a policy object or dict.
SandboxPolicyName = Literal["read-only", "workspace-write", "danger-full-access", "full-access"]
#: Common reasoning efforts; the runtime's model catalog has the final word.
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .presets import ApprovalMode, Sandbox

#: What each enumerated keyword accepts: the raw value, a preset or generated enum, or (for
#: the policies) the generated object or its dict form.
ApprovalPolicyArg: TypeAlias = (
    "ApprovalPolicy | ApprovalMode | Enum | Mapping[str, Any] | BaseModel"
)
ReviewerArg: TypeAlias = "ApprovalsReviewer | Enum"
PersonalityArg: TypeAlias = "Personality | Enum"
SummaryArg: TypeAlias = "ReasoningSummary | Enum"
SandboxArg: TypeAlias = "SandboxMode | Sandbox | Enum"
SandboxPolicyArg: TypeAlias = "SandboxPolicyName | Sandbox | Mapping[str, Any] | BaseModel"
EffortArg: TypeAlias = "ReasoningEffort | Enum"

#: keyword -> the generated enum whose values it takes.
ENUM_OF: dict[str, str] = {
    "approval_policy": "AskForApprovalValue",
    "approvals_reviewer": "ApprovalsReviewer",
    "personality": "Personality",
    "summary": "ReasoningSummary",
    "sandbox": "SandboxMode",
}

_POLICY_BY_NAME: dict[str, dict[str, Any]] = {
    "read-only": {"type": "readOnly"},
    "readOnly": {"type": "readOnly"},
    "workspace-write": {"type": "workspaceWrite"},
    "workspaceWrite": {"type": "workspaceWrite"},
    "danger-full-access": {"type": "dangerFullAccess"},
    "dangerFullAccess": {"type": "dangerFullAccess"},
    "full-access": {"type": "dangerFullAccess"},
}


@cache
def allowed_values(keyword: str) -> tuple[str, ...]:
    """The values `keyword` takes, from the generated enum (read once per keyword: every
    high-level call checks its enumerated keywords)."""
    from ..generated import v2_all

    enum: type[Enum] = getattr(v2_all, ENUM_OF[keyword])
    return tuple(str(member.value) for member in enum)


def check_choices(fields: Mapping[str, Any]) -> dict[str, Any]:
    """`fields` with enumerated values checked (a `ValueError` lists the allowed values) and
    `sandbox_policy`'s simple forms turned into the policy object the runtime reads; presets
    (`ApprovalMode`, `Sandbox`) first become their raw values."""
    out = apply_presets(fields)
    for keyword in ENUM_OF:
        value = out.get(keyword)
        if isinstance(value, Enum):
            value = value.value
        if isinstance(value, str):
            allowed = allowed_values(keyword)
            if value not in allowed:
                raise ValueError(_bad(keyword, value, allowed))
    policy = out.get("sandbox_policy")
    if isinstance(policy, Enum):
        policy = policy.value
    if isinstance(policy, str):
        try:
            out["sandbox_policy"] = dict(_POLICY_BY_NAME[policy])
        except KeyError:
            raise ValueError(
                _bad("sandbox_policy", policy, ("read-only", "workspace-write", "full-access"))
                + ", or a policy dict such as {'type': 'workspaceWrite', 'networkAccess': True}"
            ) from None
    return out


def check_effort(effort: Any, supported: Iterable[str], model: str | None) -> None:
    """`ValueError` unless `effort` is one the model (or, with no model, any model) takes."""
    value = effort.value if isinstance(effort, Enum) else effort
    if value is None:
        return
    allowed = tuple(dict.fromkeys(supported))
    if not isinstance(value, str) or value not in allowed:
        where = f"model {model!r}" if model else "the runtime's models"
        raise ValueError(_bad("effort", value, allowed) + f" (what {where} support)")


def _bad(keyword: str, value: Any, allowed: Iterable[str]) -> str:
    listed = ", ".join(repr(a) for a in allowed)
    hint = ""
    close = [a for a in allowed if _squash(a) == _squash(str(value))]
    if close:
        hint = f"; did you mean {close[0]!r}?"
    return f"{keyword}={value!r} is not one of {listed}{hint}"


def _squash(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())
