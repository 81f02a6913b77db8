"""Logging in and out against the real runtime, offline.

API-key login works offline (it writes `auth.json` into CODEX_HOME). A ChatGPT login cannot
complete offline: these tests check that it starts (an auth URL), that `wait()` times out
while it is pending, that `cancel()` ends it and `wait()` then raises `LoginError`. A
device-code login needs auth.openai.com before it even starts, so offline the start fails.
Another process's ChatGPT login on this machine may cancel ours (the runtime's callback
port, localhost:1455, is shared), so the timeout windows here are short and a failed login
is only checked as a `LoginError`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from codex_app_server import (
    AppServerConfig,
    AsyncCodex,
    Codex,
    InternalRpcError,
    LoginError,
    LoginHandle,
    LoginTimeoutError,
)
from codex_app_server.testing import ScriptedModel

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServerConfig]:
    # The default `openai` provider (the scripted model's own provider does not use OpenAI
    # auth, so `account/read` would report no account at all). No turn is run here.
    with ScriptedModel() as model:
        yield model.config(tmp_path_factory.mktemp("account"), settings={"model_provider": None})


@pytest.fixture(scope="module")
def codex(config: AppServerConfig) -> Iterator[Codex]:
    with Codex(config) as c:
        yield c


def auth_file(config: AppServerConfig) -> Path:
    assert config.codex_home is not None
    return Path(config.codex_home) / "auth.json"


def test_api_key_login_account_and_logout(codex: Codex, config: AppServerConfig) -> None:
    before = codex.account()
    assert before.account is None and before.requires_openai_auth is True
    response = codex.login_api_key("sk-test-key")
    assert response.type == "apiKey"
    assert json.loads(auth_file(config).read_text())["OPENAI_API_KEY"] == "sk-test-key"
    account = codex.account().account
    assert account is not None and getattr(account, "root", account).type == "apiKey"
    codex.logout()
    assert codex.account().account is None
    assert not auth_file(config).exists()


def test_chatgpt_login_starts_times_out_and_cancels(codex: Codex) -> None:
    handle = codex.login_chatgpt()
    assert isinstance(handle, LoginHandle)
    assert handle.type == "chatgpt" and handle.login_id
    assert handle.auth_url is not None
    assert handle.auth_url.startswith("https://auth.openai.com/oauth/authorize?")
    assert "redirect_uri=http%3A%2F%2F" in handle.auth_url
    assert (handle.user_code, handle.verification_url) == (None, None)
    with pytest.raises(LoginTimeoutError) as timed_out:
        handle.wait(timeout=0.01)
    assert timed_out.value.login_id == handle.login_id
    assert isinstance(timed_out.value, TimeoutError)
    assert handle.cancel().status.value in ("canceled", "notFound")
    with pytest.raises(LoginError) as failed:
        handle.wait(timeout=30)
    assert failed.value.login_id == handle.login_id
    assert failed.value.completion.success is False
    assert handle.done


def test_two_logins_are_told_apart_by_login_id(codex: Codex) -> None:
    first = codex.login_chatgpt()
    second = codex.login_chatgpt()  # the runtime cancels the first one
    assert first.login_id != second.login_id
    with pytest.raises(LoginError) as first_failed:
        first.wait(timeout=30)
    assert first_failed.value.login_id == first.login_id
    second.cancel()
    with pytest.raises(LoginError) as second_failed:
        second.wait(timeout=30)
    assert second_failed.value.login_id == second.login_id


def test_device_code_login_needs_the_network(codex: Codex) -> None:
    with pytest.raises(InternalRpcError, match="device code"):
        codex.login_device_code()


# -- async ------------------------------------------------------------------------------------


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def async_codex(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[AsyncCodex, AppServerConfig]]:
    with ScriptedModel() as model:
        config = model.config(
            tmp_path_factory.mktemp("account-async"), settings={"model_provider": None}
        )
        async with AsyncCodex(config) as codex:
            yield codex, config


@pytest.mark.asyncio(loop_scope="module")
async def test_async_api_key_login(async_codex: tuple[AsyncCodex, AppServerConfig]) -> None:
    codex, config = async_codex
    assert (await codex.login_api_key("sk-async")).type == "apiKey"
    account = (await codex.account()).account
    assert account is not None and getattr(account, "root", account).type == "apiKey"
    assert auth_file(config).exists()
    await codex.logout()
    assert (await codex.account()).account is None
    assert not auth_file(config).exists()


@pytest.mark.asyncio(loop_scope="module")
async def test_async_chatgpt_login(async_codex: tuple[AsyncCodex, AppServerConfig]) -> None:
    codex, _ = async_codex
    handle = await codex.login_chatgpt()
    assert handle.auth_url is not None and handle.auth_url.startswith("https://auth.openai.com/")
    with pytest.raises(LoginTimeoutError):
        await handle.wait(timeout=0.01)
    await handle.cancel()
    with pytest.raises(LoginError) as failed:
        await handle.wait(timeout=30)
    assert failed.value.login_id == handle.login_id
    with pytest.raises(InternalRpcError, match="device code"):
        await codex.login_device_code()
