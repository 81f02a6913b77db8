"""The `codex-py` command line (`python -m codex_app_server`)."""

from .app import main

__all__ = ["main"]
