"""Auto-paging over the protocol's cursor-paged list methods (`thread/list`, ...).

A page is any response with a `data` list and a `next_cursor` (the generated
`ThreadListResponse`, `ThreadTurnsListResponse`, `ThreadItemsListResponse`, ...). The
iterators fetch the next page only when the caller has consumed the previous one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol, TypeVar

from .._protocol.errors import CodexError

T = TypeVar("T")


class Page(Protocol):
    """What the paged list responses have in common."""

    @property
    def data(self) -> Any: ...

    @property
    def next_cursor(self) -> str | None: ...


def iter_pages(fetch: Callable[[str | None], Page], cursor: str | None = None) -> Iterator[Any]:
    """Yield every item of every page: `fetch(cursor)` returns one page.

    Stops when a page has no `next_cursor`. A cursor the server repeats is an error
    (`CodexError`), not an endless loop.
    """
    seen: set[str] = set()
    while True:
        page = fetch(cursor)
        yield from page.data
        cursor = _next_cursor(page, seen)
        if cursor is None:
            return


async def aiter_pages(
    fetch: Callable[[str | None], Awaitable[Page]], cursor: str | None = None
) -> AsyncIterator[Any]:
    """The asyncio twin of `iter_pages`."""
    seen: set[str] = set()
    while True:
        page = await fetch(cursor)
        for item in page.data:
            yield item
        cursor = _next_cursor(page, seen)
        if cursor is None:
            return


def _next_cursor(page: Page, seen: set[str]) -> str | None:
    cursor = page.next_cursor
    if not cursor:
        return None
    if cursor in seen:
        raise CodexError(f"the server repeated the page cursor {cursor!r}")
    seen.add(cursor)
    return cursor
