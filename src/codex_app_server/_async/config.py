"""`AsyncCodex`'s configuration, skills and MCP server methods (a mixin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .methods import ClientMethods, fspath

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    from ..generated.v2_all import (
        ConfigReadResponse,
        ConfigWriteResponse,
        McpServerStatus,
        SkillsListResponse,
    )


class ConfigMethods(ClientMethods):
    """`AsyncCodex`'s configuration, skills and MCP methods."""

    async def config_read(
        self, *, cwd: str | os.PathLike[str] | None = None, include_layers: bool = False
    ) -> ConfigReadResponse:
        """The effective configuration (as seen from `cwd`, with its layers if asked)."""
        client = await self._started_client()
        return await client.config_read(cwd=fspath(cwd), include_layers=include_layers or None)

    async def config_write(
        self,
        key_path: str,
        value: Any,
        *,
        merge_strategy: str = "replace",
        file_path: str | os.PathLike[str] | None = None,
        expected_version: str | None = None,
    ) -> ConfigWriteResponse:
        """Set one configuration value (dotted `key_path`, e.g. `"features.apps"`) in the
        user's `config.toml` (or `file_path`). `merge_strategy`: `"replace"` or `"upsert"`."""
        from .._protocol.models import to_wire

        params: dict[str, Any] = {
            "keyPath": key_path,
            "value": to_wire(value),
            "mergeStrategy": merge_strategy,
        }
        if file_path is not None:
            params["filePath"] = fspath(file_path)
        if expected_version is not None:
            params["expectedVersion"] = expected_version
        client = await self._started_client()
        return await client.config_value_write(params)

    async def config_batch_write(
        self,
        edits: Mapping[str, Any] | Sequence[Any],
        *,
        merge_strategy: str = "replace",
        reload_user_config: bool | None = None,
        file_path: str | os.PathLike[str] | None = None,
        expected_version: str | None = None,
    ) -> ConfigWriteResponse:
        """Apply several edits at once: `{key_path: value}` (with `merge_strategy`), or a
        list of `ConfigEdit`s. `reload_user_config` hot-reloads them into loaded threads."""
        from .._protocol.params import config_edits

        params: dict[str, Any] = {"edits": config_edits(edits, merge_strategy)}
        if reload_user_config is not None:
            params["reloadUserConfig"] = reload_user_config
        if file_path is not None:
            params["filePath"] = fspath(file_path)
        if expected_version is not None:
            params["expectedVersion"] = expected_version
        client = await self._started_client()
        return await client.config_batch_write(params)

    async def skills(
        self,
        *,
        cwds: Sequence[str | os.PathLike[str]] | None = None,
        force_reload: bool = False,
    ) -> SkillsListResponse:
        """The skills available in each of `cwds` (default: the server's working directory)."""
        client = await self._started_client()
        return await client.skills_list(
            cwds=[str(fspath(c)) for c in cwds] if cwds is not None else None,
            force_reload=force_reload or None,
        )

    async def mcp_servers(
        self,
        *,
        detail: Any = None,
        thread_id: str | None = None,
        server_name: str | None = None,
    ) -> list[McpServerStatus]:
        """The status of every configured MCP server (all pages of `mcpServerStatus/list`)."""
        from .paging import iter_pages

        client = await self._started_client()

        async def fetch(cursor: str | None) -> Any:
            return await client.mcp_server_status_list(
                cursor=cursor, detail=detail, thread_id=thread_id, server_name=server_name
            )

        return [status async for status in iter_pages(fetch)]
