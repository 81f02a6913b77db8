"""Splitting a byte stream into lines, a chunk at a time (shared by the stdio transports).

The readers' hot path: one read and one `split` per chunk instead of a `readline()` per
message. A line that arrives in many chunks is joined once (no quadratic copying), and a
line longer than the limit is skipped as it streams by and handed on as an `OversizedLine`
(its size and head), as soon as that is known.
"""

from __future__ import annotations

from .._protocol.wire import OversizedLine

__all__ = ["LineSplitter"]


class LineSplitter:
    """Feed chunks, get complete lines (without their newlines). Not thread-safe.

    A line longer than the limit is skipped as it streams by (never held whole) and handed
    over as an `OversizedLine` (its head and size), so that it costs only the request or
    turn it was for.
    """

    __slots__ = ("_limit", "_partial", "_partial_size", "_skip")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._partial: list[bytes] = []  # chunks of a line whose end has not arrived
        self._partial_size = 0
        self._skip: list[bytes | int] | None = None  # [head, size] of a line being skipped

    def feed(self, chunk: bytes) -> list[bytes] | None:
        """The lines `chunk` completes, or None when it completes none."""
        partial, limit = self._partial, self._limit
        done: list[bytes] = []
        if self._skip is not None:  # inside an oversized line: drop up to its newline
            newline = chunk.find(b"\n")
            if newline < 0:
                self._skip[1] += len(chunk)  # type: ignore[operator]
                return None
            head, size = self._skip
            self._skip = None
            done.append(OversizedLine(head, size + newline))  # type: ignore[arg-type, operator]
            chunk = chunk[newline + 1 :]
        if b"\n" not in chunk:  # the middle of a long line: keep it, copy it once
            if chunk:
                partial.append(chunk)
                self._partial_size += len(chunk)
                if self._partial_size > limit:
                    self._start_skip()
            return done or None
        if partial:
            partial.append(chunk)
            chunk = b"".join(partial)
            partial.clear()
        lines = chunk.split(b"\n")
        rest = lines.pop()
        self._partial_size = len(rest)
        if rest:
            partial.append(rest)
        if len(chunk) > limit:
            lines = [OversizedLine(x, len(x)) if len(x) > limit else x for x in lines]
            if self._partial_size > limit:
                self._start_skip()
        if done:
            done += lines
            return done
        return lines

    def _start_skip(self) -> None:
        partial = self._partial
        first = partial[0] if partial else b""
        head = first[:4096] if len(first) >= 4096 else b"".join(partial)[:4096]
        self._skip = [head, self._partial_size]
        partial.clear()
        self._partial_size = 0

    def finish(self) -> list[bytes]:
        """At end of stream: the last line if it had no newline (or the skipped one)."""
        if self._skip is not None:
            head, size = self._skip
            self._skip = None
            return [OversizedLine(head, size)]  # type: ignore[arg-type]
        tail = b"".join(self._partial)
        self._partial.clear()
        self._partial_size = 0
        return [tail] if tail else []
