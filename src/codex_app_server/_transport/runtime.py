"""Find the Codex runtime binary."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .._protocol.errors import CodexNotFoundError

_HOW_TO_FIX = (
    "Install the pinned runtime with `pip install openai-codex-cli-bin==0.163.0` "
    "(it ships the `codex` binary), put `codex` on PATH, "
    "or pass AppServerConfig(codex_bin='/path/to/codex')."
)


def bundled_codex_bin() -> Path | None:
    """The `codex` binary shipped in the `openai-codex-cli-bin` wheel, if installed."""
    try:
        import codex_cli_bin
    except ImportError:
        return None
    try:
        path = Path(codex_cli_bin.bundled_codex_path())
    except (FileNotFoundError, OSError):
        return None
    return path if path.is_file() else None


def resolve_codex_bin(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The explicit path if given, else the bundled runtime, else `codex` on PATH."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise CodexNotFoundError(f"codex_bin {str(path)!r} does not exist. {_HOW_TO_FIX}")
        if not os.access(path, os.X_OK):
            raise CodexNotFoundError(f"codex_bin {str(path)!r} is not executable.")
        return path
    bundled = bundled_codex_bin()
    if bundled is not None:
        return bundled
    on_path = shutil.which("codex")
    if on_path:
        return Path(on_path)
    raise CodexNotFoundError(f"No Codex runtime found. {_HOW_TO_FIX}")
