"""The offline configuration: `config()`, `offline_env()`, `write_offline_codex_home()`, and
how light `codex_app_server.testing` is to import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import codex_app_server
from codex_app_server.testing import ScriptedModel, offline_env, write_offline_codex_home


def test_config(scripted_model: ScriptedModel, tmp_path: Path) -> None:
    config = scripted_model.config(tmp_path, request_timeout=5.0, env={"EXTRA": "1"})
    assert config.codex_home == tmp_path / "codex-home"
    assert config.cwd == tmp_path / "workspace" and (tmp_path / "workspace").is_dir()
    assert config.request_timeout == 5.0
    env = config.build_env()
    assert env["CODEX_HOME"] == str(tmp_path / "codex-home")
    assert env["MOCK_API_KEY"] and env["EXTRA"] == "1"
    assert "127.0.0.1" in env["NO_PROXY"]
    text = (tmp_path / "codex-home" / "config.toml").read_text()
    assert f'base_url = "{scripted_model.base_url}"' in text
    assert scripted_model.base_url == f"http://127.0.0.1:{scripted_model.port}/v1"


def test_offline_env_puts_the_runtime_helpers_first_on_path() -> None:
    import codex_cli_bin  # a runtime dependency

    first = offline_env()["PATH"].split(":")[:2]
    package = Path(codex_cli_bin.bundled_package_dir())
    assert first == [str(package / "codex-path"), str(package / "codex-resources")]


def test_write_offline_codex_home(tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib")
    home = write_offline_codex_home(
        tmp_path / "home",
        "http://127.0.0.1:1/v1",
        approval_policy="on-request",
        extra_toml='personality = "none"\n\n[mcp_servers.x]\ncommand = "true"\n',
        settings={
            "features": {"shell_snapshot": True},
            "check_for_update_on_startup": None,
            "model_providers.mock.stream_idle_timeout_ms": 1000,
        },
    )
    assert home == tmp_path / "home"
    config = tomllib.loads((home / "config.toml").read_text())
    assert config["model"] == "gpt-5.5"
    assert config["model_provider"] == "mock"
    assert config["approval_policy"] == "on-request"
    assert config["sandbox_mode"] == "read-only"
    assert config["personality"] == "none"
    assert config["mcp_servers"] == {"x": {"command": "true"}}
    assert "check_for_update_on_startup" not in config
    assert config["features"] == {"plugins": False, "shell_snapshot": True, "apps": False}
    assert config["analytics"] == {"enabled": False}
    assert config["model_providers"]["mock"] == {
        "name": "Scripted model",
        "base_url": "http://127.0.0.1:1/v1",
        "wire_api": "responses",
        "env_key": "MOCK_API_KEY",
        "request_max_retries": 0,
        "stream_max_retries": 0,
        "stream_idle_timeout_ms": 1000,
        "supports_websockets": False,
    }


def test_import_is_light() -> None:
    code = (
        "import sys\n"
        "heavy = ('pydantic', 'http.server', 'codex_app_server._sync.client',"
        " 'codex_app_server._config')\n"
        "import codex_app_server.testing\n"
        "assert not [m for m in heavy + ('dataclasses',) if m in sys.modules]\n"
        "import codex_app_server.testing.pytest_plugin\n"
        "assert not [m for m in heavy if m in sys.modules]\n"
    )
    src = str(Path(codex_app_server.__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env=env)
