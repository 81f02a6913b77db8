"""The base of the method groups `AsyncCodex` is made of (`commands.py`, `fs.py`,
`config.py`): the client they call, started on first use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .backend import ensure_started

if TYPE_CHECKING:
    import os

    from .client import AsyncAppServerClient


class ClientMethods:
    """Methods of `AsyncCodex` that send their request on its client (started if need be)."""

    client: AsyncAppServerClient

    async def _started_client(self) -> AsyncAppServerClient:
        await ensure_started(self.client)
        return self.client


def fspath(path: str | os.PathLike[str] | None) -> str | None:
    """`os.fspath`, passing None through (for the protocol helpers)."""
    import os

    return None if path is None else os.fspath(path)
