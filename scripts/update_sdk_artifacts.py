#!/usr/bin/env python3
"""Regenerate the protocol artifacts in ``src/codex_app_server/generated/``.

The pinned Codex runtime describes its app-server JSON-RPC protocol as JSON Schema
(``codex app-server generate-json-schema``). The ``sdk_artifacts`` package beside this
script turns it into the generated models (split by dependency closure behind the lazy
``v2_all``), the registries, the method constants and the typed client methods.

Usage::

    python scripts/update_sdk_artifacts.py            # rewrite the generated files
    python scripts/update_sdk_artifacts.py --check    # exit 1 if they are out of date
    python scripts/update_sdk_artifacts.py --codex-bin /path/to/codex

Only the standard library and datamodel-code-generator (plus ruff, for formatting, and
pydantic, for the self-check of the generated models) are needed. The output is
deterministic: same runtime binary, same files.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sdk_artifacts.cli import main

if __name__ == "__main__":
    sys.exit(main())
