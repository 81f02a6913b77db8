"""What a turn types, built ahead of time so that its first use costs nothing.

The generated models are imported lazily and each builds its validator on first use;
done on the event loop in the middle of a turn, that first use is a stall (hundreds of
milliseconds for the first `Turn`: importing pydantic, creating the classes, building the
validator). The clients run the warm-up in a background thread while the app-server
starts (see `codex_app_server._warmup`), in two steps: `warm_turn_models()`, what typing a
turn's result needs (the async API waits for this step, without blocking the loop, before
it types anything), then `warm_notification_models()`, the payloads of a turn's
notifications, which a program reads only if it asks for `note.payload`.
"""

from __future__ import annotations

from .._logging import sdk_logger

logger = sdk_logger("codex_app_server")

#: What the high-level API validates after a turn (`run()`, `handle.run()`, the result's
#: usage) and for `interrupt()` / `steer()`; `ThreadItem` is built first (see below).
TURN_MODELS = (
    "Turn",
    "ThreadTokenUsage",
    "TurnInterruptResponse",
    "TurnSteerResponse",
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


def _build(names: list[str]) -> None:
    from .models import model_class

    for name in names:
        try:
            rebuild = getattr(model_class(name), "model_rebuild", None)
            if rebuild is not None:
                rebuild()
        except Exception as exc:  # a model this runtime's schema lacks: nothing to warm
            logger.debug("warming up %s failed: %s", name, exc)


def warm_turn_models() -> None:
    """Import the models that typing a turn's result uses and build their validators
    (`ThreadItem`, `Turn`, the usage, the interrupt and steer responses). Never raises."""
    from .models import validate_thread_item

    try:
        validate_thread_item(_SAMPLE_ITEM)
    except Exception as exc:
        logger.debug("warming up ThreadItem failed: %s", exc)
    _build(list(TURN_MODELS))


def warm_notification_models() -> None:
    """Build the payload models of a turn's notifications. Never raises."""
    from ..generated.notification_registry import NOTIFICATION_MODELS

    _build([NOTIFICATION_MODELS[m] for m in TURN_NOTIFICATIONS if m in NOTIFICATION_MODELS])


def warm_models() -> None:
    """Both steps, in order. Never raises."""
    warm_turn_models()
    warm_notification_models()
