"""What a turn types, built ahead of time so that its first use costs nothing.

The generated models are imported lazily and each builds its validator on first use;
done on the event loop in the middle of a turn, that first use is a stall (hundreds of
milliseconds for the first `Turn`). `warm_models()` does it all at once; the clients run it
in a background thread while the app-server starts (see `codex_app_server._warmup`), and
the async API waits for it without blocking the loop before it types anything.
"""

from __future__ import annotations

import logging

from ..generated.notification_registry import NOTIFICATION_MODELS

logger = logging.getLogger("codex_app_server")

#: The models the high-level API validates during and after a turn.
TURN_MODELS = (
    "Turn",
    "ThreadTokenUsage",
    "TurnInterruptResponse",
    "TurnSteerResponse",
    "InitializeResponse",
)

#: The notifications of an ordinary turn, whose `payload` a program is likely to read.
TURN_NOTIFICATIONS = (
    "turn/started",
    "item/started",
    "item/agentMessage/delta",
    "item/reasoning/summaryTextDelta",
    "item/completed",
    "thread/tokenUsage/updated",
    "turn/completed",
    "error",
)

#: A minimal thread item: validating it builds the `ThreadItem` union's validator.
_SAMPLE_ITEM = {"type": "agentMessage", "id": "warmup", "text": ""}


def warm_models() -> None:
    """Import the models a turn uses and build their validators. Never raises."""
    from .models import model_class, validate_thread_item

    names = [*TURN_MODELS]
    names += [NOTIFICATION_MODELS[m] for m in TURN_NOTIFICATIONS if m in NOTIFICATION_MODELS]
    for name in names:
        try:
            rebuild = getattr(model_class(name), "model_rebuild", None)
            if rebuild is not None:
                rebuild()
        except Exception as exc:  # a model this runtime's schema lacks: nothing to warm
            logger.debug("warming up %s failed: %s", name, exc)
    try:
        validate_thread_item(_SAMPLE_ITEM)
    except Exception as exc:
        logger.debug("warming up ThreadItem failed: %s", exc)
