"""Styling and where the CLI writes: ANSI colours only on a terminal, one lock for both streams."""

from __future__ import annotations

import json
import os
import threading
from typing import Any, ClassVar, TextIO


def wants_color(stream: TextIO, mode: str = "auto") -> bool:
    """Colour for `stream`: `always`, `never`, or (`auto`) a terminal with colour allowed."""
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") not in (None, "", "0"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    """ANSI styling that is a no-op when colour is off."""

    _CODES: ClassVar[dict[str, str]] = {
        "bold": "1",
        "dim": "2",
        "red": "31",
        "green": "32",
        "yellow": "33",
        "blue": "34",
        "magenta": "35",
        "cyan": "36",
    }

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        if not self.enabled or not text:
            return text
        codes = ";".join(self._CODES[s] for s in dict.fromkeys(style.split()))
        return f"\x1b[{codes}m{text}\x1b[0m"


class Console:
    """Where the CLI writes: the answer on `out`, progress on `err`; one lock for both.

    Tracks which stream has an unfinished line, so that a progress line never lands in
    the middle of streamed text, whichever streams share the terminal.
    """

    def __init__(
        self,
        out: TextIO,
        err: TextIO,
        *,
        color: str = "auto",
    ) -> None:
        self.out = out
        self.err = err
        self.out_style = Style(wants_color(out, color))
        self.err_style = Style(wants_color(err, color))
        self.lock = threading.RLock()
        self._open: TextIO | None = None

    def end_line(self) -> None:
        """Finish the unfinished line, if any."""
        with self.lock:
            if self._open is not None:
                self._open.write("\n")
                self._open.flush()
                self._open = None

    def partial(self, stream: TextIO, text: str) -> None:
        """Write `text` with no newline (streamed text)."""
        if not text:
            return
        with self.lock:
            if self._open is not None and self._open is not stream:
                self.end_line()
            stream.write(text)
            stream.flush()
            self._open = None if text.endswith("\n") else stream

    def line(self, stream: TextIO, text: str) -> None:
        """Write one whole line."""
        with self.lock:
            self.end_line()
            stream.write(text + "\n")
            stream.flush()

    def tagged(self, tag: str, text: str = "", style: str = "") -> None:
        """A progress line on `err`: `[tag] text`."""
        paint = self.err_style
        label = paint(f"{style} bold".strip(), f"[{tag}]")
        self.line(self.err, f"{label} {paint(style, text)}" if text else label)

    def json_line(self, obj: Any) -> None:
        """One JSON object per line on `out`."""
        self.line(self.out, json.dumps(obj, ensure_ascii=False, separators=(",", ":")))
