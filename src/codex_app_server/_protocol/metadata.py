"""What `initialize` tells a client about its server, checked at start and typed on demand.

Seed-era code reads `codex.metadata.userAgent` and `codex.metadata.serverInfo.name` /
`.version`; the runtime sends only a user agent (`codex_cli_rs/0.163.0 (Debian 12; x86_64)
...`), so the server's name and version are parsed from it. The check runs on the raw dict
(no model import at start); the typed `InitializeResponse` is built when first read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import InvalidMetadataError

if TYPE_CHECKING:
    from .metadata_models import InitializeResponse


def split_user_agent(user_agent: str) -> tuple[str | None, str | None]:
    """(name, version) from a user agent such as `codex_cli_rs/0.163.0 (Debian 12)`."""
    head = user_agent.strip().split(maxsplit=1)
    if not head:
        return None, None
    if "/" in head[0]:
        name, _, version = head[0].partition("/")
        return name or None, version or None
    rest = head[1].split(maxsplit=1)[0] if len(head) > 1 else None
    return head[0], rest


def check_initialize_result(result: Any) -> dict[str, Any]:
    """`result` as a dict with `serverInfo` filled in; `InvalidMetadataError` when it lacks
    what every client needs (an object with a user agent naming the server and its version)."""
    if not isinstance(result, dict):
        raise InvalidMetadataError(
            f"initialize answered {type(result).__name__} instead of an object: {result!r:.200}"
        )
    user_agent = result.get("userAgent")
    if not isinstance(user_agent, str) or not user_agent.strip():
        raise InvalidMetadataError(
            f"initialize answered without a user agent (userAgent={user_agent!r}); "
            "is this a Codex app-server?"
        )
    info = result.get("serverInfo")
    name = info.get("name") if isinstance(info, dict) else None
    version = info.get("version") if isinstance(info, dict) else None
    parsed_name, parsed_version = split_user_agent(user_agent)
    name = name if isinstance(name, str) and name.strip() else parsed_name
    version = version if isinstance(version, str) and version.strip() else parsed_version
    if not name or not version:
        raise InvalidMetadataError(
            f"initialize answered a user agent that names no server and version: {user_agent!r}"
        )
    return {**result, "serverInfo": {"name": name.strip(), "version": version.strip()}}


def typed_metadata(result: dict[str, Any]) -> InitializeResponse:
    """The typed metadata (the root `InitializeResponse`, a subclass of the generated one)."""
    from .metadata_models import InitializeResponse

    return InitializeResponse.model_validate(result)
