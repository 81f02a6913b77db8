"""`python -m codex_app_server.testing serve`: see `_serve`."""

from __future__ import annotations

from ._serve import main

if __name__ == "__main__":
    raise SystemExit(main())
