"""Account methods, offline: what works without a sign-in and what needs one."""

from __future__ import annotations

import pytest

from codex_app_server import InternalRpcError, InvalidRequestError
from codex_app_server.generated import v2_all

from .harness import Env, covers, fails_offline

pytestmark = pytest.mark.integration


@covers(
    "account/read",
    "account/login/start",
    "account/login/cancel",
    "account/logout",
    "account/gatewayOAuth/read",
    "account/gatewayOAuth/cancel",
)
@fails_offline(
    "account/gatewayOAuth/login",
    InvalidRequestError,
    "needs a model provider that signs in through a gateway",
)
def test_account_basics(env: Env) -> None:
    client = env.client
    assert client.account_read().account is None
    api_key = client.account_login_start({"type": "apiKey", "apiKey": "sk-test"})
    assert type(api_key.root).__name__ == "ApiKeyLoginAccountResponse"
    browser = client.account_login_start({"type": "chatgpt"})
    assert browser.auth_url.startswith("https://auth.openai.com/")
    cancelled = client.account_login_cancel(login_id=browser.login_id)
    assert cancelled.status.value == "canceled"
    assert isinstance(client.account_logout(), v2_all.LogoutAccountResponse)
    gateway = client.account_gateway_oauth_read()
    assert (gateway.provider_id, gateway.required) == ("mock", False)
    assert isinstance(client.account_gateway_oauth_cancel(), v2_all.GatewayOAuthCancelResponse)
    with pytest.raises(InvalidRequestError, match="does not use gateway OAuth"):
        client.account_gateway_oauth_login()


CHATGPT_ONLY = "needs a ChatGPT sign-in (an account on the network)"


@fails_offline("account/rateLimits/read", InvalidRequestError, CHATGPT_ONLY)
@fails_offline("account/usage/read", InvalidRequestError, CHATGPT_ONLY)
@fails_offline("account/workspaceMessages/read", InvalidRequestError, CHATGPT_ONLY)
@fails_offline("account/rateLimitResetCredit/consume", InvalidRequestError, CHATGPT_ONLY)
@fails_offline("account/sendAddCreditsNudgeEmail", InvalidRequestError, CHATGPT_ONLY)
def test_chatgpt_only_account_reads(env: Env) -> None:
    client = env.client
    for call in (
        client.account_rate_limits_read,
        client.account_usage_read,
        client.account_workspace_messages_read,
        lambda: client.account_rate_limit_reset_credit_consume(idempotency_key="k"),
        lambda: client.account_send_add_credits_nudge_email(credit_type="credits"),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidRequestError, match="authentication required"):
            call()


@covers("account/bedrock/checkGovCloudRequirements", "account/bedrock/discover")
@fails_offline("account/bedrock/setup", InvalidRequestError, "needs AWS credentials")
def test_bedrock(env: Env) -> None:
    client = env.client
    assert client.account_bedrock_check_gov_cloud_requirements().is_gov_cloud is False
    assert isinstance(client.account_bedrock_discover(), v2_all.BedrockDiscoverResponse)
    with pytest.raises(InvalidRequestError, match="AWS"):
        client.account_bedrock_setup({"type": "profile", "profile": "none", "region": "us-east-1"})


@fails_offline("feedback/upload", InternalRpcError, "uploads to a remote service (Sentry)")
def test_feedback_upload(env: Env) -> None:
    with pytest.raises(InternalRpcError, match="failed to upload feedback"):
        env.client.feedback_upload(classification="bug")
