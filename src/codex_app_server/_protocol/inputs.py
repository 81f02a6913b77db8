"""User input items for turns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class TextInput:
    """Plain text."""

    text: str

    def to_wire(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


@dataclass
class ImageInput:
    """An image by URL (https: or data:)."""

    url: str

    def to_wire(self) -> dict[str, Any]:
        return {"type": "image", "url": self.url}


@dataclass
class LocalImageInput:
    """An image file on the app-server's machine."""

    path: str

    def to_wire(self) -> dict[str, Any]:
        return {"type": "localImage", "path": str(self.path)}


@dataclass
class SkillInput:
    """Invoke a skill by name and path."""

    name: str
    path: str

    def to_wire(self) -> dict[str, Any]:
        return {"type": "skill", "name": self.name, "path": str(self.path)}


@dataclass
class MentionInput:
    """Mention a file or resource by name and path."""

    name: str
    path: str

    def to_wire(self) -> dict[str, Any]:
        return {"type": "mention", "name": self.name, "path": str(self.path)}


@dataclass(frozen=True)
class ExternalMessage:
    """Untrusted content from another agent, a tool or an application.

    The model receives it as the output of the tool `tool_name` (tool-level authority:
    below user and developer instructions, never an approval), not as user input. Pass it as
    the whole input of `thread.run()` / `thread.turn()`: it starts a turn, or joins the
    thread's running turn. `content` is text or a list of Responses function-output content
    items (`{"type": "input_text", "text": ...}`, `{"type": "input_image", ...}`) as dicts.
    """

    tool_name: str
    content: str | Sequence[Mapping[str, Any]]
    namespace: str | None = None

    def to_tool_output(self) -> dict[str, Any]:
        """The `toolOutput` member of `turn/start`."""
        if not isinstance(self.tool_name, str) or not self.tool_name.strip():
            raise ValueError("ExternalMessage.tool_name must be a non-empty string")
        content = self.content
        if not isinstance(content, str):
            content = [dict(part) for part in content]
            if not content:
                raise ValueError("ExternalMessage.content must not be empty")
        wire: dict[str, Any] = {"name": self.tool_name, "output": content}
        if self.namespace is not None:
            wire["namespace"] = self.namespace
        return wire


InputItem = TextInput | ImageInput | LocalImageInput | SkillInput | MentionInput
Input = list[InputItem] | InputItem
#: What `run()` and `turn()` take: text, input items, or one `ExternalMessage`.
RunInput = str | Input | ExternalMessage

_ITEM_TYPES = (TextInput, ImageInput, LocalImageInput, SkillInput, MentionInput)


def input_to_wire(value: str | Input) -> list[dict[str, Any]]:
    """`turn/start` input items from a string, one item, or a list of items."""
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    items = value if isinstance(value, (list, tuple)) else [value]
    wire: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, _ITEM_TYPES):
            wire.append(item.to_wire())
        elif isinstance(item, str):
            wire.append({"type": "text", "text": item})
        elif isinstance(item, dict) and "type" in item:
            wire.append(item)
        else:
            raise TypeError(
                "input must be a str, an InputItem (TextInput, ImageInput, LocalImageInput, "
                f"SkillInput, MentionInput) or a list of them, not {type(item).__name__}"
            )
    if not wire:
        raise ValueError("input must not be empty")
    return wire
