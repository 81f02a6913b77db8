"""What the auto-paging iterators share: the page shape and the cursor rule (no I/O).

A page is any response with a `data` list and a `next_cursor` (the generated
`ThreadListResponse`, `ThreadTurnsListResponse`, `ThreadItemsListResponse`, ...).
"""

from __future__ import annotations

from typing import Any, Protocol

from .errors import CodexError


class Page(Protocol):
    """What the paged list responses have in common."""

    @property
    def data(self) -> Any: ...

    @property
    def next_cursor(self) -> str | None: ...


def next_cursor(page: Page, seen: set[str]) -> str | None:
    """The cursor of the page after `page`, or None at the end; a repeated cursor is an
    error (`CodexError`), not an endless loop."""
    cursor = page.next_cursor
    if not cursor:
        return None
    if cursor in seen:
        raise CodexError(f"the server repeated the page cursor {cursor!r}")
    seen.add(cursor)
    return cursor
