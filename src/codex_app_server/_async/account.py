"""Logging in: ChatGPT in a browser, ChatGPT with a device code.

`account/login/start` answers at once; a browser or device-code login then finishes with an
`account/login/completed` notification carrying the `loginId` of the response. The handles
here get that notification routed to them by login id (a keyed subscription in the router,
the way turn notifications are routed by turn id), so any number of logins, turns and
commands can share one connection. (The errors and the shared state: `_protocol/account.py`.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._protocol.account import LOGIN_COMPLETED, LOGIN_ID_PATH, LoginBase
from .._protocol.errors import LoginTimeoutError
from .backend import new_queue

if TYPE_CHECKING:
    from ..generated.v2_all import (
        AccountLoginCompletedNotification,
        CancelLoginAccountResponse,
        ChatgptDeviceCodeLoginAccountResponse,
        ChatgptLoginAccountResponse,
    )
    from .client import AsyncAppServerClient
    from .queues import AsyncQueue


class AsyncLoginHandle(LoginBase):
    """A ChatGPT login in progress (browser or device code).

    Open `auth_url` (browser login), or show `verification_url` and `user_code` (device
    code), then `await wait()`. `cancel()` ends it; `wait()` then raises `LoginError`.
    """

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
        """Wait until the login completes; the `AccountLoginCompletedNotification`.

        Raises `LoginError` if it failed or was cancelled, `LoginTimeoutError` after
        `timeout` seconds (the login goes on; wait again or `cancel()`).
        """
        if self._completion is not None:
            return self._result()
        delivered, item = await self._queue.get(timeout)
        if not delivered:
            raise LoginTimeoutError(self.login_id, timeout or 0.0)
        return self._settle(item)

    async def cancel(self) -> CancelLoginAccountResponse:
        """Cancel the login (`account/login/cancel`); a pending `wait()` raises `LoginError`."""
        return await self.client.account_login_cancel(login_id=self.login_id)


async def start_login(client: AsyncAppServerClient, params: dict[str, Any]) -> AsyncLoginHandle:
    """`account/login/start` for a ChatGPT flow; its completion is routed to the handle."""
    client.retain_keyed(LOGIN_COMPLETED, LOGIN_ID_PATH)
    response = await client.account_login_start(params)
    completions = new_queue("login", client)
    handle = AsyncLoginHandle(client, response, completions)  # type: ignore[arg-type]
    client.subscribe_keyed(LOGIN_COMPLETED, LOGIN_ID_PATH, handle.login_id, completions, once=True)
    return handle
