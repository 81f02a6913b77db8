"""Splitting a byte stream into lines, a chunk at a time (shared by the stdio transports).

The readers' hot path: one read and one `split` per chunk instead of a `readline()` per
message. A line that arrives in many chunks is joined once (no quadratic copying), and a
line longer than the limit raises `MessageTooLargeError` as soon as that is known.
"""

from __future__ import annotations

from .._constants import READ_CHUNK_BYTES as READ_CHUNK
from .._protocol.errors import MessageTooLargeError

__all__ = ["READ_CHUNK", "LineSplitter"]


class LineSplitter:
    """Feed chunks, get complete lines (without their newlines). Not thread-safe."""

    __slots__ = ("_limit", "_partial", "_partial_size")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._partial: list[bytes] = []  # chunks of a line whose end has not arrived
        self._partial_size = 0

    def feed(self, chunk: bytes) -> list[bytes] | None:
        """The lines `chunk` completes, or None when it completes none."""
        partial, limit = self._partial, self._limit
        if b"\n" not in chunk:  # the middle of a long line: keep it, copy it once
            partial.append(chunk)
            self._partial_size += len(chunk)
            if self._partial_size > limit:
                raise self.too_large()
            return None
        if partial:
            partial.append(chunk)
            chunk = b"".join(partial)
            partial.clear()
        lines = chunk.split(b"\n")
        rest = lines.pop()
        self._partial_size = len(rest)
        if rest:
            partial.append(rest)
        if len(chunk) > limit and (self._partial_size > limit or max(map(len, lines)) > limit):
            raise self.too_large()
        return lines

    def finish(self) -> list[bytes]:
        """At end of stream: the last line if it had no newline."""
        tail = b"".join(self._partial)
        self._partial.clear()
        self._partial_size = 0
        return [tail] if tail else []

    def too_large(self) -> MessageTooLargeError:
        return MessageTooLargeError(
            f"the app-server sent a line longer than max_line_bytes={self._limit}"
        )
