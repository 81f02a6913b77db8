"""Auto-paging over the protocol's cursor-paged list methods (`thread/list`, ...).

A page is any response with a `data` list and a `next_cursor` (see `_protocol/paging.py`).
The iterator fetches the next page only when the caller has consumed the previous one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from .._protocol.paging import Page, next_cursor


async def iter_pages(
    fetch: Callable[[str | None], Awaitable[Page]], cursor: str | None = None
) -> AsyncIterator[Any]:
    """Yield every item of every page: `await fetch(cursor)` returns one page.

    Stops when a page has no `next_cursor`. A cursor the server repeats is an error
    (`CodexError`), not an endless loop.
    """
    seen: set[str] = set()
    while True:
        page = await fetch(cursor)
        for item in page.data:
            yield item
        cursor = next_cursor(page, seen)
        if cursor is None:
            return
