"""The CLI's name and exit statuses, shared by every command."""

from __future__ import annotations

PROG = "codex-py"
#: The environment variable `--url` reads a bearer token from when `--token-file` is not given.
TOKEN_ENV = "CODEX_APP_SERVER_TOKEN"

#: Exit statuses.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
