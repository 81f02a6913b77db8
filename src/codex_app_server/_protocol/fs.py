"""What the file-system helpers share (no I/O): paths, base64 payloads, watch ids.

The app-server wants absolute paths; a relative path is resolved against this Python
process's working directory (as `open()` would), not the app-server's.
"""

from __future__ import annotations

import binascii  # base64 itself loads struct: the codec is all we use
import os
from typing import TYPE_CHECKING, Any

from .models import validate_as
from .router import KeyPath

if TYPE_CHECKING:
    from ..generated.v2_all import FsChangedNotification

FS_CHANGED = "fs/changed"
WATCH_ID_PATH: KeyPath = ("watchId",)

#: A path the helpers accept.
PathLike = str | os.PathLike[str]

#: What a closed watch's queue receives, to end its iteration.
CLOSED: Any = object()


def abs_path(path: PathLike) -> str:
    """`path` as an absolute path (relative ones against this process's cwd)."""
    return os.path.abspath(os.fspath(path))


def encode_data(data: bytes | str, encoding: str = "utf-8") -> str:
    """Bytes (or text, encoded) as the base64 the `fs/writeFile` request carries."""
    raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
    return binascii.b2a_base64(raw, newline=False).decode("ascii")


def decode_data(data_base64: str) -> bytes:
    return binascii.a2b_base64(data_base64)


def new_watch_id() -> str:
    import uuid  # per watch, not per message

    return f"py-watch-{uuid.uuid4().hex[:16]}"


def changed(item: Any) -> FsChangedNotification:
    """The `FsChangedNotification` of a routed item (or raise the routed error)."""
    if isinstance(item, BaseException):
        raise item
    return validate_as("FsChangedNotification", item.params)  # type: ignore[no-any-return]
