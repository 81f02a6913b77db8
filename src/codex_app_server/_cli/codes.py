"""The CLI's name and exit statuses, shared by every command."""

from __future__ import annotations

PROG = "codex-py"

#: Exit statuses.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
