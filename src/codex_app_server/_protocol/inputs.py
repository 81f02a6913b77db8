"""User input items for turns."""

from __future__ import annotations

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


InputItem = TextInput | ImageInput | LocalImageInput | SkillInput | MentionInput
Input = list[InputItem] | InputItem

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
