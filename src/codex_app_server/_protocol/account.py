"""What the login handles share (no I/O): the errors and the state of a login.

`account/login/start` answers at once; a browser or device-code login then finishes with an
`account/login/completed` notification carrying the `loginId` of the response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import LoginError
from .models import validate_as
from .router import KeyPath

if TYPE_CHECKING:
    from ..generated.v2_all import (
        AccountLoginCompletedNotification,
        ChatgptDeviceCodeLoginAccountResponse,
        ChatgptLoginAccountResponse,
    )

LOGIN_COMPLETED = "account/login/completed"
LOGIN_ID_PATH: KeyPath = ("loginId",)


class LoginBase:
    """The state of a ChatGPT login in progress, shared by the sync and async handles."""

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
