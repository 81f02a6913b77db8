"""Notifications as the user sees them: raw params routed cheaply, typed on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..generated.notification_registry import (
    NOTIFICATION_MODELS,
    NOTIFICATION_THREAD_ID_PATHS,
    NOTIFICATION_TURN_ID_PATHS,
)

if TYPE_CHECKING:
    from pydantic import BaseModel


@dataclass(frozen=True)
class UnknownNotification:
    """Typed fallback for a notification that could not be validated.

    Either the method is unknown to this SDK's generated models (a newer server), or its
    params did not match the model. Nothing is lost: `params` holds the raw payload.
    """

    method: str
    params: dict[str, Any]
    reason: str = "unknown method"


@dataclass(frozen=True)
class ServerRequest:
    """A request the app-server sent to the client (approval, user input, tool call, ...)."""

    id: int | str
    method: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def thread_id(self) -> str | None:
        value = self.params.get("threadId")
        return value if isinstance(value, str) else None

    @property
    def turn_id(self) -> str | None:
        value = self.params.get("turnId")
        return value if isinstance(value, str) else None


class Notification:
    """One server notification.

    Attributes:
        method: the JSON-RPC method, e.g. ``"item/agentMessage/delta"``.
        params: the raw params dict, exactly as received.
        turn_id / thread_id: read from the params where the schema says they live.

    `payload` is the typed model from `codex_app_server.generated.v2_all` (validated on
    first access), or an `UnknownNotification` holding the raw params.
    """

    __slots__ = ("_payload", "method", "params", "thread_id", "turn_id")

    def __init__(
        self,
        method: str,
        params: dict[str, Any],
        turn_id: str | None = None,
        thread_id: str | None = None,
    ) -> None:
        self.method = method
        self.params = params
        self.turn_id = turn_id
        self.thread_id = thread_id
        self._payload: BaseModel | UnknownNotification | None = None

    @classmethod
    def from_wire(cls, method: str, params: Any) -> Notification:
        """Build from a raw message, reading the turn and thread ids off the raw dict."""
        if params.__class__ is not dict and not isinstance(params, dict):
            params = {} if params is None else {"value": params}
        # The hot path (one call per notification): known methods look their id paths up
        # once, and a one-key path (most of them) is a single dict lookup.
        paths = _ID_PATHS.get(method)
        if paths is None:
            turn_id = _guess_turn_id(method, params)
            thread_id = dig(params, NOTIFICATION_THREAD_ID_PATHS.get(method, ("threadId",)))
            return cls(method, params, turn_id, thread_id)
        turn_path, thread_path = paths
        if turn_path.__class__ is str:
            turn_id = params.get(turn_path)
            if turn_id.__class__ is not str:
                turn_id = turn_id if isinstance(turn_id, str) else None
        else:
            turn_id = None if turn_path is None else dig(params, turn_path)  # type: ignore[arg-type]
        if thread_path.__class__ is str:
            thread_id = params.get(thread_path)
            if thread_id.__class__ is not str:
                thread_id = thread_id if isinstance(thread_id, str) else None
        else:
            thread_id = dig(params, thread_path)  # type: ignore[arg-type]
        return cls(method, params, turn_id, thread_id)

    @property
    def payload(self) -> BaseModel | UnknownNotification:
        """The typed params model, or `UnknownNotification` when it cannot be typed."""
        if self._payload is None:
            self._payload = _validate(self.method, self.params)
        return self._payload

    @property
    def is_known(self) -> bool:
        """True when the payload validated into a generated model."""
        return not isinstance(self.payload, UnknownNotification)

    def __repr__(self) -> str:
        return f"Notification(method={self.method!r}, turn_id={self.turn_id!r})"


_IdPath = str | tuple[str, ...] | None


def _compact(path: tuple[str, ...] | None) -> _IdPath:
    """A one-key path as the bare key (read with one `dict.get`)."""
    return path[0] if path is not None and len(path) == 1 else path


#: method -> (turn id path, thread id path) for every method the registry knows (a known
#: method with no turn id path has none: None). Unknown methods are worked out per message.
_ID_PATHS: dict[str, tuple[_IdPath, _IdPath]] = {
    method: (
        _compact(NOTIFICATION_TURN_ID_PATHS.get(method)),
        _compact(NOTIFICATION_THREAD_ID_PATHS.get(method, ("threadId",))),
    )
    for method in {*NOTIFICATION_MODELS, *NOTIFICATION_TURN_ID_PATHS}
}


def dig(params: Any, path: tuple[str, ...]) -> str | None:
    """The string at key `path` inside nested dicts, or None."""
    value: Any = params
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value if isinstance(value, str) else None


def _guess_turn_id(method: str, params: dict[str, Any]) -> str | None:
    if method in NOTIFICATION_MODELS:
        return None  # known method whose schema has no turn id
    # An unknown (newer) method: route by turn id if one can be read.
    turn_id = params.get("turnId")
    if isinstance(turn_id, str):
        return turn_id
    return dig(params, ("turn", "id"))


def _validate(method: str, params: dict[str, Any]) -> BaseModel | UnknownNotification:
    model_name = NOTIFICATION_MODELS.get(method)
    if model_name is None:
        return UnknownNotification(method, params)
    from .models import model_class

    try:
        return model_class(model_name).model_validate(params)
    except Exception as exc:  # pydantic.ValidationError, or a model missing from the module
        return UnknownNotification(method, params, reason=f"invalid params: {exc}")


#: The method of the marker put in a turn's stream when a remote connection dropped and was
#: re-established: notifications the server sent in the gap are lost.
CONNECTION_RESUMED = "codexAppServer/connectionResumed"


@dataclass(frozen=True)
class ConnectionGap:
    """What a `ConnectionResumed` marker says.

    Attributes:
        url: the server reconnected to.
        turn_id / thread_id: the turn whose stream has the gap.
        gap_seconds: from noticing the drop to the new connection (notifications the server
            sent meanwhile are lost; `run()` recovers the turn's items from `thread/read`).
    """

    url: str
    turn_id: str
    thread_id: str | None
    gap_seconds: float


class ConnectionResumed(Notification):
    """The marker a turn's stream yields after a reconnect (method `CONNECTION_RESUMED`).

    It is not from the server: the SDK puts it in every active turn's stream when the
    connection to a remote app-server came back. `payload` is a `ConnectionGap`.
    """

    __slots__ = ()

    def __init__(self, gap: ConnectionGap) -> None:
        params = {
            "url": gap.url,
            "turnId": gap.turn_id,
            "threadId": gap.thread_id,
            "gapSeconds": gap.gap_seconds,
        }
        super().__init__(CONNECTION_RESUMED, params, gap.turn_id, gap.thread_id)
        self._payload = gap  # type: ignore[assignment]

    @property
    def gap(self) -> ConnectionGap:
        return self._payload  # type: ignore[return-value]
