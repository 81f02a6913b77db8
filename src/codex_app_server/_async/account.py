"""Logging in: API key, ChatGPT in a browser, ChatGPT with a device code.

`account/login/start` answers at once; a browser or device-code login then finishes with an
`account/login/completed` notification carrying the `loginId` of the response. The handles
here get that notification routed to them by login id (a keyed subscription in the router,
the way turn notifications are routed by turn id), so any number of logins, turns and
commands can share one connection.
"""

from __future__ import annotations

import queue
from typing import TYPE_CHECKING, Any

from .._protocol.errors import CodexError
from .._protocol.models import validate_as
from .._protocol.router import KeyPath
from .queues import AsyncQueue

if TYPE_CHECKING:
    import asyncio

    from .._sync.client import AppServerClient
    from ..generated.v2_all import (
        AccountLoginCompletedNotification,
        CancelLoginAccountResponse,
        ChatgptDeviceCodeLoginAccountResponse,
        ChatgptLoginAccountResponse,
    )
    from .client import AsyncAppServerClient

LOGIN_COMPLETED = "account/login/completed"
LOGIN_ID_PATH: KeyPath = ("loginId",)


class LoginError(CodexError):
    """A login ended without success: it failed, or it was cancelled.

    Attributes:
        login_id: the login's id.
        error: the server's reason (e.g. "Login was not completed" after a cancel).
        completion: the `AccountLoginCompletedNotification` itself.
    """

    def __init__(self, completion: AccountLoginCompletedNotification) -> None:
        self.login_id = completion.login_id
        self.error = completion.error
        self.completion = completion
        super().__init__(f"login {self.login_id} failed: {self.error or 'no reason given'}")


class LoginTimeoutError(CodexError, TimeoutError):
    """`wait(timeout)` ran out before the login completed; the login is still pending."""

    def __init__(self, login_id: str, timeout: float) -> None:
        self.login_id = login_id
        self.timeout = timeout
        super().__init__(f"login {login_id} did not complete within {timeout:g}s")


class _LoginBase:
    def __init__(
        self, response: ChatgptLoginAccountResponse | ChatgptDeviceCodeLoginAccountResponse
    ) -> None:
        self.response = response
        self.login_id: str = response.login_id
        self.type: str = response.type
        #: ChatGPT browser login: the URL to open (`None` for a device-code login).
        self.auth_url: str | None = getattr(response, "auth_url", None)
        #: Device-code login: the URL where the user enters `user_code`.
        self.verification_url: str | None = getattr(response, "verification_url", None)
        #: Device-code login: the one-time code the user enters.
        self.user_code: str | None = getattr(response, "user_code", None)
        self._completion: AccountLoginCompletedNotification | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(login_id={self.login_id!r}, type={self.type!r})"

    @property
    def done(self) -> bool:
        """True once the completion has been received (by `wait()`)."""
        return self._completion is not None

    def _settle(self, item: Any) -> AccountLoginCompletedNotification:
        if isinstance(item, BaseException):
            raise item
        completion: AccountLoginCompletedNotification = validate_as(
            "AccountLoginCompletedNotification", item.params
        )
        self._completion = completion
        return self._result()

    def _result(self) -> AccountLoginCompletedNotification:
        assert self._completion is not None
        if not self._completion.success:
            raise LoginError(self._completion)
        return self._completion


class LoginHandle(_LoginBase):
    """A ChatGPT login in progress (browser or device code).

    Open `auth_url` (browser login), or show `verification_url` and `user_code` (device
    code), then `wait()`. `cancel()` ends it; `wait()` then raises `LoginError`.
    """

    def __init__(
        self,
        client: AppServerClient,
        response: ChatgptLoginAccountResponse | ChatgptDeviceCodeLoginAccountResponse,
        completions: queue.SimpleQueue[Any],
    ) -> None:
        super().__init__(response)
        self.client = client
        self._queue = completions

    def wait(self, timeout: float | None = None) -> AccountLoginCompletedNotification:
        """Block until the login completes; the `AccountLoginCompletedNotification`.

        Raises `LoginError` if it failed or was cancelled, `LoginTimeoutError` after
        `timeout` seconds (the login goes on; wait again or `cancel()`).
        """
        if self._completion is not None:
            return self._result()
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise LoginTimeoutError(self.login_id, timeout or 0.0) from None
        return self._settle(item)

    def cancel(self) -> CancelLoginAccountResponse:
        """Cancel the login (`account/login/cancel`); a pending `wait()` raises `LoginError`."""
        return self.client.account_login_cancel(login_id=self.login_id)


class AsyncLoginHandle(_LoginBase):
    """A ChatGPT login in progress, for asyncio code (see `LoginHandle`)."""

    def __init__(
        self,
        client: AsyncAppServerClient,
        response: ChatgptLoginAccountResponse | ChatgptDeviceCodeLoginAccountResponse,
        completions: AsyncQueue,
    ) -> None:
        super().__init__(response)
        self.client = client
        self._queue = completions

    async def wait(self, timeout: float | None = None) -> AccountLoginCompletedNotification:
        """Wait until the login completes (see `LoginHandle.wait`)."""
        if self._completion is not None:
            return self._result()
        delivered, item = await self._queue.get(timeout)
        if not delivered:
            raise LoginTimeoutError(self.login_id, timeout or 0.0)
        return self._settle(item)

    async def cancel(self) -> CancelLoginAccountResponse:
        """Cancel the login; a pending `wait()` raises `LoginError`."""
        return await self.client.account_login_cancel(login_id=self.login_id)


def start_login(client: AppServerClient, params: dict[str, Any]) -> LoginHandle:
    """`account/login/start` for a ChatGPT flow; its completion is routed to the handle."""
    client.retain_keyed(LOGIN_COMPLETED, LOGIN_ID_PATH)
    response = client.account_login_start(params)
    completions: queue.SimpleQueue[Any] = queue.SimpleQueue()
    handle = LoginHandle(client, response, completions)  # type: ignore[arg-type]
    client.subscribe_keyed(LOGIN_COMPLETED, LOGIN_ID_PATH, handle.login_id, completions, once=True)
    return handle


async def async_start_login(
    client: AsyncAppServerClient, params: dict[str, Any], loop: asyncio.AbstractEventLoop
) -> AsyncLoginHandle:
    """The asyncio twin of `start_login`."""
    client.retain_keyed(LOGIN_COMPLETED, LOGIN_ID_PATH)
    response = await client.account_login_start(params)
    completions = AsyncQueue(loop, name="login")
    handle = AsyncLoginHandle(client, response, completions)  # type: ignore[arg-type]
    client.subscribe_keyed(LOGIN_COMPLETED, LOGIN_ID_PATH, handle.login_id, completions, once=True)
    return handle
