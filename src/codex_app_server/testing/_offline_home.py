"""Write a `CODEX_HOME` whose config points the app-server at a local model stand-in.

Stdlib only, and nothing from the SDK beyond `_protocol.toml`: importing this must stay cheap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._protocol.toml import toml_value

#: The environment variable the offline provider reads its API key from.
MOCK_API_KEY_ENV = "MOCK_API_KEY"

#: The value `ScriptedModel.config()` puts in `MOCK_API_KEY` (sent as a Bearer token).
MOCK_API_KEY_VALUE = "scripted-model-key"

#: A model slug from the runtime's bundled catalog (unknown slugs work but warn every turn).
DEFAULT_MODEL = "gpt-5.5"

#: The name of the provider entry in the written `config.toml`.
PROVIDER_ID = "mock"


def offline_settings(
    base_url: str,
    *,
    model: str = DEFAULT_MODEL,
    approval_policy: str = "never",
    sandbox_mode: str = "read-only",
) -> dict[str, Any]:
    """The offline configuration as flat dotted keys (`"features.plugins": False`, ...).

    These are the settings `write_offline_codex_home` writes. They also work as
    `AppServerConfig(config_overrides=...)` with an empty `CODEX_HOME`.
    """
    provider = f"model_providers.{PROVIDER_ID}"
    return {
        "model": model,
        "model_provider": PROVIDER_ID,
        "approval_policy": approval_policy,
        "sandbox_mode": sandbox_mode,
        "check_for_update_on_startup": False,
        # Telemetry would try DNS look-ups.
        "analytics.enabled": False,
        # Plugin sync reaches github.com at start-up; shell snapshots run a login shell per
        # thread; apps need the network.
        "features.plugins": False,
        "features.shell_snapshot": False,
        "features.apps": False,
        f"{provider}.name": "Scripted model",
        f"{provider}.base_url": base_url,
        f"{provider}.wire_api": "responses",
        f"{provider}.env_key": MOCK_API_KEY_ENV,
        # A scripted failure must fail the turn at once, not be retried.
        f"{provider}.request_max_retries": 0,
        f"{provider}.stream_max_retries": 0,
        f"{provider}.stream_idle_timeout_ms": 300_000,
        # Else the runtime tries WebSocket upgrades before falling back to SSE.
        f"{provider}.supports_websockets": False,
    }


def write_offline_codex_home(
    path: str | os.PathLike[str],
    base_url: str,
    *,
    model: str = DEFAULT_MODEL,
    approval_policy: str = "never",
    sandbox_mode: str = "read-only",
    extra_toml: str = "",
    settings: Mapping[str, Any] | None = None,
) -> Path:
    """Create (or overwrite) `path/config.toml` for an offline app-server; return `path`.

    The config selects a provider named `mock` at `base_url` (the Responses API, e.g.
    `ScriptedModel.base_url`), with no retries, no WebSockets, no telemetry, no plugin
    sync, no shell snapshots and no update check, so that the app-server makes no
    connection except to `base_url`. The provider reads its key from the `MOCK_API_KEY`
    environment variable, which must be set for the app-server (any value will do;
    `ScriptedModel.config()` does it for you). Point `CODEX_HOME` at `path`.

    Args:
        path: the directory to use as `CODEX_HOME` (created if missing).
        base_url: the Responses API base URL, e.g. `"http://127.0.0.1:PORT/v1"`.
        model: the model slug (one from the runtime's catalog avoids a warning per turn).
        approval_policy: `"never"`, `"on-request"`, `"untrusted"`, ...
        sandbox_mode: `"read-only"`, `"workspace-write"` or `"danger-full-access"`.
        extra_toml: TOML text inserted after the top-level keys and before the tables, so it
            may hold new top-level keys and new tables (`[mcp_servers.x]`, ...). To change a
            key written here, use `settings` instead (TOML forbids duplicate keys).
        settings: dotted keys (nested mappings are flattened) merged over the defaults of
            `offline_settings()`; a value of `None` removes a default,
            e.g. `{"features.shell_snapshot": True, "check_for_update_on_startup": None}`.
    """
    merged = offline_settings(
        base_url, model=model, approval_policy=approval_policy, sandbox_mode=sandbox_mode
    )
    if settings:
        for key, value in _flatten(settings).items():
            # A key replaces the defaults it shadows or that shadow it (a whole table, say).
            for existing in [k for k in merged if _overlaps(k, key)]:
                del merged[existing]
            if value is not None:
                merged[key] = value
    home = Path(path)
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(render_toml(merged, extra_toml), encoding="utf-8")
    return home


def render_toml(settings: Mapping[str, Any], extra_toml: str = "") -> str:
    """Render flat dotted keys as a TOML document: top-level keys, `extra_toml`, tables."""
    top: list[str] = []
    tables: dict[str, list[str]] = {}
    for dotted, value in settings.items():
        *table, key = dotted.split(".")
        line = f"{_key(key)} = {toml_value(value)}"
        if table:
            tables.setdefault(".".join(_key(part) for part in table), []).append(line)
        else:
            top.append(line)
    parts = ["# Written by codex_app_server.testing: an offline CODEX_HOME.", *top]
    if extra_toml.strip():
        parts += ["", extra_toml.strip("\n")]
    for header, lines in tables.items():
        parts += ["", f"[{header}]", *lines]
    return "\n".join(parts) + "\n"


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _overlaps(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _key(part: str) -> str:
    if part and all(c.isalnum() or c in "-_" for c in part):
        return part
    return toml_value(part)


def offline_env() -> dict[str, str]:
    """Environment for an offline app-server.

    `MOCK_API_KEY` (the provider's key), `NO_PROXY` for loopback (so that a proxy in the
    environment is never used), and the runtime wheel's helper directories first on `PATH`:
    `codex-path` (`rg`) and `codex-resources` (`bwrap`, which silences the "could not find
    bubblewrap on PATH" `configWarning`; the runtime falls back to that same bundled
    `bwrap` anyway).
    """
    env = {MOCK_API_KEY_ENV: MOCK_API_KEY_VALUE}
    existing = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
    env["NO_PROXY"] = env["no_proxy"] = ",".join(
        p for p in ("127.0.0.1", "localhost", existing) if p
    )
    helper_dirs = _runtime_path_dirs()
    if helper_dirs:
        env["PATH"] = os.pathsep.join([*helper_dirs, os.environ.get("PATH", os.defpath)])
    return env


def _runtime_path_dirs() -> list[str]:
    """The `openai-codex-cli-bin` wheel's `pathDir` and `resourcesDir`, if installed."""
    try:
        import codex_cli_bin

        package = Path(codex_cli_bin.bundled_package_dir())
        meta = json.loads((package / "codex-package.json").read_text(encoding="utf-8"))
    except Exception:  # not installed, or a layout we do not know
        return []
    names = [meta.get("pathDir", "codex-path"), meta.get("resourcesDir", "codex-resources")]
    return [str(package / n) for n in names if isinstance(n, str) and (package / n).is_dir()]
