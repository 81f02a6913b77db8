"""The batch command's tests share the scale tests' echoing model."""

from __future__ import annotations

from ..support.echo_model import echo

__all__ = ["echo"]
