"""The root `InitializeResponse`: the generated model plus `server_info` (`serverInfo`).

Imported only when metadata is first read (or imported from the package root), so that
starting a client loads no generated model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from ..generated.v2_all import InitializeResponse as _GeneratedInitializeResponse


class ServerInfo(BaseModel):
    """The server's name and version (parsed from its user agent when it sends none)."""

    model_config = ConfigDict(populate_by_name=True, frozen=True)
    name: str
    version: str


class InitializeResponse(_GeneratedInitializeResponse):
    """What `initialize` answered: user agent, platform, `CODEX_HOME`, and `server_info`.

    Fields read in snake_case or, as seed-era code does, in camelCase
    (`metadata.userAgent`, `metadata.serverInfo.version`).
    """

    server_info: ServerInfo

    def __getattr__(self, name: str) -> Any:
        field = _CAMEL_TO_FIELD.get(name)
        if field is not None:
            return getattr(self, field)
        return super().__getattr__(name)  # type: ignore[misc]


_CAMEL_TO_FIELD: dict[str, str] = {
    to_camel(field): field for field in InitializeResponse.model_fields if to_camel(field) != field
}
