"""`codex-py login` / `logout` against the real app-server, offline.

The scripted model's provider is made to need an OpenAI login (`requires_openai_auth`, no
`env_key`), so the whole path is real: `run` refuses with the hint, `codex-py login` stores
the API key in CODEX_HOME, and the next `run` reaches the model with that key. A ChatGPT
login cannot complete offline: the browser login is checked to start and to time out (then
cancelled), the device-code login to fail cleanly (it needs auth.openai.com to start).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codex_app_server import AppServerConfig
from codex_app_server.testing import Reply, ScriptedModel
from tests.cli.test_cli import cli

pytestmark = pytest.mark.integration

KEY = "sk-cli-login-test"


@pytest.fixture
def login_config(scripted_model: ScriptedModel, tmp_path: Path) -> AppServerConfig:
    """The scripted model behind a provider that needs an OpenAI login (none yet)."""
    return scripted_model.config(
        tmp_path,
        settings={
            "model_providers.mock.env_key": None,
            "model_providers.mock.requires_openai_auth": True,
        },
    )


def auth_file(config: AppServerConfig) -> Path:
    assert config.codex_home is not None
    return Path(config.codex_home) / "auth.json"


def test_the_no_login_hint_is_actionable(
    scripted_model: ScriptedModel, login_config: AppServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    refused = cli("run", "hi", config=login_config)
    assert refused.returncode == 1
    assert "[error] not logged in" in refused.stderr
    assert "`codex-py login`" in refused.stderr  # the command this package installs
    assert "`codex login`" not in refused.stderr
    assert scripted_model.requests == []

    # Follow the hint: an API key from the environment.
    done = cli("login", config=login_config, extra_env={"OPENAI_API_KEY": KEY})
    assert done.returncode == 0, done.stderr
    assert "[login] logged in with an API key" in done.stderr
    assert json.loads(auth_file(login_config).read_text())["OPENAI_API_KEY"] == KEY

    # Now the same `run` (no key in its environment) reaches the model with that key.
    scripted_model.enqueue(Reply.text("logged in and answering"))
    ran = cli("run", "hi", config=login_config)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "logged in and answering\n"
    assert scripted_model.requests[0].headers["authorization"] == f"Bearer {KEY}"


def test_login_reads_the_key_from_stdin_status_and_logout(
    login_config: AppServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    before = cli("login", "--status", config=login_config)
    assert before.returncode == 1
    assert "not logged in" in before.stderr and "codex-py login" in before.stderr

    done = cli("login", config=login_config, stdin="sk-from-stdin\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(auth_file(login_config).read_text())["OPENAI_API_KEY"] == "sk-from-stdin"
    status = cli("login", "--status", config=login_config)
    assert status.returncode == 0, status.stderr
    assert "[login] logged in: apiKey" in status.stderr

    # --with-api-key prefers stdin over the environment.
    again = cli(
        "login",
        "--with-api-key",
        config=login_config,
        stdin="sk-second\n",
        extra_env={"OPENAI_API_KEY": "sk-env-ignored"},
    )
    assert again.returncode == 0, again.stderr
    assert json.loads(auth_file(login_config).read_text())["OPENAI_API_KEY"] == "sk-second"

    out = cli("logout", config=login_config)
    assert out.returncode == 0, out.stderr
    assert "[logout] logged out" in out.stderr
    assert not auth_file(login_config).exists()
    assert cli("login", "--status", config=login_config).returncode == 1


def test_login_without_a_key_says_how(
    login_config: AppServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    done = cli("login", config=login_config, stdin="")
    assert done.returncode == 1
    assert "[error] no API key: set OPENAI_API_KEY or pipe the key on stdin" in done.stderr
    assert not auth_file(login_config).exists()


def test_status_when_the_provider_needs_no_login(codex_config: AppServerConfig) -> None:
    done = cli("login", "--status", config=codex_config)
    assert done.returncode == 0, done.stderr
    assert "needs no OpenAI login" in done.stderr


def test_device_code_login_fails_cleanly_offline(login_config: AppServerConfig) -> None:
    done = cli("login", "--device-code", config=login_config)
    assert done.returncode == 1
    assert "[error] InternalRpcError" in done.stderr and "device code" in done.stderr
    assert "Traceback" not in done.stderr


def test_browser_login_shows_the_url_then_times_out_and_cancels(
    login_config: AppServerConfig,
) -> None:
    done = cli("login", "--browser", "--timeout", "0.5", config=login_config)
    assert done.returncode == 1
    assert "open this URL in a browser on this machine: https://auth.openai.com/" in done.stderr
    # Another process's ChatGPT login on this machine may cancel ours (the runtime's
    # callback port is shared): then it ends as a failed login rather than a timeout.
    assert "did not complete within 0.5s; cancelled it" in done.stderr or (
        "[error] login " in done.stderr and "failed" in done.stderr
    )
    assert "Traceback" not in done.stderr
